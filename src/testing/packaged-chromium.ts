/**
 * Test support: a headless Chromium that `npm ci` brings, for machines with Node alone.
 *
 * The npm package `@sparticuz/chromium` ships chrome-headless-shell inside its tarball
 * (`bin/chromium.br`, Brotli) with the only libraries it needs beyond glibc (NSS, NSPR, expat:
 * `bin/al2023.tar.br`) and a font set (`bin/fonts.tar.br`). This module unpacks them once per
 * package version into `<tmpdir>/privedge-chromium-<version>-<uid>/` (atomically: unpacked under a
 * temporary name, then renamed) and says how to start the browser: the executable plus the
 * environment (`LD_LIBRARY_PATH`, `FONTCONFIG_PATH`) of the child process. Nothing of the
 * package's own JavaScript runs, and the parent's environment is not changed.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';

const unbrotli = promisify(brotliDecompress);

/** How to start the packaged browser. */
export interface PackagedChromium {
  readonly executable: string;
  /** Variables to add to the child's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly version: string;
}

/** The folder of the installed `@sparticuz/chromium` package, or null when it is not installed. */
export function packagedChromiumDir(): string | null {
  try {
    // The package exports only its entry (build/esm/index.js): walk up to the folder holding bin/.
    let dir = dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'));
    for (let i = 0; i < 4 && !existsSync(join(dir, 'bin', 'chromium.br')); i++) dir = dirname(dir);
    return existsSync(join(dir, 'bin', 'chromium.br')) ? dir : null;
  } catch {
    return null;
  }
}

/**
 * Regular files and folders of a (POSIX ustar / GNU) tar archive, written below `dest`. Entries
 * whose path would leave `dest` are refused.
 */
export async function extractTar(archive: Uint8Array, dest: string): Promise<string[]> {
  const written: string[] = [];
  const text = (at: number, length: number): string => {
    const raw = Buffer.from(archive.subarray(at, at + length)).toString('utf8');
    const nul = raw.indexOf('\0');
    return nul < 0 ? raw : raw.slice(0, nul);
  };
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= archive.length) {
    const name = text(at, 100);
    if (name === '') break;
    const size = Number.parseInt(text(at + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(archive[at + 156] ?? 0);
    const prefix = text(at + 345, 155);
    const mode = Number.parseInt(text(at + 100, 8).trim() || '644', 8);
    const body = archive.subarray(at + 512, at + 512 + size);
    let path = longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = undefined;
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = text(at - Math.ceil(size / 512) * 512, size);
      continue;
    }
    path = normalize(path);
    if (path.startsWith('..') || path.startsWith('/')) throw new Error(`tar: entry "${path}" leaves the destination`);
    const target = join(dest, path);
    if (type === '5') await mkdir(target, { recursive: true });
    else if (type === '0' || type === '\0') {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, body);
      await chmod(target, mode & 0o777);
      written.push(path);
    }
  }
  return written;
}

/**
 * The packaged Chromium, unpacked on first use (about 3 s; 190 MB in the temporary folder), or
 * null when `@sparticuz/chromium` is not installed.
 */
export async function packagedChromium(): Promise<PackagedChromium | null> {
  const pkg = packagedChromiumDir();
  if (pkg === null) return null;
  const version = (JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const home = join(tmpdir(), `privedge-chromium-${version}-${userInfo().uid}`);
  const found = (): PackagedChromium => ({
    executable: join(home, 'chromium'),
    env: { LD_LIBRARY_PATH: [join(home, 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'), FONTCONFIG_PATH: join(home, 'fonts') },
    version,
  });
  if (existsSync(join(home, 'chromium'))) return found();
  const staging = `${home}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const bin = join(pkg, 'bin');
    await writeFile(join(staging, 'chromium'), await unbrotli(await readFile(join(bin, 'chromium.br'))), { mode: 0o700 });
    await extractTar(await unbrotli(await readFile(join(bin, 'al2023.tar.br'))), staging);
    await extractTar(await unbrotli(await readFile(join(bin, 'fonts.tar.br'))), join(staging, 'fonts'));
    // The package's fonts.conf names Lambda's folders: point fontconfig at ours and the system's.
    await writeFile(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(home, 'fonts', 'fonts')}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(home, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    await rename(staging, home);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process unpacked it first: use theirs.
    if (existsSync(join(home, 'chromium'))) return found();
    throw error;
  }
  return found();
}
