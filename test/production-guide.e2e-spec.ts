import request from 'supertest';
import { API, createOrganization, expectProblem, login, uniqueEmail } from './support/factories';
import { isolatedStore } from './support/limits';
import { TestApp, startTestApp } from './support/test-app';

const describeShared =
  process.env.POSTGRES_HOST && process.env.REDIS_HOST ? describe : describe.skip;

/**
 * Production with exactly the deployment guide's critical variables: no ENCRYPTION_KEYS, no
 * SMTP_HOST, no PUBLIC_URL. The service must start, keep secrets at rest encrypted, and say
 * plainly that it cannot mail links rather than pretend it did.
 */
const GUIDE_VARIABLES = {
  ENVIRONMENT: 'production',
  POSTGRES_PASSWORD: 'guide-postgres-password',
  REDIS_PASSWORD: 'guide-redis-password',
  JWT_SECRET_KEY: 'guide-jwt-secret-'.padEnd(64, 'x'),
  CORS_ORIGINS: 'https://app.faultmaven.com,https://admin.faultmaven.com',
  ENCRYPTION_KEYS: '',
  SMTP_HOST: '',
  PUBLIC_URL: '',
  // The run's database is migrated by whichever app boots first; this one may be it.
  RUN_MIGRATIONS_ON_START: 'true',
};
const PASSWORD = 'Sturdy-Lamp-42!x';

describeShared("production with the deployment guide's variables only", () => {
  let t: TestApp;
  let organizationId: string;

  beforeAll(async () => {
    t = await startTestApp({ ...GUIDE_VARIABLES, ...isolatedStore() });
    organizationId = (await createOrganization(t.dataSource)).id;
  });

  afterAll(async () => {
    await t.close();
  });

  it('starts in production without ENCRYPTION_KEYS, SMTP_HOST or PUBLIC_URL', () => {
    expect(t.config).toMatchObject({ isProduction: true, encryptionKeys: undefined });
    expect(t.config.mail.available).toBe(false);
  });

  it('encrypts TOTP secrets with a key derived from JWT_SECRET_KEY', async () => {
    const email = uniqueEmail('guide');
    await request(t.server)
      .post(`${API}/auth/register`)
      .send({
        email,
        password: PASSWORD,
        first_name: 'Grace',
        last_name: 'Hopper',
        organization_id: organizationId,
      })
      .expect(201);
    const { access_token: token } = await login(t.server, { email, password: PASSWORD });

    const started = await request(t.server)
      .post(`${API}/auth/mfa/totp/enroll`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);

    const [row] = await t.dataSource.query<Array<{ pending_secret_encrypted: string }>>(
      `SELECT f.pending_secret_encrypted FROM user_totp_factors f
         JOIN users u ON u.id = f.user_id WHERE u.email = $1`,
      [email],
    );
    expect(row.pending_secret_encrypted).toMatch(/^v1\.jwt-[0-9a-f]{12}\./);
    expect(row.pending_secret_encrypted).not.toContain(started.body.secret);
  });

  it('answers forgot-password and resend-verification with 503, alike for every address', async () => {
    for (const path of ['auth/password/forgot', 'auth/email/resend']) {
      const answer = await request(t.server)
        .post(`${API}/${path}`)
        .send({ email: uniqueEmail('nobody') });

      expectProblem(answer, 503, 'AUTH_MAIL_UNAVAILABLE');
    }
  });
});
