import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** The roles of a deployment. */
export const ROLES = ['s0', 's1', 'dealer', 'client'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

/** The links of a deployment, each with its own pre-shared key: the client never talks to the dealer. */
export const LINKS: readonly (readonly [Role, Role])[] = [
  ['s0', 's1'],
  ['s0', 'dealer'],
  ['s1', 'dealer'],
  ['client', 's0'],
  ['client', 's1'],
];

/** Checks a role name from the command line or a peer. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Writes a fresh 256-bit pre-shared key for every link into `dir/<role>/<peer>.psk` (hex), each
 * key in the folders of its two ends only: `dir/s0/` is what host S0 needs, and so on. Folders
 * get mode 0700 and key files 0600. Refuses to overwrite an existing key.
 * @returns the files written.
 * @throws ConfigError naming the file if a key exists already.
 */
export function generateKeys(dir: string): string[] {
  const files: string[] = [];
  for (const [a, b] of LINKS) {
    const key = randomBytes(32).toString('hex');
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const folder = join(dir, self);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const file = join(folder, `${peer}.psk`);
      if (existsSync(file)) throw new ConfigError('', `${file} exists: keys are never overwritten (delete the folder to make new ones)`);
      writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
      files.push(file);
    }
  }
  return files;
}

/**
 * Reads the keys of `role` from `dir/<role>/*.psk`: peer role -> 32-byte key.
 * @throws ConfigError naming the file if the folder is missing, a key file is readable by group
 *   or others, or a key is not 64 hex digits.
 */
export function loadKeys(dir: string, role: Role): Map<Role, Buffer> {
  const folder = join(dir, role);
  if (!existsSync(folder)) throw new ConfigError('', `${folder}: no key folder for ${role} (create keys with "privedge keys --out ${dir}")`);
  const keys = new Map<Role, Buffer>();
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.psk')) continue;
    const peer = name.slice(0, -4);
    const file = join(folder, name);
    if (!isRole(peer)) throw new ConfigError('', `${file}: unknown peer role '${peer}'`);
    if ((statSync(file).mode & 0o077) !== 0) throw new ConfigError('', `${file}: key file is readable by others (mode ${(statSync(file).mode & 0o777).toString(8)}); chmod 600 it`);
    const hex = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new ConfigError('', `${file}: not a 256-bit key in hex`);
    keys.set(peer, Buffer.from(hex, 'hex'));
  }
  return keys;
}
