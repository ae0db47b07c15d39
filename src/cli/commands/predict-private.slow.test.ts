import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentRegistry, experiments } from '../../../experiments/index.js';
import { parseConfigText } from '../../config/load.js';
import { parseCsvText } from '../../report/csv.js';
import { runConfig } from '../../runner/run-config.js';
import { tempDir, tinyIdentificationYaml } from '../../testing/fixtures.js';
import { runCli } from '../../testing/cli.js';

const yaml = tinyIdentificationYaml(2);

function capture(): { write(text: string): boolean; text: () => string } {
  let out = '';
  return { write: (t: string) => ((out += t), true), text: () => out };
}

describe('privedge predict-private', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let runDir: string;
  beforeAll(async () => {
    tmp = await tempDir();
    const loaded = parseConfigText(yaml, 'ident.yaml', { experiments });
    const [outcome] = await runConfig(loaded, { registry: experimentRegistry, outDir: tmp.dir });
    expect(outcome!.status).toBe('completed');
    runDir = outcome!.dir;
  });
  afterAll(async () => tmp.cleanup());

  it('replays the first K test images privately and reports agreement with the plaintext labels and dissimilarities', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(['predict-private', '--run', runDir, '--queries', '3', '--order', 'first', '--quiet'], { stdout, stderr });
    expect(stderr.text()).toBe('');
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/private labels equal plaintext labels for [0-3] of 3 queries \(\d+\.\d\d %\)/);
    const rows = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    expect(rows).toHaveLength(3);
    const predictions = parseCsvText(await readFile(join(runDir, 'predictions.csv'), 'utf8')).filter((r) => r['system'] === 'privedge');
    rows.forEach((r, q) => {
      expect(r['image']).toBe(predictions[q]!['image']);
      expect(r['plaintextPredicted']).toBe(predictions[q]!['predicted']);
      expect(r['agree']).toBe(r['plaintextPredicted'] === r['privatePredicted']);
      expect(r['rounds']).toBeGreaterThan(0);
      expect(r['onlineBytes']).toBeGreaterThan(0);
      // A tiny gf 2 model at FIXED20: the dissimilarities are within 1e-4 of TF.js's.
      expect(r['maxDissimilarityError']).toBeLessThan(1e-4);
      expect(r['plaintextMargin']).toBeGreaterThanOrEqual(0);
    });
    const agreed = rows.filter((r) => r['agree'] === true).length;
    expect(stdout.text()).toContain(`for ${agreed} of 3 queries`);
    expect(stdout.text()).toMatch(/suspected truncation failures \(error > 0\.01\): 0/);
    const layers = parseCsvText(await readFile(join(runDir, 'private_cost_layers.csv'), 'utf8'));
    expect(layers.map((l) => l['layer'])).toContain('reconstruction/tanh');
    // The per-layer rounds add up to the per-query rounds (debug reveals excluded).
    const debugRounds = layers.filter((l) => String(l['layer']).startsWith('debug')).reduce((a, l) => a + Number(l['rounds']), 0);
    const layerRounds = layers.reduce((a, l) => a + Number(l['rounds']), 0) - debugRounds;
    expect(layerRounds).toBeCloseTo(Number(rows[0]!['rounds']), 6);
  });

  it('--validate reveals every layer and reports its error against the plaintext layer', async () => {
    const stdout = capture();
    const code = await runCli(['predict-private', '--run', runDir, '--queries', '1', '--validate', '--quiet'], { stdout, stderr: capture() });
    expect(code).toBe(0);
    const rows = parseCsvText(await readFile(join(runDir, 'private_validation.csv'), 'utf8'));
    const steps = rows.map((r) => String(r['step']));
    expect(steps).toEqual(expect.arrayContaining(['down0_lrelu', 'down0_norm', 'up4_conv/relu', 'up4_norm', 'reconstruction/tanh']));
    for (const r of rows) expect(Number(r['maxAbsError'])).toBeLessThan(1e-3);
    expect(stdout.text()).toContain('per-layer max |private - plaintext|');
  });

  it('--shard i/n splits the picked images, --merge writes the merged files and summary', async () => {
    const run = (args: string[]) => runCli(['predict-private', '--run', runDir, '--queries', '4', '--order', 'first', '--quiet', ...args], { stdout: capture(), stderr: capture() });
    expect(await run(['--shard', '1/2'])).toBe(0);
    expect(await run(['--shard', '0/2'])).toBe(0);
    // Merge failures (a missing shard or layer file), --partial and its usage error: predict-private.test.ts, on synthetic shards.
    const shard = async (i: number) => parseCsvText(await readFile(join(runDir, `private_predictions.shard-${i}-of-2.csv`), 'utf8'));
    const [s0, s1] = [await shard(0), await shard(1)];
    expect([s0.length, s1.length]).toEqual([2, 2]);
    const predictions = parseCsvText(await readFile(join(runDir, 'predictions.csv'), 'utf8')).filter((r) => r['system'] === 'privedge');
    // Every other image of the first 4, starting at the shard's index.
    expect(s0.map((r) => r['image'])).toEqual([predictions[0]!['image'], predictions[2]!['image']]);
    expect(s1.map((r) => r['image'])).toEqual([predictions[1]!['image'], predictions[3]!['image']]);

    const stdout = capture();
    expect(await runCli(['predict-private', '--run', runDir, '--merge', '--quiet'], { stdout, stderr: capture() })).toBe(0);
    const merged = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    expect(merged).toEqual([...s0, ...s1]);
    const agreed = merged.filter((r) => r['agree'] === true).length;
    expect(stdout.text()).toContain(`private labels equal plaintext labels for ${agreed} of 4 queries`);
    const maxErr = Math.max(...merged.map((r) => Number(r['maxDissimilarityError'])));
    expect(stdout.text()).toContain(`max |dissimilarity error| ${maxErr.toExponential(2)}`);
    // Layer costs: the mean per query over both shards (2 queries each, so the plain mean).
    const layers = async (name: string) => parseCsvText(await readFile(join(runDir, name), 'utf8'));
    const [l0, l1, lm] = [await layers('private_cost_layers.shard-0-of-2.csv'), await layers('private_cost_layers.shard-1-of-2.csv'), await layers('private_cost_layers.csv')];
    lm.forEach((row, j) => {
      expect(row['layer']).toBe(l0[j]!['layer']);
      expect(Number(row['onlineBytesS0'])).toBeCloseTo((Number(l0[j]!['onlineBytesS0']) + Number(l1[j]!['onlineBytesS0'])) / 2, 6);
      expect(Number(row['seconds'])).toBeCloseTo((Number(l0[j]!['seconds']) + Number(l1[j]!['seconds'])) / 2, 9);
    });
  });

  it('records each query in a partial file as it completes; --resume keeps those rows and runs only the rest', async () => {
    const partial = join(runDir, 'private_predictions.partial.csv');
    const args = ['predict-private', '--run', runDir, '--queries', '3', '--order', 'first', '--quiet'];
    expect(await runCli(args, { stdout: capture(), stderr: capture() })).toBe(0);
    const full = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    await expect(readFile(partial, 'utf8')).rejects.toThrow(); // removed once the final file is written

    // An interrupted run: the first query recorded (marked so a recomputation would show), the
    // second torn mid-line by the crash.
    const text = await readFile(join(runDir, 'private_predictions.csv'), 'utf8');
    const [header, first, second] = text.split('\n');
    const marked = first!.replace(/,[^,]*,[^,]*$/, ',123.5,0.25');
    await writeFile(partial, `${header}\n${marked}\n${second!.slice(0, 10)}`);
    const stdout = capture();
    expect(await runCli([...args, '--resume', '--log'], { stdout, stderr: capture() })).toBe(0);
    const resumed = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    expect(resumed.map((r) => r['image'])).toEqual(full.map((r) => r['image']));
    expect(resumed[0]).toMatchObject({ image: full[0]!['image'], onlineSeconds: 123.5, offlineSeconds: 0.25 });
    expect(resumed.slice(1).map((r) => r['plaintextPredicted'])).toEqual(full.slice(1).map((r) => r['plaintextPredicted']));
    // Only the two missing queries ran.
    expect(stdout.text().match(/^query /gm)).toHaveLength(2);
    expect(stdout.text()).toContain(`query 2/3 ${String(full[1]!['image'])}`);
    await expect(readFile(partial, 'utf8')).rejects.toThrow();

    // A partial file from other options is refused, naming it; without --resume it is replaced.
    await writeFile(partial, `${header}\n${marked.replace(String(full[0]!['image']), 'elsewhere.png')}\n`);
    const stderr = capture();
    expect(await runCli([...args, '--resume'], { stdout: capture(), stderr })).toBe(1);
    expect(stderr.text()).toContain(partial);
    expect(stderr.text()).toContain("'elsewhere.png' is not among this run's queries");
    expect(await runCli(args, { stdout: capture(), stderr: capture() })).toBe(0);
    await expect(readFile(partial, 'utf8')).rejects.toThrow();
  });

  it('--images queries the listed test images only (in test-set order) into .images files; unknown ids are refused', async () => {
    const predictions = parseCsvText(await readFile(join(runDir, 'predictions.csv'), 'utf8')).filter((r) => r['system'] === 'privedge');
    const list = join(tmp.dir, 'images.txt');
    await writeFile(list, `# two of them\n${String(predictions[3]!['image'])}\n\n${String(predictions[1]!['image'])}\n`);
    expect(await runCli(['predict-private', '--run', runDir, '--images', list, '--quiet'], { stdout: capture(), stderr: capture() })).toBe(0);
    const rows = parseCsvText(await readFile(join(runDir, 'private_predictions.images.csv'), 'utf8'));
    expect(rows.map((r) => r['image'])).toEqual([predictions[1]!['image'], predictions[3]!['image']]);
    await writeFile(list, 'not-a-test-image.png\n');
    const stderr = capture();
    expect(await runCli(['predict-private', '--run', runDir, '--images', list, '--quiet'], { stdout: capture(), stderr })).toBe(1);
    expect(stderr.text()).toContain(list);
    expect(stderr.text()).toContain("'not-a-test-image.png'");
    for (const [file, message] of [
      [join(tmp.dir, 'no-such-list.txt'), 'image list not found'],
      [list, 'the image list is empty'],
    ] as const) {
      if (file === list) await writeFile(list, '# nothing\n\n');
      const err = capture();
      expect(await runCli(['predict-private', '--run', runDir, '--images', file, '--quiet'], { stdout: capture(), stderr: err })).toBe(1);
      expect(err.text()).toContain(file);
      expect(err.text()).toContain(message);
    }
  });

  it('--order margin queries the K test images of smallest plaintext margin, smallest first', async () => {
    // The margins, computed here from dissimilarity.csv: second smallest minus smallest MSE per image.
    const byImage = new Map<string, number[]>();
    for (const r of parseCsvText(await readFile(join(runDir, 'dissimilarity.csv'), 'utf8'))) {
      const image = String(r['image']);
      byImage.set(image, [...(byImage.get(image) ?? []), Number(r['mse'])]);
    }
    const margins = [...byImage].map(([image, mse]) => {
      const [a, b] = [...mse].sort((x, y) => x - y);
      return { image, margin: b! - a! };
    });
    const expected = margins.sort((x, y) => x.margin - y.margin).slice(0, 3);
    const stdout = capture();
    expect(await runCli(['predict-private', '--run', runDir, '--queries', '3', '--order', 'margin', '--quiet'], { stdout, stderr: capture() })).toBe(0);
    const rows = parseCsvText(await readFile(join(runDir, 'private_predictions.csv'), 'utf8'));
    expect(rows.map((r) => r['image'])).toEqual(expected.map((e) => e.image));
    rows.forEach((r, q) => expect(Number(r['plaintextMargin'])).toBeCloseTo(expected[q]!.margin, 12));
    expect(stdout.text()).toMatch(/queries at risk \(plaintext margin below 2 x the largest sound error, [0-9.e+-]+\): [0-3], of which [0-3] agree/);
  });

  it('--float64-reference: two shards at once merge float64 dissimilarities into one file (no 2PC), and the next summary compares with them', async () => {
    const reference = (shard: string, stdout = capture()) =>
      runCli(['predict-private', '--run', runDir, '--float64-reference', '--queries', '4', '--order', 'first', '--shard', shard, '--quiet'], { stdout, stderr: capture() });
    const out0 = capture();
    expect(await Promise.all([reference('0/2', out0), reference('1/2')])).toEqual([0, 0]);
    expect(out0.text()).toMatch(/float64 reference of 2 test images written to .*dissimilarity\.float64\.csv/);
    const rows = parseCsvText(await readFile(join(runDir, 'dissimilarity.float64.csv'), 'utf8'));
    const float32 = new Map(parseCsvText(await readFile(join(runDir, 'dissimilarity.csv'), 'utf8')).map((r) => [`${String(r['image'])}|${String(r['user'])}`, Number(r['mse'])]));
    const predictions = parseCsvText(await readFile(join(runDir, 'predictions.csv'), 'utf8')).filter((r) => r['system'] === 'privedge');
    expect(new Set(rows.map((r) => r['image']))).toEqual(new Set(predictions.slice(0, 4).map((p) => p['image'])));
    const users = new Set([...float32.keys()].map((k) => k.split('|')[1])).size;
    expect(rows).toHaveLength(4 * users);
    for (const r of rows) {
      const f32 = float32.get(`${String(r['image'])}|${String(r['user'])}`)!;
      expect(r['float32Mse']).toBe(f32);
      expect(Math.abs(Number(r['mse']) - f32)).toBeLessThan(1e-5); // a tiny gf 2 model: float32 is close
    }
    const stdout = capture();
    expect(await runCli(['predict-private', '--run', runDir, '--queries', '2', '--order', 'first', '--quiet'], { stdout, stderr: capture() })).toBe(0);
    expect(stdout.text()).toMatch(/against the float64 model \(dissimilarity\.float64\.csv, 2 of 2 queries\): private labels equal the float64 labels for [0-2] of 2; the run's float32 \(TF\.js\) labels equal them for [0-2] of 2/);
    expect(stdout.text()).toMatch(/private labels equal the reference labels \(float64 where computed, float32 elsewhere\) for [0-2] of 2 queries/);
  });
  // A folder that is not an identification run: predict-private.test.ts (synthetic run.json).
});
