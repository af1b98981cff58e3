import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { API, GUIDE_PASSWORD, Tokens, createOrganization, registerUser } from './factories';

/** A signed-in user with a membership: what the organization/member/role tests act as. */
export interface Actor {
  userId: string;
  email: string;
  password: string;
  organizationId: string;
  token: string;
  refreshToken: string;
}

export async function loginTo(
  server: Server,
  user: { email: string; password: string },
  organizationId?: string,
): Promise<Tokens> {
  const response = await request(server)
    .post(`${API}/auth/login`)
    .send({ email: user.email, password: user.password, organization_id: organizationId })
    .expect(200);

  return response.body as Tokens;
}

/**
 * Registers a user into the organization (which must accept registration) with the given
 * roles, set directly in the database, and signs them in to it.
 */
export async function createMember(
  server: Server,
  dataSource: DataSource,
  organizationId: string,
  roles: string[] = ['member'],
  overrides: Partial<{ email: string; first_name: string; last_name: string }> = {},
): Promise<Actor> {
  const user = await registerUser(server, organizationId, overrides);
  await dataSource.query(
    'UPDATE memberships SET roles = $3 WHERE user_id = $1 AND organization_id = $2',
    [user.userId, organizationId, roles],
  );
  const tokens = await loginTo(server, user, organizationId);

  return {
    ...user,
    token: tokens.access_token,
    refreshToken: tokens.refresh_token,
  };
}

/** A platform administrator, owner of an organization of their own, signed in to it. */
export async function createPlatformAdmin(server: Server, dataSource: DataSource): Promise<Actor> {
  const home = await createOrganization(dataSource);
  const admin = await createMember(server, dataSource, home.id, ['owner']);
  await dataSource.query('UPDATE users SET is_platform_admin = true WHERE id = $1', [admin.userId]);

  return admin;
}

/** Adds an existing user to another organization, as the invitations feature would. */
export async function addMembership(
  dataSource: DataSource,
  userId: string,
  organizationId: string,
  roles: string[] = ['member'],
): Promise<void> {
  await dataSource.query(
    'INSERT INTO memberships (user_id, organization_id, roles) VALUES ($1, $2, $3)',
    [userId, organizationId, roles],
  );
}

export interface AuditRow {
  action: string;
  outcome: string;
  actor_user_id: string | null;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
}

/** Audit events of one organization's chain, oldest first, straight from the table. */
export function auditEvents(
  dataSource: DataSource,
  organizationId: string,
  action?: string,
): Promise<AuditRow[]> {
  return dataSource.query<AuditRow[]>(
    `SELECT action, outcome, actor_user_id, target_type, target_id, details FROM audit_events
      WHERE organization_id = $1 AND ($2::text IS NULL OR action = $2) ORDER BY sequence`,
    [organizationId, action ?? null],
  );
}

export const bearer = (actor: { token: string }) => `Bearer ${actor.token}`;

export { API, GUIDE_PASSWORD };
