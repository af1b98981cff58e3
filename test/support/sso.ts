import request from 'supertest';
import { API } from './factories';
import { SignedInUser, bearer } from './org-admin';
import { TestApp } from './test-app';

/** Where the test client application wants the browser back after single sign-on. */
export const CLIENT_RETURN_URL = 'https://app.example.com/sso/done';

/** Lets the organization's SSO logins end on CLIENT_RETURN_URL. */
export async function allowReturnUrl(t: TestApp, organizationId: string): Promise<void> {
  await t.dataSource.query('UPDATE organizations SET sso_return_urls = $2 WHERE id = $1', [
    organizationId,
    [CLIENT_RETURN_URL],
  ]);
}

/** Creates an SSO connection through the API as `admin`; answers its read model. */
export async function createConnection(
  t: TestApp,
  admin: SignedInUser,
  body: Record<string, unknown>,
): Promise<{ id: string; login_url: string } & Record<string, unknown>> {
  const response = await request(t.server)
    .post(`${API}/sso/connections`)
    .set(bearer(admin))
    .send(body)
    .expect(201);

  return response.body as { id: string; login_url: string } & Record<string, unknown>;
}

/**
 * Exchanges the code a finished SSO login sent the browser back with (`landing`, the URL it
 * was redirected to) for tokens, and reads the signed-in user's profile with them.
 */
export async function exchangeForProfile(
  t: TestApp,
  landing: URL,
): Promise<{ tokens: Record<string, unknown>; me: Record<string, unknown> }> {
  const tokens = await request(t.server)
    .post(`${API}/auth/sso/exchange`)
    .send({ code: landing.searchParams.get('code') })
    .expect(200);
  const me = await request(t.server)
    .get(`${API}/auth/me`)
    .set({ Authorization: `Bearer ${tokens.body.access_token}` })
    .expect(200);

  return { tokens: tokens.body as Record<string, unknown>, me: me.body as Record<string, unknown> };
}

/** Path and query of an absolute URL, for supertest. */
export function pathOf(url: string): string {
  const parsed = new URL(url);

  return `${parsed.pathname}${parsed.search}`;
}

/**
 * The rows a failed SSO login must not create: identities of the connection, and users of
 * the connection's (per-test, unique) email domain with their sessions.
 */
export async function ssoRows(
  t: TestApp,
  connectionId: string,
  domain: string,
): Promise<{ identities: number; sessions: number; users: number }> {
  const [row] = await t.dataSource.query<
    Array<{ identities: number; sessions: number; users: number }>
  >(
    `SELECT (SELECT count(*)::int FROM sso_identities WHERE connection_id = $1) AS identities,
            (SELECT count(*)::int FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE u.email LIKE '%@' || $2) AS sessions,
            (SELECT count(*)::int FROM users WHERE email LIKE '%@' || $2) AS users`,
    [connectionId, domain],
  );

  return row;
}

/** The reasons of the audited failed SSO logins of a connection, oldest first. */
export async function failureReasons(t: TestApp, connectionId: string): Promise<string[]> {
  const rows = await t.dataSource.query<Array<{ reason: string }>>(
    `SELECT details->>'reason' AS reason FROM audit_events
      WHERE action = 'auth.sso_login' AND outcome = 'failure' AND target_id = $1
      ORDER BY occurred_at, sequence`,
    [connectionId],
  );

  return rows.map((row) => row.reason);
}
