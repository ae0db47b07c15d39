import { join } from 'node:path';
import type { UserTrainingOutputs } from '../models/rec-adv/artifacts.js';
import { writeCsv } from '../report/csv.js';
import { imageGridPng } from '../report/image-grid.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Writes what training one user produced into their model folder: `curves.csv` (D and R losses,
 * validation MSE per iteration) and, when there were sample images, `reconstructions.png`
 * (the samples above their reconstructions). Pass it to `trainUsers` as `writeOutputs`.
 */
export async function writeTrainingOutputs(userDir: string, outputs: UserTrainingOutputs): Promise<void> {
  await writeCsv(
    join(userDir, 'curves.csv'),
    outputs.curve.map((p) => ({ iteration: p.iteration, dLossReal: p.dLossReal, dLossFake: p.dLossFake, rLoss: p.rLoss, rMse: p.rMse, valMse: p.valMse })),
  );
  const sheet = outputs.reconstructions;
  if (!sheet) return;
  const n = sheet.count / 2;
  const rows = [Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => n + i)];
  const grid = await imageGridPng(sheet, rows, 3);
  await writeFileAtomic(join(userDir, 'reconstructions.png'), grid);
}
