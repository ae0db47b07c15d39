#!/usr/bin/env node
/**
 * Builds the native float32 training kernels (native/train-kernel/*.c: convolution forward and
 * gradients for the tfjs wasm backend) with the system C compiler, straight into
 * native/train-kernel/build/train_kernel.node:
 *   node scripts/build-train-kernel.mjs [--force]
 *
 * No node-gyp; the Node-API headers come from the node-api-headers package. One binary serves
 * every x86-64 CPU: the addon picks AVX2+FMA or portable C at load time. The build is skipped when
 * the binary is newer than its sources and this script.
 *
 * Never fails: without a compiler, or if compiling or loading the result fails, it prints one
 * warning line (the wasm backend's own kernels will be used) and exits 0. Set CC to choose the
 * compiler and PRIVEDGE_BUILD_VERBOSE=1 to see the compiler's output on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(import.meta.url);
const root = dirname(dirname(script));
const sourceDir = join(root, 'native', 'train-kernel');
const buildDir = join(sourceDir, 'build');
const target = join(buildDir, 'train_kernel.node');
const force = process.argv.includes('--force');
const verbose = process.env['PRIVEDGE_BUILD_VERBOSE'] === '1';

/** Prints the single warning line and leaves with success: the wasm kernels take over. */
function giveUp(reason, details) {
  if (verbose && details) process.stderr.write(`${details}\n`);
  console.warn(`warning: native training kernels not built (${reason}); the wasm backend's kernels will be used`);
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

if (!existsSync(sourceDir)) giveUp(`${relative(root, sourceDir)} is missing`);
const files = readdirSync(sourceDir).filter((name) => /\.[ch]$/.test(name)).map((name) => join(sourceDir, name));
const sources = files.filter((file) => file.endsWith('.c'));
if (sources.length === 0) giveUp(`no C sources in ${relative(root, sourceDir)}`);
if (!force && existsSync(target) && mtime(target) >= Math.max(mtime(script), ...files.map(mtime))) {
  process.exit(0);
}
if (process.platform === 'win32') giveUp('building on Windows is not supported');
const headers = includeDir();
if (!existsSync(join(headers, 'node_api.h'))) giveUp('node-api-headers is not installed');

const cc = process.env['CC'] || 'cc';
const temporary = join(buildDir, `train_kernel.${process.pid}.tmp.node`); // .node: require() needs it
// -ffp-contract=off: no compiler-made fused multiply-adds, so the only ones are the kernel's own
// (the scalar and AVX2 paths then give the same bits).
const args = ['-O3', '-shared', '-fPIC', '-std=c11', '-ffp-contract=off', '-I', headers, ...sources, '-o', temporary, '-lm'];
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
delete env['PRIVEDGE_TRAIN_ISA'];
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
console.log(`training kernels: built ${relative(root, target)} (default path: ${probe.stdout})`);
