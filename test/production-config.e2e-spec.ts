import { join } from 'node:path';
import { ROOT, buildIfStale, runNode } from './support/built-app';

const SERVICE = join(ROOT, 'dist/apps/auth-service/src/main.js');
const SECRET = 'short-secret-VALUE';

describe('the built service started with ENVIRONMENT=production', () => {
  beforeAll(async () => {
    await buildIfStale();
  }, 300_000);

  const start = (env: Record<string, string>) =>
    runNode(SERVICE, [], { ENVIRONMENT: 'production', ...env }, ROOT);

  it('refuses to start with only a short JWT_SECRET_KEY, naming every problem', async () => {
    const result = await start({ JWT_SECRET_KEY: SECRET });

    expect(result.code).toBe(1);
    for (const problem of [
      'POSTGRES_HOST is required',
      'POSTGRES_PASSWORD is required',
      'REDIS_HOST is required',
      'REDIS_PASSWORD is required',
      'CORS_ORIGINS is required',
      'JWT_SECRET_KEY must be at least 64 characters',
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(result.stderr).toContain('The service did not start.');
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('names unsafe and invalid values without printing any secret', async () => {
    const secrets = {
      JWT_SECRET_KEY: SECRET,
      POSTGRES_PASSWORD: 'postgres-secret-VALUE',
      REDIS_PASSWORD: 'redis-secret-VALUE',
      ADMIN_PASSWORD: 'admin-secret-VALUE',
    };
    const result = await start({
      ...secrets,
      POSTGRES_HOST: '127.0.0.1',
      REDIS_HOST: '127.0.0.1',
      CORS_ORIGINS: '*',
      PASSWORD_MIN_LENGTH: '8',
      PORT: 'abc',
    });

    expect(result.code).toBe(1);
    for (const name of ['CORS_ORIGINS', 'PASSWORD_MIN_LENGTH', 'PORT', 'JWT_SECRET_KEY']) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toContain('POSTGRES_HOST is required');
    for (const value of Object.values(secrets)) {
      expect(result.stderr).not.toContain(value);
      expect(result.stdout).not.toContain(value);
    }
  });
});
