import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { escapeHtml, html } from './escape.js';
import { writeHtmlReport } from './report.js';
import { inlineSvg } from './svg.js';
import { previewCsv } from './tables.js';
import { HOSTILE, heatmapChart, labelsChart, writeSmallPng, writeSyntheticRun } from '../testing/report-fixtures.js';

describe('HTML escaping', () => {
  it('escapes every interpolated value, in text and in attributes, and keeps markup fragments', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const cell = '"><script>x</script>';
    const out = html`<td title="${cell}">${cell}${[html`<b>${cell}</b>`, 1]}${null}${false}</td>`.markup;
    expect(out).toBe('<td title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">&quot;&gt;&lt;script&gt;x&lt;/script&gt;<b>&quot;&gt;&lt;script&gt;x&lt;/script&gt;</b>1</td>');
  });
});

describe('CSV previews', () => {
  it('keeps the first rows as written and counts the rest, quoted line breaks included', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 't.csv');
      const rows = Array.from({ length: 120 }, (_, i) => `${i},"line\nbreak, ${i}",007`);
      await writeFile(path, `a,b,c\n${rows.join('\n')}\n`);
      const p = await previewCsv(path, 5);
      expect(p).toMatchObject({ file: 't.csv', columns: ['a', 'b', 'c'], totalRows: 120 });
      expect(p.rows).toEqual([0, 1, 2, 3, 4].map((i) => [String(i), `line\nbreak, ${i}`, '007']));
      await writeFile(path, 'a,b\n"unclosed,1\n');
      await expect(previewCsv(path, 5)).rejects.toThrow(`${path}: malformed CSV`);
    } finally {
      await cleanup();
    }
  });
});

describe('inline SVG', () => {
  it('prefixes ids and the references to them, and embeds an SVG that could run code as an inert <img>', () => {
    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="gradient_0"/></defs><rect fill="url(#gradient_0)" stroke="url(#elsewhere)"/><text>id="gradient_0"</text></svg>';
    expect(inlineSvg(svg, 'r1-c0-', 'x.svg').markup).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="r1-c0-gradient_0"/></defs><rect fill="url(#r1-c0-gradient_0)" stroke="url(#elsewhere)"/><text>id="gradient_0"</text></svg>',
    );
    for (const bad of ['<svg><script>alert(1)</script></svg>', '<svg onload="alert(1)"></svg>', '<svg><image href="http://example.com/x.png"/></svg>', '<svg><style>@import "x.css";</style></svg>', '<div>not svg</div>']) {
      const out = inlineSvg(bad, 'p-', 'bad.svg').markup;
      expect(out, bad).toMatch(/^<img class="chart-img" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="bad.svg">$/);
    }
  });
});

describe('privedge report', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let root: string;
  beforeAll(async () => {
    tmp = await tempDir();
    root = join(tmp.dir, 'results');
    const long = Array.from({ length: 120 }, (_, i) => ({ i, square: i * i }));
    await writeSyntheticRun(root, { experiment: 'beta', runId: 'old', startedAt: '2026-01-01T00:00:00.000Z' }, { 'long.csv': long, 'cells.csv': [{ row: 'a', col: 'x', value: 1 }] }, [heatmapChart]);
    const newer = await writeSyntheticRun(root, { experiment: 'beta', runId: 'new', startedAt: '2026-02-01T00:00:00.000Z' }, { 'labels.csv': [{ label: HOSTILE, n: 1 }, { label: 'plain', n: 2 }] }, [labelsChart]);
    await writeSmallPng(join(newer, 'samples.png'));
    await writeSyntheticRun(root, { experiment: 'alpha', runId: 'failed', startedAt: '2026-03-01T00:00:00.000Z', status: 'failed', error: HOSTILE }, {});
  });
  afterAll(async () => tmp.cleanup());

  it('writes one page: contents, runs grouped by experiment newest first, tables cut to their first rows, nothing unescaped', async () => {
    const result = await writeHtmlReport(root, { maxRows: 50, experimentOrder: ['beta'], generatedAt: new Date('2026-04-01T00:00:00Z') });
    expect(result).toMatchObject({ out: join(root, 'report.html'), runs: 3, experiments: 2 });
    const page = await readFile(result.out, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    // Experiments in the given order, then by name; runs newest first.
    const order = ['id="experiment-1">beta', '<span class="run-id">new', '<span class="run-id">old', 'id="experiment-2">alpha', '<span class="run-id">failed'].map((s) => page.indexOf(s));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(page).toContain('70 more rows in <a href="beta/old/long.csv">long.csv</a>');
    expect(page.match(/<td class="num">\d+<\/td><td class="num">\d+<\/td>/g)).toHaveLength(50);
    // Hostile text (CSV cell, config, manifest, error) appears only escaped; no script, no external resource.
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<b id="pwned">');
    expect(page).not.toMatch(/<img src=x/);
    expect(page).toContain(escapeHtml(HOSTILE));
    expect(page).toMatch(/<svg [^>]*>/);
    expect(page).toMatch(/<img src="data:image\/png;base64,[^"]+" alt="samples.png">/);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    // The config and the manifest, collapsed.
    expect(page).toContain('<details class="config"><summary>Resolved config');
    expect(page).toContain('&quot;runId&quot;: &quot;old&quot;');
    // Written atomically: no temporary file left beside it.
    expect((await readdir(root)).sort()).toEqual(['alpha', 'beta', 'report.html']);
  });

  it('runs as `privedge report` with --out, and names the folder at fault when there is nothing to report', async () => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } };
    const page = join(tmp.dir, 'pages', 'all.html');
    expect(await runCli(['report', root, '--out', page, '--quiet'], io)).toBe(0);
    expect(out).toContain(`3 run(s) of 2 experiment(s) (1 failed)  ${page}`);
    expect(await readFile(page, 'utf8')).toContain('href="../results/beta/old/long.csv"');

    const missing = join(tmp.dir, 'nowhere');
    expect(await runCli(['report', missing, '--quiet'], io)).toBe(1);
    expect(err).toContain(`error: ${missing}: folder not found`);
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    expect(await runCli(['report', empty, '--quiet'], io)).toBe(1);
    expect(err).toContain(`error: ${empty}: no run folders (folders with run.json) found`);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
    expect(await runCli(['report', root, '--max-rows', '-1', '--quiet'], io)).toBe(2);
  });
});
