// Builds dist/ when a source file is newer than the last build, so `npm start` and the
// migration scripts always run current code. In a production image (no dev dependencies,
// dist/ already built) it does nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const marker = 'dist/apps/auth-service/src/main.js';
const sources = ['apps', 'libs', 'migrations', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
const stale = built === 0 || sources.some((source) => newestMtime(source) > built);
const canBuild = existsSync('node_modules/@nestjs/cli');

if (stale && canBuild) {
  try {
    execFileSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build'], {
      stdio: 'inherit',
    });
  } catch {
    console.error('The build failed (see above).');
    process.exit(1);
  }
} else if (built === 0) {
  console.error('dist/ is missing and the build tools are not installed: run `npm ci` first.');
  process.exit(1);
}
