#!/usr/bin/env node
/**
 * Builds the native Z_2^64 matrix-product kernel (native/ring-kernel/ring_kernel.c) with the
 * system C compiler, straight into native/ring-kernel/build/ring_kernel.node:
 *   node scripts/build-ring-kernel.mjs [--force]
 *
 * ring_kernel.c includes the files of native/ring-kernel/parts/ (one translation unit). One binary
 * serves every x86-64 CPU: the addon picks AVX-512, AVX2 or scalar code at load time. How it is
 * built, when it is skipped, and why it never fails (one warning line, exit 0; the TypeScript
 * kernel will be used): scripts/lib/build-native-addon.mjs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNativeAddon, giveUp, root } from './lib/build-native-addon.mjs';

const kernelDir = join(root, 'native', 'ring-kernel');
buildNativeAddon({
  script: fileURLToPath(import.meta.url),
  what: 'native ring kernel',
  fallback: 'the TypeScript kernel',
  label: 'ring kernel',
  target: join(kernelDir, 'build', 'ring_kernel.node'),
  isaEnv: 'PRIVEDGE_RING_ISA',
  files: () => {
    const source = join(kernelDir, 'ring_kernel.c');
    if (!existsSync(source)) giveUp(`${relative(root, source)} is missing`);
    // ring_kernel.c includes its parts: a change to any of them rebuilds.
    const partsDir = join(kernelDir, 'parts');
    const parts = existsSync(partsDir) ? readdirSync(partsDir).map((name) => join(partsDir, name)) : [];
    return { sources: [source], inputs: [source, ...parts] };
  },
});
