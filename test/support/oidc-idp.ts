import { createPrivateKey, generateKeyPairSync, JsonWebKey, randomBytes } from 'node:crypto';
import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
  request as httpRequest,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import Provider, {
  type Account,
  type Adapter,
  type AdapterPayload,
  type InteractionResults,
} from 'oidc-provider';

/** A user at the test identity provider; the claims go into its ID tokens and userinfo. */
export interface OidcIdpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  given_name?: string;
  family_name?: string;
  groups?: string[];
}

/** A relying party registered at the test identity provider (client_secret_basic). */
export interface OidcIdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface OidcIdpOptions {
  clients: OidcIdpClient[];
  accounts: OidcIdpAccount[];
  /**
   * Whether the claims of the granted scopes go into the ID token (default) or, as the
   * specification's default has it, only to userinfo.
   */
  claimsInIdToken?: boolean;
}

/** The JSON body of a token response, as the provider sent it. */
export type TokenResponseBody = Record<string, unknown>;
export type TokenResponseRewrite = (body: TokenResponseBody) => TokenResponseBody;

/** A real OpenID provider on 127.0.0.1, with a headless browser to log in through it. */
export interface OidcIdp {
  /** `http://127.0.0.1:<port>`; use it as the connection's issuer. */
  readonly issuer: string;
  readonly provider: Provider;
  /**
   * Follows the authorization URL as a browser would, logs in as `accountId` and grants every
   * requested scope; answers the redirect to the client's redirect_uri (with `code` and
   * `state`) without following it.
   */
  authorize(authorizationUrl: string, accountId: string): Promise<URL>;
  /** As `authorize`, but the user refuses: the redirect carries `error=access_denied`. */
  deny(authorizationUrl: string): Promise<URL>;
  /**
   * Passes every successful token response through `rewrite` before the client sees it, as
   * an attacker in the middle would; `null` stops rewriting.
   */
  rewriteTokenResponses(rewrite: TokenResponseRewrite | null): void;
  /** Signs claims with the provider's own key (RS256, its key id): a genuine-looking token. */
  sign(claims: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

const INTERACTION_PATH = '/interaction/';
const TOKEN_PATH = '/token';
const MAX_REDIRECTS = 10;
const SIGNING_KEY_ID = 'test-idp-signing';

/**
 * Starts oidc-provider behind a small forwarding server. The forwarder holds the issuer's
 * port, so it can rewrite token responses; the provider itself listens on a second loopback
 * port. Interactions complete programmatically on `/interaction/<uid>?login=<account>` (or
 * `?deny=1`), the only route the provider does not serve itself.
 */
export async function startOidcIdp(options: OidcIdpOptions): Promise<OidcIdp> {
  const front = createServer();
  const frontPort = await listen(front);
  const issuer = `http://127.0.0.1:${frontPort}`;
  const signingKey: JsonWebKey = generateKeyPairSync('rsa', {
    modulusLength: 2048,
  }).privateKey.export({ format: 'jwk' });
  const provider = buildProvider(issuer, options, signingKey);
  const providerCallback = provider.callback();

  const back = createServer((req, res) => {
    if (req.url?.startsWith(INTERACTION_PATH)) {
      void finishInteraction(provider, req, res);
      return;
    }
    void providerCallback(req, res);
  });
  const backPort = await listen(back);

  let rewrite: TokenResponseRewrite | null = null;
  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const rewriting = rewrite !== null && req.method === 'POST' && req.url === TOKEN_PATH;
    forward(req, res, backPort, rewriting ? rewrite : null);
  });

  const redirectUris = options.clients.flatMap((client) => client.redirect_uris);
  const browse = (authorizationUrl: string, interaction: string) =>
    followToRedirectUri(new URL(authorizationUrl), issuer, redirectUris, interaction);

  return {
    issuer,
    provider,
    authorize: (authorizationUrl, accountId) =>
      browse(authorizationUrl, `login=${encodeURIComponent(accountId)}`),
    deny: (authorizationUrl) => browse(authorizationUrl, 'deny=1'),
    rewriteTokenResponses: (next) => {
      rewrite = next;
    },
    sign: async (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: SIGNING_KEY_ID })
        .sign(createPrivateKey({ key: signingKey, format: 'jwk' })),
    stop: async () => {
      await Promise.all([close(front), close(back)]);
    },
  };
}

function buildProvider(issuer: string, options: OidcIdpOptions, signingKey: JsonWebKey): Provider {
  const accounts = new Map(options.accounts.map((account) => [account.sub, account]));

  return new Provider(issuer, {
    clients: options.clients.map((client) => ({
      ...client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...signingKey, kid: SIGNING_KEY_ID, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    adapter: memoryAdapter(),
    // Explicit, so the provider does not print a notice for each default it falls back to.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name'],
      groups: ['groups'],
    },
    // Off: scope claims go into the ID token too, as most enterprise providers do.
    conformIdTokenClaims: !(options.claimsInIdToken ?? true),
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    clientBasedCORS: () => false,
    findAccount: (_ctx, sub): Account | undefined => {
      const account = accounts.get(sub);
      if (account === undefined) return undefined;

      return { accountId: sub, claims: () => ({ ...account }) };
    },
  });
}

/**
 * The provider's own in-memory adapter, minus its warning on every start; expiry is ignored,
 * a test IdP lives for one test file.
 */
function memoryAdapter(): (name: string) => Adapter {
  const entries = new Map<string, AdapterPayload>();

  return (name) => {
    const key = (id: string) => `${name}:${id}`;
    const findBy = (field: 'userCode' | 'uid', value: string) =>
      [...entries].find(
        ([id, payload]) => id.startsWith(`${name}:`) && payload[field] === value,
      )?.[1];

    return {
      upsert: async (id, payload) => {
        entries.set(key(id), payload);
      },
      find: async (id) => entries.get(key(id)),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      findByUid: async (uid) => findBy('uid', uid),
      consume: async (id) => {
        const payload = entries.get(key(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [id, payload] of entries) if (payload.grantId === grantId) entries.delete(id);
      },
    };
  };
}

/** Logs the interaction's user in and grants what the client asked for, or refuses. */
async function finishInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const query = new URL(req.url ?? '/', 'http://idp.invalid').searchParams;
    const details = await provider.interactionDetails(req, res);
    const accountId = query.get('login');
    let result: InteractionResults;
    if (query.has('deny')) {
      result = { error: 'access_denied', error_description: 'the user refused' };
    } else if (accountId === null) {
      res.writeHead(400).end('test IdP: add ?login=<account id> or ?deny=1');
      return;
    } else {
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      result = { login: { accountId }, consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(500).end(`test IdP interaction failed: ${String(error)}`);
  }
}

/** Pipes one request to the provider; a token response goes through `rewrite` when given. */
function forward(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  rewrite: TokenResponseRewrite | null,
): void {
  const upstream = httpRequest(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      if (rewrite === null || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = JSON.stringify(
          rewrite(JSON.parse(Buffer.concat(chunks).toString('utf8')) as TokenResponseBody),
        );
        res.writeHead(200, {
          ...answer.headers,
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      });
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

/**
 * A browser with a cookie jar: follows the provider's redirects, completes the interaction
 * with `interactionQuery`, and stops at the first redirect to a registered redirect_uri.
 */
async function followToRedirectUri(
  start: URL,
  issuer: string,
  redirectUris: string[],
  interactionQuery: string,
): Promise<URL> {
  const cookies = new Map<string, string>();
  const issuerOrigin = new URL(issuer).origin;
  let next = start;

  for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
    const response = await fetch(next, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    storeCookies(cookies, response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) {
      const body = await response.text();
      throw new Error(`test IdP answered ${response.status} at ${next.pathname}: ${body}`);
    }
    await response.body?.cancel();

    const target = new URL(location, next);
    const withoutQuery = `${target.origin}${target.pathname}`;
    if (redirectUris.includes(withoutQuery)) return target;
    if (target.origin !== issuerOrigin) {
      throw new Error(`test IdP redirected outside itself: ${withoutQuery}`);
    }
    if (target.pathname.startsWith(INTERACTION_PATH)) target.search = interactionQuery;
    next = target;
  }
  throw new Error(`test IdP: more than ${MAX_REDIRECTS} redirects`);
}

/** Keeps name and value only: every cookie goes back to this one origin, whatever its path. */
function storeCookies(cookies: Map<string, string>, setCookies: string[]): void {
  for (const header of setCookies) {
    const [pair, ...attributes] = header.split(';');
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key, setting = ''] = attribute.split('=');
      const lower = key.trim().toLowerCase();
      if (lower === 'max-age') return Number(setting) <= 0;
      if (lower === 'expires') return Date.parse(setting) <= Date.now();
      return false;
    });
    if (expired || value === '') cookies.delete(name);
    else cookies.set(name, value);
  }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
