import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experiments } from '../../experiments/index.js';
import { projectRoot } from '../testing/fixtures.js';
import { configReference, REFERENCE_END, REFERENCE_PAGE, REFERENCE_START, replaceReference } from './reference.js';

describe('configuration reference page (docs/configuration.md)', () => {
  it('is the one generated from the schemas (run `npm run docs:config` after changing a key)', () => {
    const page = readFileSync(join(projectRoot, REFERENCE_PAGE), 'utf8');
    const start = page.indexOf(REFERENCE_START);
    const end = page.indexOf(REFERENCE_END) + REFERENCE_END.length;
    expect(start).toBeGreaterThan(0);
    expect(page.slice(start, end)).toBe(configReference(experiments));
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

  it('replaces only the text between the markers, and names the page that has none', () => {
    const page = `# Title\n\nintro\n\n${REFERENCE_START}\nold\n${REFERENCE_END}\n\nafter\n`;
    expect(replaceReference(page, `${REFERENCE_START}\nnew\n${REFERENCE_END}`)).toBe(`# Title\n\nintro\n\n${REFERENCE_START}\nnew\n${REFERENCE_END}\n\nafter\n`);
    expect(() => replaceReference('# no markers\n', 'x', 'docs/x.md')).toThrow('docs/x.md has no config-reference markers');
  });
});
