import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { API, createOrganization, login, registerUser } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

/**
 * A restart must not bring revoked tokens back. With the embedded defaults the database and
 * the store live under DATA_DIR; with POSTGRES_HOST/REDIS_HOST set, in those servers.
 */
describe('a restarted service', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fm-restart-'));
  const env = { DATA_DIR: dataDir, JWT_SECRET_KEY: 'restart-test-key-'.padEnd(64, 'r') };
  let t: TestApp | undefined;

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('still refuses an access token logged out before the restart', async () => {
    t = await startTestApp(env);
    const organization = await createOrganization(t.dataSource);
    const user = await registerUser(t.server, organization.id);
    const loggedOut = await login(t.server, user);
    const kept = await login(t.server, user);
    await request(t.server)
      .post(`${API}/auth/logout`)
      .set('Authorization', `Bearer ${loggedOut.access_token}`)
      .expect(204);
    await t.close();

    t = await startTestApp(env);
    const refused = await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${loggedOut.access_token}`)
      .expect(401);
    expect(refused.body.code).toBe('AUTH_TOKEN_REVOKED');
    await request(t.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${kept.access_token}`)
      .expect(200);
  });
});
