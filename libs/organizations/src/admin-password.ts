import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Name of the file, under DATA_DIR, that receives a generated admin password. */
export const ADMIN_PASSWORD_FILE = 'admin-password';

/**
 * Hands a generated admin password to the person who started the seed, and returns the line
 * that says how. On a terminal it is the password itself, shown once. Otherwise the output is
 * going to a file or a log collector, where a secret must not land: the password goes to
 * `DATA_DIR/admin-password` (mode 0600, replaced if present; with `DATA_DIR=memory` a new
 * private folder under the system's temp folder) and only that path is printed.
 */
export function deliverAdminPassword(
  password: string,
  dataDir: string,
  toTerminal = process.stdout.isTTY === true,
): string {
  if (toTerminal) return `Admin password (shown only now): ${password}`;

  const folder = dataDir === 'memory' ? mkdtempSync(join(tmpdir(), 'fm-auth-')) : dataDir;
  const file = resolve(folder, ADMIN_PASSWORD_FILE);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // Removed first: writeFile keeps the mode of a file that exists, whatever it is.
    rmSync(file, { force: true });
    writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return (
      `Admin password: not shown (output is not a terminal) and not written to ${file} ` +
      `(${reason}); reset it with auth/password/forgot, or seed an empty database with ` +
      'ADMIN_PASSWORD set'
    );
  }

  return `Admin password: written to ${file} (readable by you only; delete it once read)`;
}
