import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { loadAppConfig } from '@app/config';
import { resolveSigningKey } from './signing-key';

describe('resolveSigningKey', () => {
  let dataDir: string;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fm-auth-signing-key-'));
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uses JWT_SECRET_KEY when set, and writes nothing', () => {
    const config = loadAppConfig({ JWT_SECRET_KEY: 'configured-secret', DATA_DIR: dataDir });

    expect(resolveSigningKey(config)).toBe('configured-secret');
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });

  it('generates a key once, keeps it readable only by its owner, and reuses it', () => {
    const folder = join(dataDir, 'not-yet-created');
    const config = loadAppConfig({ DATA_DIR: folder });

    const first = resolveSigningKey(config);
    const second = resolveSigningKey(config);

    const path = join(folder, 'jwt-secret');
    expect(first).toMatch(/^[0-9a-f]{128}$/);
    expect(second).toBe(first);
    expect(readFileSync(path, 'utf8')).toBe(first);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(first);
  });

  it('reads a key kept from an earlier run, ignoring surrounding whitespace', () => {
    writeFileSync(join(dataDir, 'jwt-secret'), 'kept-from-last-run\n', { mode: 0o600 });

    expect(resolveSigningKey(loadAppConfig({ DATA_DIR: dataDir }))).toBe('kept-from-last-run');
  });

  it('generates a fresh key each time with DATA_DIR=memory, and writes nothing', () => {
    const config = loadAppConfig({ DATA_DIR: 'memory' });

    const first = resolveSigningKey(config);

    expect(first).toMatch(/^[0-9a-f]{128}$/);
    expect(resolveSigningKey(config)).not.toBe(first);
    expect(existsSync('memory')).toBe(false);
  });
});
