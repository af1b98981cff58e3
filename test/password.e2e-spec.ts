import { createHash } from 'node:crypto';
import request from 'supertest';
import { auditEvents } from './support/admin';
import {
  API,
  createOrganization,
  expectProblem,
  login,
  uniqueDomain,
  uniqueEmail,
} from './support/factories';
import { RESET_SUBJECT, TestSmtpServer, VERIFICATION_SUBJECT, tokenFromMail } from './support/smtp';
import { TestApp, startTestApp } from './support/test-app';

const PUBLIC_URL = 'https://auth.faultmaven.test';
const PASSWORD = 'Sturdy-Lamp-42!';
const NEW_PASSWORD = 'Quiet-Harbor-77?';

const RULES = {
  length: 'password must be at least 12 characters long',
  upper: 'password must contain an upper-case letter',
  lower: 'password must contain a lower-case letter',
  digit: 'password must contain a digit',
  special: 'password must contain a character that is not a letter or digit',
  common: 'password is too common: it appears in lists of breached passwords',
  personal: 'password must not contain your name or email address',
};

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('passwords: policy, change, forgot and reset', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let organizationId: string;
  let domain: string;

  interface Member {
    userId: string;
    email: string;
    password: string;
  }

  /** A registered user named Ada Lovelace, so the guide-style passwords name nobody. */
  async function newMember(email = uniqueEmail('pw', domain)): Promise<Member> {
    const response = await request(t.server)
      .post(`${API}/auth/register`)
      .send({
        email,
        password: PASSWORD,
        first_name: 'Ada',
        last_name: 'Lovelace',
        organization_id: organizationId,
      })
      .expect(201);

    return { userId: response.body.id, email, password: PASSWORD };
  }

  const me = (accessToken: string) =>
    request(t.server).get(`${API}/auth/me`).set('Authorization', `Bearer ${accessToken}`);
  const refresh = (refreshToken: string) =>
    request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: refreshToken });
  const forgot = (email: string) =>
    request(t.server).post(`${API}/auth/password/forgot`).send({ email });
  const reset = (token: string, newPassword = NEW_PASSWORD) =>
    request(t.server).post(`${API}/auth/password/reset`).send({ token, new_password: newPassword });
  const change = (accessToken: string, current: string, next: string) =>
    request(t.server)
      .post(`${API}/auth/password/change`)
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ current_password: current, new_password: next });
  const tryLogin = (email: string, password: string) =>
    request(t.server).post(`${API}/auth/login`).send({ email, password });

  /** Asks for a reset link and returns the token of the mail that arrived. */
  async function resetToken(member: Member): Promise<string> {
    const before = smtp.mailsTo(member.email, RESET_SUBJECT).length;
    await forgot(member.email).expect(202);
    const mail = await smtp.waitForMail(member.email, RESET_SUBJECT, before + 1);

    return tokenFromMail(mail, PUBLIC_URL, '/reset-password');
  }

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await startTestApp({
      ...smtp.env(),
      PUBLIC_URL,
      PASSWORD_MIN_LENGTH: '12',
      PASSWORD_REQUIRE_UPPERCASE: 'true',
      PASSWORD_REQUIRE_LOWERCASE: 'true',
      PASSWORD_REQUIRE_DIGITS: 'true',
      PASSWORD_REQUIRE_SPECIAL_CHARS: 'true',
      PASSWORD_REJECT_PERSONAL_INFO: 'true',
    });
    organizationId = (await createOrganization(t.dataSource)).id;
    domain = uniqueDomain('passwords');
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  afterEach(() => {
    smtp.delayMs = 0;
    smtp.rejectWith = undefined;
  });

  describe('policy', () => {
    /** Each route that sets a password, and how its refusal names the field. */
    const setters: Array<{
      route: string;
      field: string;
      attempt: (password: string, email: string) => Promise<request.Response>;
    }> = [
      {
        route: 'register',
        field: 'password',
        attempt: (password, email) =>
          request(t.server).post(`${API}/auth/register`).send({
            email,
            password,
            first_name: 'Ada',
            last_name: 'Lovelace',
            organization_id: organizationId,
          }),
      },
      {
        route: 'password/change',
        field: 'new_password',
        attempt: async (password, email) => {
          const member = await newMember(email);
          const tokens = await login(t.server, member);
          return change(tokens.access_token, member.password, password);
        },
      },
      {
        route: 'password/reset',
        field: 'new_password',
        attempt: async (password, email) =>
          reset(await resetToken(await newMember(email)), password),
      },
    ];

    const cases: Array<{ password: string; broken: Array<keyof typeof RULES> }> = [
      { password: 'password', broken: ['length', 'upper', 'digit', 'special', 'common'] },
      { password: 'PASSWORD1', broken: ['length', 'lower', 'special', 'common'] },
      { password: 'qwertyuiop', broken: ['length', 'upper', 'digit', 'special', 'common'] },
      { password: 'Lovelace-Rules-1', broken: ['personal'] },
      { password: 'ada-Counts-99!', broken: ['personal'] },
      { password: 'short', broken: ['length', 'upper', 'digit', 'special', 'common'] },
    ];

    describe.each(setters)('on $route', ({ field, attempt }) => {
      it.each(cases)('lists every rule $password breaks', async ({ password, broken }) => {
        const response = await attempt(password, uniqueEmail('policy', domain));

        const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(problem.errors).toEqual(
          broken.map((rule) => ({
            field,
            message: RULES[rule].replace(/^password\b/, field),
          })),
        );
      });

      it('refuses a password containing the local part of the email, in any case', async () => {
        const email = uniqueEmail('hopper', domain);
        const local = email.slice(0, email.indexOf('@'));

        const response = await attempt(`X-${local.toUpperCase()}-9x`, email);

        expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(response.body.errors).toEqual([
          { field, message: RULES.personal.replace(/^password\b/, field) },
        ]);
      });
    });

    it('stores nothing when registration is refused for a common password', async () => {
      const email = uniqueEmail('common', domain);
      await request(t.server)
        .post(`${API}/auth/register`)
        .send({
          email,
          password: 'Password123',
          first_name: 'Ada',
          last_name: 'Lovelace',
          organization_id: organizationId,
        })
        .expect(400);

      const rows = await t.dataSource.query('SELECT id FROM users WHERE email = $1', [email]);
      expect(rows).toEqual([]);
    });
  });

  describe('change', () => {
    it('refuses a wrong current password with 403 and changes nothing', async () => {
      const member = await newMember();
      const tokens = await login(t.server, member);

      const response = await change(tokens.access_token, 'Not-The-Password-1', NEW_PASSWORD);

      expectProblem(response, 403, 'AUTH_INVALID_CURRENT_PASSWORD');
      await tryLogin(member.email, member.password).expect(200);
      await tryLogin(member.email, NEW_PASSWORD).expect(401);
      await me(tokens.access_token).expect(200);
      const events = await auditEvents(t.dataSource, organizationId, 'auth.password_changed');
      expect(events).toContainEqual(
        expect.objectContaining({
          outcome: 'denied',
          target_id: member.userId,
          details: { reason: 'invalid_current_password' },
        }),
      );
    });

    it('needs a signed-in user', async () => {
      const response = await request(t.server)
        .post(`${API}/auth/password/change`)
        .send({ current_password: PASSWORD, new_password: NEW_PASSWORD });

      expectProblem(response, 401, 'AUTH_TOKEN_MISSING');
    });

    it('ends every other session of the user and keeps the current one', async () => {
      const member = await newMember();
      const current = await login(t.server, member);
      const stolen = await login(t.server, member);
      const other = await login(t.server, member);

      await change(current.access_token, member.password, NEW_PASSWORD).expect(204);

      // The sessions an attacker may hold stop at once: access and refresh.
      for (const tokens of [stolen, other]) {
        expectProblem(await me(tokens.access_token), 401, 'AUTH_TOKEN_REVOKED');
        expectProblem(await refresh(tokens.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      }
      // The session that made the change carries on.
      await me(current.access_token).expect(200);
      await refresh(current.refresh_token).expect(200);
      await tryLogin(member.email, member.password).expect(401);
      await tryLogin(member.email, NEW_PASSWORD).expect(200);

      const events = await auditEvents(t.dataSource, organizationId, 'auth.password_changed');
      expect(events).toContainEqual(
        expect.objectContaining({
          outcome: 'success',
          actor_user_id: member.userId,
          target_id: member.userId,
          details: { sessions_revoked: 2 },
        }),
      );
    });

    it('spends reset links mailed before the change', async () => {
      const member = await newMember();
      const token = await resetToken(member);
      const tokens = await login(t.server, member);

      await change(tokens.access_token, member.password, NEW_PASSWORD).expect(204);

      expectProblem(await reset(token, 'Third-Password-3!'), 410, 'AUTH_RESET_TOKEN_USED');
      await tryLogin(member.email, NEW_PASSWORD).expect(200);
    });
  });

  describe('forgot', () => {
    it('answers an existing and an unknown email identically, and mails only the account', async () => {
      const member = await newMember();
      const unknown = uniqueEmail('nobody', domain);

      const forUnknown = await forgot(unknown);
      const forMember = await forgot(member.email);

      expect(forMember.status).toBe(202);
      expect(forUnknown.status).toBe(202);
      expect(forMember.body).toEqual(forUnknown.body);
      expect(forMember.headers['content-type']).toBe(forUnknown.headers['content-type']);
      expect(forMember.headers['content-length']).toBe(forUnknown.headers['content-length']);

      const mail = await smtp.waitForMail(member.email, RESET_SUBJECT);
      expect(mail.from).toBe('no-reply@faultmaven.test');
      // The unknown address was asked for first; its mail would have arrived by now.
      expect(smtp.mailsTo(unknown)).toEqual([]);
    });

    it('answers before the mail server does, so timing does not tell accounts apart', async () => {
      const member = await newMember();
      smtp.delayMs = 1500;

      const started = Date.now();
      await forgot(member.email).expect(202);
      const elapsed = Date.now() - started;

      expect(elapsed).toBeLessThan(1000);
      await smtp.waitForMail(member.email, RESET_SUBJECT);
    });

    it('stores only the hash of the mailed token, expiring after PASSWORD_RESET_EXPIRE_MINUTES', async () => {
      const member = await newMember();
      const token = await resetToken(member);

      const rows = await t.dataSource.query<
        Array<{ token_hash: string; minutes: number; used_at: Date | null }>
      >(
        `SELECT token_hash, round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes,
                used_at
           FROM account_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
        [member.userId],
      );
      expect(rows).toEqual([{ token_hash: sha256(token), minutes: 30, used_at: null }]);
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('audits requests, the unknown email without its address', async () => {
      const unknown = uniqueEmail('ghost', domain);
      await forgot(unknown).expect(202);

      const events = await t.dataSource.query<Array<{ outcome: string; details: unknown }>>(
        `SELECT outcome, details FROM audit_events
          WHERE action = 'auth.password_reset_requested' AND details::text LIKE '%unknown_email%'`,
      );
      expect(events.length).toBeGreaterThan(0);
      expect(JSON.stringify(events)).not.toContain(unknown);
    });

    it('builds the link from PUBLIC_URL whatever Host the request names', async () => {
      const member = await newMember();

      await request(t.server)
        .post(`${API}/auth/password/forgot`)
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .set('X-Forwarded-Proto', 'http')
        .set('Origin', 'https://evil.example')
        .send({ email: member.email })
        .expect(202);

      const mail = await smtp.waitForMail(member.email, RESET_SUBJECT);
      expect(mail.text).toContain(`${PUBLIC_URL}/reset-password?token=`);
      expect(mail.html).toContain(`${PUBLIC_URL}/reset-password?token=`);
      expect(`${mail.text}${mail.html}${mail.raw}`).not.toContain('evil.example');
    });

    it('mails one address at most 5 links an hour, answering every request alike', async () => {
      const member = await newMember();

      const answers = [];
      for (let n = 0; n < 7; n++) answers.push(await forgot(member.email));
      for (const answer of answers) {
        expect(answer.status).toBe(202);
        expect(answer.body).toEqual(answers[0].body);
      }

      const [{ count }] = await t.dataSource.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM account_tokens
          WHERE user_id = $1 AND purpose = 'password_reset'`,
        [member.userId],
      );
      expect(count).toBe(5);
      const refused = await t.dataSource.query<Array<{ target_id: string }>>(
        `SELECT target_id FROM audit_events WHERE action = 'auth.password_reset_requested'
            AND target_id = $1 AND details->>'reason' = 'mail_limit_reached'`,
        [member.userId],
      );
      expect(refused).toHaveLength(2);
      await smtp.waitForMail(member.email, RESET_SUBJECT, 5);
    });

    it('still answers 202 and keeps its state when the mail server refuses', async () => {
      const member = await newMember();
      smtp.rejectWith = 'Mailbox unavailable';

      await forgot(member.email).expect(202);

      // The token was stored before the mail failed; a later request works normally.
      await new Promise((resolve) => setTimeout(resolve, 300));
      smtp.rejectWith = undefined;
      const token = await resetToken(member);
      await reset(token).expect(204);
      await tryLogin(member.email, NEW_PASSWORD).expect(200);
    });
  });

  describe('reset', () => {
    it('sets the password once; the same link again is 410', async () => {
      const member = await newMember();
      const token = await resetToken(member);

      await reset(token).expect(204);
      await tryLogin(member.email, NEW_PASSWORD).expect(200);
      await tryLogin(member.email, member.password).expect(401);

      expectProblem(await reset(token, 'Another-Try-55!'), 410, 'AUTH_RESET_TOKEN_USED');
      await tryLogin(member.email, NEW_PASSWORD).expect(200);
      const events = await auditEvents(t.dataSource, organizationId, 'auth.password_reset');
      expect(events).toContainEqual(
        expect.objectContaining({ outcome: 'success', target_id: member.userId }),
      );
    });

    it('lets only one of two parallel resets with one link through', async () => {
      const member = await newMember();
      const token = await resetToken(member);

      const answers = await Promise.all([
        reset(token, 'Parallel-One-11!'),
        reset(token, 'Parallel-Two-22!'),
      ]);

      expect(answers.map((answer) => answer.status).sort()).toEqual([204, 410]);
      const winner = answers[0].status === 204 ? 'Parallel-One-11!' : 'Parallel-Two-22!';
      await tryLogin(member.email, winner).expect(200);
    });

    it('refuses an expired link with 410 and changes nothing', async () => {
      const member = await newMember();
      const token = await resetToken(member);
      await t.dataSource.query(
        `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
        [sha256(token)],
      );

      expectProblem(await reset(token), 410, 'AUTH_RESET_TOKEN_EXPIRED');
      await tryLogin(member.email, member.password).expect(200);
    });

    it.each([
      ['an unknown token', () => 'x'.repeat(43)],
      ['an email verification token', () => 'verification'],
    ])('refuses %s with 400', async (_, token) => {
      let value = token();
      if (value === 'verification') {
        const member = await newMember(uniqueEmail('verify', domain));
        const mail = await smtp.waitForMail(member.email, VERIFICATION_SUBJECT);
        value = tokenFromMail(mail, PUBLIC_URL, '/verify-email');
      }

      expectProblem(await reset(value), 400, 'AUTH_INVALID_RESET_TOKEN');
    });

    it('ends every session of the user', async () => {
      const member = await newMember();
      const sessions = [await login(t.server, member), await login(t.server, member)];
      const token = await resetToken(member);

      await reset(token).expect(204);

      for (const tokens of sessions) {
        expectProblem(await me(tokens.access_token), 401, 'AUTH_TOKEN_REVOKED');
        expectProblem(await refresh(tokens.refresh_token), 401, 'AUTH_INVALID_REFRESH_TOKEN');
      }
      const [{ live }] = await t.dataSource.query<Array<{ live: number }>>(
        'SELECT count(*)::int AS live FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
        [member.userId],
      );
      expect(live).toBe(0);
    });
  });
});
