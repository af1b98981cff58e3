import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { PostgresTlsConfig } from '@app/config';

/** A TLS file that could not be used; the message names the variable, never the contents. */
export class PostgresTlsFileError extends Error {
  constructor(variable: string, path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    super(`${variable} (${path}) could not be read: ${code}`);
    this.name = 'PostgresTlsFileError';
  }
}

type ReadFile = (path: string) => Buffer;

/** What `pg` passes to `tls.connect` for one connection. */
export type PostgresSsl = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'checkServerIdentity'
>;

/**
 * The `ssl` option of `pg` for POSTGRES_SSL_MODE, read from the files once, when the pools are
 * built. `pg` checks the host name itself (SNI for names, the IP SANs for addresses) whenever
 * `rejectUnauthorized` holds, so verify-full needs nothing more; verify-ca keeps the chain check
 * and drops the name check, as libpq does.
 */
export function buildPostgresSsl(
  tls: PostgresTlsConfig,
  read: ReadFile = readFileSync,
): false | PostgresSsl {
  if (tls.mode === 'disable') return false;

  const files: PostgresSsl = {
    ca: tls.caFile ? readTlsFile('POSTGRES_SSL_CA_FILE', tls.caFile, read) : undefined,
    cert: tls.certFile ? readTlsFile('POSTGRES_SSL_CERT_FILE', tls.certFile, read) : undefined,
    key: tls.keyFile ? readTlsFile('POSTGRES_SSL_KEY_FILE', tls.keyFile, read) : undefined,
  };
  switch (tls.mode) {
    case 'require':
      // Encrypts against passive listening only: any certificate is accepted.
      return { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      // Without a CA file Node's bundled roots apply, which suits managed databases whose
      // certificates chain to a public CA.
      return { ...files, rejectUnauthorized: true };
  }
}

function readTlsFile(variable: string, path: string, read: ReadFile): Buffer {
  try {
    return read(path);
  } catch (error) {
    throw new PostgresTlsFileError(variable, path, error);
  }
}
