#!/usr/bin/env node
/**
 * Builds the native float32 training kernels (native/train-kernel/*.c: convolution forward and
 * gradients for the tfjs wasm backend) with the system C compiler, straight into
 * native/train-kernel/build/train_kernel.node:
 *   node scripts/build-train-kernel.mjs [--force]
 *
 * One binary serves every x86-64 CPU: the addon picks AVX2+FMA or portable C at load time. How it
 * is built, when it is skipped, and why it never fails (one warning line, exit 0; the wasm
 * backend's own kernels will be used): scripts/lib/build-native-addon.mjs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNativeAddon, giveUp, root } from './lib/build-native-addon.mjs';

const sourceDir = join(root, 'native', 'train-kernel');
buildNativeAddon({
  script: fileURLToPath(import.meta.url),
  what: 'native training kernels',
  fallback: "the wasm backend's kernels",
  label: 'training kernels',
  target: join(sourceDir, 'build', 'train_kernel.node'),
  isaEnv: 'PRIVEDGE_TRAIN_ISA',
  // -ffp-contract=off: no compiler-made fused multiply-adds, so the only ones are the kernel's own
  // (the scalar and AVX2 paths then give the same bits).
  flags: ['-ffp-contract=off'],
  libs: ['-lm'],
  files: () => {
    if (!existsSync(sourceDir)) giveUp(`${relative(root, sourceDir)} is missing`);
    const inputs = readdirSync(sourceDir).filter((name) => /\.[ch]$/.test(name)).map((name) => join(sourceDir, name));
    const sources = inputs.filter((file) => file.endsWith('.c'));
    if (sources.length === 0) giveUp(`no C sources in ${relative(root, sourceDir)}`);
    return { sources, inputs };
  },
});
