import { createHash, randomUUID } from 'node:crypto';
import { SignerOptions, createSigner } from 'fast-jwt';
import { MemoryStore } from '@app/cache';
import { loadAppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { AuthException } from './auth.exception';
import { JwtKeyring } from './signing-key';
import { TokenService } from './token.service';

const KEY = 'unit-test-signing-key-'.padEnd(64, 'x');
const config = loadAppConfig({ ACCESS_TOKEN_EXPIRE_MINUTES: '15' });
const keyring: JwtKeyring = {
  signing: { algorithm: 'HS256', key: KEY },
  verification: [{ algorithm: 'HS256', key: KEY }],
  jwks: [],
};

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: randomUUID(),
    org_id: randomUUID(),
    sid: randomUUID(),
    jti: randomUUID(),
    type: 'access',
    roles: ['member'],
    ...overrides,
  };
}

/** Signs like the service does unless told otherwise. */
function forge(
  options: Partial<SignerOptions & { key: string }> = {},
  payload: Record<string, unknown> = claims(),
): string {
  const sign = createSigner({
    key: KEY,
    algorithm: 'HS256',
    expiresIn: 15 * 60 * 1000,
    iss: config.jwt.issuer,
    aud: config.jwt.audience,
    ...options,
  } as SignerOptions & { key: string });

  return sign(payload);
}

function withoutClaim(name: string): Record<string, unknown> {
  const payload = claims();
  delete payload[name];

  return payload;
}

describe('TokenService', () => {
  let store: MemoryStore;
  let tokens: TokenService;
  const session = { userId: randomUUID(), organizationId: randomUUID(), roles: ['owner'] };

  beforeEach(() => {
    store = new MemoryStore();
    tokens = new TokenService(config, keyring, store, new Metrics());
  });

  afterEach(async () => {
    await store.close();
  });

  it('authenticates the access token it issued', async () => {
    const sessionId = randomUUID();
    const issued = tokens.issueAccessToken({ ...session, sessionId });
    const now = Math.floor(Date.now() / 1000);

    const principal = await tokens.authenticate(issued.token);

    expect(issued.expiresIn).toBe(15 * 60);
    expect(principal).toEqual({
      userId: session.userId,
      organizationId: session.organizationId,
      sessionId,
      tokenId: issued.tokenId,
      roles: ['owner'],
      expiresAt: expect.any(Number),
    });
    expect(principal.expiresAt).toBeGreaterThanOrEqual(now + 15 * 60 - 1);
    expect(principal.expiresAt).toBeLessThanOrEqual(now + 15 * 60 + 1);
  });

  it('accepts a token signed elsewhere with the same key, algorithm, issuer and audience', async () => {
    await expect(tokens.authenticate(forge())).resolves.toMatchObject({ roles: ['member'] });
  });

  it('gives every access token its own id', () => {
    const input = { ...session, sessionId: randomUUID() };

    expect(tokens.issueAccessToken(input).tokenId).not.toBe(tokens.issueAccessToken(input).tokenId);
  });

  describe('refuses with AUTH_INVALID_TOKEN', () => {
    const tamperSignature = (token: string) => {
      const [header, payload, signature] = token.split('.');
      const first = signature[0] === 'A' ? 'B' : 'A';

      return [header, payload, first + signature.slice(1)].join('.');
    };
    const tamperPayload = (token: string) => {
      const [header, , signature] = token.split('.');
      const payload = Buffer.from(JSON.stringify(claims({ roles: ['owner'] }))).toString(
        'base64url',
      );

      return [header, payload, signature].join('.');
    };

    it.each<[string, () => string]>([
      ['a tampered signature', () => tamperSignature(forge())],
      ['a tampered payload', () => tamperPayload(forge())],
      ['a token signed with another key', () => forge({ key: 'another-key'.padEnd(64, 'y') })],
      ['alg none', () => forge({ algorithm: 'none', key: undefined })],
      ['another HMAC algorithm', () => forge({ algorithm: 'HS512' })],
      ['a wrong issuer', () => forge({ iss: 'someone-else' })],
      ['a wrong audience', () => forge({ aud: 'another-service' })],
      ['a token without issuer', () => forge({ iss: undefined })],
      ['a token without audience', () => forge({ aud: undefined })],
      [
        'an expired token',
        () => forge({ clockTimestamp: Date.now() - 60 * 60 * 1000, expiresIn: 15 * 60 * 1000 }),
      ],
      ['a token without expiry', () => forge({ expiresIn: undefined })],
      ['a refresh-type token', () => forge({}, claims({ type: 'refresh' }))],
      ['a token without type', () => forge({}, withoutClaim('type'))],
      ['a token without session id', () => forge({}, withoutClaim('sid'))],
      ['a subject that is not a UUID', () => forge({}, claims({ sub: 'admin' }))],
      ['roles that are not a list', () => forge({}, claims({ roles: 'owner' }))],
      ['a string that is not a JWT', () => 'not-a-jwt'],
      ['an empty string', () => ''],
    ])('%s', async (_case, token) => {
      const attempt = tokens.authenticate(token());

      await expect(attempt).rejects.toBeInstanceOf(AuthException);
      await expect(attempt).rejects.toMatchObject({ code: 'AUTH_INVALID_TOKEN', status: 401 });
    });
  });

  describe('revocation', () => {
    it('refuses a revoked access token with AUTH_TOKEN_REVOKED, and only that one', async () => {
      const sessionId = randomUUID();
      const revoked = tokens.issueAccessToken({ ...session, sessionId });
      const sibling = tokens.issueAccessToken({ ...session, sessionId });

      await tokens.revokeAccessToken(await tokens.authenticate(revoked.token));

      await expect(tokens.authenticate(revoked.token)).rejects.toMatchObject({
        code: 'AUTH_TOKEN_REVOKED',
      });
      await expect(tokens.authenticate(sibling.token)).resolves.toMatchObject({ sessionId });
    });

    it('refuses every access token of a revoked session, and none of another', async () => {
      const sessionId = randomUUID();
      const first = tokens.issueAccessToken({ ...session, sessionId });
      const second = tokens.issueAccessToken({ ...session, sessionId });
      const otherSession = tokens.issueAccessToken({ ...session, sessionId: randomUUID() });

      await tokens.revokeSessionAccess(sessionId);

      for (const token of [first.token, second.token]) {
        await expect(tokens.authenticate(token)).rejects.toMatchObject({
          code: 'AUTH_TOKEN_REVOKED',
        });
      }
      await expect(tokens.authenticate(otherSession.token)).resolves.toBeDefined();
    });

    it('refuses a revoked token on another instance sharing the store', async () => {
      const other = new TokenService(config, keyring, store, new Metrics());
      const issued = tokens.issueAccessToken({ ...session, sessionId: randomUUID() });
      await expect(other.authenticate(issued.token)).resolves.toBeDefined();

      await tokens.revokeAccessToken(await tokens.authenticate(issued.token));

      await expect(other.authenticate(issued.token)).rejects.toMatchObject({
        code: 'AUTH_TOKEN_REVOKED',
      });
    });

    it('keeps the revocation only as long as the token could live', async () => {
      const issued = tokens.issueAccessToken({ ...session, sessionId: randomUUID() });
      const principal = await tokens.authenticate(issued.token);
      const set = jest.spyOn(store, 'set');

      await tokens.revokeAccessToken(principal);
      await tokens.revokeSessionAccess(principal.sessionId);

      const [[, , tokenTtl], [, , sessionTtl]] = set.mock.calls;
      expect(tokenTtl).toBeGreaterThan(15 * 60 - 5);
      expect(tokenTtl).toBeLessThanOrEqual(15 * 60);
      expect(sessionTtl).toBe(15 * 60);
    });
  });

  describe('refresh tokens', () => {
    it('stores the SHA-256 hex digest of the token', () => {
      const { token, hash } = tokens.newRefreshToken();

      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(tokens.hashRefreshToken(token)).toBe(hash);
      expect(hash).not.toContain(token);
    });

    it('makes long random tokens that never repeat', () => {
      const issued = Array.from({ length: 200 }, () => tokens.newRefreshToken());

      expect(new Set(issued.map((refresh) => refresh.token)).size).toBe(200);
      expect(new Set(issued.map((refresh) => refresh.hash)).size).toBe(200);
      for (const { token } of issued) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });
  });
});
