import type { Config } from 'jest';
// Node loads this file with its type stripping, which wants the extension.
import base from './jest.config.ts';

/**
 * `npm run test:resilience`: fault-injection tests against the built service (`dist/`) run as
 * processes, on a PostgreSQL and a Redis of their own that the tests stop, restart and kill.
 * One file at a time: each drives load on a 2-core machine and times the service's answers.
 */
const config: Config = {
  ...base,
  testRegex: 'test/resilience/.*\\.resilience-spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  setupFiles: [],
  maxWorkers: 1,
  testTimeout: 180_000,
};

export default config;
