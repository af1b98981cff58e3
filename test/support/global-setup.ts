import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * With a real PostgreSQL (POSTGRES_HOST set), creates an empty database for this run (the apps
 * the tests boot migrate it, as `npm start` does); with Redis (REDIS_HOST set), picks a key
 * prefix for this run. Runs never share state. Workers inherit the variables set here.
 * Jest loads this file outside its module mapper, so it imports no `@app/*` alias.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  process.env.FM_TEST_RUN_ID = runId;

  if (process.env.REDIS_HOST) {
    process.env.REDIS_KEY_PREFIX = `fm-auth-test:${runId}:`;
  }
  if (!process.env.POSTGRES_HOST) return;

  const database = `fm_auth_test_${runId}`;
  const admin = new Client({
    host: process.env.POSTGRES_HOST,
    port: Number(process.env.POSTGRES_PORT ?? 5432),
    user: process.env.POSTGRES_USER ?? 'postgres',
    password: process.env.POSTGRES_PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  process.env.POSTGRES_DB = database;
  process.env.FM_TEST_CREATED_DATABASE = database;
}
