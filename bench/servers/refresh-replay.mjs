// The refresh ceiling: the service's refresh transaction, statement for statement as captured
// from the service itself, replayed straight through `pg` with the same pool size and the
// same concurrency, with no HTTP, no Nest and no TypeORM. Values flow from one statement's
// rows to the next as they do in the service (token -> session -> user -> chain head).
//   node bench/servers/refresh-replay.mjs <input.json>
// input: { statements: string[], tokens: string[], connections, seconds, pool }
// Prints one JSON line: { transactions, seconds, latencies: { p50, p95, p99 }, errors }.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sql = input.statements;

/** The statements in the order AuthService.refresh sends them; checked against the capture. */
const SHAPE = [
  /^START TRANSACTION/,
  /FROM "refresh_tokens" "token" WHERE .* FOR UPDATE$/,
  /FROM "sessions" "session" WHERE .* FOR UPDATE$/,
  /FROM "users" "User"/,
  /FROM "memberships" "membership"/,
  /^SELECT EXISTS \(\s+SELECT 1\s+FROM organizations o\s+JOIN sso_connections.*user_totp_factors/s,
  /^UPDATE "sessions" SET "last_used_at"/,
  /^\s*INSERT INTO audit_chain_heads .* RETURNING last_sequence, last_hash$/s,
  /^\s*WITH event AS \(\s*INSERT INTO audit_events .*UPDATE audit_chain_heads/s,
  /^UPDATE "refresh_tokens" SET "used_at"/,
  /^INSERT INTO "refresh_tokens"/,
  /^COMMIT/,
];
if (sql.length !== SHAPE.length || SHAPE.some((shape, index) => !shape.test(sql[index]))) {
  process.stderr.write(
    'The service refresh transaction no longer matches the replay; update ' +
      `bench/servers/refresh-replay.mjs. Captured:\n${sql.join('\n')}\n`,
  );
  process.exit(2);
}

const pool = new pg.Pool({
  host: process.env.POSTGRES_HOST,
  port: Number(process.env.POSTGRES_PORT),
  user: process.env.POSTGRES_USER,
  password: process.env.POSTGRES_PASSWORD,
  database: process.env.POSTGRES_DB,
  max: input.pool,
});

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

async function refresh(client, token) {
  const now = new Date();
  await client.query(sql[0]);
  try {
    const [stored] = (await client.query(sql[1], [sha256(token)])).rows;
    if (!stored || stored.token_used_at) throw new Error('refresh token not live');
    const [session] = (await client.query(sql[2], [stored.token_session_id])).rows;
    const userId = session.session_user_id;
    const organizationId = session.session_organization_id;
    const [user] = (await client.query(sql[3], [userId])).rows;
    await client.query(sql[4], [userId, organizationId]);
    await client.query(sql[5], [organizationId, user.User_email.split('@')[1], userId]);
    await client.query(sql[6], [now, session.session_id]);
    const [head] = (await client.query(sql[7], [organizationId])).rows;
    const sequence = String(Number(head.last_sequence) + 1);
    const hash = sha256(`${head.last_hash}|${sequence}|${session.session_id}`);
    await client.query(sql[8], [
      organizationId,
      sequence,
      now,
      userId,
      'auth.token_refreshed',
      'session',
      session.session_id,
      'success',
      '127.0.0.1',
      'bench',
      randomUUID(),
      '{}',
      head.last_hash,
      hash,
    ]);
    const next = randomBytes(32).toString('base64url');
    await client.query(sql[9], [now, randomBytes(70).toString('base64url'), stored.token_id]);
    await client.query(sql[10], [
      session.session_id,
      sha256(next),
      new Date(now.getTime() + 7 * 86_400_000),
    ]);
    await client.query(sql[11]);
    return next;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

const latencies = [];
let errors = 0;
const tokens = [...input.tokens];
const deadline = Date.now() + input.seconds * 1000;

/** One connection's loop: refreshes its own token chain, as a client would. */
async function loop() {
  let token = tokens.pop();
  while (Date.now() < deadline && token) {
    const started = performance.now();
    const client = await pool.connect();
    try {
      token = await refresh(client, token);
      latencies.push(performance.now() - started);
    } catch {
      errors++;
      token = tokens.pop();
    } finally {
      client.release();
    }
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: input.connections }, loop));
const seconds = (performance.now() - started) / 1000;
await pool.end();
latencies.sort((a, b) => a - b);
const at = (fraction) =>
  latencies.length ? latencies[Math.ceil(fraction * latencies.length) - 1] : null;
process.stdout.write(
  `${JSON.stringify({
    transactions: latencies.length,
    seconds,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    errors,
  })}\n`,
);
