import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

describe('the unit tier without isolation (vitest.config.ts)', () => {
  it('lists every unit test file that replaces or re-imports modules (vi.mock, vi.doMock, vi.resetModules), so that it runs isolated', () => {
    const config = readFileSync(join(root, 'vitest.config.ts'), 'utf8');
    const listed = [...(config.match(/const mocking = \[([^\]]*)\]/)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const mocking = ['src', 'experiments', 'scripts']
      .flatMap((dir) => testFiles(join(root, dir)))
      .filter((file) => !file.endsWith('.slow.test.ts') && /\bvi\.(mock|doMock|resetModules)\(/.test(readFileSync(join(root, file), 'utf8')))
      .sort();
    expect(mocking.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual(mocking);
  });
});
