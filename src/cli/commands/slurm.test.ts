import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, tempDir } from '../../testing/fixtures.js';
import { runCli } from '../../testing/cli.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } });
  return { code, out, err };
}

describe('privedge slurm', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });
  const config = join(projectRoot, 'configs/smoke/slurm.yaml');

  it('--dry-run writes the scripts with the resources asked for and prints the sbatch commands, submitting nothing', async () => {
    const out = join(tmp.dir, 'results');
    const r = await run(['slurm', config, '--shards', '4', '--private-shards', '2', '--queries', '4', '--out', out, '--cpus-per-task', '1', '--mem', '2G', '--time', '15:00', '--gres', 'gpu:1', '--backend', 'tensorflow', '--privedge', 'npx privedge', '--dry-run']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const jobDir = /^job folder: (\S+)$/m.exec(r.out)![1]!;
    expect(jobDir.startsWith(join(out, 'slurm', 'smoke-slurm-'))).toBe(true);
    expect(r.out.match(/^would submit .*$/gm)).toEqual([
      `would submit train    sbatch --parsable --array=0-3 ${jobDir}/train.sbatch`,
      `would submit evaluate sbatch --parsable --dependency=afterok:$train_job --kill-on-invalid-dep=yes ${jobDir}/evaluate.sbatch`,
      `would submit predict  sbatch --parsable --array=0-1 --dependency=afterok:$evaluate_job --kill-on-invalid-dep=yes ${jobDir}/predict.sbatch`,
      `would submit merge    sbatch --parsable --dependency=afterok:$predict_job --kill-on-invalid-dep=yes ${jobDir}/merge.sbatch`,
    ]);
    const trainScript = await readFile(join(jobDir, 'train.sbatch'), 'utf8');
    expect(trainScript).toContain('#SBATCH --gres=gpu:1\n');
    expect(trainScript).toContain('#SBATCH --mem=2G\n');
    expect(trainScript).toContain('privedge() { npx privedge "$@"; }');
    expect(await readFile(join(jobDir, 'config.resolved.yaml'), 'utf8')).toMatch(/^backend: tensorflow$/m);
    expect(existsSync(join(jobDir, 'submissions.log'))).toBe(false);
  });

  it('exits 2 on wrong usage, naming the option', async () => {
    const base = ['slurm', config, '--out', join(tmp.dir, 'bad'), '--privedge', 'true', '--dry-run'];
    const zero = await run([...base, '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('--shards must be a whole number >= 1, got 0');
    const sbatch = await run([...base, '--shards', '2', '--sbatch', 'qos=long']);
    expect(sbatch.code).toBe(2);
    expect(sbatch.err).toContain('--sbatch takes an sbatch option such as --qos=long, got "qos=long"');
    const missing = await run(['slurm', config, '--dry-run']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('shards');
  });
});
