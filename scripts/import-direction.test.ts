import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/testing/fixtures.js';
import { folderCycles, importGraph, importViolations, relativeImports, type ImportRule } from './import-direction.js';

/** The project's import directions (non-test files; tests may import whatever they check). */
const RULES: readonly ImportRule[] = [
  { from: 'src', not: ['experiments', 'scripts'], why: 'src/ is the library: experiments/ and scripts/ use it, never the other way' },
  {
    from: 'src/models',
    not: ['src/report', 'src/html-report', 'src/runner', 'src/cli'],
    why: 'models train and return curves and images; the runner and the experiments write them',
  },
];

describe('import directions', () => {
  const graph = importGraph(projectRoot, ['src', 'experiments', 'scripts']);

  it('reads the whole tree', () => {
    expect(graph.get('src/models/rec-adv/train-users.ts')).toContain('src/models/rec-adv/artifacts.ts');
    expect(graph.get('src/runner/training-outputs.ts')).toContain('src/report/csv.ts');
  });

  it('no source file imports against the rules', () => {
    expect(importViolations(graph, RULES)).toEqual([]);
  });

  it('no folder-level import cycle under src/', () => {
    expect(folderCycles(graph, 'src')).toEqual([]);
  });
});

describe('the import checker', () => {
  it('finds static, dynamic, type-only and side-effect imports, relative ones only', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "import './side.js';",
      "const c = await import('../../c.js');",
      "type D = import('./d.js').D;",
      "import { z } from 'zod';",
      "export { e } from './e.js';",
    ].join('\n');
    expect(relativeImports(source)).toEqual(['./a.js', '../b/b.js', './side.js', '../../c.js', './d.js', './e.js']);
  });

  it('reports a model file that imports report code, and a folder cycle', () => {
    const graph = new Map([
      ['src/models/rec-adv/artifacts.ts', ['src/report/csv.ts', 'src/util/rng.ts']],
      ['src/report/csv.ts', ['src/runner/run-folder.ts']],
      ['src/runner/run-folder.ts', ['src/report/csv.ts']],
      ['src/util/rng.ts', []],
    ]);
    expect(importViolations(graph, RULES)).toEqual([{ from: 'src/models/rec-adv/artifacts.ts', to: 'src/report/csv.ts', rule: RULES[1]!.why }]);
    expect(folderCycles(graph, 'src')).toEqual([['src/report', 'src/runner', 'src/report']]);
  });
});
