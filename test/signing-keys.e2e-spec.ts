import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import {
  API,
  createOrganization,
  expectProblem,
  login,
  registerUser,
  signAccessToken,
} from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

type Algorithm = 'RS256' | 'ES256' | 'EdDSA';

interface KeyPair {
  privateKey: string;
  publicKey: string;
}

function keyPair(algorithm: Algorithm): KeyPair {
  const pem = { publicKeyEncoding: { type: 'spki', format: 'pem' } as const };
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  switch (algorithm) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048, ...pem, privateKeyEncoding });
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256', ...pem, privateKeyEncoding });
    case 'EdDSA':
      return generateKeyPairSync('ed25519', { ...pem, privateKeyEncoding });
  }
}

/** Claims of a token the service would issue; the session need not exist for GET sessions. */
function claims(app: TestApp, type = 'access'): Record<string, unknown> {
  return {
    sub: randomUUID(),
    org_id: randomUUID(),
    sid: randomUUID(),
    jti: randomUUID(),
    type,
    roles: ['member'],
    iss: app.config.jwt.issuer,
    aud: app.config.jwt.audience,
  };
}

function sign(
  algorithm: string,
  key: string,
  payload: Record<string, unknown>,
  kid?: string,
): string {
  return createSigner({ key, algorithm: algorithm as 'HS256', kid, expiresIn: 60_000 })(payload);
}

/** A route any valid access token may call, whether or not its user exists in this database. */
const probe = (app: TestApp, token: string) =>
  request(app.server).get(`${API}/auth/sessions`).set('Authorization', `Bearer ${token}`);
const jwks = (app: TestApp) => request(app.server).get('/.well-known/jwks.json');

/**
 * Passport keeps strategies in one registry per process, so the last app started answers the
 * bearer checks of every app alive: each app here runs alone, and tokens "from another
 * instance" are signed in the test with that instance's key.
 */
describe('signing keys', () => {
  describe('HS256 during a rotation', () => {
    const previous = randomBytes(48).toString('hex');
    const current = randomBytes(48).toString('hex');
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp({ JWT_SECRET_KEY: current, JWT_SECRET_KEY_PREVIOUS: previous });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('accepts tokens of the previous secret, and signs with the current', async () => {
      const old = signAccessToken(app.config, claims(app), { key: previous });
      const organization = await createOrganization(app.dataSource);
      const user = await registerUser(app.server, organization.id);

      const issued = await login(app.server, user);

      await probe(app, old).expect(200);
      await probe(app, issued.access_token).expect(200);
      const bySecret = signAccessToken(app.config, claims(app), { key: current });
      await probe(app, bySecret).expect(200);
    });

    it('refuses a token of any other secret', async () => {
      const forged = signAccessToken(app.config, claims(app), {
        key: randomBytes(48).toString('hex'),
      });

      expectProblem(await probe(app, forged), 401, 'AUTH_INVALID_TOKEN');
    });

    it('publishes no keys: jwks.json answers 404', async () => {
      const response = await jwks(app);

      expectProblem(response, 404, 'AUTH_NO_PUBLIC_KEYS');
    });
  });

  describe('HS256 after the rotation', () => {
    const previous = randomBytes(48).toString('hex');
    let app: TestApp;

    beforeAll(async () => {
      app = await startTestApp({ JWT_SECRET_KEY: randomBytes(48).toString('hex') });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('refuses the previous secret once it is removed', async () => {
      const old = signAccessToken(app.config, claims(app), { key: previous });

      expectProblem(await probe(app, old), 401, 'AUTH_INVALID_TOKEN');
    });
  });

  describe.each<Algorithm>(['RS256', 'ES256', 'EdDSA'])('%s', (algorithm) => {
    const current = keyPair(algorithm);
    const next = keyPair(algorithm);
    let currentKid: string;

    describe('before the rotation: the next key is published before it signs', () => {
      let app: TestApp;

      beforeAll(async () => {
        app = await startTestApp({
          JWT_SECRET_KEY: '',
          JWT_ALGORITHM: algorithm,
          JWT_PRIVATE_KEY: current.privateKey,
          JWT_NEXT_PUBLIC_KEY: next.publicKey,
          JWT_NEXT_KEY_ID: 'next',
        });
        currentKid = (await jwks(app).expect(200)).body.keys[0].kid as string;
      });

      afterAll(async () => {
        await app?.close();
      });

      it('issues tokens with kid that verify against the served JWKS', async () => {
        const organization = await createOrganization(app.dataSource);
        const user = await registerUser(app.server, organization.id);
        const { access_token: token } = await login(app.server, user);

        const response = await jwks(app).expect(200);

        // Verifiers are meant to cache the keys: the API's no-store default does not apply.
        expect(response.headers['cache-control']).toBe('public, max-age=300');
        expect(response.headers.pragma).toBeUndefined();
        const keys = response.body.keys as Array<Record<string, string>>;
        const header = decodeProtectedHeader(token);
        expect(header.alg).toBe(algorithm);
        expect(keys.map((key) => key.kid)).toEqual([header.kid, 'next']);
        for (const key of keys) {
          expect(key).toMatchObject({ alg: algorithm, use: 'sig' });
          expect(key.d).toBeUndefined();
        }
        const verified = await jwtVerify(token, createLocalJWKSet(response.body), {
          issuer: app.config.jwt.issuer,
          audience: app.config.jwt.audience,
          algorithms: [algorithm],
        });
        expect(verified.payload).toMatchObject({ sub: user.userId, type: 'access' });
        await probe(app, token).expect(200);
      });

      it('already accepts tokens of the next key, as an instance that switched first signs them', async () => {
        const byNext = sign(algorithm, next.privateKey, claims(app), 'next');

        await probe(app, byNext).expect(200);
      });

      it.each<[string, () => string]>([
        [
          'a token signed by an unpublished key under a published kid',
          () => sign(algorithm, keyPair(algorithm).privateKey, claims(app), currentKid),
        ],
        [
          'a token signed by an unpublished key under an unknown kid',
          () => sign(algorithm, keyPair(algorithm).privateKey, claims(app), 'unknown'),
        ],
        [
          'a token of the signing key without kid',
          () => sign(algorithm, current.privateKey, claims(app)),
        ],
        [
          'an HS256 token keyed with the public key (algorithm confusion)',
          () => sign('HS256', current.publicKey, claims(app), currentKid),
        ],
        [
          'a refresh-type token signed with the signing key',
          () => sign(algorithm, current.privateKey, claims(app, 'refresh'), currentKid),
        ],
        [
          'an mfa_challenge token signed with the signing key',
          () => sign(algorithm, current.privateKey, claims(app, 'mfa_challenge'), currentKid),
        ],
      ])('refuses %s', async (_name, forge) => {
        expectProblem(await probe(app, forge()), 401, 'AUTH_INVALID_TOKEN');
      });
    });

    describe('after the rotation: the previous key verifies until its tokens expire', () => {
      let app: TestApp;

      beforeAll(async () => {
        app = await startTestApp({
          JWT_SECRET_KEY: '',
          JWT_ALGORITHM: algorithm,
          JWT_PRIVATE_KEY: next.privateKey,
          JWT_KEY_ID: 'next',
          JWT_PREVIOUS_PUBLIC_KEY: current.publicKey,
        });
      });

      afterAll(async () => {
        await app?.close();
      });

      it('accepts tokens of the previous key and signs with the next', async () => {
        const old = sign(algorithm, current.privateKey, claims(app), currentKid);

        await probe(app, old).expect(200);
        const served = (await jwks(app).expect(200)).body.keys as Array<{ kid: string }>;
        expect(served.map((key) => key.kid)).toEqual(['next', currentKid]);
        const organization = await createOrganization(app.dataSource);
        const user = await registerUser(app.server, organization.id);
        const { access_token: token } = await login(app.server, user);
        expect(decodeProtectedHeader(token).kid).toBe('next');
      });
    });
  });
});
