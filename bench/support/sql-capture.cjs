// Preloaded (`node -r`) into a service instance the benchmark starts only to learn SQL: every
// statement the `pg` driver sends is appended, as one JSON line, to BENCH_SQL_CAPTURE. The
// measured instances never load it.
const { appendFileSync } = require('node:fs');
const pg = require('pg');

const file = process.env.BENCH_SQL_CAPTURE;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function capture(config, values, ...rest) {
  const text = typeof config === 'string' ? config : config?.text;
  if (file && text) appendFileSync(file, `${JSON.stringify({ text })}\n`);
  return query.call(this, config, values, ...rest);
};
