import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Membership, Organization } from '@app/organizations';
import {
  API,
  GUIDE_PASSWORD,
  RegisteredUser,
  RowScope,
  createOrganization,
  expectNoRowChanges,
  expectProblem,
  login,
  registerUser,
  uniqueDomain,
  uniqueEmail,
} from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

describe('organization access', () => {
  let t: TestApp;
  let domain: string;
  let scope: RowScope;

  /** Creates an organization whose rows count in this file's scope. */
  const organization = async (overrides: Partial<Organization> = {}) => {
    const created = await createOrganization(t.dataSource, overrides);
    scope.organizationIds.push(created.id);

    return created;
  };

  const register = (organizationId: string, email = uniqueEmail('joiner', domain)) =>
    request(t.server).post(`${API}/auth/register`).send({
      email,
      password: GUIDE_PASSWORD,
      first_name: 'Joan',
      last_name: 'Clarke',
      organization_id: organizationId,
    });

  const signIn = (user: RegisteredUser, organizationId?: string) =>
    request(t.server)
      .post(`${API}/auth/login`)
      .send({
        email: user.email,
        password: user.password,
        ...(organizationId ? { organization_id: organizationId } : {}),
      });

  const me = (accessToken: string) =>
    request(t.server).get(`${API}/auth/me`).set('Authorization', `Bearer ${accessToken}`);

  beforeAll(async () => {
    t = await startTestApp();
    domain = uniqueDomain('organizations');
    scope = { organizationIds: [], emailDomains: [domain] };
  });

  afterAll(async () => {
    await t.close();
  });

  describe('sign-in with organization_id', () => {
    let home: Organization;
    let second: Organization;
    let user: RegisteredUser;

    beforeAll(async () => {
      home = await organization();
      second = await organization();
      user = await registerUser(t.server, home.id, { email: uniqueEmail('two-orgs', domain) });
      const memberships = t.dataSource.getRepository(Membership);
      await memberships.save(
        memberships.create({ userId: user.userId, organizationId: second.id, roles: ['admin'] }),
      );
    });

    it('issues tokens for the organization asked for', async () => {
      const response = await signIn(user, second.id).expect(200);

      expect(response.body.organization_id).toBe(second.id);
      const profile = await me(response.body.access_token).expect(200);
      expect(profile.body).toMatchObject({ organization_id: second.id, roles: ['admin'] });
      expect(profile.body.organizations.map((o: { id: string }) => o.id).sort()).toEqual(
        [home.id, second.id].sort(),
      );
    });

    it('keeps the roles of each organization apart', async () => {
      const response = await signIn(user, home.id).expect(200);

      const profile = await me(response.body.access_token).expect(200);
      expect(profile.body).toMatchObject({ organization_id: home.id, roles: ['member'] });
    });

    it('enters the most recently used organization when none is asked for', async () => {
      await signIn(user, second.id).expect(200);

      const response = await signIn(user).expect(200);

      expect(response.body.organization_id).toBe(second.id);
    });

    it('refuses an organization the user is not a member of with 403', async () => {
      const stranger = await organization();

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        signIn(user, stranger.id),
      );

      expectProblem(response, 403, 'AUTH_ORGANIZATION_ACCESS_DENIED');
    });

    it('refuses an organization that does not exist with the same 403', async () => {
      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        signIn(user, randomUUID()),
      );

      expectProblem(response, 403, 'AUTH_ORGANIZATION_ACCESS_DENIED');
    });

    it('refuses an organization whose membership was deactivated with 403', async () => {
      const left = await organization();
      const memberships = t.dataSource.getRepository(Membership);
      await memberships.save(
        memberships.create({
          userId: user.userId,
          organizationId: left.id,
          status: 'deactivated',
        }),
      );

      const response = await expectNoRowChanges(t.dataSource, scope, () => signIn(user, left.id));

      expectProblem(response, 403, 'AUTH_ORGANIZATION_ACCESS_DENIED');
    });

    it('refuses an organization that was deleted with 403', async () => {
      const closing = await organization();
      const memberships = t.dataSource.getRepository(Membership);
      await memberships.save(
        memberships.create({ userId: user.userId, organizationId: closing.id }),
      );
      await t.dataSource.getRepository(Organization).softDelete({ id: closing.id });

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        signIn(user, closing.id),
      );

      expectProblem(response, 403, 'AUTH_ORGANIZATION_ACCESS_DENIED');
    });
  });

  describe('registration policy', () => {
    it('refuses self-registration in an invitation-only organization with 403', async () => {
      const closed = await organization({ registrationPolicy: 'invitation_only' });

      const response = await expectNoRowChanges(t.dataSource, scope, () => register(closed.id));

      expectProblem(response, 403, 'AUTH_REGISTRATION_CLOSED');
    });

    it('accepts an email at an allowed domain, whatever its case', async () => {
      const allowed = uniqueDomain('allowed');
      scope.emailDomains.push(allowed);
      const restricted = await organization({
        registrationPolicy: 'allowed_domains',
        allowedEmailDomains: [allowed],
      });

      await register(restricted.id, uniqueEmail('Staff', allowed.toUpperCase())).expect(201);
    });

    it.each([
      { kind: 'another domain', email: (allowed: string) => uniqueEmail('x', `evil-${allowed}`) },
      {
        kind: 'a subdomain of the allowed one',
        email: (allowed: string) => uniqueEmail('x', `mail.${allowed}`),
      },
      {
        kind: 'the allowed domain as a prefix',
        email: (allowed: string) => uniqueEmail('x', `${allowed}.evil.example`),
      },
    ])('refuses $kind in an allowed-domains organization with 403', async ({ email }) => {
      const allowed = uniqueDomain('allowed');
      scope.emailDomains.push(allowed, `${allowed}.evil.example`);
      const restricted = await organization({
        registrationPolicy: 'allowed_domains',
        allowedEmailDomains: [allowed],
      });

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        register(restricted.id, email(allowed)),
      );

      expectProblem(response, 403, 'AUTH_EMAIL_DOMAIN_NOT_ALLOWED');
    });

    it('refuses a registration once max_users is reached with 409', async () => {
      const small = await organization({ maxUsers: 1 });
      await register(small.id).expect(201);

      const response = await expectNoRowChanges(t.dataSource, scope, () => register(small.id));

      expectProblem(response, 409, 'AUTH_ORGANIZATION_FULL');
    });

    it('admits exactly max_users of many parallel registrations', async () => {
      const small = await organization({ maxUsers: 3 });
      const emails = Array.from({ length: 8 }, () => uniqueEmail('rush', domain));

      const responses = await Promise.all(emails.map((email) => register(small.id, email)));

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409]);
      for (const response of responses.filter(({ status }) => status === 409)) {
        expectProblem(response, 409, 'AUTH_ORGANIZATION_FULL');
      }
      const [counts] = await t.dataSource.query<Array<{ users: number; memberships: number }>>(
        `SELECT (SELECT count(*) FROM users WHERE email = ANY ($1::text[]))::int AS users,
                (SELECT count(*) FROM memberships WHERE organization_id = $2)::int AS memberships`,
        [emails, small.id],
      );
      expect(counts).toEqual({ users: 3, memberships: 3 });
    });

    it('never lets the body choose roles', async () => {
      const open = await organization();

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        request(t.server)
          .post(`${API}/auth/register`)
          .send({
            email: uniqueEmail('climber', domain),
            password: GUIDE_PASSWORD,
            first_name: 'Eve',
            last_name: 'Climber',
            organization_id: open.id,
            roles: ['owner'],
          }),
      );

      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([
        { field: 'roles', message: 'property roles should not exist' },
      ]);
    });

    it('gives a self-registered user the member role only', async () => {
      const open = await organization();
      const email = uniqueEmail('plain', domain);

      const registered = await register(open.id, email).expect(201);

      expect(registered.body.roles).toEqual(['member']);
      const tokens = await login(t.server, { email, password: GUIDE_PASSWORD });
      const profile = await me(tokens.access_token).expect(200);
      expect(profile.body.roles).toEqual(['member']);
    });
  });
});
