import request from 'supertest';
import { PasswordHasher } from '@app/users';
import { auditEvents, bearer, createMember, createPlatformAdmin } from './support/admin';
import {
  API,
  RegisteredUser,
  createOrganization,
  expectProblem,
  login,
  registerUser,
  uniqueEmail,
} from './support/factories';
import { PRODUCTION_LIMITS, isolatedStore } from './support/limits';
import { RESET_SUBJECT, TestSmtpServer, tokenFromMail } from './support/smtp';
import { TestApp, startTestApp } from './support/test-app';

const describeShared =
  process.env.POSTGRES_HOST && process.env.REDIS_HOST ? describe : describe.skip;

/**
 * Lockout at its production defaults (5 failures, 30 minutes). The per-IP and per-account
 * rate limits are raised here, and only here, so that the bursts below reach the lockout
 * rather than being cut short by a 429 (rate-limits.e2e-spec.ts proves those at defaults).
 */
const LOCKOUT_ENV = {
  ...PRODUCTION_LIMITS,
  RATE_LIMIT_AUTH_PER_MINUTE: '100000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE: '100000',
};

function attempt(t: TestApp, email: string, password: string): request.Test {
  return request(t.server).post(`${API}/auth/login`).send({ email, password });
}

/** What a client can compare between two answers: everything but per-request values. */
function observable(response: request.Response): Record<string, unknown> {
  const headers = Object.keys(response.headers)
    .filter((name) => !['date', 'x-request-id', 'ratelimit-remaining'].includes(name))
    .sort()
    .map((name) => [name, name === 'content-length' ? '' : response.headers[name]]);
  const { request_id: requestId, ...body } = response.body as Record<string, unknown>;

  return {
    status: response.status,
    body,
    request_id_length: String(requestId).length,
    content_length: response.headers['content-length'],
    headers,
  };
}

async function passwordHashOf(t: TestApp, userId: string): Promise<string> {
  const [row] = await t.dataSource.query<{ password_hash: string }[]>(
    'SELECT password_hash FROM users WHERE id = $1',
    [userId],
  );

  return row.password_hash;
}

async function lock(t: TestApp, email: string): Promise<void> {
  for (let n = 0; n < 5; n++) await attempt(t, email, 'wrong-password').expect(401);
}

describe('account lockout', () => {
  let t: TestApp;
  let hasher: PasswordHasher;
  let organizationId: string;

  beforeAll(async () => {
    t = await startTestApp({ ...LOCKOUT_ENV, ...isolatedStore() });
    hasher = t.app.get(PasswordHasher);
    organizationId = (await createOrganization(t.dataSource)).id;
  });

  afterAll(async () => {
    await t.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('uses 5 attempts and 30 minutes by default', () => {
    expect(t.config.lockout).toMatchObject({ maxAttempts: 5, durationSeconds: 30 * 60 });
  });

  it('locks after 5 failures: 20 parallel guesses check the real hash at most 5 times', async () => {
    const user = await registerUser(t.server, organizationId);
    const realHash = await passwordHashOf(t, user.userId);
    const verify = jest.spyOn(hasher, 'verify');

    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, n) => attempt(t, user.email, `wrong-password-${n}`)),
    );
    for (const guess of guesses) expectProblem(guess, 401, 'AUTH_INVALID_CREDENTIALS');
    const realChecks = verify.mock.calls.filter(([, stored]) => stored === realHash);
    expect(realChecks).toHaveLength(5);

    const right = await attempt(t, user.email, user.password);
    expectProblem(right, 401, 'AUTH_INVALID_CREDENTIALS');
    expect(verify.mock.calls.filter(([, stored]) => stored === realHash)).toHaveLength(5);

    const locked = await auditEvents(t.dataSource, organizationId, 'auth.account_locked');
    expect(locked.filter((event) => event.target_id === user.userId)).toHaveLength(1);
  });

  it('answers a locked account’s right password exactly like a wrong password', async () => {
    const locked = await registerUser(t.server, organizationId);
    const other = await registerUser(t.server, organizationId);
    await lock(t, locked.email);
    const verify = jest.spyOn(hasher, 'verify');

    const lockedAnswer = await attempt(t, locked.email, locked.password);
    const checksForLocked = verify.mock.calls.length;
    const wrongAnswer = await attempt(t, other.email, 'wrong-password');

    expectProblem(lockedAnswer, 401, 'AUTH_INVALID_CREDENTIALS');
    expect(observable(lockedAnswer)).toEqual(observable(wrongAnswer));
    // The same work too: one bcrypt verification each (a dummy one for the locked account).
    expect(checksForLocked).toBe(1);
    expect(verify.mock.calls.length - checksForLocked).toBe(1);
  });

  it('counts case variants of one email together', async () => {
    const user = await registerUser(t.server, organizationId);
    const [local, domain] = user.email.split('@');
    const variants = [
      user.email.toUpperCase(),
      `${local}@${domain.toUpperCase()}`,
      `${local[0].toUpperCase()}${local.slice(1)}@${domain}`,
      ` ${user.email} `,
      user.email,
    ];
    for (const variant of variants) await attempt(t, variant, 'wrong-password').expect(401);

    expectProblem(await attempt(t, user.email, user.password), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('counts unknown emails too, so a lockout reveals nothing about existence', async () => {
    const email = uniqueEmail('later');
    const answers = [];
    for (let n = 0; n < 6; n++) answers.push(await attempt(t, email, 'wrong-password'));
    for (const answer of answers) expectProblem(answer, 401, 'AUTH_INVALID_CREDENTIALS');

    // The address is locked before it has an account: signing up does not bypass it.
    const user = await registerUser(t.server, organizationId, { email });
    expectProblem(await attempt(t, user.email, user.password), 401, 'AUTH_INVALID_CREDENTIALS');
  });

  it('resets the count on a successful login', async () => {
    const user = await registerUser(t.server, organizationId);
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 4; n++) await attempt(t, user.email, 'wrong-password').expect(401);
      await attempt(t, user.email, user.password).expect(200);
    }
  });

  describe('unlocking', () => {
    let owner: Awaited<ReturnType<typeof createMember>>;

    beforeAll(async () => {
      owner = await createMember(t.server, t.dataSource, organizationId, ['owner']);
    });

    async function lockedMember(roles: string[] = ['member']): Promise<RegisteredUser> {
      const member = await createMember(t.server, t.dataSource, organizationId, roles);
      await lock(t, member.email);
      await attempt(t, member.email, member.password).expect(401);

      return member;
    }

    it('lets an owner unlock a member, audited; the right password works again', async () => {
      const member = await lockedMember();

      await request(t.server)
        .post(`${API}/members/${member.userId}/unlock`)
        .set('Authorization', bearer(owner))
        .expect(204);

      await attempt(t, member.email, member.password).expect(200);
      const events = await auditEvents(t.dataSource, organizationId, 'auth.account_unlocked');
      expect(events).toContainEqual(
        expect.objectContaining({
          outcome: 'success',
          actor_user_id: owner.userId,
          target_type: 'user',
          target_id: member.userId,
          details: expect.objectContaining({ was_locked: true }),
        }),
      );
    });

    it('refuses a member without members:unlock or members:deactivate', async () => {
      const member = await lockedMember();
      const viewer = await createMember(t.server, t.dataSource, organizationId, ['viewer']);

      const response = await request(t.server)
        .post(`${API}/members/${member.userId}/unlock`)
        .set('Authorization', bearer(viewer));

      expectProblem(response, 403, 'AUTH_PERMISSION_DENIED');
      await attempt(t, member.email, member.password).expect(401);
    });

    it('refuses an admin unlocking an owner, who holds more than the admin', async () => {
      const lockedOwner = await lockedMember(['owner']);
      const admin = await createMember(t.server, t.dataSource, organizationId, ['admin']);

      const response = await request(t.server)
        .post(`${API}/members/${lockedOwner.userId}/unlock`)
        .set('Authorization', bearer(admin));

      expectProblem(response, 403, 'MEMBER_ACTION_FORBIDDEN');
      await attempt(t, lockedOwner.email, lockedOwner.password).expect(401);
    });

    it('answers 404 for a user of another organization', async () => {
      const member = await lockedMember();
      const elsewhere = await createOrganization(t.dataSource);
      const otherOwner = await createMember(t.server, t.dataSource, elsewhere.id, ['owner']);

      const response = await request(t.server)
        .post(`${API}/members/${member.userId}/unlock`)
        .set('Authorization', bearer(otherOwner));

      expectProblem(response, 404, 'MEMBER_NOT_FOUND');
      await attempt(t, member.email, member.password).expect(401);
    });

    it('lets a platform administrator unlock any user', async () => {
      const member = await lockedMember();
      const platformAdmin = await createPlatformAdmin(t.server, t.dataSource);

      await request(t.server)
        .post(`${API}/members/${member.userId}/unlock`)
        .set('Authorization', bearer(platformAdmin))
        .expect(204);

      await attempt(t, member.email, member.password).expect(200);
    });
  });
});

describe('account lockout and password routes', () => {
  const publicUrl = 'https://auth.lockout.test';
  let t: TestApp;
  let smtp: TestSmtpServer;
  let organizationId: string;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await startTestApp({
      ...LOCKOUT_ENV,
      ...isolatedStore(),
      ...smtp.env(),
      PUBLIC_URL: publicUrl,
    });
    organizationId = (await createOrganization(t.dataSource)).id;
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('unlocks the account when its owner completes a password reset', async () => {
    const user = await registerUser(t.server, organizationId);
    await lock(t, user.email);
    await attempt(t, user.email, user.password).expect(401);

    await request(t.server)
      .post(`${API}/auth/password/forgot`)
      .send({ email: user.email })
      .expect(202);
    const mail = await smtp.waitForMail(user.email, RESET_SUBJECT, 1);
    const token = tokenFromMail(mail, publicUrl, '/reset-password');
    const newPassword = 'Quiet-Harbor-77?';
    await request(t.server)
      .post(`${API}/auth/password/reset`)
      .send({ token, new_password: newPassword })
      .expect(204);

    await attempt(t, user.email, newPassword).expect(200);
  });

  it('counts wrong current passwords of a password change toward the lockout', async () => {
    const user = await registerUser(t.server, organizationId);
    const { access_token: accessToken } = await login(t.server, user);
    const change = (current: string) =>
      request(t.server)
        .post(`${API}/auth/password/change`)
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ current_password: current, new_password: 'Quiet-Harbor-77?' });

    for (let n = 0; n < 5; n++) {
      expectProblem(await change(`wrong-password-${n}`), 403, 'AUTH_INVALID_CURRENT_PASSWORD');
    }

    // Locked: the right current password is refused like a wrong one, and so is a login.
    expectProblem(await change(user.password), 403, 'AUTH_INVALID_CURRENT_PASSWORD');
    expectProblem(await attempt(t, user.email, user.password), 401, 'AUTH_INVALID_CREDENTIALS');
  });
});

describeShared('account lockout across two instances', () => {
  const secret = 'lockout-test-key-'.padEnd(64, 'x');
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    const shared = { ...LOCKOUT_ENV, ...isolatedStore(), JWT_SECRET_KEY: secret };
    one = await startTestApp(shared);
    two = await startTestApp(shared);
  });

  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('counts failures on both instances toward one lockout', async () => {
    const organization = await createOrganization(one.dataSource);
    const user = await registerUser(one.server, organization.id);

    for (let n = 0; n < 5; n++) {
      await attempt(n % 2 === 0 ? one : two, user.email, 'wrong-password').expect(401);
    }

    await attempt(one, user.email, user.password).expect(401);
    await attempt(two, user.email, user.password).expect(401);
  });
});
