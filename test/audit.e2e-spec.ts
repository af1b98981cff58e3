import Ajv from 'ajv';
import request from 'supertest';
import { AuditEvent, AuditService, hashAuditEvent, purgeAuditEvents } from '@app/audit';
import { API, RegisteredUser, createOrganization, login, registerUser } from './support/factories';
import { fetchOpenApiDocument } from './support/openapi';
import { TestApp, startTestApp } from './support/test-app';

interface EventBody {
  id: string;
  sequence: number;
  occurred_at: string;
  actor_user_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  details: Record<string, unknown>;
  [field: string]: unknown;
}

const CSV_COLUMNS = [
  'id',
  'sequence',
  'occurred_at',
  'actor_user_id',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'ip_address',
  'user_agent',
  'request_id',
  'details',
  'hash',
  'previous_hash',
];

/** RFC 4180 records, so the test reads the export as a spreadsheet would. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else {
      field += char;
    }
  }

  return records;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('audit log', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_AUDIT_LOGGING: 'true' });
  });

  afterAll(async () => {
    await t.close();
  });

  async function memberOf(organizationId: string, roles = ['member']) {
    const user = await registerUser(t.server, organizationId);
    await t.dataSource.query(
      'UPDATE memberships SET roles = $3 WHERE user_id = $1 AND organization_id = $2',
      [user.userId, organizationId, roles],
    );
    const tokens = await login(t.server, user);

    return { user, token: tokens.access_token };
  }

  async function newOrganizationWithAdmin() {
    const organizationId = (await createOrganization(t.dataSource)).id;
    const admin = await memberOf(organizationId, ['admin']);

    return { organizationId, admin };
  }

  function get(path: string, token: string) {
    return request(t.server).get(`${API}/audit/${path}`).set('Authorization', `Bearer ${token}`);
  }

  async function signInAndOut(user: RegisteredUser, times: number): Promise<void> {
    for (let i = 0; i < times; i += 1) {
      const tokens = await login(t.server, user);
      await request(t.server)
        .post(`${API}/auth/logout`)
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(204);
    }
  }

  /** Follows next_cursor to the end. */
  async function readAll(token: string, query: Record<string, string | number> = {}) {
    const events: EventBody[] = [];
    let cursor: string | null = null;
    do {
      const response = await get('events', token)
        .query({ ...query, limit: query.limit ?? 200, ...(cursor ? { cursor } : {}) })
        .expect(200);
      events.push(...(response.body.data as EventBody[]));
      cursor = response.body.next_cursor as string | null;
    } while (cursor);

    return events;
  }

  /** Runs SQL on audit_events past the append-only trigger, as an attacker with DB access. */
  async function tamper(sql: string, parameters: unknown[]): Promise<void> {
    await t.dataSource.transaction(async (manager) => {
      await manager.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      await manager.query(sql, parameters);
      await manager.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    });
  }

  async function sequenceRow(organizationId: string, sequence: number) {
    const [row] = await t.dataSource.query<{ id: string }[]>(
      'SELECT id FROM audit_events WHERE organization_id = $1 AND sequence = $2',
      [organizationId, sequence],
    );

    return row;
  }

  describe('querying', () => {
    let organizationId: string;
    let admin: { user: RegisteredUser; token: string };
    let member: { user: RegisteredUser; token: string };

    beforeAll(async () => {
      ({ organizationId, admin } = await newOrganizationWithAdmin());
      member = await memberOf(organizationId);
      await signInAndOut(member.user, 3);
      await request(t.server)
        .post(`${API}/auth/login`)
        .send({ email: member.user.email, password: 'wrong-password' })
        .expect(401);
    });

    it('pages through every event newest first, matching one large page', async () => {
      const all = (await get('events', admin.token).query({ limit: 200 }).expect(200)).body;
      expect(all.next_cursor).toBeNull();
      // 2 registrations, 2 + 3 logins, 3 logouts, 1 failed login
      expect(all.data).toHaveLength(11);

      const paged = await readAll(admin.token, { limit: 2 });
      expect(paged.map((event) => event.id)).toEqual(all.data.map((e: EventBody) => e.id));
      const sequences = paged.map((event) => event.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
      expect(sequences).toEqual(Array.from({ length: 11 }, (_, i) => 11 - i));
      expect(paged[0]).toEqual({
        id: expect.any(String),
        sequence: 11,
        occurred_at: expect.stringMatching(/Z$/),
        actor_user_id: member.user.userId,
        action: 'auth.login',
        target_type: null,
        target_id: null,
        outcome: 'failure',
        ip_address: expect.any(String),
        user_agent: null,
        request_id: expect.any(String),
        details: { method: 'password', reason: 'invalid_credentials' },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        previous_hash: paged[1].hash,
      });
    });

    it('filters by exact action and by action prefix', async () => {
      const logouts = await readAll(admin.token, { action: 'auth.logout' });
      expect(logouts).toHaveLength(3);
      expect(logouts.every((event) => event.action === 'auth.logout')).toBe(true);

      const auth = await readAll(admin.token, { action: 'auth.*' });
      expect(auth).toHaveLength(11);
      expect(await readAll(admin.token, { action: 'organization.*' })).toHaveLength(0);
    });

    it('filters by actor, target and outcome', async () => {
      const byMember = await readAll(admin.token, { actor_id: member.user.userId });
      expect(byMember).toHaveLength(9);
      expect(byMember.every((event) => event.actor_user_id === member.user.userId)).toBe(true);

      const failures = await readAll(admin.token, { outcome: 'failure' });
      expect(failures.map((event) => event.action)).toEqual(['auth.login']);

      const [login] = await readAll(admin.token, { action: 'auth.login', outcome: 'success' });
      const session = await readAll(admin.token, {
        target_type: 'session',
        target_id: login.target_id!,
      });
      expect(session.map((event) => event.action).sort()).toEqual(['auth.login', 'auth.logout']);

      expect(await readAll(admin.token, { target_type: 'user' })).toHaveLength(2);
    });

    it('filters by time range, from inclusive and to exclusive', async () => {
      const all = await readAll(admin.token);
      const middle = all[5];

      const from = await readAll(admin.token, { from: middle.occurred_at });
      expect(from.length).toBeGreaterThanOrEqual(6);
      expect(from.every((event) => event.occurred_at >= middle.occurred_at)).toBe(true);
      const to = await readAll(admin.token, { to: middle.occurred_at });
      expect(to.every((event) => event.occurred_at < middle.occurred_at)).toBe(true);
      expect(from.length + to.length).toBe(all.length);

      const none = await readAll(admin.token, { from: '2000-01-01', to: '2000-01-02' });
      expect(none).toEqual([]);
    });

    it.each([
      ['a garbled cursor', { cursor: 'definitely-not-a-cursor' }, 'AUDIT_INVALID_CURSOR'],
      ['a cursor that is not base64url', { cursor: 'a+b/c=' }, 'AUDIT_INVALID_CURSOR'],
      ['limit 0', { limit: 0 }, 'VALIDATION_FAILED'],
      ['limit 201', { limit: 201 }, 'VALIDATION_FAILED'],
      ['a non-numeric limit', { limit: 'ten' }, 'VALIDATION_FAILED'],
      ['a malformed action pattern', { action: 'auth.**' }, 'VALIDATION_FAILED'],
      ['a LIKE wildcard in action', { action: 'auth%' }, 'VALIDATION_FAILED'],
      ['an unknown outcome', { outcome: 'maybe' }, 'VALIDATION_FAILED'],
      ['a non-ISO from', { from: 'yesterday' }, 'VALIDATION_FAILED'],
      ['a time without offset', { to: '2025-01-01T00:00:00' }, 'VALIDATION_FAILED'],
      ['from after to', { from: '2025-02-01', to: '2025-01-01' }, 'AUDIT_INVALID_TIME_RANGE'],
      ['a non-UUID actor', { actor_id: 'me' }, 'VALIDATION_FAILED'],
      [
        'an unknown filter',
        { organization_id: '00000000-0000-4000-8000-000000000000' },
        'VALIDATION_FAILED',
      ],
    ])('answers 400 for %s', async (_label, query, code) => {
      const response = await get('events', admin.token).query(query).expect(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code });
    });

    it('answers 400 for a cursor that was valid base64url JSON of another shape', async () => {
      const cursor = Buffer.from(JSON.stringify({ v: 1, s: '-5' })).toString('base64url');
      const response = await get('events', admin.token).query({ cursor }).expect(400);
      expect(response.body.code).toBe('AUDIT_INVALID_CURSOR');
    });

    it('refuses members without the audit permissions and records the denial', async () => {
      for (const path of ['events', 'events/export?format=ndjson', 'verify']) {
        const response = await get(path, member.token).expect(403);
        expect(response.body.code).toBe('AUTH_PERMISSION_DENIED');
      }
      const denials = await readAll(admin.token, { action: 'authorization.denied' });
      expect(denials.map((event) => event.details.required).sort()).toEqual([
        'audit:export',
        'audit:read',
        'audit:verify',
      ]);
      await request(t.server).get(`${API}/audit/events`).expect(401);
    });

    it('grants exactly what a custom role holds', async () => {
      await t.dataSource.query(
        `INSERT INTO roles (organization_id, key, name, permissions)
         VALUES ($1, 'auditor', 'Auditor', '{audit:read}')`,
        [organizationId],
      );
      const auditor = await memberOf(organizationId, ['auditor']);
      await get('events', auditor.token).expect(200);
      await get('events/export?format=csv', auditor.token).expect(403);
      await get('verify', auditor.token).expect(403);
    });
  });

  describe('isolation between organizations', () => {
    it("never shows another organization's events, in listings, filters, export or verify", async () => {
      const a = await newOrganizationWithAdmin();
      const aMember = await memberOf(a.organizationId);
      await signInAndOut(aMember.user, 2);
      const b = await newOrganizationWithAdmin();

      const aEvents = await readAll(a.admin.token);
      const aIds = new Set(aEvents.map((event) => event.id));
      const bEvents = await readAll(b.admin.token);
      expect(bEvents.length).toBeGreaterThan(0);
      expect(bEvents.some((event) => aIds.has(event.id))).toBe(false);

      const filters: Record<string, string>[] = [
        { actor_id: aMember.user.userId },
        { actor_id: a.admin.user.userId },
        { target_id: aEvents.find((event) => event.target_id)!.target_id! },
        { target_type: 'session', action: 'auth.logout' },
      ];
      for (const query of filters) {
        expect(await readAll(b.admin.token, query)).toEqual([]);
      }

      // A cursor taken from A's listing only moves B's own position.
      const aPage = await get('events', a.admin.token).query({ limit: 1 }).expect(200);
      const bPage = await get('events', b.admin.token)
        .query({ cursor: aPage.body.next_cursor })
        .expect(200);
      expect(bPage.body.data.some((event: EventBody) => aIds.has(event.id))).toBe(false);

      const exported = await get('events/export?format=ndjson', b.admin.token).expect(200);
      const exportedIds = exported.text
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as EventBody).id);
      expect(exportedIds.some((id) => aIds.has(id))).toBe(false);

      const verify = await get('verify', b.admin.token).expect(200);
      expect(verify.body).toEqual({
        valid: true,
        checked: bEvents.length + 1,
        first_invalid: null,
      });
    });
  });

  describe('export', () => {
    let organizationId: string;
    let admin: { user: RegisteredUser; token: string };

    beforeAll(async () => {
      ({ organizationId, admin } = await newOrganizationWithAdmin());
      const member = await memberOf(organizationId);
      await signInAndOut(member.user, 2);
    });

    it('streams NDJSON, oldest first, that matches the query for the same range', async () => {
      const to = new Date(Date.now() + 1).toISOString();
      await sleep(5);
      const queried = await readAll(admin.token, { to });

      const response = await get('events/export', admin.token)
        .query({ format: 'ndjson', to })
        .expect(200);
      expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(
        /^attachment; filename="audit-events-.*\.ndjson"$/,
      );
      const lines = response.text.split('\n');
      expect(lines.pop()).toBe('');
      const exported = lines.map((line) => JSON.parse(line) as EventBody);
      expect(exported).toEqual([...queried].reverse());
    });

    it('streams CSV with a header row that parses back to the query results', async () => {
      const to = new Date(Date.now() + 1).toISOString();
      await sleep(5);
      const queried = await readAll(admin.token, { to });

      const response = await get('events/export', admin.token)
        .query({ format: 'csv', to })
        .expect(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(response.headers['content-disposition']).toMatch(/filename="audit-events-.*\.csv"/);

      const [header, ...rows] = parseCsv(response.text);
      expect(header).toEqual(CSV_COLUMNS);
      const expected = [...queried].reverse().map((event) =>
        CSV_COLUMNS.map((column) => {
          const value = event[column];
          if (value === null) return '';

          return typeof value === 'string' ? value : JSON.stringify(value);
        }),
      );
      expect(rows).toEqual(expected);
    });

    it('records each export with its format and time range', async () => {
      await get('events/export', admin.token)
        .query({ format: 'csv', from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' })
        .expect(200);

      const [exported] = await readAll(admin.token, { action: 'audit.exported', limit: 1 });
      expect(exported).toMatchObject({
        actor_user_id: admin.user.userId,
        target_type: 'audit_events',
        outcome: 'success',
        details: {
          format: 'csv',
          from: '2020-01-01T00:00:00.000Z',
          to: '2030-01-01T00:00:00.000Z',
        },
      });
    });

    it.each([
      ['an unknown format', { format: 'xml' }],
      ['no format', {}],
      ['a bad time', { format: 'csv', from: 'last week' }],
    ])('answers 400 for %s', async (_label, query) => {
      const response = await get('events/export', admin.token).query(query).expect(400);
      expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    });

    it('streams more events than one batch, and verify walks them all', async () => {
      const big = await newOrganizationWithAdmin();
      const audit = t.app.get(AuditService);
      const context = {
        actorUserId: big.admin.user.userId,
        organizationId: big.organizationId,
        ip: '198.51.100.1',
        userAgent: 'bulk, "quoted"\nagent',
        requestId: null,
      };
      await t.dataSource.transaction(async (manager) => {
        for (let i = 0; i < 1100; i += 1) {
          await audit.record(manager, context, {
            action: 'test.bulk',
            outcome: 'success',
            targetType: 'item',
            targetId: String(i),
            details: { index: i, note: 'a,b "c"' },
          });
        }
      });

      const response = await get('events/export?format=ndjson', big.admin.token).expect(200);
      const events = response.text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as EventBody);
      // register, login, 1100 bulk events, and the export itself
      expect(events).toHaveLength(1103);
      expect(events.map((event) => event.sequence)).toEqual(
        Array.from({ length: 1103 }, (_, i) => i + 1),
      );
      expect(events.at(-1)!.action).toBe('audit.exported');

      const verify = await get('verify', big.admin.token).expect(200);
      expect(verify.body).toEqual({ valid: true, checked: 1103, first_invalid: null });
    });
    it("keeps one unbroken chain when appends race, from the chain's very first event", async () => {
      const organizationId = (await createOrganization(t.dataSource)).id;
      const audit = t.app.get(AuditService);
      const context = {
        actorUserId: null,
        organizationId,
        ip: null,
        userAgent: null,
        requestId: null,
      };
      // Separate transactions at once on a chain that does not exist yet: the first ones race
      // to create its head, the rest queue on its lock.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.dataSource.transaction((manager) =>
            audit.record(manager, context, {
              action: 'test.race',
              outcome: 'success',
              targetId: String(i),
            }),
          ),
        ),
      );

      const admin = await memberOf(organizationId, ['admin']);
      const events = await readAll(admin.token, { action: 'test.race' });
      expect(events.map((event) => event.sequence).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      const verify = await get('verify', admin.token).expect(200);
      // the 12 races, then the admin's registration and login
      expect(verify.body).toEqual({ valid: true, checked: 14, first_invalid: null });
    });
  });

  describe('verification', () => {
    async function chainWithEvents() {
      const { organizationId, admin } = await newOrganizationWithAdmin();
      const member = await memberOf(organizationId);
      await signInAndOut(member.user, 2);
      // register, login (admin); register, login, 2 x (login, logout) (member)
      return { organizationId, admin, total: 8 };
    }

    it('reports an intact chain as valid', async () => {
      const { admin, total } = await chainWithEvents();

      const response = await get('verify', admin.token).expect(200);
      expect(response.body).toEqual({ valid: true, checked: total, first_invalid: null });
    });

    it('answers both outcomes in the form the OpenAPI document publishes', async () => {
      const { organizationId, admin } = await chainWithEvents();
      const intact = (await get('verify', admin.token).expect(200)).body as unknown;
      await tamper(`UPDATE audit_events SET details = '{}' WHERE id = $1`, [
        (await sequenceRow(organizationId, 2)).id,
      ]);
      const broken = (await get('verify', admin.token).expect(200)).body as unknown;
      // OpenAPI 3.0's `nullable` as Ajv reads it: it adds null only beside a `type`.
      const { components } = JSON.parse(await fetchOpenApiDocument(t)) as { components: object };
      const ajv = new Ajv({ strict: false, validateFormats: false });
      ajv.addSchema({ $id: 'openapi', components });
      const valid = ajv.compile({ $ref: 'openapi#/components/schemas/AuditVerificationDto' });

      for (const body of [intact, broken]) {
        expect({ body, valid: valid(body), errors: valid.errors }).toEqual({
          body,
          valid: true,
          errors: null,
        });
      }
    });

    it('names the event whose row was changed in the database', async () => {
      const { organizationId, admin } = await chainWithEvents();
      const target = await sequenceRow(organizationId, 4);
      await tamper(`UPDATE audit_events SET details = '{"method":"sso"}' WHERE id = $1`, [
        target.id,
      ]);

      const response = await get('verify', admin.token).expect(200);
      expect(response.body).toEqual({
        valid: false,
        checked: 4,
        first_invalid: {
          sequence: 4,
          event_id: target.id,
          reason: 'hash mismatch: the event was altered',
        },
      });
    });

    it('names an event altered with a recomputed hash through the broken link', async () => {
      const { organizationId, admin } = await chainWithEvents();
      const target = await t.dataSource
        .getRepository(AuditEvent)
        .findOneByOrFail({ organizationId, sequence: '3' });
      const forged = { ...target, details: { method: 'forged' } };
      await tamper('UPDATE audit_events SET details = $2, hash = $3 WHERE id = $1', [
        target.id,
        forged.details,
        hashAuditEvent(forged),
      ]);

      const response = await get('verify', admin.token).expect(200);
      // The forged event checks out on its own; the next one's link exposes it.
      expect(response.body).toEqual({
        valid: false,
        checked: 4,
        first_invalid: {
          sequence: 3,
          event_id: target.id,
          reason:
            'hash link broken: event 4 does not point to this event; it was altered or replaced',
        },
      });
    });

    it('reports removed events as a gap', async () => {
      const { organizationId, admin } = await chainWithEvents();
      const after = await sequenceRow(organizationId, 6);
      await tamper('DELETE FROM audit_events WHERE organization_id = $1 AND sequence IN (4, 5)', [
        organizationId,
      ]);

      const response = await get('verify', admin.token).expect(200);
      expect(response.body).toEqual({
        valid: false,
        checked: 4,
        first_invalid: {
          sequence: 6,
          event_id: after.id,
          reason: 'sequence gap: events 4..5 were removed',
        },
      });
    });

    it('reports the newest events removed as a missing chain end', async () => {
      const { organizationId, admin, total } = await chainWithEvents();
      await tamper('DELETE FROM audit_events WHERE organization_id = $1 AND sequence >= $2', [
        organizationId,
        total - 1,
      ]);

      const response = await get('verify', admin.token).expect(200);
      expect(response.body).toEqual({
        valid: false,
        checked: total - 2,
        first_invalid: {
          sequence: total - 1,
          event_id: null,
          reason: `chain end missing: events ${total - 1}..${total} were removed`,
        },
      });
    });

    it('refuses a plain UPDATE or DELETE of an audit row', async () => {
      const { organizationId } = await chainWithEvents();
      const target = await sequenceRow(organizationId, 1);

      await expect(
        t.dataSource.query(`UPDATE audit_events SET action = 'x' WHERE id = $1`, [target.id]),
      ).rejects.toThrow(/append-only/);
      await expect(
        t.dataSource.query('DELETE FROM audit_events WHERE id = $1', [target.id]),
      ).rejects.toThrow(/append-only/);
      // Even the purge setting does not allow an UPDATE.
      await expect(
        t.dataSource.transaction(async (manager) => {
          await manager.query(`SET LOCAL faultmaven.audit_purge = 'on'`);
          await manager.query(`UPDATE audit_events SET action = 'x' WHERE id = $1`, [target.id]);
        }),
      ).rejects.toThrow(/append-only/);
      expect(await sequenceRow(organizationId, 1)).toEqual(target);
    });
  });

  describe('retention purge', () => {
    it('removes the oldest events and leaves a chain that still verifies', async () => {
      const { organizationId, admin } = await newOrganizationWithAdmin();
      const member = await memberOf(organizationId);
      await signInAndOut(member.user, 1);
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      await signInAndOut(member.user, 2);
      const before = await readAll(admin.token);
      // register + login (admin), register + login + login + logout (member)
      const old = before.filter((event) => new Date(event.occurred_at) < cutoff);
      expect(old.map((event) => event.sequence).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);

      const [result] = await purgeAuditEvents(t.dataSource, {
        cutoff,
        organizationIds: [organizationId],
      });
      expect(result).toEqual({ organizationId, removed: 6, anchorSequence: '6' });

      const after = await readAll(admin.token);
      expect(after.map((event) => event.id)).toEqual(
        before.filter((event) => event.sequence > 6).map((event) => event.id),
      );
      const [head] = await t.dataSource.query<{ anchor_sequence: string; anchor_hash: string }[]>(
        'SELECT anchor_sequence, anchor_hash FROM audit_chain_heads WHERE organization_id = $1',
        [organizationId],
      );
      expect(head).toEqual({
        anchor_sequence: '6',
        anchor_hash: before.find((event) => event.sequence === 6)!.hash,
      });

      const verify = await get('verify', admin.token).expect(200);
      expect(verify.body).toEqual({ valid: true, checked: after.length, first_invalid: null });

      // A second purge has nothing left to remove; new events extend the chain as before.
      const [again] = await purgeAuditEvents(t.dataSource, {
        cutoff,
        organizationIds: [organizationId],
      });
      expect(again.removed).toBe(0);
      await signInAndOut(member.user, 1);
      const later = await get('verify', admin.token).expect(200);
      expect(later.body).toMatchObject({ valid: true, first_invalid: null });
    });

    it('can remove a whole chain and still verify', async () => {
      const { organizationId, admin } = await newOrganizationWithAdmin();
      const [result] = await purgeAuditEvents(t.dataSource, {
        cutoff: new Date(Date.now() + 60_000),
        organizationIds: [organizationId],
      });
      expect(result).toEqual({ organizationId, removed: 2, anchorSequence: '2' });

      const verify = await get('verify', admin.token).expect(200);
      // The verify call itself was not audited, so nothing remains after the anchor.
      expect(verify.body).toEqual({ valid: true, checked: 0, first_invalid: null });
    });

    it('leaves a chain alone when the events it would remove were tampered with', async () => {
      const { organizationId, admin } = await newOrganizationWithAdmin();
      const member = await memberOf(organizationId);
      await signInAndOut(member.user, 1);
      const target = await sequenceRow(organizationId, 2);
      await tamper(`UPDATE audit_events SET outcome = 'failure' WHERE id = $1`, [target.id]);

      const [result] = await purgeAuditEvents(t.dataSource, {
        cutoff: new Date(Date.now() + 60_000),
        organizationIds: [organizationId],
      });
      expect(result).toEqual({
        organizationId,
        removed: 0,
        anchorSequence: '0',
        skippedReason: 'event 2: hash mismatch: the event was altered',
      });
      const verify = await get('verify', admin.token).expect(200);
      expect(verify.body.first_invalid).toMatchObject({ sequence: 2, event_id: target.id });
    });
  });

  it('documents the audit routes in the OpenAPI document', async () => {
    const document = await request(t.server).get('/enterprise/docs-json').expect(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        `${API}/audit/events`,
        `${API}/audit/events/export`,
        `${API}/audit/verify`,
      ]),
    );
  });
});

describe('audit log with ENABLE_AUDIT_LOGGING=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_AUDIT_LOGGING: 'false' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers 404 on the audit routes, leaves them out of OpenAPI and records nothing', async () => {
    const organizationId = (await createOrganization(t.dataSource)).id;
    const user = await registerUser(t.server, organizationId);
    await t.dataSource.query('UPDATE memberships SET roles = $2 WHERE user_id = $1', [
      user.userId,
      ['owner'],
    ]);
    const { access_token: token } = await login(t.server, user);

    for (const path of ['events', 'events/export?format=csv', 'verify']) {
      const response = await request(t.server)
        .get(`${API}/audit/${path}`)
        .set('Authorization', `Bearer ${token}`)
        .expect(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }

    const document = await request(t.server).get('/enterprise/docs-json').expect(200);
    expect(Object.keys(document.body.paths).filter((path) => path.includes('/audit'))).toEqual([]);
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM audit_events WHERE organization_id = $1',
      [organizationId],
    );
    expect(count).toBe('0');
  });
});
