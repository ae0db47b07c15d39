import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experiments } from '../../experiments/index.js';
import { projectRoot } from '../testing/fixtures.js';
import { configReference, REFERENCE_END, REFERENCE_START } from './reference.js';

describe('README configuration reference', () => {
  it('is the one generated from the schemas (run `npm run docs:config` after changing a key)', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END) + REFERENCE_END.length;
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start, end)).toBe(configReference(experiments));
  });

  it('documents every key with a description', () => {
    const reference = configReference(experiments);
    for (const line of reference.split('\n').filter((l) => l.startsWith('| `'))) {
      expect(line.split('|').at(-2)!.trim(), line).not.toBe('');
    }
    for (const key of ['dataset.users.nonPrivateUsers', 'dataset.transforms.sampleBias.keep', 'output.pngScale', 'experiments[].samplesPerUser']) {
      expect(reference).toContain(`\`${key}\``);
    }
  });
});
