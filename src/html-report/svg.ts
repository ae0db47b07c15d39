import { html, trustedHtml, type Html } from './escape.js';

/**
 * Markup that could run code or fetch something when inlined: scripts, event handlers, embedded
 * HTML, and references to anything but a fragment of the SVG itself.
 */
const UNSAFE = /<\s*(script|foreignObject|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript:|href\s*=\s*(?!["']?#)|url\(\s*(?!['"]?#)|@import/i;

/** True when an SVG document is a plain drawing (see {@link inlineSvg}). */
export function isPlainSvg(svg: string): boolean {
  return /^<svg[\s>]/.test(svg) && !UNSAFE.test(svg);
}

/**
 * Prepares a chart's SVG file for inlining into a page that holds many charts: strips the XML
 * prolog, and prefixes every `id` (and every `url(#id)` / `href="#id"` pointing at one) with
 * `idPrefix`, because vega names gradients and clip paths `gradient_0`, `clip1` in every file and
 * the first definition in a page would win. A file that is not a plain drawing (a script, an
 * event handler, an external reference) is embedded as an `<img>` data URL instead, where it can
 * neither run nor load anything.
 */
export function inlineSvg(svgText: string, idPrefix: string, alt: string): Html {
  const svg = svgText.replace(/^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?/i, '').trim();
  if (!isPlainSvg(svg)) {
    const src = `data:image/svg+xml;base64,${Buffer.from(svgText, 'utf8').toString('base64')}`;
    return html`<img class="chart-img" src="${src}" alt="${alt}">`;
  }
  const tags = /<[a-zA-Z][^>]*>/g;
  const ids = new Set([...svg.matchAll(tags)].flatMap((t) => [...t[0].matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)));
  if (ids.size === 0) return trustedHtml(svg);
  const ref = (id: string): string => (ids.has(id) ? idPrefix + id : id);
  const prefixed = svg.replace(tags, (tag) =>
    tag
      .replace(/(\sid=")([^"]+)"/g, (_, a: string, id: string) => `${a}${idPrefix}${id}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${ref(id)})`)
      .replace(/(href=")#([^"]+)"/g, (_, a: string, id: string) => `${a}#${ref(id)}"`),
  );
  return trustedHtml(prefixed);
}
