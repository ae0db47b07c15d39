import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experiments } from '../../experiments/index.js';
import { ConfigError } from '../errors.js';
import { tempDir } from '../testing/fixtures.js';
import { loadConfig, parseConfigText } from './load.js';

const opts = { experiments };
const minimal = 'dataset: { source: { type: mnist } }\nexperiments: [dataset-summary]\n';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('fills every default in one pass and names the config after its file', () => {
    const { config } = parseConfigText(minimal, 'configs/tiny.yaml', opts);
    expect(config.name).toBe('tiny');
    expect(config.seed).toBe(42);
    expect(config.dataset.image).toEqual({ width: 32, height: 32, channels: 3, fit: 'fill', kernel: 'lanczos3' });
    expect(config.dataset.split).toEqual({ by: 'image', testFraction: 0.2, validationFraction: 0.1, train: ['train'], test: ['test'], calibrationFraction: 0, minCalibrationImages: 50 });
    expect(config.experiments[0]).toEqual({ id: 'dataset-summary', samplesPerUser: 8, maxUsersInSamples: 40 });
    expect(config.output.dir).toBe('results');
  });

  it('freezes the resolved config', () => {
    const { config } = parseConfigText(minimal, 'x.yaml', opts);
    expect(Object.isFrozen(config.dataset.split)).toBe(true);
    expect(() => {
      (config.dataset.split as { testFraction: number }).testFraction = 0.5;
    }).toThrow(TypeError);
  });

  it('names an unknown key by its full path and suggests the closest valid key', () => {
    const e = configError(() => parseConfigText(`${minimal}dataset:\n  split: { tesFraction: 0.3 }\n`.replace(minimal, 'experiments: [dataset-summary]\n'), 'c.yaml', opts));
    expect(e.keyPath).toBe('dataset.split.tesFraction');
    expect(e.message).toContain('did you mean "dataset.split.testFraction"');
    expect(e.message).toContain('c.yaml');
  });

  it('checks experiment options against the experiment schema', () => {
    const e = configError(() => parseConfigText('experiments:\n  - id: dataset-summary\n    samplesPerUsr: 3\n', 'c.yaml', opts));
    expect(e.keyPath).toBe('experiments[0].samplesPerUsr');
    expect(e.message).toContain('did you mean "experiments[0].samplesPerUser"');
  });

  it('suggests the closest experiment id and source type', () => {
    expect(configError(() => parseConfigText('experiments: [dataset-sumary]\n', 'c.yaml', opts)).message).toContain('did you mean "dataset-summary"');
    const e = configError(() => parseConfigText('dataset: { source: { type: folde, root: x } }\nexperiments: [dataset-summary]\n', 'c.yaml', opts));
    expect(e.keyPath).toBe('dataset.source.type');
    expect(e.message).toContain('did you mean "folder"');
  });

  it('reports wrong value types with the key path and the value', () => {
    const e = configError(() => parseConfigText('seed: abc\nexperiments: [dataset-summary]\n', 'c.yaml', opts));
    expect(e.keyPath).toBe('seed');
    expect(e.message).toContain('"abc"');
  });

  it('applies --set overrides before validation (numbers, lists, experiment ids)', () => {
    const { config, overrides } = parseConfigText(minimal, 'c.yaml', {
      ...opts,
      overrides: ['dataset.users.maxUsers=3', 'dataset.users.nonPrivateUsers=[a, "7"]', 'experiments.dataset-summary.samplesPerUser=2', 'output.charts=[svg]'],
    });
    expect(config.dataset.users.maxUsers).toBe(3);
    expect(config.dataset.users.nonPrivateUsers).toEqual(['a', '7']);
    expect(config.experiments[0]!['samplesPerUser']).toBe(2);
    expect(config.output.charts).toEqual(['svg']);
    expect(overrides).toHaveLength(4);
    const bad = configError(() => parseConfigText(minimal, 'c.yaml', { ...opts, overrides: ['dataset.split.testFraction=2'] }));
    expect(bad.keyPath).toBe('dataset.split.testFraction');
    expect(configError(() => parseConfigText(minimal, 'c.yaml', { ...opts, overrides: ['novalue'] })).keyPath).toBe('--set');
    expect(configError(() => parseConfigText(minimal, 'c.yaml', { ...opts, overrides: ['dataset.sourc.type=mnist'] })).message).toContain('did you mean "dataset.source"');
  });

  it('reports malformed YAML with its line and a missing file by name', async () => {
    const e = configError(() => parseConfigText('seed: 1\ndataset: [unclosed\n', 'bad.yaml', opts));
    expect(e.message).toMatch(/bad\.yaml: line \d+, column \d+: malformed YAML/);
    await expect(loadConfig('/nonexistent/x.yaml', opts)).rejects.toThrow('/nonexistent/x.yaml: config file not found');
    expect(configError(() => parseConfigText('- a\n- b\n', 'list.yaml', opts)).message).toContain('YAML mapping');
  });

  it('loads a config file from disk with --seed applied last', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, 'my.yaml');
      await writeFile(file, minimal);
      const { config } = await loadConfig(file, { ...opts, seed: 7, overrides: ['seed=3'] });
      expect(config.seed).toBe(7);
      expect(config.name).toBe('my');
    } finally {
      await cleanup();
    }
  });
});
