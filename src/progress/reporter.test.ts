import { describe, expect, it } from 'vitest';
import { consoleReporter, formatDuration } from './reporter.js';

describe('progress reporter', () => {
  it('prints plain throttled lines with ETA when not on a terminal', () => {
    let t = 0;
    const lines: string[] = [];
    const r = consoleReporter({ sink: { write: (s: string) => lines.push(s), isTTY: false }, now: () => t, intervalMs: 10_000 });
    const task = r.task('decoding', 100);
    for (let i = 0; i < 100; i++) {
      t += 1000;
      task.tick();
    }
    task.done();
    expect(lines[0]).toBe('decoding 0/100 (0%) 0s elapsed, ETA ?\n');
    // One line per 10 s of the 100 s, plus the first and the last.
    expect(lines.length).toBe(12);
    expect(lines[1]).toBe('decoding 10/100 (10%) 10s elapsed, ETA 1m30s\n');
    expect(lines.at(-1)).toBe('decoding 100/100 (100%) 1m40s elapsed, ETA 0s\n');
  });

  it('redraws one line in place on a terminal', () => {
    let t = 0;
    const out: string[] = [];
    const r = consoleReporter({ sink: { write: (s: string) => out.push(s), isTTY: true, columns: 100 }, now: () => t, intervalMs: 100 });
    const task = r.task('train', 4);
    for (let i = 0; i < 4; i++) {
      t += 50;
      task.tick();
    }
    task.done();
    expect(out.every((s) => s.startsWith('\r') || s === '\n')).toBe(true);
    expect(out.at(-2)).toContain('[##############################] 4/4 (100%)');
    expect(formatDuration(3725)).toBe('1h02m');
  });
});
