import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { purgeAuditEvents } from '@app/audit';
import { loadAppConfig } from '@app/config';
import { runMigrations, withDataSource } from '../apps/cli/src/migrations';
import { createMember, loginTo } from './support/admin';
import { API, createOrganization, registerUser } from './support/factories';
import {
  POSTGRES_BIN,
  PostgresServer,
  describeWithPostgresBinaries,
} from './support/postgres-server';
import { TestApp, startTestApp } from './support/test-app';

const run = promisify(execFile);

const SUPERUSER_PASSWORD = 'superuser-secret';
const OWNER_PASSWORD = 'owner-secret';
const APP_PASSWORD = 'app-role-secret';
const ROLE_SCRIPT = join(__dirname, '..', 'scripts', 'db', 'create-app-role.sql');

describeWithPostgresBinaries('the least-privilege database role')(
  'the least-privilege database role',
  () => {
    let server: PostgresServer | undefined;
    let t: TestApp | undefined;

    const connection = (user: string, password: string): Record<string, string> => ({
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(server!.port),
      POSTGRES_USER: user,
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: 'fm_auth',
      POSTGRES_REPLICA_HOSTS: '',
    });

    /** What the role gets back from a statement: its error message, or 'ok'. */
    const asAppRole = (sql: string): Promise<string> =>
      server!.withClient(
        (client) =>
          client.query(sql).then(
            () => 'ok',
            (error: Error) => error.message,
          ),
        { user: 'auth_service', password: APP_PASSWORD, database: 'fm_auth' },
      );

    beforeAll(async () => {
      // Password authentication on TCP, as in production.
      server = await PostgresServer.start({ superuserPassword: SUPERUSER_PASSWORD });
      await server.withClient(async (client) => {
        await client.query(`CREATE ROLE fm_owner LOGIN PASSWORD '${OWNER_PASSWORD}'`);
        await client.query('CREATE DATABASE fm_auth OWNER fm_owner');
      });

      // The migrations run as the owner, as `npm run migration:run` does in production.
      const ownerConfig = loadAppConfig({
        ...process.env,
        ...connection('fm_owner', OWNER_PASSWORD),
      });
      await withDataSource(ownerConfig, runMigrations);

      await runRoleScript();

      t = await startTestApp(connection('auth_service', APP_PASSWORD));
    }, 120_000);

    /** A superuser (or any role with CREATEROLE) runs the script, on behalf of the owner. */
    async function runRoleScript(): Promise<void> {
      await run(
        join(POSTGRES_BIN!, 'psql'),
        [
          '-X',
          '-q',
          '-h',
          '127.0.0.1',
          '-p',
          String(server!.port),
          '-U',
          'postgres',
          '-d',
          'fm_auth',
          '-v',
          'ON_ERROR_STOP=1',
          '-v',
          'app_role=auth_service',
          '-v',
          `app_password=${APP_PASSWORD}`,
          '-v',
          'owner_role=fm_owner',
          '-f',
          ROLE_SCRIPT,
        ],
        { env: { ...process.env, PGPASSWORD: SUPERUSER_PASSWORD } },
      );
    }

    afterAll(async () => {
      await t?.close();
      await server?.stop();
    });

    it('runs the account flows as the role', async () => {
      const organization = await createOrganization(t!.dataSource);
      const user = await registerUser(t!.server, organization.id);
      const tokens = await loginTo(t!.server, user, organization.id);
      const refreshed = await request(t!.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: tokens.refresh_token })
        .expect(200);
      const me = await request(t!.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .expect(200);
      expect(me.body.email).toBe(user.email);
      await request(t!.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .expect(204);
      await request(t!.server)
        .get(`${API}/auth/me`)
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .expect(401);
    });

    it('runs an admin change, the audit reads and the audit purge as the role', async () => {
      const organization = await createOrganization(t!.dataSource);
      const admin = await createMember(t!.server, t!.dataSource, organization.id, ['owner']);
      const auth = { Authorization: `Bearer ${admin.token}` };
      await request(t!.server)
        .post(`${API}/teams`)
        .set(auth)
        .send({ name: 'Least Privilege' })
        .expect(201);

      const events = await request(t!.server).get(`${API}/audit/events`).set(auth).expect(200);
      expect(events.body.data.map((event: { action: string }) => event.action)).toContain(
        'team.created',
      );
      await request(t!.server).get(`${API}/audit/events/export?format=csv`).set(auth).expect(200);
      const verify = await request(t!.server).get(`${API}/audit/verify`).set(auth).expect(200);
      expect(verify.body.valid).toBe(true);

      // The purge deletes through the append-only trigger with SET LOCAL of its own setting.
      const [purge] = await purgeAuditEvents(t!.dataSource, {
        cutoff: new Date(Date.now() + 60_000),
        organizationIds: [organization.id],
      });
      expect(purge.removed).toBeGreaterThan(0);
      expect(purge.skippedReason).toBeUndefined();
    });

    it('reaches tables that a later migration creates as the owner', async () => {
      await server!.withClient(
        (client) =>
          client.query('CREATE TABLE later_feature (id bigserial PRIMARY KEY, note text)'),
        { user: 'fm_owner', password: OWNER_PASSWORD, database: 'fm_auth' },
      );

      expect(await asAppRole("INSERT INTO later_feature (note) VALUES ('x')")).toBe('ok');
      expect(await asAppRole('SELECT note FROM later_feature')).toBe('ok');
    });

    it('can run the script again, which keeps the role working', async () => {
      await runRoleScript();

      expect(await asAppRole('SELECT count(*) FROM users')).toBe('ok');
    });

    it.each([
      ['CREATE TABLE intruder (id int)', /permission denied for schema public/],
      ['DROP TABLE users', /must be owner of table users/],
      ['TRUNCATE audit_events', /permission denied for table audit_events/],
      ['ALTER TABLE users ADD COLUMN intruder int', /must be owner of table users/],
      ['CREATE SCHEMA intruder', /permission denied for database fm_auth/],
      ['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"', /permission denied/],
      ['DROP TRIGGER audit_events_append_only ON audit_events', /must be owner/],
      ['UPDATE audit_events SET action = action', /append-only/],
    ])('refuses %s', async (sql, refusal) => {
      expect(await asAppRole(sql)).toMatch(refusal);
    });
  },
);
