import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { projectRoot, sharedDatasets, tempDir } from '../testing/fixtures.js';

/** The output and exit code of one command line. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } };
  const code = await runCli([...argv, '--quiet'], io);
  return { code, out, err };
}

/** Every file under `dir`, relative, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/**
 * The expected pages, computed from the folder listing alone: the first 3 writers (4-digit prefix,
 * in order) with at least 15 word files over both subfolders; each writer's files sorted by
 * `<subfolder>/<name>`, 4 per page, leftovers dropped.
 */
async function expectedPages(cedar: string): Promise<{ pages: Map<string, string[]>; used: number; dropped: number }> {
  const byWriter = new Map<string, string[]>();
  for (const sub of ['TrainingSet', 'ValidationSet']) {
    for (const name of await readdir(join(cedar, sub))) {
      if (!/^\d{4}[a-z]+_num\d+\.png$/.test(name)) continue;
      const w = name.slice(0, 4);
      byWriter.set(w, [...(byWriter.get(w) ?? []), `${sub}/${name}`]);
    }
  }
  const writers = [...byWriter.keys()].filter((w) => byWriter.get(w)!.length >= 15).sort().slice(0, 3);
  const pages = new Map<string, string[]>();
  let used = 0;
  let dropped = 0;
  for (const w of writers) {
    const files = byWriter.get(w)!.sort();
    const n = Math.floor(files.length / 4);
    for (let k = 0; k < n; k++) pages.set(`w${w}/page${k + 1}.png`, files.slice(4 * k, 4 * k + 4));
    used += 4 * n;
    dropped += files.length - 4 * n;
  }
  return { pages, used, dropped };
}

describe('privedge datasets tile: CEDAR "and" words tiled into pages (3 writers)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let cedar: string;
  let config: string;
  let out: string;
  let summary: string;
  beforeAll(async () => {
    tmp = await tempDir();
    cedar = join(sharedDatasets(), 'cedar-and');
    config = join(tmp.dir, 'words.yaml');
    await writeFile(
      config,
      `seed: 3
dataset:
  source: { type: filename, root: '${cedar}', pattern: '^(?<label>\\d{4})(?<document>[a-z]+)_num(?<sample>\\d+)\\.png$' }
  users: { minImagesPerUser: 15, maxUsers: 3 }
  cache: { enabled: false }
experiments: [dataset-summary]
`,
    );
    out = join(tmp.dir, 'pages');
    const r = await cli(['datasets', 'tile', config, '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    summary = r.out;
  });
  afterAll(async () => tmp.cleanup());

  it('writes one grey 192 x 192 page per 4 words of each writer, and prints the counts', async () => {
    const { pages, used, dropped } = await expectedPages(cedar);
    expect(await listFiles(out)).toEqual([...pages.keys()].sort());
    expect(summary).toContain(`pages          ${pages.size} page(s) of 2 x 2 words, 192 x 192 (W x H) grey PNG, cells 64 x 64, margin 24, gap 16`);
    expect(summary).toContain('writers        3 with pages');
    expect(summary).toContain(`words          ${used} used, ${dropped} dropped`);
    for (const page of pages.keys()) {
      const meta = await sharp(join(out, page)).metadata();
      expect([meta.width, meta.height, meta.channels, meta.depth, meta.format]).toEqual([192, 192, 1, 'uchar', 'png']);
    }
  });

  it('draws each source word, in grey, at its cell on white paper', async () => {
    const { pages } = await expectedPages(cedar);
    for (const [page, words] of pages) {
      // sharp hands a grey PNG back as equal sRGB channels: take the first.
      const page8 = await sharp(join(out, page)).raw().toBuffer({ resolveWithObject: true });
      const got = page8.data.filter((_, i) => i % page8.info.channels === 0);
      const want = new Uint8Array(192 * 192).fill(255);
      for (const [j, file] of words.entries()) {
        const { data, info } = await sharp(join(cedar, file)).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height]).toEqual([64, 64]);
        const x0 = 24 + (j % 2) * 80;
        const y0 = 24 + Math.floor(j / 2) * 80;
        for (let y = 0; y < 64; y++) {
          for (let x = 0; x < 64; x++) {
            const s = (y * 64 + x) * info.channels;
            want[(y0 + y) * 192 + x0 + x] = Math.floor((299 * data[s]! + 587 * data[s + 1]! + 114 * data[s + 2]! + 500) / 1000);
          }
        }
      }
      const diff = [...want].map((v, i) => [i % 192, Math.floor(i / 192), v, got[i]]).filter(([, , v, g]) => v !== g);
      expect(got).toHaveLength(192 * 192);
      expect(diff.slice(0, 5), `${page}: ${diff.length} pixels (x, y, want, got) differ`).toEqual([]);
    }
  });

  it('is deterministic: a second run writes byte-identical files', async () => {
    const again = join(tmp.dir, 'again');
    expect((await cli(['datasets', 'tile', config, '--out', again])).code).toBe(0);
    const files = await listFiles(out);
    expect(await listFiles(again)).toEqual(files);
    for (const f of files) expect((await readFile(join(again, f))).equals(await readFile(join(out, f))), f).toBe(true);
  });

  it('refuses a non-empty --out without --force, bad numbers and an --out inside the source, naming the option', async () => {
    const busy = join(tmp.dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'keep.txt'), 'x');
    const refused = await cli(['datasets', 'tile', config, '--out', busy]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--out: .*busy exists and is not empty \(pass --force/);
    expect(await readdir(busy)).toEqual(['keep.txt']);
    for (const [option, value] of [['--rows', '0'], ['--columns', 'two'], ['--margin', '-1']] as const) {
      const bad = await cli(['datasets', 'tile', config, '--out', join(tmp.dir, 'never'), option, value]);
      expect(bad.code, option).toBe(2);
      expect(bad.err, option).toContain(`${option}: expected a whole number`);
    }
    const inside = await cli(['datasets', 'tile', config, '--out', join(cedar, 'pages')]);
    expect(inside.code).toBe(2);
    expect(inside.err).toContain('is inside the source root');
    expect((await readdir(tmp.dir)).filter((n) => n.startsWith('never') || n.includes('.tmp-'))).toEqual([]);
    const forced = await cli(['datasets', 'tile', config, '--out', busy, '--force', '--rows', '3', '--columns', '1']);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('112 x 272 (W x H)');
    expect((await readdir(busy)).includes('keep.txt')).toBe(false);
  });

  it('configs/cpu/writers-pages.yaml reads the pages as patches, split by page with no page on both sides', async () => {
    const { pages } = await expectedPages(cedar);
    const before = process.env['PRIVEDGE_PAGES'];
    process.env['PRIVEDGE_PAGES'] = out;
    try {
      const csv = join(tmp.dir, 'splits.csv');
      const r = await cli(['datasets', 'inspect', join(projectRoot, 'configs/cpu/writers-pages.yaml'), '--set', `dataset.cache.dir=${join(tmp.dir, 'cache')}`, '--splits', csv]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain('users          3 enrolled, 0 non-private (held out), 0 dropped');
      expect(r.out).toContain('image size     32 x 32 x 3');
      expect(r.out).toContain(`from ${pages.size} source images (0 gave none)`);
      const rows = (await readFile(csv, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
      const perPage = new Map<string, number>();
      for (const [image] of rows) perPage.set(image!.split('#')[0]!, (perPage.get(image!.split('#')[0]!) ?? 0) + 1);
      expect([...perPage.keys()].sort()).toEqual([...pages.keys()].sort());
      for (const n of perPage.values()) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(16);
      }
      const sides = new Map<string, Set<string>>();
      for (const [image, , split] of rows) {
        const page = image!.split('#')[0]!;
        sides.set(page, (sides.get(page) ?? new Set()).add(split!));
      }
      for (const [page, set] of sides) expect(set.size, page).toBe(1);
      const testPages = [...sides].filter(([, s]) => s.has('test')).length;
      expect(testPages).toBeGreaterThanOrEqual(3);
    } finally {
      if (before === undefined) delete process.env['PRIVEDGE_PAGES'];
      else process.env['PRIVEDGE_PAGES'] = before;
    }
  });
});
