import request from 'supertest';
import { PRIMARY_APPLICATION_NAME, REPLICA_APPLICATION_NAME } from '@app/database';
import { Actor, createMember, createPlatformAdmin } from './support/admin';
import { API, createOrganization, eventually } from './support/factories';
import { PostgresServer, describeWithPostgresBinaries } from './support/postgres-server';
import { TestApp, startTestApp } from './support/test-app';

/** Every statement each server logs, prefixed with the connection's application_name. */
const STATEMENT_LOGGING = [
  "log_statement = 'all'",
  "log_line_prefix = '@@%a@@ '",
  'hot_standby = on',
];

interface LoggedStatement {
  application: string;
  text: string;
}

/** The statements in `log` after `offset`; continuation lines belong to the entry above. */
function statementsIn(log: string, offset: number): LoggedStatement[] {
  const entries: LoggedStatement[] = [];
  for (const line of log.slice(offset).split('\n')) {
    const match = /^@@(.*?)@@ (.*)$/.exec(line);
    if (match) entries.push({ application: match[1], text: match[2] });
    else if (entries.length > 0) entries[entries.length - 1].text += `\n${line}`;
  }

  return entries.filter(
    (entry) => /^LOG: {2}(statement|execute [^:]*):/.test(entry.text) && entry.application !== '',
  );
}

describeWithPostgresBinaries('PostgreSQL read replicas')('PostgreSQL read replicas', () => {
  let primary: PostgresServer | undefined;
  let replica: PostgresServer | undefined;
  let t: TestApp | undefined;
  let admin: Actor;
  let organizationId: string;
  let phase = 0;

  /**
   * Runs `work`, then returns what each server logged meanwhile. A marker statement on each
   * server closes the phase, so nothing logged late is missed.
   */
  async function logged(
    work: () => Promise<void>,
  ): Promise<{ primary: LoggedStatement[]; replica: LoggedStatement[] }> {
    const servers = [primary!, replica!];
    const offsets = servers.map((server) => server.readLog().length);
    await work();
    const marker = `phase-${++phase}-done`;
    for (const server of servers) {
      await server.withClient((client) => client.query(`SELECT '${marker}'`));
      expect(await eventually(async () => server.readLog().includes(marker), 10_000)).toBe(true);
    }
    const [onPrimary, onReplica] = servers.map((server, index) =>
      statementsIn(server.readLog(), offsets[index]).filter(
        (entry) => entry.application !== 'fm-test',
      ),
    );

    return { primary: onPrimary, replica: onReplica };
  }

  /** Waits until the replica has replayed everything the primary has written so far. */
  async function replicaCaughtUp(): Promise<void> {
    const { rows } = await primary!.withClient((client) =>
      client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
    );
    const caughtUp = await eventually(
      () =>
        replica!.withClient(async (client) => {
          const result = await client.query<{ done: boolean }>(
            'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
            [rows[0].lsn],
          );

          return result.rows[0].done;
        }),
      20_000,
    );
    expect(caughtUp).toBe(true);
  }

  const get = (path: string, token = admin.token) =>
    request(t!.server).get(`${API}/${path}`).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    primary = await PostgresServer.start({ settings: STATEMENT_LOGGING });
    replica = await PostgresServer.replicaOf(primary);
    await primary.withClient((client) => client.query('CREATE DATABASE fm_auth'));
    const inRecovery = await replica.withClient((client) =>
      client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'),
    );
    expect(inRecovery.rows[0].standby).toBe(true);
    // The replica pool connects at start-up: the database must have reached the replica.
    await replicaCaughtUp();

    t = await startTestApp({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(primary.port),
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: '',
      POSTGRES_DB: 'fm_auth',
      POSTGRES_REPLICA_HOSTS: `127.0.0.1:${replica.port}`,
      POSTGRES_POOL_SIZE: '2',
    });
    admin = await createPlatformAdmin(t.server, t.dataSource);
    organizationId = admin.organizationId;
    const other = await createOrganization(t.dataSource);
    await createMember(t.server, t.dataSource, other.id, ['member']);
    await request(t.server)
      .post(`${API}/teams`)
      .set('Authorization', `Bearer ${admin.token}`)
      .send({ name: 'Platform Reliability' })
      .expect(201);
    await request(t.server)
      .post(`${API}/invitations`)
      .set('Authorization', `Bearer ${admin.token}`)
      .send({ email: 'invitee@example.com', roles: ['member'] })
      .expect(201);
    await replicaCaughtUp();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('sends sign-in, refresh, token checks and single reads to the primary only', async () => {
    const statements = await logged(async () => {
      const login = await request(t!.server)
        .post(`${API}/auth/login`)
        .send({ email: admin.email, password: admin.password, organization_id: organizationId })
        .expect(200);
      const refreshed = await request(t!.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: login.body.refresh_token })
        .expect(200);
      await get('auth/me', refreshed.body.access_token).expect(200);
      await get('auth/sessions', refreshed.body.access_token).expect(200);
      await get(`members/${admin.userId}`, refreshed.body.access_token).expect(200);
      await get('audit/verify', refreshed.body.access_token).expect(200);
      await request(t!.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .expect(204);
    });

    expect(statements.replica).toEqual([]);
    const primaryText = statements.primary.map((entry) => entry.text).join('\n');
    expect(new Set(statements.primary.map((entry) => entry.application))).toEqual(
      new Set([PRIMARY_APPLICATION_NAME]),
    );
    expect(primaryText).toMatch(/FROM "users"/);
    expect(primaryText).toMatch(/refresh_tokens/);
    expect(primaryText).toMatch(/FROM memberships m\s+JOIN users u/);
  });

  it('sends the admin listings and audit reads to the replica, permission checks to the primary', async () => {
    const statements = await logged(async () => {
      const members = await get('members').expect(200);
      expect(members.body.page.total).toBe(1);
      const teams = await get('teams').expect(200);
      expect(teams.body.data.map((team: { name: string }) => team.name)).toEqual([
        'Platform Reliability',
      ]);
      await get(`teams/${teams.body.data[0].id}/members`).expect(200);
      const invitations = await get('invitations').expect(200);
      expect(invitations.body.page.total).toBe(1);
      await get('roles').expect(200);
      const organizations = await get('organizations').expect(200);
      expect(organizations.body.page.total).toBeGreaterThanOrEqual(2);
      const events = await get('audit/events').expect(200);
      expect(events.body.data.length).toBeGreaterThan(0);
      await get('audit/events/export?format=ndjson').expect(200);
    });

    const replicaText = statements.replica.map((entry) => entry.text).join('\n');
    expect(new Set(statements.replica.map((entry) => entry.application))).toEqual(
      new Set([REPLICA_APPLICATION_NAME]),
    );
    for (const listing of [
      /count\(\*\)::int AS total FROM memberships m JOIN users u/,
      /FROM "teams" "team"/,
      /FROM "team_members" "member"/,
      /FROM "invitations" "invitation"/,
      /FROM "roles"/,
      /FROM "organizations" "organization"/,
      /FROM "audit_events" "event"/,
      /FROM "audit_chain_heads"/,
    ]) {
      expect(replicaText).toMatch(listing);
    }

    // The primary still decides who may list: every request resolved its permissions there,
    // and it recorded the export. It served none of the listings.
    const primaryText = statements.primary.map((entry) => entry.text).join('\n');
    expect(primaryText).toMatch(
      /FROM memberships m\s+JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL AND u.is_active/,
    );
    expect(primaryText).toMatch(/INSERT INTO "audit_events"|INSERT INTO audit_events/);
    for (const listing of [
      /count\(\*\)::int AS total/,
      /FROM "teams" "team"/,
      /FROM "invitations" "invitation"/,
      /FROM "organizations" "organization"/,
      /FROM "audit_events" "event"/,
    ]) {
      expect(primaryText).not.toMatch(listing);
    }
  });
});
