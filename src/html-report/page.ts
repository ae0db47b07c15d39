import { html, trustedHtml, type Html } from './escape.js';
import type { RunData } from './run-data.js';
import { runSectionHtml } from './run-section.js';

/** The runs of one experiment, in the order the page shows them. */
export interface ExperimentGroup {
  readonly experiment: string;
  readonly runs: readonly RunData[];
}

/** What the page shows besides the runs. */
export interface PageInfo {
  readonly title: string;
  /** The results folder the page was built from (shown, not linked). */
  readonly source: string;
  readonly generatedAt: Date;
  /** The folder the page is written to: links to run files are relative to it. */
  readonly reportDir: string;
}

const CSS = `
:root { color-scheme: light; --fg: #1d2125; --dim: #5f6b76; --line: #d9dee3; --bg-alt: #f5f7f9; --accent: #2456a6; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem 2rem 4rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 .5rem; padding-bottom: .25rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.15rem; margin: 0 0 .25rem; }
h4 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
a { color: var(--accent); }
.dim, .path, .note { color: var(--dim); }
.path { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; margin: 0 0 .5rem; word-break: break-all; }
.note { font-size: .9rem; margin: .35rem 0 .75rem; }
nav.toc { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1.25rem; margin: 1rem 0 2rem; }
nav.toc ul { margin: .25rem 0; padding-left: 1.25rem; }
nav.toc li { margin: .1rem 0; }
section.run { border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem 0 1.5rem; }
.run-id { font: 1rem ui-monospace, "DejaVu Sans Mono", monospace; color: var(--dim); }
dl.meta { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: .25rem 0 .75rem; font-size: .9rem; }
dl.meta div { display: flex; gap: .4rem; }
dl.meta dt { color: var(--dim); }
dl.meta dd { margin: 0; }
.status { font-weight: 600; }
.status-completed { color: #1d7a35; }
.status-failed { color: #b3261e; }
.status-running { color: #9a6700; }
.status-interrupted, .status-stale { color: #8250df; }
pre { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 4px; padding: .6rem .8rem; overflow: auto; max-height: 32rem; font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
pre.error { color: #b3261e; white-space: pre-wrap; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
figure { margin: 0; max-width: 100%; }
figure svg, figure img { display: block; max-width: 100%; height: auto; }
figure.image img { max-height: 28rem; width: auto; image-rendering: pixelated; }
figcaption { font-size: .85rem; color: var(--dim); margin-top: .25rem; }
details { margin: .4rem 0; }
summary { cursor: pointer; }
summary .file { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.table-wrap { overflow-x: auto; margin: .4rem 0; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: .15rem .5rem; text-align: left; white-space: nowrap; }
th { background: var(--bg-alt); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
`;

/** The anchor of the `i`-th run of the page (built from its position, never from file content). */
export function runAnchor(index: number): string {
  return `run-${index + 1}`;
}

/**
 * The whole report: one static, self-contained page (inline CSS and SVG, images as data URLs, no
 * scripts), with a table of contents and one section per run, grouped by experiment.
 */
export function reportPageHtml(info: PageInfo, groups: readonly ExperimentGroup[]): string {
  let index = 0;
  const numbered = groups.map((g, gi) => ({ ...g, anchor: `experiment-${gi + 1}`, runs: g.runs.map((run) => ({ run, anchor: runAnchor(index++) })) }));
  const toc = html`<nav class="toc" aria-label="Contents"><strong>Contents</strong><ul>${numbered.map(
    (g) => html`<li><a href="#${g.anchor}">${g.experiment}</a> <span class="dim">(${g.runs.length} run${g.runs.length === 1 ? '' : 's'})</span><ul>${g.runs.map(
      ({ run, anchor }) =>
        html`<li><a href="#${anchor}">${run.manifest.runId}</a> <span class="dim">${run.state} · ${run.manifest.startedAt} · ${run.manifest.configName}</span></li>`,
    )}</ul></li>`,
  )}</ul></nav>`;
  const body: Html[] = numbered.map(
    (g) => html`<h2 id="${g.anchor}">${g.experiment}</h2>
${g.runs.map(({ run, anchor }) => runSectionHtml(run, anchor, info.reportDir))}`,
  );
  const runs = index;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${info.title}</title>
<style>${trustedHtml(CSS)}</style>
</head>
<body>
<header>
<h1>${info.title}</h1>
<p class="dim">${runs} run${runs === 1 ? '' : 's'} of ${groups.length} experiment${groups.length === 1 ? '' : 's'} from <span class="path">${info.source}</span>, generated ${info.generatedAt.toISOString()}.</p>
</header>
${toc}
<main>
${body}
</main>
</body>
</html>
`.markup;
}
