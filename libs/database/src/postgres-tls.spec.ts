import { PostgresTlsFileError, buildPostgresSsl } from './postgres-tls';

const files: Record<string, string> = {
  '/ca.pem': 'CA PEM',
  '/client.pem': 'CLIENT PEM',
  '/client.key': 'CLIENT KEY',
};
const read = (path: string): Buffer => {
  if (!(path in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });

  return Buffer.from(files[path]);
};

describe('buildPostgresSsl', () => {
  it('turns TLS off for disable', () => {
    expect(buildPostgresSsl({ mode: 'disable' }, read)).toBe(false);
  });

  it('encrypts without checking the certificate for require', () => {
    expect(buildPostgresSsl({ mode: 'require' }, read)).toMatchObject({
      rejectUnauthorized: false,
    });
  });

  it('checks the chain but not the name for verify-ca', () => {
    const ssl = buildPostgresSsl({ mode: 'verify-ca', caFile: '/ca.pem' }, read);

    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: Buffer.from('CA PEM') });
    expect(ssl && ssl.checkServerIdentity?.('db.internal', {} as never)).toBeUndefined();
  });

  it("checks chain and name for verify-full, leaving the name check to Node's default", () => {
    const ssl = buildPostgresSsl(
      { mode: 'verify-full', caFile: '/ca.pem', certFile: '/client.pem', keyFile: '/client.key' },
      read,
    );

    expect(ssl).toEqual({
      rejectUnauthorized: true,
      ca: Buffer.from('CA PEM'),
      cert: Buffer.from('CLIENT PEM'),
      key: Buffer.from('CLIENT KEY'),
    });
  });

  it('names the variable and the path of a missing file, never contents', () => {
    const build = () =>
      buildPostgresSsl(
        { mode: 'verify-full', caFile: '/ca.pem', certFile: '/nope.pem', keyFile: '/client.key' },
        read,
      );

    expect(build).toThrow(PostgresTlsFileError);
    expect(build).toThrow('POSTGRES_SSL_CERT_FILE (/nope.pem) could not be read: ENOENT');
  });
});
