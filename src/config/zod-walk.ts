import type { z } from 'zod';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  element?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  getter?: () => AnySchema;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (optional, default, nullable, pipe, lazy, ...) down to the structural schema. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    const def = defOf(current);
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in && def.out) {
      current = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else if (def.type === 'lazy' && def.getter) {
      current = def.getter();
    } else {
      return current;
    }
  }
  return current;
}

/** Object schemas a (possibly union) schema may be, given the input value at that place. */
function objectCandidates(schema: AnySchema, value: unknown): Record<string, AnySchema>[] {
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'object' && def.shape) return [def.shape];
  if (def.type === 'union' && def.options) {
    const all = def.options.flatMap((o) => objectCandidates(o, value));
    const matching = all.filter((shape) => discriminatorMatches(shape, value));
    return matching.length > 0 ? matching : all;
  }
  return [];
}

function discriminatorMatches(shape: Record<string, AnySchema>, value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const [key, field] of Object.entries(shape)) {
    const def = defOf(unwrap(field)) as Def & { values?: unknown[] };
    if (def.type === 'literal' && def.values) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined && def.values.includes(v)) return true;
    }
  }
  return false;
}

/**
 * The valid keys of the object expected at `path` inside `root`, using the raw input `data` to
 * choose between union members (e.g. by `type` or `id`). Empty when the path is not an object.
 */
export function validKeysAt(root: AnySchema, path: readonly PropertyKey[], data: unknown): string[] {
  let schemas: AnySchema[] = [root];
  let value: unknown = data;
  for (const segment of path) {
    const next: AnySchema[] = [];
    for (const schema of schemas) {
      const s = unwrap(schema);
      const def = defOf(s);
      if (def.type === 'array' && def.element) next.push(def.element);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
      else {
        for (const shape of objectCandidates(s, value)) {
          const field = shape[String(segment)];
          if (field) next.push(field);
        }
      }
    }
    schemas = next;
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[segment as string] : undefined;
  }
  const keys = new Set<string>();
  for (const schema of schemas) for (const shape of objectCandidates(schema, value)) for (const k of Object.keys(shape)) keys.add(k);
  return [...keys];
}

/** One documented config key, for the generated reference. */
export interface KeyDoc {
  readonly path: string;
  readonly type: string;
  readonly defaultValue: unknown;
  readonly description: string;
}

/** Lists every key of a schema with its type, default and description (depth first). */
export function describeKeys(schema: AnySchema, prefix = ''): KeyDoc[] {
  const out: KeyDoc[] = [];
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'object' && def.shape) {
    for (const [key, field] of Object.entries(def.shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push({ path, type: typeName(field), defaultValue: defaultOf(field), description: descriptionOf(field) });
      const inner = defOf(unwrap(field));
      if (inner.type === 'object') out.push(...describeKeys(field, path));
      if (inner.type === 'union' && inner.options && path.endsWith('source')) {
        for (const option of inner.options) {
          const shape = defOf(unwrap(option)).shape ?? {};
          const tag = (defOf(unwrap(shape['type']!)) as Def & { values?: unknown[] }).values?.[0];
          for (const [k, f] of Object.entries(shape)) {
            if (k === 'type') continue;
            out.push({ path: `${path}.${k} (type: ${String(tag)})`, type: typeName(f), defaultValue: defaultOf(f), description: descriptionOf(f) });
          }
        }
      }
    }
  }
  return out;
}

function descriptionOf(schema: AnySchema): string {
  let current: AnySchema | undefined = schema;
  for (let guard = 0; current && guard < 16; guard++) {
    const d = (current as { description?: string }).description;
    if (d) return d;
    const def = defOf(current);
    current = def.innerType ?? (def.type === 'pipe' ? def.out : undefined);
  }
  return '';
}

function defaultOf(schema: AnySchema): unknown {
  let current: AnySchema | undefined = schema;
  for (let guard = 0; current && guard < 16; guard++) {
    const def = defOf(current) as Def & { defaultValue?: unknown };
    if (def.type === 'default') {
      const v = def.defaultValue;
      return typeof v === 'function' ? (v as () => unknown)() : v;
    }
    current = def.innerType;
  }
  return undefined;
}

/** A short human name of a schema's type. */
export function typeName(schema: AnySchema): string {
  const s = unwrap(schema);
  const def = defOf(s) as Def & { values?: unknown[]; entries?: Record<string, unknown> };
  switch (def.type) {
    case 'enum':
      return Object.values(def.entries ?? {}).map((v) => JSON.stringify(v)).join(' \\| ');
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' \\| ');
    case 'union': {
      const names = (def.options ?? []).map(typeName);
      return names.every((n) => n === 'object') ? 'object (by `type`)' : names.join(' \\| ');
    }
    case 'array': {
      const inner = def.element ? typeName(def.element) : 'unknown';
      return inner.includes('|') ? `(${inner})[]` : `${inner}[]`;
    }
    case 'record':
      return 'map';
    default:
      return def.type;
  }
}
