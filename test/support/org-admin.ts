import request from 'supertest';
import { API, RegisteredUser, registerUser, uniqueEmail } from './factories';
import { TestApp } from './test-app';

/** A registered, signed-in user of one organization, with their access token. */
export interface SignedInUser extends RegisteredUser {
  accessToken: string;
}

export function bearer(user: { accessToken: string }): { Authorization: string } {
  return { Authorization: `Bearer ${user.accessToken}` };
}

/**
 * Registers a user in the organization, gives them `roles` directly in the memberships table
 * (no route may grant owner to a newcomer) and signs them in, so the token carries them.
 */
export async function signedInMember(
  t: TestApp,
  organizationId: string,
  roles: string[] = ['member'],
  email = uniqueEmail('member'),
): Promise<SignedInUser> {
  const user = await registerUser(t.server, organizationId, { email });
  await t.dataSource.query(
    'UPDATE memberships SET roles = $1 WHERE user_id = $2 AND organization_id = $3',
    [roles, user.userId, organizationId],
  );

  return { ...user, accessToken: await signIn(t, user, organizationId) };
}

/** An owner of the organization: every permission there. */
export function orgAdmin(t: TestApp, organizationId: string): Promise<SignedInUser> {
  return signedInMember(t, organizationId, ['owner'], uniqueEmail('admin'));
}

export async function signIn(
  t: TestApp,
  user: { email: string; password: string },
  organizationId: string,
): Promise<string> {
  const response = await request(t.server)
    .post(`${API}/auth/login`)
    .send({ email: user.email, password: user.password, organization_id: organizationId })
    .expect(200);

  return (response.body as { access_token: string }).access_token;
}
