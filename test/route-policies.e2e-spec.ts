import { Controller, Get, Post } from '@nestjs/common';
import { Authenticated, Public } from '@app/common';
import { METRICS_PATH } from '@app/observability';
import { API_PREFIX, DOCS_PATH } from '../apps/auth-service/src/app.setup';
import {
  ControllerRoute,
  DocumentedOperation,
  controllerRoutes,
  fetchOpenApiDocument,
  operationsOf,
  routeOfOperation,
  routesOf,
  routesWithoutAccess,
} from './support/routes';
import { TestApp, startTestApp } from './support/test-app';

/** The shape of Express 5's router layers this test reads. */
interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every `METHOD path` Express serves from a route of its own (not middleware). The prefix's
 * catch-all fallback answers every method and is left out; so is a trailing slash.
 */
function mountedRoutes(t: TestApp): Set<string> {
  const stack = (t.app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } })
    .router.stack;
  const mounted = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    const methods = Object.keys(layer.route.methods);
    if (methods.length !== 1) continue;
    const path = layer.route.path.length > 1 ? layer.route.path.replace(/\/$/, '') : '/';
    mounted.add(`${methods[0].toUpperCase()} ${path}`);
  }

  return mounted;
}

const describeRoute = (route: ControllerRoute) => `${route.method} ${route.path}`;
const describeOperation = (operation: DocumentedOperation) =>
  `${operation.method} ${operation.path}`;

describe('route access policies', () => {
  let t: TestApp;
  let routes: ControllerRoute[];
  let operations: DocumentedOperation[];

  const policyOf = (method: string, path: string) =>
    routes.find((route) => route.method === method && route.path === path);

  beforeAll(async () => {
    t = await startTestApp();
    routes = controllerRoutes(t.app);
    operations = operationsOf(await fetchOpenApiDocument(t));
  });

  afterAll(async () => {
    await t.close();
  });

  describe('discovery', () => {
    it('finds the routes of every feature controller', () => {
      expect(routes.length).toBeGreaterThanOrEqual(40);
      const controllers = new Set(routes.map((route) => route.handler.split('.')[0]));
      expect([...controllers].sort()).toEqual(
        expect.arrayContaining([
          'AuditController',
          'AuthController',
          'HealthController',
          'InvitationsController',
          'MembersController',
          'OrganizationsController',
          'RolesController',
          'TeamsController',
        ]),
      );
    });

    it.each([
      ['POST', 'auth/login', { isPublic: true, policy: undefined }],
      ['GET', 'health', { isPublic: true, policy: undefined }],
      ['GET', 'auth/me', { isPublic: false, policy: { kind: 'authenticated' } }],
      [
        'GET',
        'members',
        {
          isPublic: false,
          policy: expect.objectContaining({ kind: 'permission', permission: 'members:read' }),
        },
      ],
      [
        'PUT',
        'members/:user_id/roles',
        {
          isPublic: false,
          policy: expect.objectContaining({
            permission: 'members:update',
            alternatives: ['roles:assign'],
          }),
        },
      ],
      ['DELETE', 'organizations/:id', { isPublic: false, policy: { kind: 'platform_admin' } }],
    ])('reads the declared access of %s %s', (method, path, expected) => {
      expect(policyOf(method, path)).toMatchObject(expected);
    });

    it('flags a handler that declares no access, and accepts one whose class is public', () => {
      @Controller('probe')
      class UndeclaredController {
        @Get()
        read(): void {}

        @Authenticated()
        @Post()
        write(): void {}
      }
      @Public()
      @Controller('open-probe')
      class PublicController {
        @Get()
        read(): void {}
      }

      expect(routesWithoutAccess(routesOf(UndeclaredController))).toEqual([
        'GET probe (UndeclaredController.read)',
      ]);
      expect(routesWithoutAccess(routesOf(PublicController))).toEqual([]);
    });
  });

  it('gives every route either @Public() or an access policy', () => {
    expect(routesWithoutAccess(routes)).toEqual([]);
  });

  it('never marks a route both public and guarded by a policy', () => {
    const both = routes.filter((route) => route.isPublic && route.policy !== undefined);

    expect(both.map(describeRoute)).toEqual([]);
  });

  it('mounts in Express only controller routes, the OpenAPI document and /metrics', () => {
    const known = new Set(
      routes.flatMap((route) => [
        `${route.method} /${API_PREFIX}/${route.path}`,
        `${route.method} /${route.path}`,
      ]),
    );
    const docs = `/${DOCS_PATH}`;
    const mounted = mountedRoutes(t);
    expect(mounted).toContain(`POST /${API_PREFIX}/auth/login`);
    expect(mounted).toContain('GET /health');

    const unknown = [...mounted].filter((entry) => {
      const path = entry.slice(entry.indexOf(' ') + 1);
      if (path === docs || path.startsWith(`${docs}/`) || path.startsWith(`${docs}-`)) {
        return false;
      }
      // The Prometheus scrape: public by design, outside the API and its guards.
      if (entry === `GET ${METRICS_PATH}`) return false;

      return !known.has(entry);
    });

    expect(unknown).toEqual([]);
  });

  it('documents every controller route in the OpenAPI document', () => {
    const documented = new Set(
      operations.map((operation) => routeOfOperation(routes, operation, API_PREFIX)),
    );

    expect(routes.filter((route) => !documented.has(route)).map(describeRoute)).toEqual([]);
  });

  it('documents no operation that no controller route serves', () => {
    const orphans = operations.filter(
      (operation) => routeOfOperation(routes, operation, API_PREFIX) === undefined,
    );

    expect(orphans.map(describeOperation)).toEqual([]);
  });

  it('documents a bearer requirement and a 401 on every operation that is not public', () => {
    const undocumented = operations
      .filter((operation) => !routeOfOperation(routes, operation, API_PREFIX)?.isPublic)
      .filter(
        ({ operation }) =>
          !(operation.security ?? []).some((requirement) => 'bearer' in requirement) ||
          operation.responses['401'] === undefined,
      );

    expect(undocumented.map(describeOperation)).toEqual([]);
  });

  it('documents no bearer requirement on public operations', () => {
    const misleading = operations
      .filter((operation) => routeOfOperation(routes, operation, API_PREFIX)?.isPublic)
      .filter(({ operation }) => (operation.security ?? []).length > 0);

    expect(misleading.map(describeOperation)).toEqual([]);
  });
});
