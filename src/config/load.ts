import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { deepFreeze, type DeepReadonly } from '../util/deep-freeze.js';
import { describeIssues } from './format-issues.js';
import { applyOverrides, parseOverride } from './overrides.js';
import { buildConfigSchema, type ExperimentSchemaEntry, type PrivedgeConfig } from './schema.js';

/** A validated, frozen config and where it came from. */
export interface LoadedConfig {
  readonly config: DeepReadonly<PrivedgeConfig>;
  /** The config file path as given. */
  readonly file: string;
  /** The `--set` overrides applied, as typed. */
  readonly overrides: readonly string[];
}

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  readonly experiments: readonly ExperimentSchemaEntry[];
  readonly overrides?: readonly string[];
  /** `--seed`, applied after overrides. */
  readonly seed?: number;
}

/** Reads a YAML config file, applies overrides, validates and freezes it. */
export async function loadConfig(file: string, options: LoadConfigOptions): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError('', code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? String(error)})`, { file });
  }
  return parseConfigText(text, file, options);
}

/** Parses config YAML text (see {@link loadConfig}); `file` is used in messages and for the default name. */
export function parseConfigText(text: string, file: string, options: LoadConfigOptions): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : '';
    throw new ConfigError(where, `malformed YAML: ${first.message.split('\n')[0]}`, { file });
  }
  const raw: unknown = doc.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('', 'the config must be a YAML mapping (key: value) at the top level', { file });
  }
  const data = raw as Record<string, unknown>;
  const overrides = options.overrides ?? [];
  applyOverrides(data, overrides.map(parseOverride));
  if (options.seed !== undefined) data['seed'] = options.seed;
  if (data['name'] === undefined) data['name'] = basename(file, extname(file));
  return { config: validateConfig(data, options.experiments, file), file, overrides };
}

/** Validates a raw config object against the schema of `experiments` and freezes it. */
export function validateConfig(
  data: unknown,
  experiments: readonly ExperimentSchemaEntry[],
  file?: string,
): DeepReadonly<PrivedgeConfig> {
  const schema = buildConfigSchema(experiments);
  // `- dataset-summary` is shorthand for `- { id: dataset-summary }`.
  if (data !== null && typeof data === 'object' && Array.isArray((data as { experiments?: unknown }).experiments)) {
    const list = (data as { experiments: unknown[] }).experiments;
    (data as { experiments: unknown[] }).experiments = list.map((e) => (typeof e === 'string' ? { id: e } : e));
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = describeIssues(schema, result.error.issues, data);
    const [first, ...rest] = problems;
    const more = rest.length > 0 ? `; also ${rest.map((p) => `${p.path}: ${p.message}`).join('; ')}` : '';
    throw new ConfigError(first?.path ?? '', `${first?.message ?? 'invalid config'}${more}`, file ? { file } : {});
  }
  return deepFreeze(result.data as PrivedgeConfig);
}
