import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import {
  CONFIG_VARIABLES,
  ROOT,
  SECRET_VARIABLES,
  parseYamlDocuments,
  readText,
} from './support/manifests';

/**
 * The Compose Specification's own JSON schema (compose-spec/compose-spec, schema/compose-spec.json),
 * as the maintained dclint package ships it. It is draft-07, Ajv's default dialect; its `$schema`
 * spells the draft's URL in a form Ajv does not know, so it is dropped.
 */
const COMPOSE_SCHEMA = JSON.parse(
  readFileSync(join(ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'),
) as Record<string, unknown>;
delete COMPOSE_SCHEMA.$schema;

interface Service {
  image?: string;
  build?: unknown;
  env_file?: string | string[];
  ports?: string[];
  command?: string[];
  container_name?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  restart?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const [compose] = parseYamlDocuments(
  readText('docker-compose.production.yml'),
  'docker-compose.production.yml',
) as ComposeFile[];
const validate = new Ajv({ allErrors: true, strict: false }).compile(COMPOSE_SCHEMA);

describe('docker-compose.production.yml', () => {
  it('validates against the Compose Specification schema', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('rejects a broken file, so the validation above is real', () => {
    const broken = structuredClone(compose);
    (broken.services.postgres as Record<string, unknown>).depends_on = {
      redis: { condition: 'service_ready' },
    };

    expect(validate(broken)).toBe(false);
  });

  it("has the guide's services, container name, env file and port", () => {
    const { services } = compose;

    expect(Object.keys(services).sort()).toEqual(['auth-service', 'migrate', 'postgres', 'redis']);
    expect(services['auth-service']).toMatchObject({
      image: 'faultmaven/fm-auth-service-enterprise:latest',
      container_name: 'fm-auth-service',
      env_file: '.env.production',
      ports: ['8000:8000'],
    });
  });

  it('runs PostgreSQL 15 and Redis 7 with passwords and persistent volumes', () => {
    const { postgres, redis } = compose.services;

    expect(postgres.image).toMatch(/^postgres:15\b/);
    expect(redis.image).toMatch(/^redis:7\b/);
    expect(postgres.env_file).toBe('.env.production');
    expect(redis.command?.join(' ')).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('starts the service only after healthy stores and a successful migration', () => {
    const { migrate, postgres, redis } = compose.services;
    const service = compose.services['auth-service'];

    expect(postgres.healthcheck?.test?.join(' ')).toContain('pg_isready');
    expect(redis.healthcheck?.test?.join(' ')).toContain('redis-cli ping');
    expect(migrate.command).toEqual(['node', 'dist/apps/cli/src/main.js', 'migration:run']);
    expect(migrate.image).toBe(service.image);
    expect(service.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    expect(service.healthcheck?.test?.join(' ')).toContain('/health/live');
  });
});

/** Variables of an env file: set (`NAME=`) or left at their default (`# NAME=`). */
function envFileVariables(text: string) {
  const lines = text.split('\n');

  return lines.flatMap((line, index) => {
    const match = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) return [];

    return [{ name: match[2], value: match[3], set: !match[1], comment: lines[index - 1] }];
  });
}

describe('.env.production.example', () => {
  const variables = envFileVariables(readText('.env.production.example'));
  const names = variables.map((variable) => variable.name);

  it('lists exactly the variables the config reads, each once', () => {
    expect([...names].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('explains every variable in a comment above it', () => {
    for (const variable of variables) {
      expect(`${variable.name}: ${variable.comment}`).toMatch(/^[A-Z0-9_]+: # \S/);
    }
  });

  it('holds placeholders, never real secrets', () => {
    const secrets = variables.filter((variable) => SECRET_VARIABLES.has(variable.name));

    expect(secrets.length).toBeGreaterThan(5);
    for (const variable of secrets) {
      // Set ones are <PLACEHOLDERS>; the rest are commented out and empty.
      expect(`${variable.name}=${variable.value}`).toMatch(variable.set ? /=<[^>]+>$/ : /=$/);
    }
  });

  it("sets the guide's critical variables for the compose network", () => {
    const set = Object.fromEntries(
      variables
        .filter((variable) => variable.set)
        .map((variable) => [variable.name, variable.value]),
    );

    expect(set).toMatchObject({
      ENVIRONMENT: 'production',
      POSTGRES_HOST: 'postgres',
      REDIS_HOST: 'redis',
      CORS_ORIGINS: expect.stringMatching(/^https:\/\//),
    });
    for (const name of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET_KEY']) {
      expect(set[name]).toBeDefined();
    }
  });
});
