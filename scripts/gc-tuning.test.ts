import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A child process allocates 3,000 buffers of 1 MB (the external-memory pressure of a private
// query, in miniature) and counts V8's garbage collections by kind; with preferThroughputGc()
// called first, no incremental marking step may appear, and without it some must (so the
// workload does exercise incremental marking).
const moduleUrl = pathToFileURL(join(import.meta.dirname, 'lib', 'gc-tuning.mjs')).href;
const script = (tune: boolean): string => `
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { preferThroughputGc } from ${JSON.stringify(moduleUrl)};
if (${String(tune)}) preferThroughputGc();
let incremental = 0;
let major = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) incremental++;
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
  }
});
observer.observe({ entryTypes: ['gc'] });
const live = [];
for (let i = 0; i < 3000; i++) {
  live.push({ words: new BigUint64Array(1 << 17).fill(BigInt(i)), objects: Array.from({ length: 100 }, (_, j) => ({ i, j })) });
  if (live.length > 20) live.shift();
}
await new Promise((resolve) => setTimeout(resolve, 100));
observer.disconnect();
console.log(JSON.stringify({ incremental, major }));
`;

function collections(tune: boolean): { incremental: number; major: number } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(tune)], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { incremental: number; major: number };
}

describe('preferThroughputGc', () => {
  it('turns incremental marking off for the rest of the process: old-generation collections still run, in single pauses', () => {
    const before = collections(false);
    expect(before.incremental).toBeGreaterThan(0);
    const after = collections(true);
    expect(after.major).toBeGreaterThan(0);
    expect(after.incremental).toBe(0);
  }, 120_000);
});
