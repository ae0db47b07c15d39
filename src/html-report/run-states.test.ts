import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli.js';
import { tempDir } from '../testing/fixtures.js';
import { writeSyntheticRun } from '../testing/report-fixtures.js';

describe('privedge report and run states', () => {
  it('shows interrupted runs (with the signal) and stale runs (running, but their process is gone) as such', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const root = join(dir, 'results');
      const gone = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
      await writeSyntheticRun(root, { experiment: 'e', runId: 'stopped', startedAt: '2026-01-01T00:00:00.000Z', status: 'interrupted', signal: 'SIGTERM', pid: gone, hostname: hostname() }, {});
      await writeSyntheticRun(root, { experiment: 'e', runId: 'dead', startedAt: '2026-01-02T00:00:00.000Z', status: 'running', pid: gone, hostname: hostname() }, {});
      await writeSyntheticRun(root, { experiment: 'e', runId: 'alive', startedAt: '2026-01-03T00:00:00.000Z', status: 'running', pid: process.pid, hostname: hostname() }, {});
      let out = '';
      const code = await runCli(['report', root], { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined } });
      expect(code).toBe(0);
      expect(out).toBe(`3 run(s) of 1 experiment(s) (1 running, 1 stale, 1 interrupted)  ${join(root, 'report.html')}\n`);
      const page = await readFile(join(root, 'report.html'), 'utf8');
      const section = (runId: string): string => page.slice(page.indexOf(`<span class="run-id">${runId}`), page.indexOf('</dl>', page.indexOf(`<span class="run-id">${runId}`)));
      expect(section('stopped')).toContain('<dd class="status status-interrupted">interrupted</dd>');
      expect(section('stopped')).toContain('<dt>stopped by</dt><dd>SIGTERM</dd>');
      expect(section('dead')).toContain('<dd class="status status-stale">stale</dd>');
      expect(section('dead')).toContain(`process ${gone} on ${hostname()} is gone`);
      expect(section('alive')).toContain('<dd class="status status-running">running</dd>');
    } finally {
      await cleanup();
    }
  });
});
