import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');

/** Git-, lint- and format-ignored home of the clients the tests generate. */
const GENERATED_DIR = join(ROOT, 'test/.generated');

export interface GeneratedClient {
  /** The folder of this client and its OpenAPI input; remove it when done. */
  folder: string;
  /** The SDK functions and types, to import. */
  entry: string;
  /** The `client` the SDK functions use unless given another, to point at a server. */
  clientEntry: string;
}

/**
 * Generates a TypeScript fetch client (types and SDK functions) from an OpenAPI document with
 * @hey-api/openapi-ts into a new folder under test/.generated. The generator is ESM-only, so
 * it runs in a child process on this Node.js. Its imports get no file extension (the project's
 * `nodenext` would make them `.js`), so Jest resolves the generated `.ts` files as they are.
 */
export async function generateApiClient(document: string): Promise<GeneratedClient> {
  await mkdir(GENERATED_DIR, { recursive: true });
  const folder = await mkdtemp(join(GENERATED_DIR, 'client-'));
  const input = join(folder, 'openapi.json');
  await writeFile(input, document);
  const config = {
    input,
    output: { path: join(folder, 'sdk'), module: { extension: null }, tsConfigPath: null },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
    logs: { level: 'silent', file: false },
  };
  const script =
    "import { createClient } from '@hey-api/openapi-ts';\n" +
    `await createClient(${JSON.stringify(config)});\n`;
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
  });

  return {
    folder,
    entry: join(folder, 'sdk/index.ts'),
    clientEntry: join(folder, 'sdk/client.gen.ts'),
  };
}
