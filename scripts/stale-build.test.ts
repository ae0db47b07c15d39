import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../src/testing/fixtures.js';
// @ts-expect-error: a plain ES module of the build scripts, without type declarations.
import { STAMP, newestSource, staleBuildWarning } from './lib/stale-build.mjs';

describe('stale dist/ warning', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const at = (path: string, seconds: number): void => utimesSync(path, seconds, seconds);
  const file = (rel: string, seconds: number): string => {
    const path = join(tmp.dir, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    at(path, seconds);
    return path;
  };
  beforeEach(async () => {
    tmp = await tempDir('privedge-stale-');
  });
  afterEach(async () => tmp.cleanup());

  it('names the newest non-test source changed after the build stamp', () => {
    file('src/a.ts', 1000);
    file('experiments/shared/b.ts', 3000);
    file('experiments/shared/b.test.ts', 9000);
    file('src/readme.md', 9000);
    expect(newestSource(tmp.dir)).toEqual({ path: join(tmp.dir, 'experiments/shared/b.ts'), mtimeMs: 3_000_000 });
    file(STAMP, 2000);
    expect(staleBuildWarning(tmp.dir)).toBe('warning: dist/ is older than experiments/shared/b.ts (changed after the last build): privedge runs the compiled dist/, so run `npm run build` first');
    at(join(tmp.dir, STAMP), 3000);
    expect(staleBuildWarning(tmp.dir)).toBeUndefined();
  });

  it('says nothing without a stamp or without sources (an installed copy)', () => {
    file('src/a.ts', 5000);
    expect(staleBuildWarning(tmp.dir)).toBeUndefined();
    const other = join(tmp.dir, 'installed');
    mkdirSync(join(other, 'dist'), { recursive: true });
    writeFileSync(join(other, STAMP), '');
    expect(staleBuildWarning(other)).toBeUndefined();
  });
});
