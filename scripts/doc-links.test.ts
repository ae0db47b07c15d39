import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, tempDir } from '../src/testing/fixtures.js';
import { brokenLinks, headingAnchors, relativeLinks } from './doc-links.js';

/** The README, every docs page and every module README. */
function pages(): string[] {
  const docs = readdirSync(join(projectRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  const modules = readdirSync(join(projectRoot, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(projectRoot, 'src', d.name)).includes('README.md'))
    .map((d) => `src/${d.name}/README.md`);
  return ['README.md', ...docs, ...modules];
}

describe('relative links in the documentation', () => {
  it('all resolve to an existing file and heading', () => {
    const list = pages();
    expect(list).toContain('docs/README.md');
    expect(brokenLinks(projectRoot, list)).toEqual([]);
  });

  it('the README links to every docs page', () => {
    const linked = new Set(relativeLinks(readFileText('README.md')).map((t) => t.split('#')[0]));
    for (const page of pages().filter((p) => p.startsWith('docs/'))) expect(linked, page).toContain(page);
  });
});

describe('the link checker', () => {
  it('finds relative links outside code, skipping URLs', () => {
    const md = [
      'See [a](docs/a.md#x-y) and [`b`](../b/) and ![img](c.png "title").',
      'Not [web](https://example.org) nor [mail](mailto:x@y.z); `[code](d.md)` is code.',
      '```sh',
      '[fenced](e.md)',
      '```',
      '[same page](#top)',
    ].join('\n');
    expect(relativeLinks(md)).toEqual(['docs/a.md#x-y', '../b/', 'c.png', '#top']);
  });

  it('makes GitHub anchors of headings (not of fenced comments)', () => {
    const md = ['# Top', '## The cross-system table (`compare`)', '## 2P-DNN (Paillier)', '## Top', '```sh', '# not a heading', '```'].join('\n');
    expect([...headingAnchors(md)]).toEqual(['top', 'the-cross-system-table-compare', '2p-dnn-paillier', 'top-1']);
  });

  it('reports missing files and missing headings', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'docs'));
      await writeFile(join(dir, 'docs', 'a.md'), '# A\n\n## Part one\n');
      await writeFile(join(dir, 'README.md'), '[ok](docs/a.md#part-one) [self](#readme) [gone](docs/b.md) [bad](docs/a.md#part-two)\n\n# Readme\n');
      expect(brokenLinks(dir, ['README.md'])).toEqual([
        { page: 'README.md', target: 'docs/b.md', reason: 'no such file: docs/b.md' },
        { page: 'README.md', target: 'docs/a.md#part-two', reason: 'no heading #part-two in docs/a.md' },
      ]);
    } finally {
      await cleanup();
    }
  });
});

function readFileText(page: string): string {
  return readFileSync(join(projectRoot, page), 'utf8');
}
