/**
 * Checks the relative links of Markdown pages: every `[text](target)` that is not a URL must
 * name an existing file or folder, and a `#heading` part must name a heading of the target page
 * (GitHub's anchors). Used by `doc-links.test.ts`; also runnable:
 *   node --import tsx scripts/doc-links.ts README.md docs/*.md
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A link that does not resolve, with the page it is on and why. */
export interface BrokenLink {
  readonly page: string;
  readonly target: string;
  readonly reason: string;
}

/** The page's text without fenced code blocks (their lines are blanked, so line numbers stay). */
function withoutFences(markdown: string): string {
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** The targets of the page's relative links (no `scheme:` URLs), outside code. */
export function relativeLinks(markdown: string): string[] {
  const text = withoutFences(markdown).replace(/`[^`\n]*`/g, '');
  const targets: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]!;
    if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) targets.push(target);
  }
  return targets;
}

/** GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every broken relative link of `pages` (paths relative to `root`). */
export function brokenLinks(root: string, pages: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const page of pages) {
    const pagePath = resolve(root, page);
    const markdown = readFileSync(pagePath, 'utf8');
    for (const target of relativeLinks(markdown)) {
      const [path = '', anchor] = target.split('#', 2);
      const file = path === '' ? pagePath : resolve(dirname(pagePath), decodeURIComponent(path));
      if (!existsSync(file)) {
        broken.push({ page, target, reason: `no such file: ${relative(root, file)}` });
        continue;
      }
      if (anchor !== undefined && file.endsWith('.md') && !headingAnchors(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push({ page, target, reason: `no heading #${anchor} in ${relative(root, file)}` });
      }
    }
  }
  return broken;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const broken = brokenLinks(process.cwd(), process.argv.slice(2));
  for (const b of broken) console.error(`${b.page}: ${b.target}: ${b.reason}`);
  process.exitCode = broken.length > 0 ? 1 : 0;
}
