/**
 * Opens a report written by `privedge report` in headless Chromium and checks that it renders:
 * every chart (inline SVG or image) has a size and content, no console error or exception
 * occurred, and the page requested nothing from the network.
 *
 *   npm run check:report -- results/report.html
 *
 * It also checks the CSV files of every run folder beside the report (below its folder) against
 * the rows, systems and series their run.json recorded: a truncated or edited file fails.
 *
 * Prints one line per experiment section with its chart count and exits 1 if anything failed.
 * Uses Debian's chromium when installed, else the one npm ci installs (@sparticuz/chromium),
 * or PRIVEDGE_CHROMIUM=/path/to/chrome.
 */
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingSeries } from '../src/report/csv-series.js';
import { findRunFolders } from '../src/runner/figures.js';
import { readManifest } from '../src/runner/run-folder.js';
import { openInChromium } from '../src/testing/headless-chromium.js';

interface Chart {
  readonly section: string;
  readonly caption: string;
  readonly width: number;
  readonly height: number;
  /** SVG shapes (path, rect, line, text), or an image's natural width. */
  readonly content: number;
}

const MEASURE = `(() => [...document.querySelectorAll('figure.chart')].map((f) => {
  const el = f.querySelector(':scope > svg, :scope > img');
  const r = el ? el.getBoundingClientRect() : { width: 0, height: 0 };
  const section = f.closest('section')?.querySelector('h2, h3')?.textContent ?? '';
  return {
    section,
    caption: f.querySelector('figcaption')?.textContent ?? '',
    width: r.width,
    height: r.height,
    content: !el ? 0 : el.tagName.toLowerCase() === 'svg' ? el.querySelectorAll('path, rect, line, text').length : el.naturalWidth,
  };
}))()`;

async function main(): Promise<number> {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: npm run check:report -- <report.html>\n');
    return 2;
  }
  const problems: string[] = [];
  for (const run of await findRunFolders(dirname(resolve(file)))) problems.push(...(await missingSeries(run, (await readManifest(run)).series ?? {})));
  for (const p of problems) process.stdout.write(`CSV NOT AS RECORDED: ${p}\n`);
  const url = pathToFileURL(resolve(file)).href;
  const page = await openInChromium(url, { timeoutMs: 120_000 });
  try {
    const charts = await page.evaluate<Chart[]>(MEASURE);
    const sections = new Map<string, number>();
    for (const c of charts) sections.set(c.section, (sections.get(c.section) ?? 0) + 1);
    for (const [section, n] of sections) process.stdout.write(`${section || '(no section)'}: ${n} chart(s)\n`);
    const broken = charts.filter((c) => c.width < 10 || c.height < 10 || c.content < 5);
    for (const c of broken) process.stdout.write(`NOT RENDERED: ${c.section} / ${c.caption} (${c.width} x ${c.height}, ${c.content} shapes)\n`);
    for (const e of page.errors) process.stdout.write(`CONSOLE ERROR: ${e}\n`);
    const external = page.requests.filter((r) => !r.startsWith('file:') && !r.startsWith('data:') && r !== 'about:blank');
    for (const r of external) process.stdout.write(`NETWORK REQUEST: ${r}\n`);
    const ok = charts.length > 0 && broken.length === 0 && page.errors.length === 0 && external.length === 0 && problems.length === 0;
    process.stdout.write(`${file}: ${charts.length} chart(s) in ${sections.size} section(s), ${broken.length} not rendered, ${page.errors.length} console error(s), ${external.length} network request(s), ${problems.length} CSV file problem(s): ${ok ? 'OK' : 'FAILED'}\n`);
    return ok ? 0 : 1;
  } finally {
    await page.close();
  }
}

process.exitCode = await main();
