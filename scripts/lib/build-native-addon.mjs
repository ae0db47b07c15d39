/**
 * Builds one Node-API addon of native/ with the system C compiler, straight into its build
 * folder; used by scripts/build-ring-kernel.mjs and scripts/build-train-kernel.mjs.
 *
 * No node-gyp (it downloads Node's headers); the Node-API headers come from the node-api-headers
 * package. The build is skipped when the binary is newer than its inputs, the calling script and
 * this module (unless `--force` is on the command line).
 *
 * Never fails: without a compiler, or if compiling or loading the result fails, it prints one
 * warning line (naming the code used instead) and exits 0. Set CC to choose the compiler and
 * PRIVEDGE_BUILD_VERBOSE=1 to see the compiler's output on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this module is scripts/lib/build-native-addon.mjs). */
export const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/**
 * @typedef {object} NativeAddonBuild
 * @property {string} script The calling script's path (a change to it rebuilds).
 * @property {string} what What the warning says was not built, e.g. `native ring kernel`.
 * @property {string} fallback What the warning says will be used instead.
 * @property {string} label The prefix of the success line, e.g. `ring kernel`.
 * @property {string} target The .node file to write.
 * @property {() => { sources: string[], inputs: string[] }} files The C files to compile and every
 *   file whose change rebuilds; may call {@link giveUp} when the sources are missing.
 * @property {string[]} [flags] Compiler flags after `-O3 -shared -fPIC -std=c11`.
 * @property {string[]} [libs] Linker arguments after the output.
 * @property {string} isaEnv The environment variable that picks the addon's code path, unset for the load check.
 */

/** @type {NativeAddonBuild | undefined} */
let current;

/**
 * Prints the single warning line and leaves with success: the fallback code takes over.
 * @param {string} reason
 * @param {string} [details] compiler output, printed first with PRIVEDGE_BUILD_VERBOSE=1
 * @returns {never}
 */
export function giveUp(reason, details) {
  if (process.env['PRIVEDGE_BUILD_VERBOSE'] === '1' && details) process.stderr.write(`${details}\n`);
  console.warn(`warning: ${current?.what ?? 'native addon'} not built (${reason}); ${current?.fallback ?? 'the fallback'} will be used`);
  process.exit(0);
}

/** @param {string} file */
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

/**
 * The first line of compiler output that names an error, else its first line.
 * @param {string} text
 */
function firstError(text) {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.find((line) => /error/i.test(line)) ?? lines[0] ?? '').slice(0, 200);
}

/**
 * Builds the addon (see the module comment); exits the process on every outcome but success.
 * @param {NativeAddonBuild} build
 */
export function buildNativeAddon(build) {
  current = build;
  const { sources, inputs } = build.files();
  const force = process.argv.includes('--force');
  const target = build.target;
  const buildDir = dirname(target);
  const self = fileURLToPath(import.meta.url);
  if (!force && existsSync(target) && mtime(target) >= Math.max(mtime(build.script), mtime(self), ...inputs.map(mtime))) {
    process.exit(0);
  }
  if (process.platform === 'win32') giveUp('building on Windows is not supported');
  const headers = includeDir();
  if (!existsSync(join(headers, 'node_api.h'))) giveUp('node-api-headers is not installed');

  const cc = process.env['CC'] || 'cc';
  const base = target.slice(buildDir.length + 1).replace(/\.node$/, '');
  const temporary = join(buildDir, `${base}.${process.pid}.tmp.node`); // .node: require() needs it
  const args = ['-O3', '-shared', '-fPIC', '-std=c11', ...(build.flags ?? []), '-I', headers, ...sources, '-o', temporary, ...(build.libs ?? [])];
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
  delete env[build.isaEnv];
  const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write(require(process.argv[1]).isa())', temporary], { encoding: 'utf8', env, timeout: 60_000 });
  if (probe.status !== 0) {
    rmSync(temporary, { force: true });
    giveUp(`the built addon does not load: ${firstError(probe.stderr ?? '')}`, probe.stderr);
  }
  renameSync(temporary, target);
  console.log(`${build.label}: built ${relative(root, target)} (default path: ${probe.stdout})`);
}
