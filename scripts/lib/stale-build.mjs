// Is dist/ older than the TypeScript it was compiled from? bin/privedge.js runs dist/, so a source
// change without `npm run build` would otherwise run the old code silently. The build writes
// dist/.build-stamp last (`node scripts/lib/stale-build.mjs --stamp`); the launcher compares it
// with the newest non-test .ts file under src/ and experiments/ (a few hundred stat calls, ~ms).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The stamp the build writes after compiling. */
export const STAMP = join('dist', '.build-stamp');

/** The newest `.ts` source (tests excluded) under `dirs` of `root`: its path and mtime, or undefined. */
export function newestSource(root, dirs = ['src', 'experiments']) {
  let newest;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const mtimeMs = statSync(path).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
      }
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

/**
 * The warning to print when `root`'s dist/ was built before its newest source changed, else
 * undefined (also when there is no source tree or no stamp: nothing to compare).
 */
export function staleBuildWarning(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(join(root, 'src')) || !existsSync(stamp)) return undefined;
  const built = statSync(stamp).mtimeMs;
  const newest = newestSource(root);
  if (!newest || newest.mtimeMs <= built) return undefined;
  return `warning: dist/ is older than ${relative(root, newest.path)} (changed after the last build): privedge runs the compiled dist/, so run \`npm run build\` first`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--stamp') {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
}
