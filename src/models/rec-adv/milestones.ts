/**
 * Milestone models of a training run: at each milestone m the checkpoint a run of m iterations
 * would keep (see `trainUser`'s `milestones`), saved as a models folder of its own,
 * `<modelsDir>/milestones/iteration-<m>/user-<name>/`, with the same files and `done.json` as a
 * finished user, so everything that reads a models folder reads a milestone.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkUserWeights, readUserSummary, userModelDir } from './artifacts.js';

/** The models folder of milestone `iteration` inside `modelsDir`. */
export function milestoneModelsDir(modelsDir: string, iteration: number): string {
  return join(modelsDir, 'milestones', `iteration-${iteration}`);
}

/** Whether `user` has a complete, uncorrupted model at every milestone of `at`. */
export async function milestonesComplete(modelsDir: string, user: string, at: readonly number[]): Promise<boolean> {
  for (const m of at) {
    const dir = milestoneModelsDir(modelsDir, m);
    const summary = await readUserSummary(dir, user);
    if (!summary || (await checkUserWeights(dir, user, summary))) return false;
  }
  return true;
}

/** Removes every milestone model of `user` (before the user is trained again). */
export async function clearUserMilestones(modelsDir: string, user: string): Promise<void> {
  const root = join(modelsDir, 'milestones');
  if (!existsSync(root)) return;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory()) await rm(userModelDir(join(root, entry.name), user), { recursive: true, force: true });
  }
}
