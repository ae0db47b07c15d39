import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Source file (relative to the project root, `/`-separated) -> the project files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** A forbidden import: `from` imports `to`, which `rule` forbids. */
export interface ImportViolation {
  readonly from: string;
  readonly to: string;
  readonly rule: string;
}

/** One direction rule: files under `from` must not import files under any of `not`. */
export interface ImportRule {
  readonly from: string;
  readonly not: readonly string[];
  readonly why: string;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative specifiers a TypeScript module imports (static, dynamic, type-only and side-effect imports). */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1]!);
}

/** Test support (`src/testing/`, left out of the build) counts as test code. */
const TEST_SUPPORT = 'src/testing';

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (path !== TEST_SUPPORT) walk(root, path, out);
    }
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
}

/**
 * The import graph of the non-test `.ts` files under `folders` (project-relative; test files and
 * `src/testing/` are left out, since tests may import whatever they check): each file's
 * relative imports, resolved to project-relative paths with `.js` read as `.ts`.
 */
export function importGraph(root: string, folders: readonly string[]): ImportGraph {
  const files: string[] = [];
  for (const folder of folders) walk(root, folder, files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeImports(readFileSync(join(root, file), 'utf8')).map((spec) =>
      relative(root, resolve(root, dirname(file), spec.replace(/\.js$/, '.ts'))).split(sep).join('/'),
    );
    graph.set(file, targets);
  }
  return graph;
}

const under = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);

/** Every import that breaks one of `rules`. */
export function importViolations(graph: ImportGraph, rules: readonly ImportRule[]): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const [from, targets] of graph) {
    for (const rule of rules) {
      if (!under(from, rule.from)) continue;
      for (const to of targets) if (rule.not.some((f) => under(to, f))) out.push({ from, to, rule: rule.why });
    }
  }
  return out;
}

/**
 * Folder-level cycles: the top-level folders under `base` (e.g. `src/models`) as nodes, an edge
 * when a file of one imports a file of another. Returns each cycle found as its list of folders.
 */
export function folderCycles(graph: ImportGraph, base: string): string[][] {
  const folderOf = (path: string): string | undefined => {
    if (!path.startsWith(`${base}/`)) return undefined;
    const parts = path.slice(base.length + 1).split('/');
    return parts.length > 1 ? `${base}/${parts[0]}` : undefined;
  };
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    if (!a) continue;
    for (const to of targets) {
      const b = folderOf(to);
      if (b && b !== a) edges.set(a, (edges.get(a) ?? new Set()).add(b));
    }
  }
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}
