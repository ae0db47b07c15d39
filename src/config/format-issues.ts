import type { z } from 'zod';
import { closestMatch } from '../util/closest.js';
import { validKeysAt } from './zod-walk.js';

/** Formats a key path like `experiments[0].iterations`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

/** One readable problem per zod issue, each naming its key path (and the closest valid key). */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], data: unknown): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const valid = validKeysAt(schema, issue.path, data);
      for (const key of issue.keys) {
        const path = formatPath([...issue.path, key]);
        const hint = closestMatch(key, valid);
        out.push({
          path,
          message: `unknown key${hint ? ` (did you mean "${formatPath([...issue.path, hint])}"?)` : ''}${valid.length ? `; valid keys here: ${valid.join(', ')}` : ''}`,
        });
      }
    } else if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      const got = valueAt(data, issue.path);
      const options = (issue.options as unknown[]).map(String);
      const hint = typeof got === 'string' ? closestMatch(got, options) : undefined;
      out.push({
        path: formatPath(issue.path),
        message: `unknown value ${JSON.stringify(got)}${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${options.join(', ')}`,
      });
    } else {
      const got = valueAt(data, issue.path);
      const shown = got === undefined ? 'missing' : `got ${JSON.stringify(got)}`;
      out.push({ path: formatPath(issue.path), message: `${issue.message} (${shown})` });
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment as string];
  }
  return node;
}
