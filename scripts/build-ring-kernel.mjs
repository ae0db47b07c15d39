#!/usr/bin/env node
/**
 * Builds the native Z_2^64 matrix-product kernel (native/ring-kernel/ring_kernel.c) with the
 * system C compiler, straight into native/ring-kernel/build/ring_kernel.node:
 *   node scripts/build-ring-kernel.mjs [--force]
 *
 * No node-gyp (it downloads Node's headers); the Node-API headers come from the node-api-headers
 * package. ring_kernel.c includes the files of native/ring-kernel/parts/. One binary serves every x86-64 CPU: the addon picks AVX-512, AVX2 or scalar code at
 * load time. The build is skipped when the binary is newer than its source and this script.
 *
 * Never fails: without a compiler, or if compiling or loading the result fails, it prints one
 * warning line (the TypeScript kernel will be used) and exits 0. Set CC to choose the compiler
 * and PRIVEDGE_BUILD_VERBOSE=1 to see the compiler's output on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(import.meta.url);
const root = dirname(dirname(script));
const source = join(root, 'native', 'ring-kernel', 'ring_kernel.c');
// ring_kernel.c includes its parts (one translation unit): a change to any of them rebuilds.
const partsDir = join(root, 'native', 'ring-kernel', 'parts');
const parts = existsSync(partsDir) ? readdirSync(partsDir).map((name) => join(partsDir, name)) : [];
const buildDir = join(root, 'native', 'ring-kernel', 'build');
const target = join(buildDir, 'ring_kernel.node');
const force = process.argv.includes('--force');
const verbose = process.env['PRIVEDGE_BUILD_VERBOSE'] === '1';

/** Prints the single warning line and leaves with success: the TypeScript kernel takes over. */
function giveUp(reason, details) {
  if (verbose && details) process.stderr.write(`${details}\n`);
  console.warn(`warning: native ring kernel not built (${reason}); the TypeScript kernel will be used`);
  process.exit(0);
}

function mtime(file) {
  return statSync(file).mtimeMs;
}

function includeDir() {
  try {
    return createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    return join(root, 'node_modules', 'node-api-headers', 'include');
  }
}

/** The first line of compiler output that names an error, else its first line. */
function firstError(text) {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.find((line) => /error/i.test(line)) ?? lines[0] ?? '').slice(0, 200);
}

if (!existsSync(source)) giveUp(`${relative(root, source)} is missing`);
if (!force && existsSync(target) && mtime(target) >= Math.max(mtime(source), mtime(script), ...parts.map(mtime))) {
  process.exit(0);
}
if (process.platform === 'win32') giveUp('building on Windows is not supported');
const headers = includeDir();
if (!existsSync(join(headers, 'node_api.h'))) giveUp('node-api-headers is not installed');

const cc = process.env['CC'] || 'cc';
const temporary = join(buildDir, `ring_kernel.${process.pid}.tmp.node`); // .node: require() needs it
const args = ['-O3', '-shared', '-fPIC', '-std=c11', '-I', headers, source, '-o', temporary];
if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
mkdirSync(buildDir, { recursive: true });
const compiled = spawnSync(cc, args, { encoding: 'utf8', timeout: 300_000 });
if (compiled.error) {
  rmSync(temporary, { force: true });
  const code = /** @type {NodeJS.ErrnoException} */ (compiled.error).code;
  giveUp(code === 'ENOENT' ? `no C compiler: '${cc}' not found` : `${cc}: ${compiled.error.message}`);
}
if (compiled.status !== 0) {
  rmSync(temporary, { force: true });
  const output = `${compiled.stderr}${compiled.stdout}`;
  giveUp(`${cc} failed: ${firstError(output) || `exit status ${compiled.status}`}`, output);
}

// Load it in a child (with the default ISA) before installing it, so a broken binary never lands.
const env = { ...process.env };
delete env['PRIVEDGE_RING_ISA'];
const probe = spawnSync(
  process.execPath,
  ['-e', 'process.stdout.write(require(process.argv[1]).isa())', temporary],
  { encoding: 'utf8', env, timeout: 60_000 },
);
if (probe.status !== 0) {
  rmSync(temporary, { force: true });
  giveUp(`the built addon does not load: ${firstError(probe.stderr ?? '')}`, probe.stderr);
}
renameSync(temporary, target);
console.log(`ring kernel: built ${relative(root, target)} (default path: ${probe.stdout})`);
