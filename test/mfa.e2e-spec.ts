import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import request from 'supertest';
import { reencryptTotpSecrets } from '@app/auth';
import { SecretCipher } from '@app/crypto';
import { Actor, addMembership, auditEvents, createMember } from './support/admin';
import { API, createOrganization, expectProblem } from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

const OLD_KEY = { id: 'k1', key: randomBytes(32) };
const NEW_KEY = { id: 'k2', key: randomBytes(32) };
const keyEntry = (entry: { id: string; key: Buffer }) =>
  `${entry.id}:${entry.key.toString('base64')}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A code of the authenticator `offset` steps from now. Waits out the last moments of a step,
 * so the code is still in the server's window (one step either side) when it arrives.
 */
async function codeOf(secret: string, offset = 0): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  if (totp.remaining() < 2000) await sleep(totp.remaining() + 50);

  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

/** A code no offset in the window produces, so it is wrong for sure. */
async function wrongCode(secret: string): Promise<string> {
  const valid = new Set(await Promise.all([-1, 0, 1].map((offset) => codeOf(secret, offset))));
  let guess = 0;
  while (valid.has(String(guess).padStart(6, '0'))) guess += 1;

  return String(guess).padStart(6, '0');
}

interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

describe('MFA', () => {
  let t: TestApp;

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function enroll(token: string): Promise<Enrolled> {
    const started = await request(t.server)
      .post(`${API}/auth/mfa/totp/enroll`)
      .set(auth(token))
      .expect(200);
    const secret = started.body.secret as string;
    const confirmed = await request(t.server)
      .post(`${API}/auth/mfa/totp/confirm`)
      .set(auth(token))
      .send({ code: await codeOf(secret) })
      .expect(200);

    return { secret, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  async function passwordLogin(user: Actor, organizationId?: string): Promise<request.Response> {
    return request(t.server)
      .post(`${API}/auth/login`)
      .send({ email: user.email, password: user.password, organization_id: organizationId })
      .expect(200);
  }

  async function challenge(user: Actor): Promise<string> {
    const response = await passwordLogin(user);
    expect(response.body).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^mfa_/),
      expires_in: 300,
    });

    return response.body.mfa_token as string;
  }

  const verify = (mfaToken: string, code: string) =>
    request(t.server).post(`${API}/auth/mfa/verify`).send({ mfa_token: mfaToken, code });

  /** The rate_limit_rejections_total series of the per-user limit on wrong codes. */
  async function mfaRateLimitRejections(): Promise<number> {
    const scrape = await request(t.server).get('/metrics').expect(200);
    const match = /^faultmaven_auth_rate_limit_rejections_total\{policy="mfa_user"\} (\d+)$/m.exec(
      scrape.text,
    );
    if (!match) throw new Error('no rate_limit_rejections_total series for mfa_user');

    return Number(match[1]);
  }

  /** A member of a fresh organization, signed in, with MFA enrolled. */
  async function mfaUser(roles = ['member']): Promise<Actor & Enrolled> {
    const organization = await createOrganization(t.dataSource);
    const user = await createMember(t.server, t.dataSource, organization.id, roles);

    return { ...user, ...(await enroll(user.token)) };
  }

  const sessionCount = async (userId: string) =>
    Number(
      (
        await t.dataSource.query<Array<{ n: string }>>(
          'SELECT count(*) AS n FROM sessions WHERE user_id = $1',
          [userId],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await startTestApp({ ENCRYPTION_KEYS: `${keyEntry(NEW_KEY)},${keyEntry(OLD_KEY)}` });
  });

  afterAll(async () => {
    await t.close();
  });

  describe('enrolment', () => {
    it('gives a secret, an otpauth URI and a QR code, and turns MFA on only after a code', async () => {
      const organization = await createOrganization(t.dataSource);
      const user = await createMember(t.server, t.dataSource, organization.id);

      const started = await request(t.server)
        .post(`${API}/auth/mfa/totp/enroll`)
        .set(auth(user.token))
        .expect(200);
      expect(started.body).toEqual({
        secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
        otpauth_uri: expect.stringMatching(/^otpauth:\/\/totp\/FaultMaven:/),
        qr_code: expect.stringMatching(/^data:image\/png;base64,/),
        expires_in: 600,
      });
      const uri = new URL(started.body.otpauth_uri);
      expect(decodeURIComponent(uri.pathname)).toContain(user.email);
      expect(uri.searchParams.get('issuer')).toBe('FaultMaven');
      expect(uri.searchParams.get('secret')).toBe(started.body.secret);

      const pending = await request(t.server).get(`${API}/auth/mfa`).set(auth(user.token));
      expect(pending.body).toMatchObject({ enabled: false, enrollment_pending: true });
      // Not enabled yet: login still answers tokens.
      expect((await passwordLogin(user)).body.access_token).toEqual(expect.any(String));

      expectProblem(
        await request(t.server)
          .post(`${API}/auth/mfa/totp/confirm`)
          .set(auth(user.token))
          .send({ code: await wrongCode(started.body.secret) }),
        403,
        'MFA_CODE_REJECTED',
      );
      const confirmed = await request(t.server)
        .post(`${API}/auth/mfa/totp/confirm`)
        .set(auth(user.token))
        .send({ code: await codeOf(started.body.secret) })
        .expect(200);
      const codes = confirmed.body.recovery_codes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);

      const status = await request(t.server).get(`${API}/auth/mfa`).set(auth(user.token));
      expect(status.body).toEqual({
        enabled: true,
        enabled_at: expect.any(String),
        enrollment_pending: false,
        recovery_codes_remaining: 10,
      });
      expectProblem(
        await request(t.server).post(`${API}/auth/mfa/totp/enroll`).set(auth(user.token)),
        409,
        'MFA_ALREADY_ENABLED',
      );
      const events = await auditEvents(t.dataSource, organization.id, 'mfa.enrolled');
      expect(events).toEqual([expect.objectContaining({ actor_user_id: user.userId })]);
    });

    it('stores the TOTP secret and recovery codes only encrypted or hashed', async () => {
      const user = await mfaUser();

      const [row] = await t.dataSource.query<Array<{ secret_encrypted: string; all: string }>>(
        `SELECT secret_encrypted, row_to_json(f)::text AS all
           FROM user_totp_factors f WHERE user_id = $1`,
        [user.userId],
      );
      expect(row.secret_encrypted).toMatch(/^v1\.k2\./);
      expect(row.all).not.toContain(user.secret);
      expect(row.all.toLowerCase()).not.toContain(user.secret.toLowerCase());
      const codes = await t.dataSource.query<Array<{ all: string }>>(
        'SELECT row_to_json(c)::text AS all FROM mfa_recovery_codes c WHERE user_id = $1',
        [user.userId],
      );
      expect(codes).toHaveLength(10);
      const stored = codes.map((code) => code.all).join('\n');
      for (const code of user.recoveryCodes) {
        expect(stored).not.toContain(code);
        expect(stored).not.toContain(code.replace(/-/g, ''));
        expect(stored).not.toContain(code.replace(/-/g, '').toUpperCase());
      }
    });
  });

  describe('login', () => {
    it('answers an MFA challenge, not tokens, and opens no session before the code', async () => {
      const user = await mfaUser();
      const before = await sessionCount(user.userId);

      const response = await passwordLogin(user);

      expect(response.body).toEqual({
        mfa_required: true,
        mfa_token: expect.any(String),
        expires_in: 300,
      });
      expect(response.body.access_token).toBeUndefined();
      expect(response.body.refresh_token).toBeUndefined();
      expect(await sessionCount(user.userId)).toBe(before);
    });

    it('refuses the MFA token as an access token and as a refresh token everywhere', async () => {
      const user = await mfaUser(['owner']);
      const mfaToken = await challenge(user);

      for (const [method, path] of [
        ['get', 'auth/me'],
        ['post', 'auth/logout'],
        ['post', 'auth/switch-organization'],
        ['get', 'members'],
        ['get', 'organizations/current'],
        ['get', 'roles'],
        ['get', 'auth/mfa'],
        ['post', 'auth/mfa/totp/enroll'],
        ['post', 'auth/mfa/disable'],
        ['post', 'auth/mfa/recovery-codes'],
      ] as const) {
        const response = await request(t.server)
          [method](`${API}/${path}`)
          .set(auth(mfaToken))
          .send({ organization_id: user.organizationId, code: '000000' });
        expect({ path, status: response.status }).toEqual({ path, status: 401 });
      }
      expectProblem(
        await request(t.server).post(`${API}/auth/refresh`).send({ refresh_token: mfaToken }),
        401,
        'AUTH_INVALID_REFRESH_TOKEN',
      );
      // Still alive after all that: the code completes the sign-in.
      const tokens = await verify(mfaToken, await codeOf(user.secret, 1)).expect(200);
      await request(t.server).get(`${API}/auth/me`).set(auth(tokens.body.access_token)).expect(200);
    });

    it('issues tokens for a current code, records it, and spends the challenge', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user);

      const response = await verify(mfaToken, await codeOf(user.secret, 1)).expect(200);

      expect(response.body).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        organization_id: user.organizationId,
        user_id: user.userId,
      });
      const me = await request(t.server)
        .get(`${API}/auth/me`)
        .set(auth(response.body.access_token))
        .expect(200);
      expect(me.body.id).toBe(user.userId);
      await request(t.server)
        .post(`${API}/auth/refresh`)
        .send({ refresh_token: response.body.refresh_token })
        .expect(200);
      expectProblem(
        await verify(mfaToken, await codeOf(user.secret, -1)),
        401,
        'MFA_INVALID_CHALLENGE',
      );
      const logins = await auditEvents(t.dataSource, user.organizationId, 'auth.login');
      expect(logins.at(-1)?.details).toEqual({ method: 'password', mfa: 'totp' });
    });

    it('refuses a TOTP code used once already, even within its window', async () => {
      const user = await mfaUser();
      const code = await codeOf(user.secret, 1);
      await verify(await challenge(user), code).expect(200);

      expectProblem(await verify(await challenge(user), code), 401, 'MFA_INVALID_CODE');
      // The code that confirmed the enrolment is spent too.
      const enrolmentCode = await codeOf(user.secret, 0);
      expectProblem(await verify(await challenge(user), enrolmentCode), 401, 'MFA_INVALID_CODE');
    });

    it('accepts a replayed code only once when both copies arrive at the same time', async () => {
      const user = await mfaUser();
      const [first, second] = [await challenge(user), await challenge(user)];
      const code = await codeOf(user.secret, 1);

      const answers = await Promise.all([verify(first, code), verify(second, code)]);

      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    });

    it('ends a challenge after five wrong codes, even when they arrive at once', async () => {
      const user = await mfaUser();
      const mfaToken = await challenge(user);
      const wrong = await wrongCode(user.secret);

      const guesses = await Promise.all(Array.from({ length: 8 }, () => verify(mfaToken, wrong)));

      for (const guess of guesses) expect(guess.status).toBe(401);
      expectProblem(
        await verify(mfaToken, await codeOf(user.secret, 1)),
        401,
        'MFA_INVALID_CHALLENGE',
      );
      const failures = await auditEvents(t.dataSource, user.organizationId, 'auth.mfa_verified');
      expect(failures.length).toBeGreaterThanOrEqual(5);
      expect(failures.every((event) => event.outcome === 'failure')).toBe(true);
    });

    it('stops guessing across new challenges after twenty wrong codes', async () => {
      const user = await mfaUser();
      const wrong = await wrongCode(user.secret);
      for (let round = 0; round < 4; round += 1) {
        const mfaToken = await challenge(user);
        for (let guess = 0; guess < 5; guess += 1) {
          await verify(mfaToken, wrong).expect(401);
        }
      }

      const rejectionsBefore = await mfaRateLimitRejections();
      const refused = await verify(await challenge(user), await codeOf(user.secret, 1));

      expectProblem(refused, 429, 'MFA_TOO_MANY_ATTEMPTS');
      // Counted as a rate-limit rejection, so a dashboard of 429s by policy sees it.
      expect(await mfaRateLimitRejections()).toBe(rejectionsBefore + 1);
      // The headers describe the per-user limit that refused, not the route's per-IP one.
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(refused.headers).toMatchObject({
        'ratelimit-limit': '20',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(retryAfter),
      });
    });

    it('refuses a challenge presented by another client', async () => {
      const user = await mfaUser();
      const response = await request(t.server)
        .post(`${API}/auth/login`)
        .set('User-Agent', 'browser-one')
        .send({ email: user.email, password: user.password })
        .expect(200);

      expectProblem(
        await request(t.server)
          .post(`${API}/auth/mfa/verify`)
          .set('User-Agent', 'somebody-else')
          .send({ mfa_token: response.body.mfa_token, code: await codeOf(user.secret, 1) }),
        401,
        'MFA_INVALID_CHALLENGE',
      );
    });

    it('accepts a recovery code once', async () => {
      const user = await mfaUser();
      const [code] = user.recoveryCodes;

      const response = await verify(await challenge(user), code.toUpperCase()).expect(200);
      expect(response.body.access_token).toEqual(expect.any(String));

      expectProblem(await verify(await challenge(user), code), 401, 'MFA_INVALID_CODE');
      const status = await request(t.server)
        .get(`${API}/auth/mfa`)
        .set(auth(response.body.access_token))
        .expect(200);
      expect(status.body.recovery_codes_remaining).toBe(9);
      const used = await auditEvents(t.dataSource, user.organizationId, 'mfa.recovery_code_used');
      expect(used).toEqual([expect.objectContaining({ details: { recovery_codes_remaining: 9 } })]);
    });
  });

  describe('managing MFA', () => {
    it('disables MFA only with a code', async () => {
      const user = await mfaUser();

      expectProblem(
        await request(t.server).post(`${API}/auth/mfa/disable`).set(auth(user.token)).send({}),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await request(t.server)
          .post(`${API}/auth/mfa/disable`)
          .set(auth(user.token))
          .send({ code: await wrongCode(user.secret) }),
        403,
        'MFA_CODE_REJECTED',
      );
      expectProblem(
        await request(t.server)
          .post(`${API}/auth/mfa/disable`)
          .set(auth(user.token))
          .send({ code: 'aaaa-bbbb-cccc-dddd' }),
        403,
        'MFA_CODE_REJECTED',
      );
      expect((await passwordLogin(user)).body.mfa_required).toBe(true);

      await request(t.server)
        .post(`${API}/auth/mfa/disable`)
        .set(auth(user.token))
        .send({ code: user.recoveryCodes[0] })
        .expect(204);

      expect((await passwordLogin(user)).body.access_token).toEqual(expect.any(String));
      const rows = await t.dataSource.query(
        'SELECT 1 FROM mfa_recovery_codes WHERE user_id = $1 UNION ALL ' +
          'SELECT 1 FROM user_totp_factors WHERE user_id = $1',
        [user.userId],
      );
      expect(rows).toEqual([]);
      expect(await auditEvents(t.dataSource, user.organizationId, 'mfa.disabled')).toHaveLength(1);
    });

    it('regenerates recovery codes with a code; the old ones stop working', async () => {
      const user = await mfaUser();

      expectProblem(
        await request(t.server)
          .post(`${API}/auth/mfa/recovery-codes`)
          .set(auth(user.token))
          .send({ code: await wrongCode(user.secret) }),
        403,
        'MFA_CODE_REJECTED',
      );
      const response = await request(t.server)
        .post(`${API}/auth/mfa/recovery-codes`)
        .set(auth(user.token))
        .send({ code: await codeOf(user.secret, 1) })
        .expect(200);

      expect(response.body.recovery_codes).toHaveLength(10);
      expectProblem(
        await verify(await challenge(user), user.recoveryCodes[1]),
        401,
        'MFA_INVALID_CODE',
      );
      await verify(await challenge(user), response.body.recovery_codes[0]).expect(200);
      expect(
        await auditEvents(t.dataSource, user.organizationId, 'mfa.recovery_codes_regenerated'),
      ).toHaveLength(1);
    });
  });

  describe('an organization that requires MFA', () => {
    async function requiringOrganization() {
      const organization = await createOrganization(t.dataSource);
      const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
      await t.dataSource.query('UPDATE organizations SET require_mfa = true WHERE id = $1', [
        organization.id,
      ]);

      return { organization, owner };
    }

    it('sends an owner without MFA to enrolment with a token good for nothing else', async () => {
      const { owner } = await requiringOrganization();
      const before = await sessionCount(owner.userId);

      const login = await passwordLogin(owner);
      expect(login.body).toEqual({
        mfa_enrollment_required: true,
        mfa_token: expect.stringMatching(/^mfa_/),
        expires_in: 300,
      });
      const token = login.body.mfa_token as string;

      for (const [method, path] of [
        ['get', 'auth/me'],
        ['get', 'members'],
        ['post', 'auth/logout'],
        ['post', 'auth/mfa/disable'],
        ['post', 'auth/mfa/recovery-codes'],
      ] as const) {
        const response = await request(t.server)
          [method](`${API}/${path}`)
          .set(auth(token))
          .send({ code: '000000' });
        expect({ path, status: response.status }).toEqual({ path, status: 401 });
      }
      expectProblem(await verify(token, '000000'), 409, 'MFA_NOT_ENABLED');
      expect(await sessionCount(owner.userId)).toBe(before);

      const enrolled = await enroll(token);
      const status = await request(t.server).get(`${API}/auth/mfa`).set(auth(token)).expect(200);
      expect(status.body.enabled).toBe(true);
      const tokens = await verify(token, await codeOf(enrolled.secret, 1)).expect(200);
      await request(t.server).get(`${API}/auth/me`).set(auth(tokens.body.access_token)).expect(200);
      const events = await auditEvents(t.dataSource, owner.organizationId, 'mfa.enrolled');
      expect(events).toEqual([
        expect.objectContaining({
          actor_user_id: owner.userId,
          details: { method: 'totp', via_enrollment_token: true },
        }),
      ]);
    });

    it('forces admins too, but not members', async () => {
      const { organization } = await requiringOrganization();
      const admin = await createMember(t.server, t.dataSource, organization.id, ['member']);
      await t.dataSource.query(
        'UPDATE memberships SET roles = $3 WHERE user_id = $1 AND organization_id = $2',
        [admin.userId, organization.id, ['admin']],
      );
      const member = await createMember(t.server, t.dataSource, organization.id, ['member']);

      expect((await passwordLogin(admin)).body.mfa_enrollment_required).toBe(true);
      expect((await passwordLogin(member)).body.access_token).toEqual(expect.any(String));
    });

    it('refuses to switch an owner without MFA into it, and allows it once enrolled', async () => {
      const { organization: requiring } = await requiringOrganization();
      const home = await createOrganization(t.dataSource);
      const user = await createMember(t.server, t.dataSource, home.id);
      await addMembership(t.dataSource, user.userId, requiring.id, ['owner']);

      expectProblem(
        await request(t.server)
          .post(`${API}/auth/switch-organization`)
          .set(auth(user.token))
          .send({ organization_id: requiring.id }),
        403,
        'MFA_ENROLLMENT_REQUIRED',
      );

      await enroll(user.token);
      const switched = await request(t.server)
        .post(`${API}/auth/switch-organization`)
        .set(auth(user.token))
        .send({ organization_id: requiring.id })
        .expect(200);
      expect(switched.body.organization_id).toBe(requiring.id);
    });

    it('refuses to refresh an owner’s session once the organization requires MFA', async () => {
      const organization = await createOrganization(t.dataSource);
      const owner = await createMember(t.server, t.dataSource, organization.id, ['owner']);
      await t.dataSource.query('UPDATE organizations SET require_mfa = true WHERE id = $1', [
        organization.id,
      ]);

      expectProblem(
        await request(t.server)
          .post(`${API}/auth/refresh`)
          .send({ refresh_token: owner.refreshToken }),
        401,
        'AUTH_INVALID_REFRESH_TOKEN',
      );
    });
  });

  describe('encryption key rotation', () => {
    it('decrypts secrets of the old key after a new key is added first, and re-encrypts them', async () => {
      const user = await mfaUser();
      // As if enrolled before the rotation: the secret sealed with the old key alone.
      const sealedWithOld = new SecretCipher([OLD_KEY]).encrypt(user.secret, `totp:${user.userId}`);
      await t.dataSource.query(
        'UPDATE user_totp_factors SET secret_encrypted = $2 WHERE user_id = $1',
        [user.userId, sealedWithOld],
      );

      await verify(await challenge(user), await codeOf(user.secret, 1)).expect(200);

      const result = await reencryptTotpSecrets(t.dataSource, new SecretCipher([NEW_KEY, OLD_KEY]));
      expect(result.reencrypted).toBeGreaterThanOrEqual(1);
      const [row] = await t.dataSource.query<Array<{ secret_encrypted: string }>>(
        'SELECT secret_encrypted FROM user_totp_factors WHERE user_id = $1',
        [user.userId],
      );
      expect(row.secret_encrypted).toMatch(/^v1\.k2\./);
      // The old key can go now: the new one alone opens the secret.
      expect(new SecretCipher([NEW_KEY]).decrypt(row.secret_encrypted, `totp:${user.userId}`)).toBe(
        user.secret,
      );
      expect(() =>
        new SecretCipher([OLD_KEY]).decrypt(row.secret_encrypted, `totp:${user.userId}`),
      ).toThrow();
      await verify(await challenge(user), await codeOf(user.secret, -1)).expect(200);
    });
  });
});
