import { join, relative } from 'node:path';
import { formatDuration } from '../progress/reporter.js';
import { fileHref, html, type Html } from './escape.js';
import type { RunData } from './run-data.js';
import { inlineSvg } from './svg.js';
import { csvTableHtml } from './tables.js';

/** Tables with at most this many rows are shown open; longer ones start collapsed. */
const OPEN_TABLE_ROWS = 20;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The run's facts line: status, times, config, seed, backend, commit. */
function runMeta(run: RunData): Html {
  const m = run.manifest;
  const duration = typeof m.durationSeconds === 'number' ? formatDuration(m.durationSeconds) : null;
  const items: [string, string | null][] = [
    ['status', run.state === 'stale' ? 'stale' : m.status],
    ['stopped by', m.status === 'interrupted' ? (m.signal ?? 'a signal') : run.state === 'stale' ? `nothing recorded: process ${String(m.pid)} on ${String(m.host?.['hostname'])} is gone` : null],
    ['started', m.startedAt],
    ['ended', m.endedAt],
    ['duration', duration],
    ['config', m.configFile ? `${m.configName} (${m.configFile})` : m.configName],
    ['overrides', m.overrides?.length ? m.overrides.join(' ') : null],
    ['seed', m.seed === undefined ? null : String(m.seed)],
    ['backend', m.backend?.name ?? null],
    ['commit', m.git?.commit ? `${m.git.commit.slice(0, 10)}${m.git.dirty ? ' (dirty)' : ''}` : null],
  ];
  return html`<dl class="meta">${items
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => html`<div><dt>${k}</dt><dd${k === 'status' ? html` class="status ${`status-${v}`}"` : ''}>${v}</dd></div>`)}</dl>`;
}

/**
 * One run folder as a `<section>`: heading, facts, the failure if any, charts (inline SVG), other
 * images, every CSV file as a table, the resolved config and `run.json`. `anchor` is the
 * section's id; `reportDir` is the folder of the page (links to files are relative to it).
 */
export function runSectionHtml(run: RunData, anchor: string, reportDir: string): Html {
  const m = run.manifest;
  const href = (file: string): string => fileHref(relative(reportDir, join(run.dir, file)));
  const charts = run.charts.map(
    (c, i) => html`<figure class="chart">${inlineSvg(c.svg, `${anchor}-c${i}-`, c.file)}<figcaption><a href="${href(c.file)}">${c.file}</a></figcaption></figure>`,
  );
  const images = run.images.map((img) =>
    img.dataUrl
      ? html`<figure class="image"><img src="${img.dataUrl}" alt="${img.file}"><figcaption><a href="${href(img.file)}">${img.file}</a></figcaption></figure>`
      : html`<p class="note"><a href="${href(img.file)}">${img.file}</a> (${formatBytes(img.bytes)}) is too large to embed.</p>`,
  );
  const tables = run.tables.map(
    (t) => html`<details class="table"${t.totalRows <= OPEN_TABLE_ROWS ? ' open' : ''}>
<summary><span class="file">${t.file}</span> <span class="dim">${t.totalRows.toLocaleString('en-US')} rows × ${t.columns.length} columns, ${formatBytes(t.bytes)}</span></summary>
${csvTableHtml(t, href(t.file))}
</details>`,
  );
  return html`<section class="run" id="${anchor}">
<h3>${m.experiment} <span class="run-id">${m.runId}</span></h3>
<p class="path">${run.dir}</p>
${runMeta(run)}
${m.error ? html`<pre class="error">${m.error}</pre>` : ''}
${charts.length > 0 ? html`<h4>Charts</h4><div class="charts">${charts}</div>` : ''}
${images.length > 0 ? html`<h4>Images</h4><div class="charts">${images}</div>` : ''}
${tables.length > 0 ? html`<h4>Tables</h4>${tables}` : ''}
<details class="config"><summary>Resolved config <span class="dim">config.resolved.yaml</span></summary>
${run.configYaml === null ? html`<p class="note">config.resolved.yaml is missing.</p>` : html`<pre>${run.configYaml}</pre>`}
</details>
<details class="manifest"><summary>Run manifest <span class="dim">run.json</span></summary><pre>${run.manifestText}</pre></details>
</section>`;
}
