import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** A parsed `--set key.path=value` override. */
export interface Override {
  readonly path: readonly string[];
  readonly value: unknown;
  readonly text: string;
}

/**
 * Parses `a.b[0].c=value`. The value is read as a YAML scalar or flow collection, so `3` is a
 * number, `true` a boolean, `[1, 2]` a list, and `"3"` a string.
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError('--set', `expected key.path=value, got "${text}"`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  const path = key
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((p) => p.length > 0);
  if (path.length === 0) throw new ConfigError('--set', `empty key in "${text}"`);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch (error) {
    throw new ConfigError(key, `cannot parse --set value "${raw}": ${(error as Error).message}`);
  }
  return { path, value, text };
}

/**
 * Applies overrides to a raw (unvalidated) config object in place, creating missing objects.
 * Inside a list, a non-numeric segment selects the element whose `id` equals it (so
 * `experiments.dataset-summary.x=1` works); a bare string element `id` becomes `{ id }`.
 */
export function applyOverrides(raw: Record<string, unknown>, overrides: readonly Override[]): void {
  for (const override of overrides) {
    let node: unknown = raw;
    const { path } = override;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      const where = path.slice(0, i + 1).join('.');
      if (Array.isArray(node)) {
        const index = resolveListIndex(node, segment, where);
        if (last) {
          node[index] = override.value;
        } else {
          if (typeof node[index] === 'string') node[index] = { id: node[index] };
          if (node[index] === undefined || node[index] === null) node[index] = {};
          node = node[index];
        }
      } else if (node !== null && typeof node === 'object') {
        const obj = node as Record<string, unknown>;
        if (last) {
          obj[segment] = override.value;
        } else {
          if (obj[segment] === undefined || obj[segment] === null) obj[segment] = {};
          node = obj[segment];
        }
      } else {
        throw new ConfigError(where, `cannot set "${override.text}": ${path.slice(0, i).join('.')} is not an object`);
      }
    }
  }
}

function resolveListIndex(list: unknown[], segment: string, where: string): number {
  if (/^\d+$/.test(segment)) {
    const index = Number(segment);
    if (index > list.length) throw new ConfigError(where, `index ${index} is past the end of a list of ${list.length}`);
    return index;
  }
  const index = list.findIndex(
    (item) => item === segment || (item !== null && typeof item === 'object' && (item as { id?: unknown }).id === segment),
  );
  if (index < 0) throw new ConfigError(where, `no list element with id "${segment}"`);
  return index;
}
