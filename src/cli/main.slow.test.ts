import { existsSync } from 'node:fs';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, tempDir } from '../testing/fixtures.js';
import { runCli } from '../testing/cli.js';

function capture(): { io: Parameters<typeof runCli>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } },
    out: () => out,
    err: () => err,
  };
}

describe('privedge command line', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('runs the smoke config end to end: completed run folder with CSV, spec, SVG and PNG', async () => {
    const c = capture();
    const out = join(tmp.dir, 'results');
    // The dataset part of the smoke config (the identification part is tested in experiments/).
    const code = await runCli(['run', join(projectRoot, 'configs/smoke.yaml'), '--out', out, '--set', `dataset.cache.dir=${join(tmp.dir, 'cache')}`, '--set', 'experiments=[dataset-summary]', '--quiet'], c.io);
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const [runId] = await readdir(join(out, 'dataset-summary'));
    const dir = join(out, 'dataset-summary', runId!);
    const manifest = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'));
    expect(manifest.status).toBe('completed');
    expect(manifest.seed).toBe(42);
    expect(manifest.versions['@tensorflow/tfjs']).toBe('4.22.0');
    expect(manifest.facts.dataset.enrolledUsers).toBe(9);
    for (const f of ['config.resolved.yaml', 'images_per_user.csv', 'images_per_user.vl.json', 'images_per_user.svg', 'images_per_user.png', 'pixel_stats.csv', 'samples.png']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
      expect(manifest.files).toContain(f);
    }
    const csv = (await readFile(join(dir, 'images_per_user.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('user,role,split,splitOrder,images,sampleBiased');
    // 200 images per digit: 40 test, 160 training of which 16 validation.
    expect(csv.slice(1, 4)).toEqual(['0,enrolled,train,0,144,false', '0,enrolled,validation,1,16,false', '0,enrolled,test,2,40,false']);
    expect(c.out()).toContain('completed');

    // figures: rebuilt from the CSV files alone, equal to the original spec.
    const spec = await readFile(join(dir, 'images_per_user.vl.json'), 'utf8');
    await rm(join(dir, 'images_per_user.svg'));
    const f = capture();
    expect(await runCli(['figures', out, '--quiet'], f.io)).toBe(0);
    expect(await readFile(join(dir, 'images_per_user.vl.json'), 'utf8')).toBe(spec);
    expect((await stat(join(dir, 'images_per_user.svg'))).size).toBeGreaterThan(1000);
    expect(f.out()).toContain('2 chart(s)');
  });

  it('marks a failing run failed, prints one error line naming the culprit and exits 1', async () => {
    const cfg = join(tmp.dir, 'bad.yaml');
    await writeFile(cfg, 'dataset: { source: { type: folder, root: /nonexistent/faces } }\nexperiments: [dataset-summary]\n');
    const c = capture();
    const out = join(tmp.dir, 'bad-results');
    expect(await runCli(['run', cfg, '--out', out, '--quiet'], c.io)).toBe(1);
    expect(c.err()).toBe('error: /nonexistent/faces: dataset root folder not found\n');
    const [runId] = await readdir(join(out, 'dataset-summary'));
    const manifest = JSON.parse(await readFile(join(out, 'dataset-summary', runId!, 'run.json'), 'utf8'));
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toContain('/nonexistent/faces');
    const v = capture();
    await runCli(['run', cfg, '--out', out, '--quiet', '--verbose'], v.io);
    expect(v.err()).toContain('    at ');
  });

  it('rejects an unknown config key before creating any run folder', async () => {
    const cfg = join(tmp.dir, 'typo.yaml');
    await writeFile(cfg, 'seeed: 3\nexperiments: [dataset-summary]\n');
    const c = capture();
    const out = join(tmp.dir, 'typo-results');
    expect(await runCli(['run', cfg, '--out', out], c.io)).toBe(1);
    expect(c.err()).toBe(`error: ${cfg}: seeed: unknown key (did you mean "seed"?); valid keys here: name, description, seed, backend, dataset, training, experiments, output\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('prints help for every command and exits 2 on wrong usage', async () => {
    for (const args of [['--help'], ['run', '--help'], ['train', '--help'], ['datasets', 'inspect', '--help'], ['datasets', 'tile', '--help'], ['figures', '--help'], ['config', '--help']]) {
      const c = capture();
      const logs: string[] = [];
      const original = console.log;
      console.log = (...a: unknown[]) => void logs.push(a.join(' '));
      try {
        expect(await runCli(args, c.io)).toBe(0);
      } finally {
        console.log = original;
      }
      expect(logs.join('\n')).toContain('privedge');
    }
    const c = capture();
    expect(await runCli(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toContain('error: Unknown argument: frobnicate');
    expect(await runCli([], capture().io)).toBe(2);
  });

  it('inspects a dataset config and prints the resolved config', async () => {
    const c = capture();
    const smoke = join(projectRoot, 'configs/smoke.yaml');
    expect(await runCli(['datasets', 'inspect', smoke, '--quiet', '--set', `dataset.cache.dir=${join(tmp.dir, 'cache')}`], c.io)).toBe(0);
    expect(c.out()).toContain('users          9 enrolled, 1 non-private (held out), 0 dropped');
    expect(c.out()).toContain('splits         train 1296, validation 144, test 360, non-private 200');
    const r = capture();
    expect(await runCli(['config', smoke, '--set', 'seed=9'], r.io)).toBe(0);
    expect(r.out()).toContain('seed: 9');
    expect(r.out()).toContain('kernel: lanczos3');
  });
});
