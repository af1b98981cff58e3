import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Actor, createPlatformAdmin } from './support/admin';
import { GeneratedClient, generateApiClient } from './support/api-client';
import { GUIDE_PASSWORD, uniqueEmail, uniqueSuffix } from './support/factories';
import { fetchOpenApiDocument } from './support/openapi';
import { TestApp, startTestApp } from './support/test-app';

/** Generating and loading the client, then a dozen calls, may outlast Jest's default. */
const SLOW_MS = 60_000;

/**
 * The generated SDK as this test sees it. The client is generated while the test runs, so its
 * own types do not exist when the project is type-checked; each call's `data` is cast to the
 * few fields the scenario reads.
 */
type SdkFunction = (options: Record<string, unknown>) => Promise<{ data: unknown }>;
type Sdk = Record<string, SdkFunction | undefined>;
type ClientModule = { client: { setConfig(config: { baseUrl: string }): void } };

interface Organization {
  id: string;
  owner_user_id?: string;
}

describe('typed client generated from the OpenAPI document', () => {
  let t: TestApp;
  let generated: GeneratedClient | undefined;
  let sdk: Sdk;
  let admin: Actor;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    admin = await createPlatformAdmin(t.server, t.dataSource);

    generated = await generateApiClient(await fetchOpenApiDocument(t));
    sdk = (await import(generated.entry)) as Sdk;
    const { client } = (await import(generated.clientEntry)) as ClientModule;
    const { port } = t.server.address() as AddressInfo;
    client.setConfig({ baseUrl: `http://127.0.0.1:${port}` });
  }, SLOW_MS);

  afterAll(async () => {
    await t?.close();
    if (generated) await rm(generated.folder, { recursive: true, force: true });
  });

  /** Calls one generated SDK function; a problem answer throws its body. */
  async function call<T>(operation: string, options: Record<string, unknown>): Promise<T> {
    const sdkFunction = sdk[operation];
    if (typeof sdkFunction !== 'function') throw new Error(`The SDK has no ${operation}()`);
    const { data } = await sdkFunction({ throwOnError: true, ...options });

    return data as T;
  }

  it(
    'creates an organization, invites a member who registers, teams them up and audits it all',
    async () => {
      const suffix = uniqueSuffix();

      const organization = await call<Organization>('organizationsControllerCreate', {
        auth: admin.token,
        body: { name: `Typed ${suffix}`, slug: `typed-${suffix}`, owner_email: admin.email },
      });
      expect(organization.owner_user_id).toBe(admin.userId);

      const { access_token: token } = await call<{ access_token: string }>(
        'authControllerSwitchOrganization',
        { auth: admin.token, body: { organization_id: organization.id } },
      );

      const inviteeEmail = uniqueEmail('invitee');
      const invitation = await call<{ token: string }>('invitationsControllerCreate', {
        auth: token,
        body: { email: inviteeEmail },
      });

      const invitee = await call<{ id: string; email: string }>('authControllerRegister', {
        body: {
          email: inviteeEmail,
          password: GUIDE_PASSWORD,
          first_name: 'Typed',
          last_name: 'Invitee',
          invitation_token: invitation.token,
        },
      });
      expect(invitee.email).toBe(inviteeEmail);

      const team = await call<{ id: string }>('teamsControllerCreate', {
        auth: token,
        body: { name: `Typed team ${suffix}` },
      });
      const teamMember = await call<{ user_id: string }>('teamsControllerAddMember', {
        auth: token,
        path: { id: team.id },
        body: { user_id: invitee.id },
      });
      expect(teamMember.user_id).toBe(invitee.id);

      const events = await call<{ data: Array<{ action: string }> }>('auditControllerList', {
        auth: token,
        query: { limit: 200 },
      });
      expect(events.data.map((event) => event.action)).toEqual(
        expect.arrayContaining([
          'organization.created',
          'invitation.created',
          'invitation.accepted',
          'team.created',
          'team.member_added',
        ]),
      );
    },
    SLOW_MS,
  );
});
