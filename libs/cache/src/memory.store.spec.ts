import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from './memory.store';

describe('MemoryStore with a persist path', () => {
  let folder: string;
  let path: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'fm-store-'));
    path = join(folder, 'nested', 'store.json');
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps revocations across a restart', async () => {
    const first = new MemoryStore({ persistPath: path });
    await first.set('revoked:jti:a', '1', 60);
    await first.setIfAbsent('once:b', 'x', 60);
    await first.close();

    const second = new MemoryStore({ persistPath: path });
    await expect(second.getMany(['revoked:jti:a', 'once:b'])).resolves.toEqual(['1', 'x']);
    await second.close();
  });

  it('saves each set at once, before any close, readable only by its owner', async () => {
    const store = new MemoryStore({ persistPath: path });
    await store.set('revoked:sid:s', '1', 60);

    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveProperty(['revoked:sid:s', 'value'], '1');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('forgets deleted and expired keys on reload', async () => {
    const first = new MemoryStore({ persistPath: path });
    await first.set('gone', '1', 60);
    await first.set('short', '1', 0.05);
    await first.delete('gone');
    await new Promise((resolve) => setTimeout(resolve, 80));
    await first.close();

    const second = new MemoryStore({ persistPath: path });
    await expect(second.getMany(['gone', 'short'])).resolves.toEqual([null, null]);
    await second.close();
  });

  it('starts empty from a damaged file instead of failing', async () => {
    const first = new MemoryStore({ persistPath: path });
    await first.set('k', 'v', 60);
    await first.close();
    writeFileSync(path, '{not json');

    const second = new MemoryStore({ persistPath: path });
    await expect(second.get('k')).resolves.toBeNull();
    await second.close();
  });
});
