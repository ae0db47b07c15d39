/**
 * Loading a Node-API addon that the package builds itself (`native/<name>/build/<name>.node`, by
 * `scripts/lib/build-native-addon.mjs`), for modules that fall back to other code without it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon loaded (and what `inspect` made of it), or why not. */
export type NativeAddonLoad<T> = { readonly loaded: T } | { readonly reason: string };

/**
 * Loads the addon at `binary` (relative to the package root) and passes it to `inspect`. Never
 * throws: no package root, a binary not built, or a failure to load it (or to inspect it) gives
 * the reason instead; a failure also emits a process warning `<reason>; using <fallback.using>`
 * with code `fallback.code`, since a built addon that does not load is a surprise.
 */
export function loadNativeAddon<A, T>(binary: string, inspect: (addon: A) => T, fallback: { readonly using: string; readonly code: string }): NativeAddonLoad<T> {
  const root = packageRoot();
  if (root === undefined) return { reason: 'package root (package.json) not found' };
  const file = join(root, binary);
  if (!existsSync(file)) return { reason: `${binary} not built (npm run build:native)` };
  try {
    return { loaded: inspect(createRequire(import.meta.url)(file) as A) };
  } catch (error) {
    const reason = `loading ${binary} failed: ${error instanceof Error ? error.message : String(error)}`;
    process.emitWarning(`${reason}; using ${fallback.using}`, { code: fallback.code });
    return { reason };
  }
}

/** The nearest folder above this module holding a package.json (works from src/ and dist/src/). */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
