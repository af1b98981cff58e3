import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { API_PREFIX } from '../apps/auth-service/src/app.setup';
import { Actor, createMember } from './support/admin';
import {
  API,
  createOrganization,
  uniqueDomain,
  uniqueEmail,
  uniqueSuffix,
} from './support/factories';
import {
  ControllerRoute,
  DocumentedOperation,
  OpenApiDocument,
  OpenApiSchema,
  controllerRoutes,
  fetchOpenApiDocument,
  operationsOf,
  routeOfOperation,
} from './support/routes';
import { TestApp, startTestApp } from './support/test-app';

/**
 * Organization B's owner (every permission in B) walks every operation of the OpenAPI
 * document with the ids of organization A. The walk is derived from the document, so a new
 * route is covered, or this file fails until someone says how to call it.
 */

/** The kinds of value that point into an organization. */
type Kind =
  | 'organization'
  | 'user'
  | 'team'
  | 'role'
  | 'roleKey'
  | 'invitation'
  | 'token'
  | 'email'
  | 'session'
  | 'ssoConnection';

/** An organization with a resource of every kind, and its owner signed in. */
interface Tenant {
  owner: Actor;
  values: Record<Kind, string>;
  /** Everything of this organization that must never reach another organization. */
  secrets: string[];
}

/** Operations the walk leaves out, each with the reason. */
const NOT_WALKED: Record<string, string> = {
  [`POST /${API_PREFIX}/auth/register`]:
    'public sign-up: joining an organization by its id is what it is for, and the ' +
    "organization's registration policy decides (organization-access tests)",
  [`POST /${API_PREFIX}/auth/login`]:
    "public: takes the caller's own credentials, no id of another organization",
  [`POST /${API_PREFIX}/auth/refresh`]: "public: takes only the caller's own refresh token",
  [`POST /${API_PREFIX}/auth/logout`]:
    "self-service without input: it would only end the walker's own session",
  [`POST /${API_PREFIX}/auth/logout-all`]:
    "self-service without input: it would only end the walker's own sessions (and stop the walk)",
  [`POST /${API_PREFIX}/auth/sso/exchange`]:
    'public: takes only a one-time code that the browser brought back (sso-*.e2e-spec)',
  [`POST /${API_PREFIX}/sso/discover`]:
    'public by design: answers which connection serves an email domain (sso-connections tests)',
  [`GET /${API_PREFIX}/sso/saml/{id}/metadata`]:
    'public by design: the service provider metadata an identity provider is given',
  [`GET /${API_PREFIX}/sso/saml/{id}/login`]:
    "public: the browser's start of a SAML login; a return URL outside the connection's " +
    'organization is refused (sso-saml tests)',
  [`POST /${API_PREFIX}/sso/saml/{id}/acs`]:
    "public: only a response signed by the connection's own identity provider passes " +
    '(sso-saml tests)',
  [`GET /${API_PREFIX}/sso/oidc/{id}/login`]:
    "public: the browser's start of an OIDC login (sso-oidc tests)",
  [`GET /${API_PREFIX}/sso/oidc/{id}/callback`]:
    'public: only a state this service issued for the connection passes (sso-oidc tests)',
};

/** `{id}` after these path segments names a resource of this kind. */
const PATH_ID_KINDS: Record<string, Kind> = {
  organizations: 'organization',
  teams: 'team',
  roles: 'role',
  invitations: 'invitation',
  members: 'user',
  sessions: 'session',
  connections: 'ssoConnection',
};

/** Path parameters, body fields and query filters that refer to something of an organization. */
const REFERENCES: Record<string, Kind> = {
  user_id: 'user',
  actor_id: 'user',
  // Audit targets are of every kind; A's member is the target of several of A's events.
  target_id: 'user',
  organization_id: 'organization',
  team_id: 'team',
  team_ids: 'team',
  role_id: 'role',
  role: 'roleKey',
  roles: 'roleKey',
  invitation_id: 'invitation',
  token: 'token',
  invitation_token: 'token',
  search: 'email',
  default_role: 'roleKey',
};

/** The session id (`sid`) an access token belongs to. */
function sessionOf(accessToken: string): string {
  const payload = accessToken.split('.')[1];

  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string }).sid;
}

/** A value that exists in no organization, of the same kind as `kind`. */
function unknownValue(kind: Kind): string {
  switch (kind) {
    case 'roleKey':
      return `absent-${uniqueSuffix()}`;
    case 'token':
      return randomBytes(32).toString('base64url');
    case 'email':
      return uniqueEmail('absent');
    case 'organization':
    case 'user':
    case 'team':
    case 'role':
    case 'invitation':
    case 'session':
    case 'ssoConnection':
      return randomUUID();
  }
}

function pathParameterKind(path: string, name: string): Kind {
  const reference = REFERENCES[name];
  if (reference) return reference;
  const segments = path.split('/');
  const segment = segments[segments.indexOf(`{${name}}`) - 1];
  const kind = PATH_ID_KINDS[segment];
  if (!kind) {
    throw new Error(`No id kind known for {${name}} in ${path}: add it to PATH_ID_KINDS`);
  }

  return kind;
}

/** A reference field, or undefined; an unmapped `*_id` field fails the walk. */
function referenceKind(name: string, schema: OpenApiSchema, where: string): Kind | undefined {
  if (schema.enum || schema.items?.enum) return undefined;
  const kind = REFERENCES[name];
  if (!kind && /_ids?$/.test(name)) {
    throw new Error(`No id kind known for ${name} of ${where}: add it to REFERENCES`);
  }

  return kind;
}

/** A valid value for a field that refers to nothing, from its schema. */
function plainValue(schema: OpenApiSchema): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.format === 'email') return uniqueEmail('walk');
  if (schema.type === 'array') return [plainValue(schema.items ?? { type: 'string' })];
  if (schema.type === 'number' || schema.type === 'integer') return 1;
  if (schema.type === 'boolean') return false;

  return `walk-${uniqueSuffix()}`;
}

/** One place an operation takes a reference: a path parameter, a body field or a filter. */
interface Slot {
  in: 'path' | 'query' | 'body';
  name: string;
  kind: Kind;
  array: boolean;
}

/** What an operation takes, read from the document. */
interface Shape {
  path: Slot[];
  query: Slot[];
  body: Slot[];
  requiredQuery: Record<string, unknown>;
  /** Required body fields that refer to nothing, or undefined without a body. */
  plainBody: Record<string, unknown> | undefined;
  requiredBody: Set<string>;
}

function resolveSchema(document: OpenApiDocument, schema: OpenApiSchema): OpenApiSchema {
  if (!schema.$ref) return schema;

  return document.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
}

function shapeOf(
  document: OpenApiDocument,
  { method, path, operation }: DocumentedOperation,
): Shape {
  const where = `${method} ${path}`;
  const shape: Shape = {
    path: [],
    query: [],
    body: [],
    requiredQuery: {},
    plainBody: undefined,
    requiredBody: new Set(),
  };
  for (const parameter of operation.parameters ?? []) {
    const schema = parameter.schema ?? {};
    if (parameter.in === 'path') {
      const kind = pathParameterKind(path, parameter.name);
      shape.path.push({ in: 'path', name: parameter.name, kind, array: false });
    } else if (parameter.in === 'query') {
      const kind = referenceKind(parameter.name, schema, where);
      if (kind) shape.query.push({ in: 'query', name: parameter.name, kind, array: false });
      else if (parameter.required) shape.requiredQuery[parameter.name] = plainValue(schema);
    }
  }
  const content = operation.requestBody?.content['application/json'];
  if (content) {
    const schema = resolveSchema(document, content.schema);
    shape.plainBody = {};
    shape.requiredBody = new Set(schema.required ?? []);
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const kind = referenceKind(name, property, where);
      const array = property.type === 'array';
      if (kind) shape.body.push({ in: 'body', name, kind, array });
      else if (shape.requiredBody.has(name)) shape.plainBody[name] = plainValue(property);
    }
  }

  return shape;
}

/**
 * How the walk calls an operation: `path` puts A's ids in every path parameter; `reference`
 * keeps B's resource in the path and puts one reference to A in a later path parameter or a
 * body field; `filter` keeps B's resource in the path and filters by one value of A, or calls
 * an operation that takes no id at all.
 */
interface WalkCase {
  label: string;
  style: 'path' | 'reference' | 'filter';
  operation: DocumentedOperation;
  route: ControllerRoute;
  shape: Shape;
  /** The slots that carry a value of A (or, in the twin request, an unknown value). */
  foreign: Slot[];
}

function casesOf(
  document: OpenApiDocument,
  operation: DocumentedOperation,
  route: ControllerRoute,
): WalkCase[] {
  const shape = shapeOf(document, operation);
  const name = `${operation.method} ${operation.path}`;
  const cases: WalkCase[] = [];
  const make = (style: WalkCase['style'], foreign: Slot[], label: string) =>
    cases.push({ label: `${name} ${label}`, style, operation, route, shape, foreign });

  if (shape.path.length > 0) {
    make('path', [...shape.path, ...shape.body], "with A's ids");
  }
  for (const slot of [...shape.path.slice(1), ...shape.body]) {
    make('reference', [slot], `with B's resource and A's ${slot.name}`);
  }
  for (const slot of shape.query) {
    make('filter', [slot], `filtered by A's ${slot.name}`);
  }
  if (shape.path.length === 0 && shape.body.length === 0 && shape.query.length === 0) {
    make('filter', [], 'without any id');
  }

  return cases;
}

interface Answer {
  status: number;
  code: string | undefined;
  text: string;
  /** The values of A (or the unknown values) the request carried. */
  sent: string[];
}

describe('tenant isolation', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let routes: ControllerRoute[];
  let a: Tenant;
  let b: Tenant;
  let cases: WalkCase[];
  let snapshotOfA: unknown;
  /** Every value of A (or unknown value) the walk has sent as B's owner so far. */
  const sentByB = new Set<string>();

  const as = (actor: Actor) => ({ Authorization: `Bearer ${actor.token}` });

  /** An organization with two members, a custom role, a team and a pending invitation. */
  async function populatedOrganization(label: string): Promise<Tenant> {
    const suffix = uniqueSuffix();
    const domain = uniqueDomain(`isolation-${label}`);
    const organization = await createOrganization(t.dataSource, {
      name: `Isolation ${label} ${suffix}`,
      slug: `isolation-${label}-${suffix}`,
    });
    const names = (role: string) => [
      `${label}${role}first${suffix}`,
      `${label}${role}last${suffix}`,
    ];
    const person = (role: string, roles: string[]) =>
      createMember(t.server, t.dataSource, organization.id, roles, {
        email: uniqueEmail(`${label}-${role}`, domain),
        first_name: names(role)[0],
        last_name: names(role)[1],
      });
    const owner = await person('owner', ['owner']);
    const member = await person('member', ['member']);
    const call = () => request(t.server);

    const role = await call()
      .post(`${API}/roles`)
      .set(as(owner))
      .send({
        key: `${label}-role-${suffix}`,
        name: `${label} Role ${suffix}`,
        description: `${label} role description ${suffix}`,
        permissions: ['members:read', 'teams:read'],
      })
      .expect(201);
    await call()
      .post(`${API}/members/${member.userId}/roles/${role.body.key}`)
      .set(as(owner))
      .expect(200);
    const team = await call()
      .post(`${API}/teams`)
      .set(as(owner))
      .send({ name: `${label} Team ${suffix}`, description: `${label} team about ${suffix}` })
      .expect(201);
    await call()
      .post(`${API}/teams/${team.body.id}/members`)
      .set(as(owner))
      .send({ user_id: member.userId, role: 'maintainer' })
      .expect(201);
    const invitation = await call()
      .post(`${API}/invitations`)
      .set(as(owner))
      .send({
        email: uniqueEmail(`${label}-invitee`, domain),
        roles: [role.body.key],
        team_ids: [team.body.id],
      })
      .expect(201);
    const connection = await call()
      .post(`${API}/sso/connections`)
      .set(as(owner))
      .send({
        name: `${label} IdP ${suffix}`,
        protocol: 'oidc',
        domains: [`sso-${domain}`],
        oidc: {
          issuer: `https://${label}-${suffix}.idp.example.com`,
          client_id: `${label}-client-${suffix}`,
          client_secret: `${label}-secret-${suffix}`,
        },
      })
      .expect(201);

    return {
      owner,
      values: {
        organization: organization.id,
        user: member.userId,
        team: team.body.id,
        role: role.body.id,
        roleKey: role.body.key,
        invitation: invitation.body.id,
        token: invitation.body.token,
        email: member.email,
        session: sessionOf(member.token),
        ssoConnection: connection.body.id,
      },
      secrets: [
        organization.id,
        organization.name,
        organization.slug,
        ...[owner, member].flatMap((user) => [user.userId, user.email]),
        ...['owner', 'member'].flatMap((role) => names(role)),
        team.body.id,
        team.body.name,
        team.body.slug,
        team.body.description,
        role.body.id,
        role.body.key,
        role.body.name,
        role.body.description,
        invitation.body.id,
        invitation.body.email,
        invitation.body.token,
        sessionOf(member.token),
        domain,
        connection.body.id,
        connection.body.name,
        `${label}-client-${suffix}`,
        `${label}-secret-${suffix}`,
      ],
    };
  }

  /** Every row of A the walk could touch, as JSON. */
  async function snapshot(organizationId: string): Promise<unknown> {
    const [row] = await t.dataSource.query<Array<{ snapshot: unknown }>>(
      `SELECT json_build_object(
         'organization', (SELECT row_to_json(o) FROM organizations o WHERE o.id = $1),
         'users', (SELECT json_agg(u ORDER BY u.id) FROM users u
                   WHERE u.id IN (SELECT user_id FROM memberships WHERE organization_id = $1)),
         'memberships', (SELECT json_agg(m ORDER BY m.id) FROM memberships m
                         WHERE m.organization_id = $1),
         'roles', (SELECT json_agg(r ORDER BY r.id) FROM roles r WHERE r.organization_id = $1),
         'teams', (SELECT json_agg(tm ORDER BY tm.id) FROM teams tm WHERE tm.organization_id = $1),
         'team_members', (SELECT json_agg(x ORDER BY x.team_id, x.user_id) FROM team_members x
                          WHERE x.team_id IN (SELECT id FROM teams WHERE organization_id = $1)),
         'invitations', (SELECT json_agg(i ORDER BY i.id) FROM invitations i
                         WHERE i.organization_id = $1),
         'sessions', (SELECT json_agg(s ORDER BY s.id) FROM sessions s
                      WHERE s.organization_id = $1),
         'sso_connections', (SELECT json_agg(c ORDER BY c.id) FROM sso_connections c
                             WHERE c.organization_id = $1),
         'sso_connection_domains', (SELECT json_agg(d ORDER BY d.domain)
                                    FROM sso_connection_domains d JOIN sso_connections c
                                      ON c.id = d.connection_id WHERE c.organization_id = $1),
         'audit_events', (SELECT count(*) FROM audit_events e WHERE e.organization_id = $1)
       ) AS snapshot`,
      [organizationId],
    );

    return row.snapshot;
  }

  /** Calls a case as B's owner; A's values in its foreign slots, or `replace`'s. */
  async function send(walk: WalkCase, replace?: (kind: Kind) => string): Promise<Answer> {
    const values = new Map(
      walk.foreign.map((slot) => [slot, replace ? replace(slot.kind) : a.values[slot.kind]]),
    );
    const valueOf = (slot: Slot) => values.get(slot);
    const own = (slot: Slot) => b.values[slot.kind];

    let path = walk.operation.path;
    for (const slot of walk.shape.path) {
      path = path.replace(`{${slot.name}}`, encodeURIComponent(valueOf(slot) ?? own(slot)));
    }
    const query: Record<string, unknown> = { ...walk.shape.requiredQuery };
    for (const slot of walk.shape.query) {
      const value = valueOf(slot);
      if (value !== undefined) query[slot.name] = value;
    }
    let body: Record<string, unknown> | undefined;
    if (walk.shape.plainBody) {
      body = { ...walk.shape.plainBody };
      for (const slot of walk.shape.body) {
        const value = valueOf(slot) ?? (walk.shape.requiredBody.has(slot.name) ? own(slot) : null);
        if (value !== null) body[slot.name] = slot.array ? [value] : value;
      }
    }

    const agent = request(t.server);
    const methods = {
      GET: agent.get.bind(agent),
      POST: agent.post.bind(agent),
      PUT: agent.put.bind(agent),
      PATCH: agent.patch.bind(agent),
      DELETE: agent.delete.bind(agent),
    } as Record<string, (url: string) => request.Test>;
    let call = methods[walk.operation.method](path).set(as(b.owner)).query(query);
    if (body) call = call.send(body);
    const response = await call.buffer(true).parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });
    const text = String(response.body);
    let code: string | undefined;
    if (/^application\/(problem\+)?json/.test(String(response.headers['content-type']))) {
      code = (JSON.parse(text) as { code?: string }).code;
    }

    for (const value of values.values()) sentByB.add(value);

    return { status: response.status, code, text, sent: [...values.values()] };
  }

  const isPlatformAdminOnly = (item: WalkCase) => item.route.policy?.kind === 'platform_admin';

  const readsAuditLog = ({ route: { policy } }: WalkCase) =>
    policy?.kind === 'permission' && policy.permission.startsWith('audit:');

  /**
   * What of A's the answer carries, if anything. Values the request itself carried may come
   * back in an error's detail: that discloses nothing, and the twin test below checks that such
   * an answer reads the same for a value that exists nowhere. B's audit log records what B's
   * owner attempted, ids of A that the walk sent included (a denied switch to A's organization
   * names it as the target), so reads of the audit log may show values B sent before.
   */
  const leaksOf = (item: WalkCase, answer: Answer) =>
    a.secrets
      .filter((secret) => !answer.sent.includes(secret))
      .filter((secret) => !(readsAuditLog(item) && sentByB.has(secret)))
      .filter((secret) => answer.text.toLowerCase().includes(secret.toLowerCase()));

  /** The answer with the values it was sent and its request id blanked out. */
  const normalized = (answer: Answer) => {
    let text = answer.text.replace(/"request_id":"[^"]*"/, '"request_id":""');
    for (const value of answer.sent) text = text.split(value).join('<sent>');

    return text;
  };

  /** Runs the cases of some styles, and reports those whose answer is not `expected`. */
  async function walk(
    styles: Array<WalkCase['style']>,
    expected: (walk: WalkCase, answer: Answer) => boolean,
  ): Promise<string[]> {
    const failures: string[] = [];
    for (const item of cases.filter((c) => styles.includes(c.style))) {
      const answer = await send(item);
      const leaks = leaksOf(item, answer);
      if (!expected(item, answer) || leaks.length > 0 || answer.status >= 500) {
        const leaked = leaks.length > 0 ? `, leaks ${leaks.join(', ')}` : '';
        failures.push(`${item.label}: ${answer.status} ${answer.code ?? ''}${leaked}`);
      }
    }

    return failures;
  }

  beforeAll(async () => {
    t = await startTestApp();
    document = await fetchOpenApiDocument(t);
    routes = controllerRoutes(t.app);
    a = await populatedOrganization('alpha');
    b = await populatedOrganization('bravo');
    cases = operationsOf(document)
      .filter((operation) => !(`${operation.method} ${operation.path}` in NOT_WALKED))
      .flatMap((operation) => {
        const route = routeOfOperation(routes, operation, API_PREFIX);
        if (!route) throw new Error(`${operation.method} ${operation.path} has no route`);

        return casesOf(document, operation, route);
      });
    snapshotOfA = await snapshot(a.values.organization);
  });

  afterAll(async () => {
    await t.close();
  });

  it('walks every documented operation that is not on the short list of exemptions', () => {
    const names = operationsOf(document).map((op) => `${op.method} ${op.path}`);
    const walked = new Set(cases.map((item) => `${item.operation.method} ${item.operation.path}`));

    expect(names.filter((name) => !walked.has(name) && !(name in NOT_WALKED))).toEqual([]);
    expect(Object.keys(NOT_WALKED).filter((name) => !names.includes(name))).toEqual([]);
    expect(walked.size).toBeGreaterThanOrEqual(35);
    const platformAdminOnly = cases
      .filter(isPlatformAdminOnly)
      .map((item) => `${item.operation.method} ${item.operation.path}`);
    expect(platformAdminOnly).toEqual(
      expect.arrayContaining([
        `POST /${API_PREFIX}/organizations`,
        `GET /${API_PREFIX}/organizations`,
        `DELETE /${API_PREFIX}/organizations/{id}`,
      ]),
    );
  });

  it("answers 404 for A's ids in the path, and 403 on platform-admin routes", async () => {
    const failures = await walk(['path'], (item, answer) =>
      isPlatformAdminOnly(item) ? answer.status === 403 : answer.status === 404,
    );

    expect(failures).toEqual([]);
  });

  it("refuses with a 4xx a reference to A's resource from B's own resources", async () => {
    const failures = await walk(['reference'], (item, answer) =>
      isPlatformAdminOnly(item)
        ? answer.status === 403
        : answer.status >= 400 && answer.status < 500,
    );

    expect(failures).toEqual([]);
  });

  it("returns none of A's data from B's lists filtered by A's values", async () => {
    const failures = await walk(['filter'], (item, answer) =>
      isPlatformAdminOnly(item) ? answer.status === 403 : answer.status < 500,
    );

    expect(failures).toEqual([]);
  });

  it("answers A's ids exactly as ids that exist nowhere", async () => {
    const differences: string[] = [];
    // An invitation token is a secret, not an id: its holder may learn that it is valid (the
    // accept route tells a wrong email from an unknown token). The walk above checks that
    // such an answer carries nothing of A.
    const comparable = cases.filter(
      (item) => item.style !== 'filter' && item.foreign.every((slot) => slot.kind !== 'token'),
    );
    for (const item of comparable) {
      const ofA = await send(item);
      const ofNobody = await send(item, unknownValue);
      if (ofA.status !== ofNobody.status || normalized(ofA) !== normalized(ofNobody)) {
        differences.push(`${item.label}: ${ofA.text} for A, ${ofNobody.text} for none`);
      }
    }

    expect(differences).toEqual([]);
  });

  describe('after the walk', () => {
    it('leaves every row of A as it was', async () => {
      expect(await snapshot(a.values.organization)).toEqual(snapshotOfA);
    });

    it("still has A's members, custom role, team and invitation", async () => {
      const [counts] = await t.dataSource.query<Array<Record<string, number>>>(
        `SELECT
           (SELECT count(*) FROM memberships WHERE organization_id = $1 AND status = 'active')::int
             AS members,
           (SELECT count(*) FROM roles WHERE organization_id = $1)::int AS roles,
           (SELECT count(*) FROM teams WHERE organization_id = $1 AND deleted_at IS NULL)::int
             AS teams,
           (SELECT count(*) FROM team_members
            WHERE team_id IN (SELECT id FROM teams WHERE organization_id = $1))::int
             AS team_members,
           (SELECT count(*) FROM invitations
            WHERE organization_id = $1 AND revoked_at IS NULL AND accepted_at IS NULL)::int
             AS pending_invitations`,
        [a.values.organization],
      );

      expect(counts).toEqual({
        members: 2,
        roles: 1,
        teams: 1,
        team_members: 1,
        pending_invitations: 1,
      });
    });

    it("verifies A's audit chain as intact for A's owner", async () => {
      const response = await request(t.server)
        .get(`${API}/audit/verify`)
        .set(as(a.owner))
        .expect(200);

      expect(response.body).toMatchObject({ valid: true, first_invalid: null });
      expect(response.body.checked).toBeGreaterThan(0);
    });
  });
});
