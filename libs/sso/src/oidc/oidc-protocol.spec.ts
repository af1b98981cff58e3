import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { SignJWT, decodeJwt } from 'jose';
import { MemoryStore } from '@app/cache';
import {
  OidcIdp,
  OidcIdpAccount,
  TokenResponseBody,
  startOidcIdp,
} from '../../../../test/support/oidc-idp';
import { OidcConnectionSettings, SsoFlowCarry, SsoProtocolOptions } from '../sso-protocol';
import { InvalidIssuerUrlError, validateIssuerUrl } from './issuer-url';
import { OidcProtocol } from './oidc-protocol';

const OPTIONS: SsoProtocolOptions = {
  clockSkewSeconds: 30,
  flowTtlSeconds: 600,
  allowHttpLoopbackIssuers: true,
  issuerAddresses: { loopback: true, private: true },
};
const REDIRECT_A = 'http://127.0.0.1:3999/sso/oidc/conn-a/callback';
const REDIRECT_B = 'http://127.0.0.1:3999/sso/oidc/conn-b/callback';
const CLIENT_A = { client_id: 'client-a', client_secret: 'secret-of-client-a-0123456789abcdef' };
const CLIENT_B = { client_id: 'client-b', client_secret: 'secret-of-client-b-0123456789abcdef' };

const ACCOUNTS: OidcIdpAccount[] = [
  {
    sub: 'ada',
    email: 'ada@example.com',
    email_verified: true,
    given_name: 'Ada',
    family_name: 'Lovelace',
    groups: ['engineering', 'admins'],
  },
  { sub: 'bob', email: 'bob@example.com', email_verified: false, given_name: 'Bob' },
  { sub: 'nomail', given_name: 'No', family_name: 'Mail' },
];

function connectionA(
  issuer: string,
  overrides: Partial<OidcConnectionSettings> = {},
): OidcConnectionSettings {
  return {
    connectionId: 'conn-a',
    issuer,
    clientId: CLIENT_A.client_id,
    clientSecret: CLIENT_A.client_secret,
    scopes: ['email', 'profile', 'groups'],
    claimMapping: {},
    ...overrides,
  };
}

function connectionB(issuer: string): OidcConnectionSettings {
  return {
    ...connectionA(issuer),
    connectionId: 'conn-b',
    clientId: CLIENT_B.client_id,
    clientSecret: CLIENT_B.client_secret,
  };
}

function carryFor(connectionId: string): SsoFlowCarry {
  return { connectionId, returnUrl: `/after/${connectionId}` };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return port;
}

describe('OidcProtocol against a real OpenID provider', () => {
  let idp: OidcIdp;
  let store: MemoryStore;
  let protocol: OidcProtocol;

  const startLogin = async (settings: OidcConnectionSettings, redirectUri: string) =>
    protocol.begin(settings, redirectUri, carryFor(settings.connectionId));

  const loginAt = async (
    settings: OidcConnectionSettings,
    redirectUri: string,
    accountId: string,
  ): Promise<URL> => idp.authorize(await startLogin(settings, redirectUri), accountId);

  /** Lets the next token response through unchanged and answers its ID token. */
  const captureIdToken = (): { idToken: () => string } => {
    let captured: string | undefined;
    idp.rewriteTokenResponses((body: TokenResponseBody) => {
      captured = String(body.id_token);
      return body;
    });

    return {
      idToken: () => {
        if (captured === undefined) throw new Error('no token response went through');
        return captured;
      },
    };
  };

  const replaceIdToken = (idToken: string): void =>
    idp.rewriteTokenResponses((body) => ({ ...body, id_token: idToken }));

  beforeAll(async () => {
    Logger.overrideLogger(false);
    idp = await startOidcIdp({
      clients: [
        { ...CLIENT_A, redirect_uris: [REDIRECT_A] },
        { ...CLIENT_B, redirect_uris: [REDIRECT_B] },
      ],
      accounts: ACCOUNTS,
    });
  });

  afterAll(async () => {
    await idp.stop();
  });

  beforeEach(() => {
    store = new MemoryStore();
    protocol = new OidcProtocol(store, OPTIONS);
  });

  afterEach(async () => {
    idp.rewriteTokenResponses(null);
    await store.close();
  });

  it('sends the browser to the provider with PKCE S256, state, nonce and the openid scope', async () => {
    const url = new URL(await startLogin(connectionA(idp.issuer), REDIRECT_A));

    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_A.client_id);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_A);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')?.split(' ')).toEqual([
      'openid',
      'email',
      'profile',
      'groups',
    ]);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{32,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{32,}$/);
  });

  it('answers the profile from the ID token and the carry after a full login', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'ada');

    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toEqual({
      profile: {
        subject: 'ada',
        email: 'ada@example.com',
        emailVerified: true,
        firstName: 'Ada',
        lastName: 'Lovelace',
        groups: ['engineering', 'admins'],
      },
      carry: carryFor('conn-a'),
    });
  });

  it('reads the profile fields from the claims the mapping names', async () => {
    const settings = connectionA(idp.issuer, {
      claimMapping: { first_name: 'family_name', last_name: 'given_name', groups: 'missing' },
    });
    const callback = await loginAt(settings, REDIRECT_A, 'ada');

    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toMatchObject({
      profile: { firstName: 'Lovelace', lastName: 'Ada', groups: [] },
    });
  });

  it('reports an email the provider does not vouch for as unverified', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'bob');

    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toMatchObject({
      profile: { subject: 'bob', emailVerified: false, lastName: null, groups: [] },
    });
  });

  it('refuses a login whose account has no email', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'nomail');

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'missing_email',
    });
  });

  it('refuses a callback whose state was already used', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'ada');
    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toBeDefined();

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
  });

  it('lets only one of two parallel callbacks with the same state through', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'ada');

    const outcomes = await Promise.allSettled([
      protocol.finish(settings, REDIRECT_A, callback),
      protocol.finish(settings, REDIRECT_A, callback),
    ]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({
      reason: { reason: 'state_mismatch' },
    });
  });

  it.each([
    ['an unknown state', (callback: URL) => callback.searchParams.set('state', 'not-issued-here')],
    ['no state', (callback: URL) => callback.searchParams.delete('state')],
    ['an empty state', (callback: URL) => callback.searchParams.set('state', '')],
  ])('refuses a callback with %s', async (_case, alter) => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'ada');
    alter(callback);

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
  });

  it('refuses a state begun for another connection, and leaves it to its own', async () => {
    const settingsA = connectionA(idp.issuer);
    const callback = await loginAt(settingsA, REDIRECT_A, 'ada');

    await expect(
      protocol.finish(connectionB(idp.issuer), REDIRECT_B, callback),
    ).rejects.toMatchObject({ reason: 'state_mismatch' });
    await expect(protocol.finish(settingsA, REDIRECT_A, callback)).resolves.toMatchObject({
      profile: { subject: 'ada' },
    });
  });

  it('reports an error the provider sent back as provider_error, and spends the state', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await idp.deny(await startLogin(settings, REDIRECT_A));
    expect(callback.searchParams.get('error')).toBe('access_denied');

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'provider_error',
    });
    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'state_mismatch',
    });
  });

  it('refuses a code exchanged twice at the provider as provider_error', async () => {
    const settings = connectionA(idp.issuer);
    const url = await startLogin(settings, REDIRECT_A);
    const callback = await idp.authorize(url, 'ada');
    // A second flow whose callback carries the first flow's code: PKCE and the spent code
    // both make the provider refuse it.
    const other = await loginAt(settings, REDIRECT_A, 'ada');
    other.searchParams.set('code', String(callback.searchParams.get('code')));
    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toBeDefined();

    await expect(protocol.finish(settings, REDIRECT_A, other)).rejects.toMatchObject({
      reason: 'provider_error',
    });
  });

  it('refuses an ID token minted for another login of the same client', async () => {
    const settings = connectionA(idp.issuer);
    const victim = await loginAt(settings, REDIRECT_A, 'ada');
    const capture = captureIdToken();
    const attacker = await loginAt(settings, REDIRECT_A, 'bob');
    await expect(protocol.finish(settings, REDIRECT_A, attacker)).resolves.toBeDefined();
    replaceIdToken(capture.idToken());

    await expect(protocol.finish(settings, REDIRECT_A, victim)).rejects.toMatchObject({
      reason: 'nonce_mismatch',
    });
  });

  it('refuses a genuine ID token the provider issued to another client', async () => {
    const settingsA = connectionA(idp.issuer);
    const settingsB = connectionB(idp.issuer);
    const urlA = await startLogin(settingsA, REDIRECT_A);
    // Client B's login carries A's nonce, so only the audience tells the tokens apart.
    const urlB = new URL(await startLogin(settingsB, REDIRECT_B));
    urlB.searchParams.set('nonce', String(new URL(urlA).searchParams.get('nonce')));
    const callbackB = await idp.authorize(urlB.href, 'ada');
    const capture = captureIdToken();
    await expect(protocol.finish(settingsB, REDIRECT_B, callbackB)).rejects.toMatchObject({
      reason: 'nonce_mismatch',
    });
    const tokenForB = capture.idToken();
    expect(decodeJwt(tokenForB)).toMatchObject({ aud: CLIENT_B.client_id });

    const callbackA = await idp.authorize(urlA, 'ada');
    replaceIdToken(tokenForB);

    await expect(protocol.finish(settingsA, REDIRECT_A, callbackA)).rejects.toMatchObject({
      reason: 'token_invalid',
    });
  });

  it.each([
    ['signed by a key the provider does not publish, under its key id', true],
    ['signed by a key the provider does not publish, under an unknown key id', false],
  ])('refuses an ID token %s', async (_case, reuseKid) => {
    const settings = connectionA(idp.issuer);
    const url = await startLogin(settings, REDIRECT_A);
    const callback = await idp.authorize(url, 'ada');
    const nonce = String(new URL(url).searchParams.get('nonce'));
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const genuineKid = await keyIdOfProvider(idp);
    const forged = await new SignJWT({
      sub: 'ada',
      email: 'ada@example.com',
      email_verified: true,
      nonce,
    })
      .setProtectedHeader({ alg: 'RS256', kid: reuseKid ? genuineKid : 'attacker-key' })
      .setIssuer(idp.issuer)
      .setAudience(CLIENT_A.client_id)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    replaceIdToken(forged);

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'token_invalid',
    });
  });

  it('refuses a genuine ID token whose claims were altered after signing', async () => {
    const settings = connectionA(idp.issuer);
    const callback = await loginAt(settings, REDIRECT_A, 'bob');
    idp.rewriteTokenResponses((body) => {
      const [header, payload, signature] = String(body.id_token).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const altered = { ...claims, email_verified: true, email: 'ceo@example.com' };
      const tampered = Buffer.from(JSON.stringify(altered)).toString('base64url');

      return { ...body, id_token: `${header}.${tampered}.${signature}` };
    });

    await expect(protocol.finish(settings, REDIRECT_A, callback)).rejects.toMatchObject({
      reason: 'token_invalid',
    });
  });

  /**
   * Finishes a login whose token response carries an ID token signed with the provider's own
   * key, for this login's nonce, with the times `times(now)` gives.
   */
  const finishWithProviderSignedToken = async (
    times: (now: number) => { iat: number; exp: number },
  ) => {
    const settings = connectionA(idp.issuer);
    const url = await startLogin(settings, REDIRECT_A);
    const callback = await idp.authorize(url, 'ada');
    const now = Math.floor(Date.now() / 1000);
    replaceIdToken(
      await idp.sign({
        iss: idp.issuer,
        aud: CLIENT_A.client_id,
        sub: 'ada',
        email: 'ada@example.com',
        nonce: new URL(url).searchParams.get('nonce'),
        ...times(now),
      }),
    );

    return protocol.finish(settings, REDIRECT_A, callback);
  };

  it('accepts an ID token the provider signed with times inside the clock skew', async () => {
    await expect(
      finishWithProviderSignedToken((now) => ({ iat: now + 20, exp: now - 20 })),
    ).resolves.toMatchObject({ profile: { subject: 'ada' } });
  });

  it.each([
    [
      'issued in the future beyond the clock skew',
      (now: number) => ({ iat: now + 120, exp: now + 600 }),
    ],
    ['expired beyond the clock skew', (now: number) => ({ iat: now - 600, exp: now - 120 })],
  ])('refuses an ID token %s', async (_case, times) => {
    await expect(finishWithProviderSignedToken(times)).rejects.toMatchObject({
      reason: 'token_invalid',
    });
  });

  it('refuses a plain http issuer when loopback issuers are not allowed', async () => {
    const strict = new OidcProtocol(store, { ...OPTIONS, allowHttpLoopbackIssuers: false });

    await expect(
      strict.begin(connectionA(idp.issuer), REDIRECT_A, carryFor('conn-a')),
    ).rejects.toMatchObject({ reason: 'insecure_issuer' });
  });

  it('refuses a provider whose address the policy does not allow, before any request', async () => {
    const strict = new OidcProtocol(store, {
      ...OPTIONS,
      issuerAddresses: { loopback: false, private: false },
    });

    await expect(
      strict.begin(connectionA(idp.issuer), REDIRECT_A, carryFor('conn-a')),
    ).rejects.toMatchObject({ reason: 'issuer_address_refused' });
  });

  it('refuses a plain http issuer off loopback even when loopback issuers are allowed', async () => {
    await expect(
      protocol.begin(connectionA('http://idp.example.com'), REDIRECT_A, carryFor('conn-a')),
    ).rejects.toMatchObject({ reason: 'insecure_issuer' });
  });

  it('reports an issuer nobody answers at as provider_unreachable', async () => {
    const issuer = `http://127.0.0.1:${await unusedPort()}`;

    await expect(
      protocol.begin(connectionA(issuer), REDIRECT_A, carryFor('conn-a')),
    ).rejects.toMatchObject({ reason: 'provider_unreachable' });
  });
});

describe('OidcProtocol with a provider that keeps profile claims out of the ID token', () => {
  let idp: OidcIdp;
  let store: MemoryStore;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    idp = await startOidcIdp({
      clients: [{ ...CLIENT_A, redirect_uris: [REDIRECT_A] }],
      accounts: ACCOUNTS,
      claimsInIdToken: false,
    });
    store = new MemoryStore();
  });

  afterAll(async () => {
    await store.close();
    await idp.stop();
  });

  it('fetches the email and profile from userinfo', async () => {
    const protocol = new OidcProtocol(store, OPTIONS);
    const settings = connectionA(idp.issuer);
    const url = await protocol.begin(settings, REDIRECT_A, carryFor('conn-a'));
    const callback = await idp.authorize(url, 'ada');
    const capture = captureOnce(idp);

    await expect(protocol.finish(settings, REDIRECT_A, callback)).resolves.toMatchObject({
      profile: { subject: 'ada', email: 'ada@example.com', emailVerified: true, firstName: 'Ada' },
    });
    expect(decodeJwt(capture())).not.toHaveProperty('email');
  });
});

function captureOnce(idp: OidcIdp): () => string {
  let captured: string | undefined;
  idp.rewriteTokenResponses((body) => {
    captured = String(body.id_token);
    return body;
  });

  return () => {
    if (captured === undefined) throw new Error('no token response went through');
    return captured;
  };
}

async function keyIdOfProvider(idp: OidcIdp): Promise<string> {
  const response = await fetch(`${idp.issuer}/jwks`);
  const { keys } = (await response.json()) as { keys: { kid: string }[] };

  return keys[0].kid;
}

describe('validateIssuerUrl', () => {
  it.each([
    ['https://idp.example.com', false],
    ['https://idp.example.com/tenant/v2.0', false],
    ['http://127.0.0.1:8080', true],
    ['http://127.8.9.10', true],
    ['http://localhost:9000/realms/x', true],
    ['http://[::1]:9000', true],
  ])('accepts %s (loopback http allowed: %s)', (issuer, allowHttpLoopbackIssuers) => {
    expect(validateIssuerUrl(issuer, { allowHttpLoopbackIssuers }).href).toBe(new URL(issuer).href);
  });

  it.each([
    ['http://idp.example.com', true],
    ['http://127.0.0.1:8080', false],
    ['http://10.0.0.1', true],
    ['http://[::ffff:127.0.0.1]', true],
    ['ftp://idp.example.com', true],
    ['https://idp.example.com/?tenant=1', true],
    ['https://idp.example.com/#x', true],
    ['https://user:pass@idp.example.com', true],
    ['idp.example.com', true],
  ])('refuses %s (loopback http allowed: %s)', (issuer, allowHttpLoopbackIssuers) => {
    expect(() => validateIssuerUrl(issuer, { allowHttpLoopbackIssuers })).toThrow(
      InvalidIssuerUrlError,
    );
  });
});
