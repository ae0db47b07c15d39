import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The project root: the folder holding privedge's package.json (works from src/ and dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (dir.endsWith('/src') || dir.endsWith('/dist')) {
      const up = dirname(dir);
      if (!up.endsWith('/dist')) return up;
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Git commit and dirty flag of the project checkout, or nulls outside a git checkout. */
export async function gitState(root = packageRoot()): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], { cwd: root });
    const { stdout: status } = await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root });
    return { commit: commit.trim(), dirty: status.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

const TRACKED = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'sharp', 'vega', 'vega-lite', 'zod', 'yaml', 'h5wasm', 'mnist', 'csv-stringify'];

/** Versions of Node, privedge and the libraries that shape results. */
export async function libraryVersions(root = packageRoot()): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version };
  const read = async (pkg: string): Promise<string | undefined> => {
    try {
      return (JSON.parse(await readFile(join(root, pkg === 'privedge' ? '' : `node_modules/${pkg}`, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return undefined;
    }
  };
  for (const pkg of ['privedge', ...TRACKED]) {
    const v = await read(pkg);
    if (v) out[pkg] = v;
  }
  try {
    const sharp = (await import('sharp')).default;
    out['libvips'] = sharp.versions.vips;
  } catch {
    /* sharp missing: leave it out */
  }
  return out;
}

/** The machine a run happened on. */
export function hostInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}
