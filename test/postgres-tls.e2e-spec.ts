import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { generate } from 'selfsigned';
import { buildPostgresSsl } from '@app/database';
import { PostgresServer, describeWithPostgresBinaries } from './support/postgres-server';
import { TestApp, startTestApp } from './support/test-app';

interface Authority {
  cert: string;
  key: string;
}

async function certificateAuthority(name: string): Promise<Authority> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });

  return { cert: pems.cert, key: pems.private };
}

/** A server certificate for 127.0.0.1 only: `localhost` is deliberately not in it. */
async function serverCertificate(ca: Authority): Promise<Authority> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });

  return { cert: pems.cert, key: pems.private };
}

describeWithPostgresBinaries('PostgreSQL TLS')('PostgreSQL TLS', () => {
  let server: PostgresServer | undefined;
  let folder: string;
  let caFile: string;
  let wrongCaFile: string;

  const env = (overrides: Record<string, string>): Record<string, string> => ({
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(server!.port),
    POSTGRES_USER: 'postgres',
    POSTGRES_PASSWORD: '',
    POSTGRES_DB: 'fm_auth',
    POSTGRES_REPLICA_HOSTS: '',
    // The in-memory store: an app whose start-up fails is never closed, and would leave a
    // Redis connection keeping the test process alive.
    REDIS_HOST: '',
    ...overrides,
  });

  beforeAll(async () => {
    const ca = await certificateAuthority('FaultMaven test CA');
    const wrongCa = await certificateAuthority('Somebody else');
    const certificate = await serverCertificate(ca);
    server = await PostgresServer.start({
      files: { 'server.crt': certificate.cert, 'server.key': certificate.key },
      settings: ['ssl = on', "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"],
      // TCP only with TLS; the local socket (pg_ctl's readiness check) stays open.
      hba: ['local all all trust', 'hostssl all all 127.0.0.1/32 trust'],
    });
    folder = mkdtempSync(join(tmpdir(), 'fm-pg-tls-'));
    caFile = join(folder, 'ca.pem');
    wrongCaFile = join(folder, 'wrong-ca.pem');
    writeFileSync(caFile, ca.cert);
    writeFileSync(wrongCaFile, wrongCa.cert);
    await server.withClient(
      (client) => client.query('CREATE DATABASE fm_auth'),
      // The test's own admin connection checks the CA too.
      { ssl: { ca: ca.cert, rejectUnauthorized: true } },
    );
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('boots with verify-full and the right CA, every connection encrypted', async () => {
    let t: TestApp | undefined;
    try {
      t = await startTestApp(
        env({ POSTGRES_SSL_MODE: 'verify-full', POSTGRES_SSL_CA_FILE: caFile }),
      );
      const [row] = await t.dataSource.query<{ ssl: boolean; version: string }[]>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(row.ssl).toBe(true);
      expect(row.version).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await t?.close();
    }
  });

  it('defaults to verify-full when only a CA file is given', async () => {
    let t: TestApp | undefined;
    try {
      t = await startTestApp(env({ POSTGRES_SSL_CA_FILE: caFile }));
      expect(t.config.database.tls.mode).toBe('verify-full');
    } finally {
      await t?.close();
    }
  });

  it('refuses to start against a server whose certificate another CA signed', async () => {
    const failure = startTestApp(
      env({ POSTGRES_SSL_MODE: 'verify-full', POSTGRES_SSL_CA_FILE: wrongCaFile }),
    );

    await expect(failure).rejects.toThrow(
      new RegExp(
        `^Could not connect to PostgreSQL \\(primary 127\\.0\\.0\\.1:${server!.port} over TLS\\): ` +
          '(self[- ]signed certificate|unable to verify|unable to get)',
      ),
    );
    await expect(failure).rejects.not.toThrow(/BEGIN CERTIFICATE/);
  });

  it('refuses to start without TLS when the server accepts only TLS', async () => {
    await expect(startTestApp(env({ POSTGRES_SSL_MODE: 'disable' }))).rejects.toThrow(
      /^Could not connect to PostgreSQL \(primary 127\.0\.0\.1:\d+\): .*no pg_hba\.conf entry .*no encryption/,
    );
  });

  it('names the variable when a TLS file cannot be read', async () => {
    await expect(
      startTestApp(env({ POSTGRES_SSL_CA_FILE: join(folder, 'missing.pem') })),
    ).rejects.toThrow(/^POSTGRES_SSL_CA_FILE \(.*missing\.pem\) could not be read: ENOENT$/);
  });

  it('checks the host name with verify-full but not with verify-ca', async () => {
    const connect = async (mode: 'verify-ca' | 'verify-full') => {
      const client = new Client({
        ...server!.clientConfig(),
        // The certificate names 127.0.0.1 only.
        host: 'localhost',
        ssl: buildPostgresSsl({ mode, caFile }) || undefined,
      });
      await client.connect();
      await client.end();
    };

    await expect(connect('verify-ca')).resolves.toBeUndefined();
    await expect(connect('verify-full')).rejects.toThrow(/localhost/);
  });
});
