import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { auditEvents } from './support/admin';
import {
  API,
  GUIDE_PASSWORD,
  createOrganization,
  eventually,
  expectProblem,
  registerUser,
  uniqueDomain,
  uniqueEmail,
} from './support/factories';
import { TestSmtpServer, VERIFICATION_SUBJECT, tokenFromMail } from './support/smtp';
import { TestApp, startTestApp } from './support/test-app';

const PUBLIC_URL = 'https://accounts.faultmaven.test/auth';

describe('email verification', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let organizationId: string;
  let domain: string;

  const verify = (app: TestApp, token: string) =>
    request(app.server).post(`${API}/auth/email/verify`).send({ token });
  const resend = (app: TestApp, email: string) =>
    request(app.server).post(`${API}/auth/email/resend`).send({ email });
  const tryLogin = (app: TestApp, email: string) =>
    request(app.server).post(`${API}/auth/login`).send({ email, password: GUIDE_PASSWORD });

  async function verificationToken(email: string, count = 1): Promise<string> {
    const mail = await smtp.waitForMail(email, VERIFICATION_SUBJECT, count);

    return tokenFromMail(mail, PUBLIC_URL, '/verify-email');
  }

  async function emailVerified(app: TestApp, email: string): Promise<boolean> {
    const tokens = await request(app.server)
      .post(`${API}/auth/login`)
      .send({ email, password: GUIDE_PASSWORD })
      .expect(200);
    const me = await request(app.server)
      .get(`${API}/auth/me`)
      .set('Authorization', `Bearer ${tokens.body.access_token}`)
      .expect(200);

    return me.body.email_verified as boolean;
  }

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await startTestApp({ ...smtp.env(), PUBLIC_URL });
    organizationId = (await createOrganization(t.dataSource)).id;
    domain = uniqueDomain('verification');
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('mails a link on registration that verifies the email once', async () => {
    const user = await registerUser(t.server, organizationId, {
      email: uniqueEmail('new', domain),
    });
    const token = await verificationToken(user.email);
    expect(await emailVerified(t, user.email)).toBe(false);

    await verify(t, token).expect(204);

    expect(await emailVerified(t, user.email)).toBe(true);
    expectProblem(await verify(t, token), 410, 'AUTH_VERIFICATION_TOKEN_USED');
    const events = await auditEvents(t.dataSource, organizationId, 'auth.email_verified');
    expect(events).toContainEqual(
      expect.objectContaining({ outcome: 'success', target_id: user.userId }),
    );
  });

  it('refuses an unknown token with 400 and an expired one with 410', async () => {
    const user = await registerUser(t.server, organizationId, {
      email: uniqueEmail('late', domain),
    });
    const token = await verificationToken(user.email);
    await t.dataSource.query(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second'
        WHERE user_id = $1 AND purpose = 'email_verification'`,
      [user.userId],
    );

    expectProblem(await verify(t, 'y'.repeat(43)), 400, 'AUTH_INVALID_VERIFICATION_TOKEN');
    expectProblem(await verify(t, token), 410, 'AUTH_VERIFICATION_TOKEN_EXPIRED');
    expect(await emailVerified(t, user.email)).toBe(false);
  });

  it('expires links after EMAIL_VERIFICATION_EXPIRE_HOURS', async () => {
    const user = await registerUser(t.server, organizationId, {
      email: uniqueEmail('ttl', domain),
    });
    await verificationToken(user.email);

    const [{ hours }] = await t.dataSource.query<Array<{ hours: number }>>(
      `SELECT round(extract(epoch FROM expires_at - created_at) / 3600)::int AS hours
         FROM account_tokens WHERE user_id = $1`,
      [user.userId],
    );
    expect(hours).toBe(48);
  });

  describe('resend', () => {
    it('answers every address alike and mails only an unverified account', async () => {
      const unverified = await registerUser(t.server, organizationId, {
        email: uniqueEmail('again', domain),
      });
      const verified = await registerUser(t.server, organizationId, {
        email: uniqueEmail('done', domain),
      });
      await verify(t, await verificationToken(verified.email)).expect(204);
      await verificationToken(unverified.email);
      const unknown = uniqueEmail('nobody', domain);

      const answers = [
        await resend(t, unknown),
        await resend(t, verified.email),
        await resend(t, unverified.email),
      ];

      for (const answer of answers) {
        expect(answer.status).toBe(202);
        expect(answer.body).toEqual(answers[0].body);
      }
      // The newest link works; it arrived after the mails that were not sent would have.
      const token = await verificationToken(unverified.email, 2);
      expect(smtp.mailsTo(unknown)).toEqual([]);
      expect(smtp.mailsTo(verified.email, VERIFICATION_SUBJECT)).toHaveLength(1);
      await verify(t, token).expect(204);
      expect(await emailVerified(t, unverified.email)).toBe(true);
    });
  });

  describe('with REQUIRE_EMAIL_VERIFICATION', () => {
    let strict: TestApp;
    let strictOrganizationId: string;

    beforeAll(async () => {
      strict = await startTestApp({
        ...smtp.env(),
        PUBLIC_URL,
        REQUIRE_EMAIL_VERIFICATION: 'true',
      });
      strictOrganizationId = (await createOrganization(strict.dataSource)).id;
    });

    afterAll(async () => {
      await strict.close();
    });

    it('refuses sign-in with 403 after correct credentials only, until the email is verified', async () => {
      const user = await registerUser(strict.server, strictOrganizationId, {
        email: uniqueEmail('gated', domain),
      });

      expectProblem(await tryLogin(strict, user.email), 403, 'AUTH_EMAIL_NOT_VERIFIED');
      // A wrong password learns nothing about the account's state.
      const wrong = await request(strict.server)
        .post(`${API}/auth/login`)
        .send({ email: user.email, password: 'Wrong-Password-9!' });
      expectProblem(wrong, 401, 'AUTH_INVALID_CREDENTIALS');
      expect(
        await strict.dataSource.query('SELECT id FROM sessions WHERE user_id = $1', [user.userId]),
      ).toEqual([]);

      // Signed out, the user asks for a new link by email and verifies.
      await resend(strict, user.email).expect(202);
      await verify(strict, await verificationToken(user.email, 2)).expect(204);

      await tryLogin(strict, user.email).expect(200);
      const events = await auditEvents(strict.dataSource, strictOrganizationId, 'auth.login');
      expect(events).toContainEqual(
        expect.objectContaining({
          outcome: 'denied',
          actor_user_id: user.userId,
          details: { method: 'password', reason: 'email_not_verified' },
        }),
      );
    });
  });

  describe('without SMTP_HOST in development', () => {
    let dev: TestApp;
    let dataDir: string;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'fm-auth-mail-'));
      dev = await startTestApp({
        ENVIRONMENT: 'development',
        DATA_DIR: dataDir,
        PUBLIC_URL,
        SMTP_HOST: '',
      });
    }, 60_000);

    afterAll(async () => {
      await dev.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('writes each mail as an .eml file under DATA_DIR/mail that the developer can open', async () => {
      const devOrganization = await createOrganization(dev.dataSource);
      const user = await registerUser(dev.server, devOrganization.id, {
        email: uniqueEmail('dev', domain),
      });
      const folder = join(dataDir, 'mail');

      const found = await eventually(async () => {
        const files = await readdir(folder).catch(() => []);
        return files.some((file) => file.endsWith('.eml'));
      }, 5000);
      expect(found).toBe(true);

      const [file] = (await readdir(folder)).filter((name) => name.endsWith('.eml'));
      expect(file).toMatch(/email_verification/);
      expect((await stat(join(folder, file))).mode & 0o777).toBe(0o600);
      const mail = await simpleParser(await readFile(join(folder, file)));
      expect(mail.subject).toMatch(VERIFICATION_SUBJECT);
      expect(JSON.stringify(mail.to)).toContain(user.email);
      const token = tokenFromMail({ text: mail.text ?? '' }, PUBLIC_URL, '/verify-email');

      await verify(dev, token).expect(204);
      expect(smtp.mailsTo(user.email)).toEqual([]);
    });
  });
});
