import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { writeCedarPages } from '../testing/cedar-pages.js';
import { projectRoot, sharedDatasets, tempDir } from '../testing/fixtures.js';

/** The YAML blocks of docs/bring-your-own-dataset.md whose first line is `# <name>.yaml`, by name. */
async function docConfigs(): Promise<Map<string, string>> {
  const text = await readFile(join(projectRoot, 'docs/bring-your-own-dataset.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/```yaml\n# ([\w-]+\.yaml)\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** Builds the `data/` folders the examples name, from the shared datasets. */
async function buildData(dir: string): Promise<void> {
  const orl = join(sharedDatasets(), 'orl-faces');
  for (let p = 1; p <= 4; p++) {
    await mkdir(join(dir, `data/faces/s${p}`), { recursive: true });
    for (let k = 1; k <= 9; k++) await copyFile(join(orl, `s${p}/${k}.pgm`), join(dir, `data/faces/s${p}/${k}.pgm`));
    await copyFile(join(orl, `s${p}/10.pgm`), join(dir, `data/faces/s${p}/face-without-extension`));
  }
  const rows = ['file,label,session'];
  for (let p = 1; p <= 3; p++) {
    await mkdir(join(dir, `data/sessions/s${p}`), { recursive: true });
    for (let k = 1; k <= 10; k++) {
      await copyFile(join(orl, `s${p}/${k}.pgm`), join(dir, `data/sessions/s${p}/${k}.pgm`));
      rows.push(`s${p}/${k}.pgm,s${p},${Math.ceil(k / 2)}`);
    }
  }
  await writeFile(join(dir, 'data/sessions/frames.csv'), `${rows.join('\n')}\n`);
  await writeCedarPages(join(dir, 'data/pages'), 3, 4);
  const cedar = join(sharedDatasets(), 'cedar-and');
  for (const [from, to] of [['TrainingSet', 'train'], ['ValidationSet', 'test']] as const) {
    for (const name of (await readdir(join(cedar, from))).filter((n) => ['0001', '0004', '0005'].includes(n.slice(0, 4)))) {
      await mkdir(join(dir, `data/competition/${to}/${name.slice(0, 4)}`), { recursive: true });
      await copyFile(join(cedar, from, name), join(dir, `data/competition/${to}/${name.slice(0, 4)}/${name}`));
    }
  }
}

describe('docs/bring-your-own-dataset.md: every example runs as written', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let configs: Map<string, string>;
  const cwd = process.cwd();
  beforeAll(async () => {
    tmp = await tempDir();
    configs = await docConfigs();
    await buildData(tmp.dir);
    for (const [name, text] of configs) await writeFile(join(tmp.dir, name), text);
    process.chdir(tmp.dir);
  });
  afterAll(async () => {
    process.chdir(cwd);
    await tmp.cleanup();
  });

  async function inspect(name: string): Promise<string> {
    let out = '';
    let err = '';
    const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } };
    const code = await runCli(['datasets', 'inspect', name, '--quiet', '--set', `dataset.cache.dir=${join(tmp.dir, 'cache')}`, '--splits', `${name}.splits.csv`], io);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).not.toContain('warning');
    return out;
  }

  it('has the four examples', () => {
    expect([...configs.keys()]).toEqual(['faces.yaml', 'sessions.yaml', 'pages.yaml', 'competition.yaml']);
  });

  it('faces: a folder per person, an extension-less file found by content', async () => {
    const out = await inspect('faces.yaml');
    expect(out).toContain('images         40 in the source, 40 used');
    expect(out).toContain('source sizes   92 x 112: 40');
    expect(out).toContain('resampled      40 of 40 images to 32 x 32 (fit: cover), 0 stretched');
    expect(out).toContain('users          4 enrolled');
    expect(out).toContain('splits         train 24, validation 8, test 8, non-private 0');
  });

  it('sessions: a manifest, grouped by session', async () => {
    const out = await inspect('sessions.yaml');
    // 5 sessions per person: 1 test, 1 validation, 3 train.
    expect(out).toContain('groups         by session (per user): train 9, validation 3, test 3, non-private 0');
    expect(out).toContain('splits         train 18, validation 6, test 6, non-private 0');
  });

  it('pages: patches per page, groups per split and zero cross-split duplicates, as the page shows', async () => {
    const out = await inspect('pages.yaml');
    const doc = await readFile(join(projectRoot, 'docs/bring-your-own-dataset.md'), 'utf8');
    const shown = /pages.yaml` on three writers[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)![1]!.trim().split('\n');
    const timeless = (t: string): string => t.replace(/decoded in [\d.]+ s/g, 'decoded in');
    for (const line of shown) expect(timeless(out)).toContain(timeless(line));
    const splits = (await readFile('pages.yaml.splits.csv', 'utf8')).trim().split('\n');
    expect(splits).toHaveLength(1 + 72);
  });

  it('competition: its own train and test lists', async () => {
    const out = await inspect('competition.yaml');
    const rows = (await readFile('competition.yaml.splits.csv', 'utf8')).trim().split('\n').slice(1).map((r) => r.split(','));
    for (const [image, , split] of rows) expect(split === 'test').toBe(image!.startsWith('test/'));
    expect(rows.filter((r) => r[2] === 'test')).toHaveLength(6);
    expect(out).toContain('duplicates     0 set(s) of identical files (0 files), 0 across training and test');
  });
});
