import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunError } from '../../errors.js';
import type { EnrolledReconstructor } from '../private-reconstructor/reconstructor.js';
import { readTreeFile, writeTreeFile } from './tree-file.js';

/**
 * A server's own folder (mode 0700): `users.json` lists the enrolled model ids in enrolment
 * order, `users/<n>-<hash>.share` holds each user's enrolled share (this server's shares of the
 * weights, of the weight mask and the public masked weights), mode 0600, written atomically.
 */
export class ServerState {
  readonly dir: string;
  readonly #users: EnrolledReconstructor[] = [];

  /**
   * Opens (or creates) `dir` and loads every enrolled user.
   * @throws RunError naming the folder if it is accessible by group or others, or a file is bad.
   */
  constructor(dir: string) {
    this.dir = dir;
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new RunError(dir, `state folder is accessible by others (mode ${mode.toString(8)}); chmod 700 it`);
    mkdirSync(join(dir, 'users'), { recursive: true, mode: 0o700 });
    for (const id of this.#index()) this.#users.push(readTreeFile(this.#file(id)) as EnrolledReconstructor);
  }

  /** Enrolled users in enrolment order. */
  get users(): readonly EnrolledReconstructor[] {
    return this.#users;
  }

  /** Stores a newly enrolled user (file first, then the index). */
  add(user: EnrolledReconstructor): void {
    if (this.#users.some((u) => u.modelId === user.modelId)) throw new RunError(this.dir, `user '${user.modelId}' is enrolled already`);
    writeTreeFile(this.#file(user.modelId), user);
    this.#users.push(user);
    const index = join(this.dir, 'users.json');
    writeFileSync(`${index}.tmp`, `${JSON.stringify({ modelIds: this.#users.map((u) => u.modelId) }, null, 1)}\n`, { mode: 0o600 });
    renameSync(`${index}.tmp`, index);
  }

  #index(): string[] {
    const index = join(this.dir, 'users.json');
    if (!existsSync(index)) return [];
    const ids = (JSON.parse(readFileSync(index, 'utf8')) as { modelIds?: unknown }).modelIds;
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw new RunError(index, 'modelIds must be a list of strings');
    return ids as string[];
  }

  #file(modelId: string): string {
    return join(this.dir, 'users', `${createHash('sha256').update(modelId).digest('hex').slice(0, 24)}.share`);
  }
}
