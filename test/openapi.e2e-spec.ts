import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchOpenApiDocument, lintOpenApiFile } from './support/openapi';
import { TestApp, startTestApp } from './support/test-app';

interface Operation {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: object }>;
}

interface Document {
  security: unknown;
  paths: Record<string, Record<string, Operation>>;
}

const PUBLIC_OPERATIONS = [
  'GET /.well-known/jwks.json',
  'GET /api/v1/enterprise/sso/oidc/{id}/callback',
  'GET /api/v1/enterprise/sso/oidc/{id}/login',
  'GET /api/v1/enterprise/sso/saml/{id}/login',
  'GET /api/v1/enterprise/sso/saml/{id}/metadata',
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'POST /api/v1/enterprise/auth/email/resend',
  'POST /api/v1/enterprise/auth/email/verify',
  'POST /api/v1/enterprise/auth/login',
  'POST /api/v1/enterprise/auth/mfa/verify',
  'POST /api/v1/enterprise/auth/password/forgot',
  'POST /api/v1/enterprise/auth/password/reset',
  'POST /api/v1/enterprise/auth/refresh',
  'POST /api/v1/enterprise/auth/register',
  'POST /api/v1/enterprise/auth/sso/exchange',
  'POST /api/v1/enterprise/sso/discover',
  'POST /api/v1/enterprise/sso/saml/{id}/acs',
];

describe('OpenAPI document', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp();
    dir = await mkdtemp(join(tmpdir(), 'fm-openapi-'));
  });

  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes Redocly's recommended rules without an error or a warning", async () => {
    const file = join(dir, 'openapi.json');
    await writeFile(file, await fetchOpenApiDocument(t));

    await expect(lintOpenApiFile(file)).resolves.toEqual([]);
  });

  it('asks for the bearer token everywhere except on the public routes', async () => {
    const document = JSON.parse(await fetchOpenApiDocument(t)) as Document;
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        security: operation.security,
      })),
    );

    expect(document.security).toEqual([{ bearer: [] }]);
    expect(
      operations
        .filter((operation) => operation.security?.length === 0)
        .map((operation) => operation.name)
        .sort(),
    ).toEqual(PUBLIC_OPERATIONS);
    for (const operation of operations.filter((each) => each.security?.length !== 0)) {
      expect({ [operation.name]: operation.security ?? [{ bearer: [] }] }).toEqual({
        [operation.name]: [{ bearer: [] }],
      });
    }
  });

  it('types every numeric query parameter as an integer with the bounds the server enforces', async () => {
    const document = JSON.parse(await fetchOpenApiDocument(t)) as Document;
    const numeric = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) =>
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => ({
            name: `${method.toUpperCase()} ${path} ?${parameter.name}`,
            schema: parameter.schema as { type?: string; minimum?: number; maximum?: number },
          }))
          .filter(({ schema }) => schema.type === 'number' || schema.type === 'integer'),
      ),
    );
    const bounds = Object.fromEntries(
      numeric.map(({ name, schema }) => [
        name,
        { type: schema.type, minimum: schema.minimum, maximum: schema.maximum },
      ]),
    );

    expect(bounds).toMatchObject({
      'GET /api/v1/enterprise/members ?limit': { type: 'integer', minimum: 1, maximum: 100 },
      'GET /api/v1/enterprise/members ?offset': { type: 'integer', minimum: 0, maximum: 1_000_000 },
      'GET /api/v1/enterprise/teams ?offset': { type: 'integer', minimum: 0, maximum: 1_000_000 },
    });
    for (const { name, schema } of numeric) {
      expect({ [name]: schema }).toEqual({
        [name]: expect.objectContaining({
          type: 'integer',
          minimum: expect.any(Number),
          maximum: expect.any(Number),
        }),
      });
    }
  });

  it.each([
    ['teams', 100],
    ['members', 200],
    ['organizations', 200],
  ])('states the length limit of the %s search', async (listing, maxLength) => {
    const document = JSON.parse(await fetchOpenApiDocument(t)) as Document;
    const search = document.paths[`/api/v1/enterprise/${listing}`].get.parameters?.find(
      (parameter) => parameter.name === 'search',
    );

    expect(search?.schema).toMatchObject({ type: 'string', maxLength });
  });

  it('gives optional query filters no example, which "Try it out" would send', async () => {
    const document = JSON.parse(await fetchOpenApiDocument(t)) as Document;
    const prefilled = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) =>
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'query' && !parameter.required)
          .filter((parameter) => 'example' in parameter || 'example' in (parameter.schema ?? {}))
          .map((parameter) => `${method.toUpperCase()} ${path} ?${parameter.name}`),
      ),
    );

    expect(prefilled).toEqual([]);
  });
});
