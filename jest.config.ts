import type { Config } from 'jest';

const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const libs = [
  'audit',
  'auth',
  'cache',
  'common',
  'config',
  'crypto',
  'database',
  'health',
  'mail',
  'observability',
  'organizations',
  'sso',
  'teams',
  'users',
];

/**
 * One suite: unit tests beside the code (`*.spec.ts`) and e2e tests under `test/`
 * (`*.e2e-spec.ts`) that boot the real app. With POSTGRES_HOST and REDIS_HOST set they run on
 * those servers in a database and key prefix of their own; without, on embedded PostgreSQL and
 * the in-memory store.
 */
const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  // test/resilience/ is `npm run test:resilience` (jest.resilience.config.ts).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/resilience/'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((lib) => [`^@app/${lib}$`, `<rootDir>/libs/${lib}/src`])),
    '^@app/migrations$': '<rootDir>/migrations',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/test-env.ts'],
  // Generous: the suite boots many apps, and a loaded 2-core machine can take its time.
  testTimeout: 60_000,
  collectCoverageFrom: ['apps/**/*.ts', 'libs/**/*.ts', '!**/*.spec.ts', '!**/index.ts'],
};

export default config;
