import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  API,
  GUIDE_PASSWORD,
  RegisteredUser,
  RowScope,
  Tokens,
  createOrganization,
  erroredFields,
  expectNoRowChanges,
  expectProblem,
  login,
  registerUser,
  uniqueDomain,
  uniqueEmail,
} from './support/factories';
import { TestApp, startTestApp } from './support/test-app';

type Body = Record<string, unknown>;
type Endpoint = 'register' | 'login' | 'refresh';

const REQUIRED_FIELDS: Record<Endpoint, string[]> = {
  register: ['email', 'first_name', 'last_name', 'organization_id', 'password'],
  login: ['email', 'password'],
  refresh: ['refresh_token'],
};

const STRING_FIELDS: Record<Endpoint, string[]> = {
  ...REQUIRED_FIELDS,
  login: ['email', 'password', 'organization_id'],
};

const WRONG_TYPES: Array<{ kind: string; value: unknown }> = [
  { kind: 'a number', value: 42 },
  { kind: 'an array', value: ['text'] },
  { kind: 'an object', value: { text: 'text' } },
  { kind: 'null', value: null },
  { kind: 'a boolean', value: true },
];

const INVALID_EMAILS = [
  'plainaddress',
  'missing-at.example.com',
  'trailing-at@',
  '@example.com',
  'two@@example.com',
  'spaces in@example.com',
  'no-tld@localhost',
  'nul\u0000byte@example.com',
  '',
  '   ',
];

const NON_UUIDS = ['not-a-uuid', '12345', '0f8fad5bd9cb469fa16570867728950e', 'g'.repeat(36)];

/** Bodies sent as application/json that do not parse to a JSON object. */
const MALFORMED_JSON = [
  '{"email":',
  "{'email':'a@example.com'}",
  '{"email":"a@example.com",}',
  'null',
  '"hi"',
  '42',
  '[]',
  '[1,2]',
  '[{"email":"a@example.com"}]',
];

/**
 * An email of exactly `length` characters that is otherwise valid (local part of 64, DNS labels
 * of at most 63) and ends with `domain`, so it stays inside the file's row scope.
 */
function emailOfLength(length: number, domain: string): string {
  const local = 'a'.repeat(64);
  const labels: string[] = [];
  let room = length - local.length - 1 - domain.length;
  while (room > 0) {
    const size = room <= 64 ? room - 1 : room === 65 ? 62 : 63;
    labels.push('x'.repeat(size));
    room -= size + 1;
  }

  return `${local}@${labels.map((label) => `${label}.`).join('')}${domain}`;
}

function without(body: Body, field: string): Body {
  const copy = { ...body };
  delete copy[field];

  return copy;
}

function nestedArrays(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('bad input', () => {
  let t: TestApp;
  let domain: string;
  let organizationId: string;
  let scope: RowScope;
  let member: RegisteredUser;
  let tokens: Tokens;

  /** A body the endpoint would accept: each case breaks exactly one thing in it. */
  const validBody = (endpoint: Endpoint): Body => {
    switch (endpoint) {
      case 'register':
        return {
          email: uniqueEmail('new', domain),
          password: GUIDE_PASSWORD,
          first_name: 'Ada',
          last_name: 'Lovelace',
          organization_id: organizationId,
        };
      case 'login':
        return { email: member.email, password: member.password };
      case 'refresh':
        return { refresh_token: tokens.refresh_token };
    }
  };

  const post = (endpoint: Endpoint, body: Body) =>
    request(t.server).post(`${API}/auth/${endpoint}`).send(body);

  /** Posts `body`, asserts a 400 naming exactly `fields`, and that nothing was written. */
  const expectRefusedFields = async (endpoint: Endpoint, body: Body, fields: string[]) => {
    const response = await expectNoRowChanges(t.dataSource, scope, () => post(endpoint, body));
    const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(erroredFields(problem)).toEqual([...fields].sort());

    return problem;
  };

  beforeAll(async () => {
    t = await startTestApp();
    domain = uniqueDomain('bad-input');
    organizationId = (await createOrganization(t.dataSource)).id;
    scope = { organizationIds: [organizationId], emailDomains: [domain] };
    member = await registerUser(t.server, organizationId, {
      email: uniqueEmail('member', domain),
    });
    tokens = await login(t.server, member);
  });

  afterAll(async () => {
    await t.close();
  });

  describe('malformed and oversized bodies', () => {
    const cases = (['register', 'login', 'refresh', 'logout'] as const).flatMap((endpoint) =>
      MALFORMED_JSON.map((text) => ({ endpoint, text })),
    );

    it.each(cases)(
      'refuses the body $text on $endpoint as malformed JSON',
      async ({ endpoint, text }) => {
        const response = await expectNoRowChanges(t.dataSource, scope, () =>
          request(t.server)
            .post(`${API}/auth/${endpoint}`)
            .set('Authorization', `Bearer ${tokens.access_token}`)
            .set('Content-Type', 'application/json')
            .send(text),
        );

        expectProblem(response, 400, 'MALFORMED_JSON');
      },
    );

    it('answers an array body on any endpoint as it answers any other body but an object', async () => {
      const send = (text: string) =>
        request(t.server)
          .post(`${API}/teams`)
          .set('Authorization', `Bearer ${tokens.access_token}`)
          .set('Content-Type', 'application/json')
          .send(text);

      const [array, string] = await Promise.all([send('[1,2]'), send('"hi"')]);

      const problem = expectProblem(array, 400, 'MALFORMED_JSON');
      expect(problem).not.toHaveProperty('errors');
      expect(problem.detail).toBe(expectProblem(string, 400, 'MALFORMED_JSON').detail);
    });

    it.each(['register', 'login', 'refresh', 'logout'])(
      'refuses a body over the size limit on %s with 413',
      async (endpoint) => {
        const response = await expectNoRowChanges(t.dataSource, scope, () =>
          request(t.server)
            .post(`${API}/auth/${endpoint}`)
            .set('Authorization', `Bearer ${tokens.access_token}`)
            .send({ padding: 'x'.repeat(150_000) }),
        );

        expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
      },
    );

    it.each([
      { kind: 'text/plain', type: 'text/plain', text: 'email=a@example.com' },
      { kind: 'a form', type: 'application/x-www-form-urlencoded', text: 'email=a%40example.com' },
    ])('refuses $kind body on login with a 4xx problem', async ({ type, text }) => {
      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        request(t.server).post(`${API}/auth/login`).set('Content-Type', type).send(text),
      );

      const expected = response.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_FAILED';
      expectProblem(response, response.status === 415 ? 415 : 400, expected);
    });

    it.each(['register', 'login', 'refresh'] as const)(
      'refuses deeply nested JSON on %s with 400',
      async (endpoint) => {
        const response = await expectNoRowChanges(t.dataSource, scope, () =>
          request(t.server)
            .post(`${API}/auth/${endpoint}`)
            .set('Content-Type', 'application/json')
            .send(`{"extra":${nestedArrays(30_000)}}`),
        );

        expectProblem(response, 400, 'VALIDATION_FAILED');
      },
    );
  });

  describe('fields', () => {
    it.each(Object.keys(REQUIRED_FIELDS) as Endpoint[])(
      'names every required field of %s when the body is empty',
      async (endpoint) => {
        await expectRefusedFields(endpoint, {}, REQUIRED_FIELDS[endpoint]);
      },
    );

    const missing = (Object.keys(REQUIRED_FIELDS) as Endpoint[]).flatMap((endpoint) =>
      REQUIRED_FIELDS[endpoint].map((field) => ({ endpoint, field })),
    );

    it.each(missing)('refuses $endpoint without $field', async ({ endpoint, field }) => {
      await expectRefusedFields(endpoint, without(validBody(endpoint), field), [field]);
    });

    it.each([
      { endpoint: 'register' as const, field: 'roles', value: ['owner'] },
      { endpoint: 'register' as const, field: 'is_platform_admin', value: true },
      { endpoint: 'register' as const, field: 'email_verified', value: true },
      { endpoint: 'login' as const, field: 'remember_me', value: true },
      { endpoint: 'refresh' as const, field: 'session_id', value: randomUUID() },
    ])('refuses the unknown field $field on $endpoint', async ({ endpoint, field, value }) => {
      const problem = await expectRefusedFields(
        endpoint,
        { ...validBody(endpoint), [field]: value },
        [field],
      );

      expect(problem.errors).toEqual([{ field, message: `property ${field} should not exist` }]);
    });

    // JSON.parse makes these own properties; supertest's .send() of an object literal could
    // not carry `__proto__`, so the bodies are sent as text.
    it.each([
      { key: '__proto__', nested: false },
      { key: 'constructor', nested: false },
      { key: 'prototype', nested: false },
      { key: '__proto__', nested: true },
    ])('refuses the key $key (nested: $nested) like an unknown field', async ({ key, nested }) => {
      const body = validBody('register');
      const json = nested
        ? JSON.stringify(body).replace(/}$/, `,"first_name":{"${key}":{"x":1}}}`)
        : JSON.stringify(body).replace(/}$/, `,"${key}":{"x":1}}`);
      const field = nested ? `first_name.${key}` : key;

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        request(t.server)
          .post(`${API}/auth/register`)
          .set('Content-Type', 'application/json')
          .send(json),
      );

      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field, message: `property ${key} should not exist` }]);
    });

    it('lists each field once, with only its type rule when the type is wrong', async () => {
      const problem = await expectRefusedFields(
        'register',
        { ...validBody('register'), first_name: 42, last_name: null, password: ['secret'] },
        ['first_name', 'last_name', 'password'],
      );

      expect(problem.errors).toEqual(
        expect.arrayContaining([
          { field: 'first_name', message: 'first_name must be a string' },
          { field: 'last_name', message: 'last_name must be a string' },
          { field: 'password', message: 'password must be a string' },
        ]),
      );
      expect(problem.errors).toHaveLength(3);
    });

    const wrongTypes = (Object.keys(STRING_FIELDS) as Endpoint[]).flatMap((endpoint) =>
      STRING_FIELDS[endpoint].flatMap((field) =>
        WRONG_TYPES
          // An optional field sent as null is taken as absent.
          .filter(
            ({ value }) => !(endpoint === 'login' && field === 'organization_id' && value === null),
          )
          .map(({ kind, value }) => ({ endpoint, field, kind, value })),
      ),
    );

    it.each(wrongTypes)(
      'refuses $kind as $field on $endpoint',
      async ({ endpoint, field, value }) => {
        const problem = await expectRefusedFields(
          endpoint,
          { ...validBody(endpoint), [field]: value },
          [field],
        );

        const messages = (problem.errors ?? []).map((error) => error.message);
        expect(new Set(messages).size).toBe(messages.length);
      },
    );

    it.each([
      { endpoint: 'register' as const, field: 'email', value: () => emailOfLength(255, domain) },
      { endpoint: 'register' as const, field: 'first_name', value: () => 'f'.repeat(101) },
      { endpoint: 'register' as const, field: 'last_name', value: () => 'l'.repeat(101) },
      { endpoint: 'register' as const, field: 'password', value: () => 'Aa1!'.repeat(32) + 'x' },
      { endpoint: 'login' as const, field: 'email', value: () => emailOfLength(255, domain) },
      { endpoint: 'login' as const, field: 'password', value: () => 'p'.repeat(129) },
      { endpoint: 'refresh' as const, field: 'refresh_token', value: () => 'r'.repeat(513) },
    ])('refuses an overlong $field on $endpoint', async ({ endpoint, field, value }) => {
      const problem = await expectRefusedFields(
        endpoint,
        { ...validBody(endpoint), [field]: value() },
        [field],
      );

      expect(problem.errors).toContainEqual({
        field,
        message: expect.stringMatching(/shorter than or equal to \d+ characters/),
      });
    });

    it('accepts every field at its longest', async () => {
      const email = emailOfLength(254, domain);

      const response = await post('register', {
        ...validBody('register'),
        email,
        password: 'Aa1!'.repeat(32),
        first_name: 'f'.repeat(100),
        last_name: 'l'.repeat(100),
      }).expect(201);

      expect(response.body).toMatchObject({ email, first_name: 'f'.repeat(100) });
      await login(t.server, { email, password: 'Aa1!'.repeat(32) });
    });

    const invalidEmails = (['register', 'login'] as const).flatMap((endpoint) =>
      // Test names show the email JSON-quoted, so control characters stay printable.
      INVALID_EMAILS.map((email) => ({ endpoint, email, shown: JSON.stringify(email) })),
    );

    it.each(invalidEmails)('refuses the email $shown on $endpoint', async ({ endpoint, email }) => {
      await expectRefusedFields(endpoint, { ...validBody(endpoint), email }, ['email']);
    });

    const nonUuids = (['register', 'login'] as const).flatMap((endpoint) =>
      NON_UUIDS.map((id) => ({ endpoint, id })),
    );

    it.each(nonUuids)('refuses the organization_id $id on $endpoint', async ({ endpoint, id }) => {
      const problem = await expectRefusedFields(
        endpoint,
        { ...validBody(endpoint), organization_id: id },
        ['organization_id'],
      );

      expect(problem.errors).toEqual([
        { field: 'organization_id', message: 'organization_id must be a UUID' },
      ]);
    });

    it.each([
      { kind: 'a NUL', field: 'first_name', value: 'Ada\u0000' },
      { kind: 'a NUL', field: 'last_name', value: 'Love\u0000lace' },
      { kind: 'a line break', field: 'first_name', value: 'Ada\nLovelace' },
      { kind: 'a terminal escape', field: 'last_name', value: '\u001b[31mred' },
    ])('refuses $kind in $field', async ({ field, value }) => {
      await expectRefusedFields('register', { ...validBody('register'), [field]: value }, [field]);
    });

    it.each([
      { password: '', message: 'password should not be empty' },
      { password: 'Short1!', message: 'password must be at least 8 characters long' },
    ])(
      'refuses the weak password "$password" naming the broken rule',
      async ({ password, message }) => {
        const problem = await expectRefusedFields(
          'register',
          { ...validBody('register'), password },
          ['password'],
        );

        expect(problem.errors).toEqual([{ field: 'password', message }]);
      },
    );
  });

  describe('registration conflicts', () => {
    it.each([
      { spelling: 'upper case', variant: (email: string) => email.toUpperCase() },
      {
        spelling: 'mixed case with spaces',
        variant: (email: string) => ` ${email[0].toUpperCase()}${email.slice(1)} `,
      },
    ])('refuses an email already taken in $spelling with 409', async ({ variant }) => {
      const email = uniqueEmail('taken', domain);
      await registerUser(t.server, organizationId, { email });

      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        post('register', { ...validBody('register'), email: variant(email) }),
      );

      expectProblem(response, 409, 'USER_EMAIL_TAKEN');
    });

    it('refuses an organization that does not exist with 404', async () => {
      const response = await expectNoRowChanges(t.dataSource, scope, () =>
        post('register', { ...validBody('register'), organization_id: randomUUID() }),
      );

      expectProblem(response, 404, 'ORGANIZATION_NOT_FOUND');
    });

    it('refuses an organization that was deleted with 404', async () => {
      const deleted = await createOrganization(t.dataSource, { deletedAt: new Date() });
      const deletedScope = { ...scope, organizationIds: [organizationId, deleted.id] };

      const response = await expectNoRowChanges(t.dataSource, deletedScope, () =>
        post('register', { ...validBody('register'), organization_id: deleted.id }),
      );

      expectProblem(response, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  describe('failed sign-in', () => {
    let deactivated: RegisteredUser;
    let withoutPassword: RegisteredUser;

    beforeAll(async () => {
      deactivated = await registerUser(t.server, organizationId, {
        email: uniqueEmail('deactivated', domain),
      });
      withoutPassword = await registerUser(t.server, organizationId, {
        email: uniqueEmail('sso-only', domain),
      });
      await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [
        deactivated.userId,
      ]);
      await t.dataSource.query('UPDATE users SET password_hash = NULL WHERE id = $1', [
        withoutPassword.userId,
      ]);
    });

    const attempts: Array<{ name: string; body: () => Body }> = [
      { name: 'a wrong password', body: () => ({ email: member.email, password: 'Wrong-pass1' }) },
      {
        name: 'an unknown email',
        body: () => ({ email: uniqueEmail('nobody', domain), password: GUIDE_PASSWORD }),
      },
      {
        name: 'a deactivated account',
        body: () => ({ email: deactivated.email, password: deactivated.password }),
      },
      {
        name: 'an account without a password',
        body: () => ({ email: withoutPassword.email, password: GUIDE_PASSWORD }),
      },
    ];

    it.each(attempts)('refuses $name with 401 AUTH_INVALID_CREDENTIALS', async ({ body }) => {
      const response = await expectNoRowChanges(t.dataSource, scope, () => post('login', body()));

      expectProblem(response, 401, 'AUTH_INVALID_CREDENTIALS');
    });

    it('answers every failed sign-in with the same body but its request id', async () => {
      const bodies: Body[] = [];
      for (const attempt of attempts) {
        const response = await post('login', attempt.body()).expect(401);
        bodies.push(without(response.body, 'request_id'));
      }

      for (const body of bodies) expect(body).toEqual(bodies[0]);
    });

    it('signs in whatever the case and surrounding spaces of the email', async () => {
      const response = await post('login', {
        email: `  ${member.email.toUpperCase()} `,
        password: member.password,
      }).expect(200);

      expect(response.body.user_id).toBe(member.userId);
    });
  });

  describe('credentials on protected routes', () => {
    const headers: Array<{ name: string; header: () => string | undefined; code: string }> = [
      { name: 'no Authorization header', header: () => undefined, code: 'AUTH_TOKEN_MISSING' },
      { name: 'the Basic scheme', header: () => 'Basic dXNlcjpwYXNz', code: 'AUTH_TOKEN_MISSING' },
      {
        name: 'a token without a scheme',
        header: () => tokens.access_token,
        code: 'AUTH_TOKEN_MISSING',
      },
      { name: 'an empty Bearer', header: () => 'Bearer ', code: 'AUTH_TOKEN_MISSING' },
      { name: 'a garbled token', header: () => 'Bearer not-a-jwt', code: 'AUTH_INVALID_TOKEN' },
      { name: 'three junk segments', header: () => 'Bearer a.b.c', code: 'AUTH_INVALID_TOKEN' },
      {
        name: 'a tampered signature',
        header: () => `Bearer ${tokens.access_token.slice(0, -4)}AAAA`,
        code: 'AUTH_INVALID_TOKEN',
      },
      {
        name: 'a refresh token',
        header: () => `Bearer ${tokens.refresh_token}`,
        code: 'AUTH_INVALID_TOKEN',
      },
    ];
    const cases = (['get me', 'post logout'] as const).flatMap((route) =>
      headers.map((entry) => ({ route, ...entry })),
    );

    it.each(cases)('refuses $name on $route with 401', async ({ route, header, code }) => {
      const value = header();

      const response = await expectNoRowChanges(t.dataSource, scope, () => {
        const call =
          route === 'get me'
            ? request(t.server).get(`${API}/auth/me`)
            : request(t.server).post(`${API}/auth/logout`);
        return value === undefined ? call : call.set('Authorization', value);
      });

      expectProblem(response, 401, code);
    });
  });

  describe('routes', () => {
    it.each([
      { method: 'get', path: '/nope' },
      { method: 'get', path: '/api/v1' },
      { method: 'get', path: `${API}/nope` },
      { method: 'get', path: `${API}/auth/nope` },
      { method: 'post', path: `${API}/nope` },
      { method: 'get', path: `${API}/auth/me/extra` },
    ] as const)('answers $method $path with a 404 problem', async ({ method, path }) => {
      const response = await request(t.server)[method](path);

      const problem = expectProblem(response, 404, 'NOT_FOUND');
      expect(problem.detail).toBe(`Cannot ${method.toUpperCase()} ${path}`);
    });

    it.each(['/nope', `${API}/nope`, `${API}/auth/me/extra`])(
      'names only the path of %s in a 404, not the query string',
      async (path) => {
        const response = await request(t.server).get(`${path}?token=SECRETVALUE123&a=b`);

        const problem = expectProblem(response, 404, 'NOT_FOUND');
        expect(problem.detail).toBe(`Cannot GET ${path}`);
        expect(response.text).not.toContain('SECRETVALUE123');
      },
    );

    it.each([
      { method: 'get', path: `${API}/auth/login` },
      { method: 'get', path: `${API}/auth/register` },
      { method: 'put', path: `${API}/auth/me` },
      { method: 'delete', path: `${API}/auth/logout` },
      { method: 'post', path: '/health' },
      { method: 'patch', path: '/health/ready' },
    ] as const)('answers $method $path with a 404 or 405 problem', async ({ method, path }) => {
      const response = await request(t.server)[method](path);

      expect([404, 405]).toContain(response.status);
      expectProblem(
        response,
        response.status,
        response.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED',
      );
    });
  });

  describe('request ids', () => {
    it('sends an X-Request-ID on successful responses too', async () => {
      const responses = await Promise.all([
        request(t.server).get('/health/live'),
        request(t.server)
          .get(`${API}/auth/me`)
          .set('Authorization', `Bearer ${tokens.access_token}`),
      ]);

      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('echoes an acceptable X-Request-ID from the caller in the header and the problem', async () => {
      const response = await request(t.server).get('/nope').set('X-Request-ID', 'trace-42.a:b_c');

      expect(expectProblem(response, 404, 'NOT_FOUND').request_id).toBe('trace-42.a:b_c');
    });

    it('replaces an X-Request-ID that could forge log lines', async () => {
      const response = await request(t.server)
        .get('/nope')
        .set('X-Request-ID', 'evil" level="info');

      const problem = expectProblem(response, 404, 'NOT_FOUND');
      expect(problem.request_id).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});

describe('bad input under a strict password policy', () => {
  let t: TestApp;
  let organizationId: string;
  let scope: RowScope;
  let domain: string;

  const RULES = {
    length: 'password must be at least 12 characters long',
    upper: 'password must contain an upper-case letter',
    lower: 'password must contain a lower-case letter',
    digit: 'password must contain a digit',
    special: 'password must contain a character that is not a letter or digit',
  };

  beforeAll(async () => {
    t = await startTestApp({
      PASSWORD_MIN_LENGTH: '12',
      PASSWORD_REQUIRE_UPPERCASE: 'true',
      PASSWORD_REQUIRE_LOWERCASE: 'true',
      PASSWORD_REQUIRE_DIGITS: 'true',
      PASSWORD_REQUIRE_SPECIAL_CHARS: 'true',
    });
    domain = uniqueDomain('strict');
    organizationId = (await createOrganization(t.dataSource)).id;
    scope = { organizationIds: [organizationId], emailDomains: [domain] };
  });

  afterAll(async () => {
    await t.close();
  });

  const register = (password: string) =>
    request(t.server)
      .post(`${API}/auth/register`)
      .send({
        email: uniqueEmail('strict', domain),
        password,
        first_name: 'Grace',
        last_name: 'Hopper',
        organization_id: organizationId,
      });

  it.each([
    { password: 'abc', broken: ['length', 'upper', 'digit', 'special'] },
    { password: 'alllowercaseletters', broken: ['upper', 'digit', 'special'] },
    { password: 'ALLUPPERCASELETTERS', broken: ['lower', 'digit', 'special'] },
    { password: '1234567890123', broken: ['upper', 'lower', 'special'] },
    { password: '!!!!!!!!!!!!', broken: ['upper', 'lower', 'digit'] },
    { password: 'Abcdefghijkl', broken: ['digit', 'special'] },
    { password: 'Abcdefghijk1', broken: ['special'] },
    { password: 'Abc1!', broken: ['length'] },
  ] as Array<{ password: string; broken: Array<keyof typeof RULES> }>)(
    'lists every rule $password breaks',
    async ({ password, broken }) => {
      const response = await expectNoRowChanges(t.dataSource, scope, () => register(password));

      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual(
        broken.map((rule) => ({ field: 'password', message: RULES[rule] })),
      );
    },
  );

  it('accepts a password that keeps every rule', async () => {
    await register('Str0ng!Passw0rd').expect(201);
  });
});
