import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENVIRONMENT_VARIABLES } from './environment-variables';

describe('configuration documentation', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## npm scripts'));

  it.each(Object.keys(ENVIRONMENT_VARIABLES))('the README configuration table lists %s', (name) => {
    expect(table).toContain(`\`${name}\``);
  });

  it('lists no variable the service does not read', () => {
    const documented = [...table.matchAll(/^\| `([A-Z_]+)`(?: \/ `([A-Z_]+)`)?/gm)].flatMap(
      (match) => match.slice(1).filter(Boolean),
    );

    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((name) => !(name in ENVIRONMENT_VARIABLES))).toEqual([]);
  });
});
