/**
 * Faults in where results go: a missing output folder (created), a read-only one, a full disk,
 * and the files a run left behind: a truncated CSV, a corrupt run.json, and `figures` options.
 * The read-only and full-disk cases mount a small tmpfs (root only; unmounted after each case);
 * without root they use a folder without write permission, and the full disk is covered by the
 * simulated one of src/runner/run-state.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../src/testing/fixtures.js';
import { manifestOf, privedge } from './cli-process.js';

const root = process.getuid?.() === 0;
let tmp: { dir: string; cleanup: () => Promise<void> };
const mounted: string[] = [];
beforeAll(async () => {
  tmp = await tempDir('privedge-faults-');
});
afterEach(() => {
  while (mounted.length > 0) execFileSync('umount', [mounted.pop()!]);
});
afterAll(async () => tmp.cleanup());

/** Mounts a tmpfs of `size` (e.g. `300k`) at a new folder, unmounted after the case. */
async function tmpfs(name: string, options: string): Promise<string> {
  const dir = join(tmp.dir, name);
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

const SUMMARY = `seed: 1\ndataset: { source: { type: mnist }, users: { classes: ['0', '1', '4'], maxImagesPerUser: 20 }, cache: { enabled: false } }\nexperiments: [dataset-summary]\n`;
let config = '';
beforeAll(async () => {
  config = join(tmp.dir, 'summary.yaml');
  await writeFile(config, SUMMARY);
});

async function onlyRunFolder(out: string): Promise<string> {
  const ids = await readdir(join(out, 'dataset-summary'));
  expect(ids).toHaveLength(1);
  return join(out, 'dataset-summary', ids[0]!);
}

describe('output folders', () => {
  it('a missing output folder is created', async () => {
    const out = join(tmp.dir, 'not', 'yet', 'there');
    const r = await privedge(['run', config, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^completed dataset-summary/);
    expect(await manifestOf(await onlyRunFolder(out))).toMatchObject({ status: 'completed' });
    expect((await readdir(await onlyRunFolder(out))).filter((f) => f.includes('.tmp-') || f.endsWith('.reserve'))).toEqual([]);
  });

  it('a read-only output folder: one line naming the run folder, nothing written', async () => {
    const ro = root ? await tmpfs('ro', 'size=64k,ro') : join(tmp.dir, 'ro');
    if (!root) {
      await mkdir(ro);
      await chmod(ro, 0o555);
    }
    const out = join(ro, 'results');
    const r = await privedge(['run', config, '--out', out, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.message).toMatch(new RegExp(`^error: ${out}/dataset-summary/\\w+: cannot create the run folder \\(E\\w+: .*\\); is ${out} writable\\? \\(--out or output.dir\\)$`));
    expect(existsSync(out)).toBe(false);
  });

  it.runIf(root)('a full disk: the message names the file and the run folder, and run.json still ends failed', async () => {
    // 300 KiB: the config, run.json and the 256 KiB reserve fit; the samples and charts do not.
    const out = join(await tmpfs('full', 'size=300k'), 'results');
    const r = await privedge(['run', config, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(1);
    const dir = await onlyRunFolder(out);
    expect(r.message).toMatch(new RegExp(`^error: ${dir}/[\\w.]+: cannot write: no space left on device \\(ENOSPC\\); run folder ${dir} marked failed$`));
    const m = await manifestOf(dir);
    expect(m['status']).toBe('failed');
    expect(String(m['error'])).toMatch(/cannot write: no space left on device \(ENOSPC\)$/);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-') || f.endsWith('.reserve'))).toEqual([]);
  });
});

describe('files a run left behind', () => {
  let dir = '';
  let out = '';
  beforeAll(async () => {
    out = join(tmp.dir, 'done');
    const r = await privedge(['run', config, '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    dir = await onlyRunFolder(out);
  });

  it('figures --scale -1: a usage error naming the option (exit 2), no chart file touched', async () => {
    const before = await Promise.all(['pixel_stats.vl.json', 'pixel_stats.svg', 'pixel_stats.png'].map((f) => readFile(join(dir, f))));
    const r = await privedge(['figures', dir, '--scale', '-1']);
    expect(r.code).toBe(2);
    expect(r.message).toBe('error: --scale: expected a number > 0 and <= 8, got "-1"');
    const after = await Promise.all(['pixel_stats.vl.json', 'pixel_stats.svg', 'pixel_stats.png'].map((f) => readFile(join(dir, f))));
    expect(after.map((b, i) => b.equals(before[i]!))).toEqual([true, true, true]);
  });

  it('a truncated but well-formed CSV: figures warns, naming the file and what it lacks', async () => {
    const csv = join(dir, 'images_per_user.csv');
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    await writeFile(csv, `${lines.slice(0, 2).join('\n')}\n`);
    const r = await privedge(['figures', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.message).toBe(`warning: ${csv}: 1 rows, run.json records ${lines.length - 1} (truncated?): its charts are drawn without them`);
    await writeFile(csv, `${lines.join('\n')}\n`);
  });

  it('a corrupt run.json: report and figures name it', async () => {
    const copy = join(tmp.dir, 'corrupt', 'run');
    await mkdir(copy, { recursive: true });
    await writeFile(join(copy, 'run.json'), '{"experiment": "dataset-summary", ');
    for (const command of [['report', copy], ['figures', copy]]) {
      const r = await privedge(command);
      expect(r.code, command[0]).toBe(1);
      expect(r.message, command[0]).toMatch(new RegExp(`^error: ${join(copy, 'run.json')}: corrupt run manifest: `));
    }
  });
});
