import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { arraySpec, markerName, pipelineStages, sbatchArguments, shellQuote, stageScript, submissionPlan, type SlurmPipeline } from './slurm-scripts.js';

const pipeline = (over: Partial<SlurmPipeline> = {}): SlurmPipeline => ({
  name: 'privedge-smoke',
  jobDir: '/r/slurm/smoke-abc',
  workDir: '/home/me/privedge',
  outDir: '/r',
  configFile: '/r/slurm/smoke-abc/config.resolved.yaml',
  privedge: 'node /opt/privedge/bin/privedge.js',
  setup: [],
  trainShards: 4,
  predict: { shards: 3, runDir: '/r/identification/0a2491ab2e', queries: 12, order: 'spread', fixed: 20 },
  resources: { cpusPerTask: 2, mem: '8G', time: '4:00:00', extra: [] },
  ...over,
});

const train = (i: number, n = 4) => markerName('train', { index: i, count: n });
const predict = (i: number, n = 3) => markerName('predict', { index: i, count: n });
const allTrain = [0, 1, 2, 3].map((i) => train(i));
const allPredict = [0, 1, 2].map((i) => predict(i));

describe('arraySpec', () => {
  it('collapses runs of task indices into ranges, sorted and without duplicates', () => {
    expect(arraySpec([0, 1, 2, 3])).toBe('0-3');
    expect(arraySpec([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arraySpec([8, 3, 3, 1])).toBe('1,3,8');
    expect(arraySpec([6])).toBe('6');
    expect(() => arraySpec([])).toThrow('no task indices');
  });
});

describe('submissionPlan', () => {
  it('submits every stage of a fresh pipeline, each after the one before', () => {
    expect(submissionPlan(pipeline(), new Set())).toEqual([
      { stage: 'train', script: 'train.sbatch', array: '0-3', clearMarkers: [] },
      { stage: 'evaluate', script: 'evaluate.sbatch', after: 'train', clearMarkers: [] },
      { stage: 'predict', script: 'predict.sbatch', array: '0-2', after: 'evaluate', clearMarkers: [] },
      { stage: 'merge', script: 'merge.sbatch', after: 'predict', clearMarkers: [] },
    ]);
  });

  it('has no private stages without a predict stage', () => {
    const { predict: _p, ...rest } = pipeline();
    expect(pipelineStages(rest).map((s) => s.name)).toEqual(['train', 'evaluate']);
    expect(submissionPlan(rest, new Set()).map((s) => s.stage)).toEqual(['train', 'evaluate']);
  });

  it('re-submits only the training shards whose markers are missing', () => {
    const plan = submissionPlan(pipeline(), new Set([train(0), train(3)]));
    expect(plan[0]).toEqual({ stage: 'train', script: 'train.sbatch', array: '1-2', clearMarkers: [] });
    expect(plan.map((s) => [s.stage, s.array, s.after])).toEqual([
      ['train', '1-2', undefined],
      ['evaluate', undefined, 'train'],
      ['predict', '0-2', 'evaluate'],
      ['merge', undefined, 'predict'],
    ]);
  });

  it('starts at the first incomplete stage without a dependency, and re-runs every later stage in full', () => {
    const plan = submissionPlan(pipeline(), new Set([...allTrain, 'evaluate', predict(0), predict(2), 'merge']));
    expect(plan).toEqual([
      { stage: 'predict', script: 'predict.sbatch', array: '1', clearMarkers: [] },
      { stage: 'merge', script: 'merge.sbatch', after: 'predict', clearMarkers: ['merge'] },
    ]);
    // A training shard missing (its marker removed): evaluation and the private stages run again, their markers cleared.
    const again = submissionPlan(pipeline(), new Set([train(0), train(1), train(3), 'evaluate', ...allPredict, 'merge']));
    expect(again.map((s) => [s.stage, s.array ?? null, s.after ?? null, s.clearMarkers])).toEqual([
      ['train', '2', null, []],
      ['evaluate', null, 'train', ['evaluate']],
      ['predict', '0-2', 'evaluate', allPredict],
      ['merge', null, 'predict', ['merge']],
    ]);
  });

  it('is empty when every marker is there; markers of another shard count do not count', () => {
    expect(submissionPlan(pipeline(), new Set([...allTrain, 'evaluate', ...allPredict, 'merge']))).toEqual([]);
    const otherCount = submissionPlan(pipeline(), new Set([train(0, 2), train(1, 2), 'evaluate', ...allPredict, 'merge']));
    expect(otherCount[0]).toMatchObject({ stage: 'train', array: '0-3' });
  });
});

describe('sbatchArguments', () => {
  it('passes the array spec, waits afterok for the given job (cancelled if it fails) and names the script last', () => {
    const [trainSub, evaluateSub] = submissionPlan(pipeline(), new Set([train(1)]));
    expect(sbatchArguments(pipeline(), trainSub!)).toEqual(['--parsable', '--array=0,2-3', '/r/slurm/smoke-abc/train.sbatch']);
    expect(sbatchArguments(pipeline(), evaluateSub!, '41')).toEqual(['--parsable', '--dependency=afterok:41', '--kill-on-invalid-dep=yes', '/r/slurm/smoke-abc/evaluate.sbatch']);
    expect(() => sbatchArguments(pipeline(), evaluateSub!)).toThrow('evaluate waits for train');
  });
});

describe('stageScript', () => {
  const stage = (name: string, p = pipeline()) => pipelineStages(p).find((s) => s.name === name)!;
  const sbatchLines = (text: string) => text.split('\n').filter((l) => l.startsWith('#SBATCH '));

  it('writes the resources, the folder and a log per task into #SBATCH lines; the GPU request only for training and evaluation', () => {
    const p = pipeline({ resources: { cpusPerTask: 4, mem: '16G', time: '2-00:00:00', partition: 'gpu', account: 'lab', gres: 'gpu:1', extra: ['--qos=long'] } });
    expect(sbatchLines(stageScript(p, stage('train', p)))).toEqual([
      '#SBATCH --job-name=privedge-smoke-train',
      '#SBATCH --chdir=/home/me/privedge',
      '#SBATCH --output=/r/slurm/smoke-abc/logs/train-%a.%A.log',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=16G',
      '#SBATCH --time=2-00:00:00',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --qos=long',
    ]);
    expect(sbatchLines(stageScript(p, stage('evaluate', p)))).toContain('#SBATCH --gres=gpu:1');
    expect(sbatchLines(stageScript(p, stage('evaluate', p)))).toContain('#SBATCH --output=/r/slurm/smoke-abc/logs/evaluate.%j.log');
    expect(stageScript(p, stage('predict', p))).not.toContain('--gres');
    const merge = sbatchLines(stageScript(p, stage('merge', p)));
    expect(merge).not.toContain('#SBATCH --gres=gpu:1');
    expect(merge).toContain('#SBATCH --cpus-per-task=1');
  });

  it('runs each stage with the shard count written in (not SLURM_ARRAY_TASK_COUNT)', () => {
    const p = pipeline({ setup: ['module load cuda/11.8'] });
    const commandOf = (name: string) => stageScript(p, stage(name, p)).split('\n').find((l) => l.startsWith('privedge '));
    expect(commandOf('train')).toBe('privedge train /r/slurm/smoke-abc/config.resolved.yaml --out /r --shard "$shard/4"');
    expect(commandOf('evaluate')).toBe('privedge run /r/slurm/smoke-abc/config.resolved.yaml --out /r');
    expect(commandOf('predict')).toBe('privedge predict-private --run /r/identification/0a2491ab2e --queries 12 --order spread --fixed-point-bits 20 --shard "$shard/3" --log --resume');
    expect(commandOf('merge')).toBe('privedge predict-private --run /r/identification/0a2491ab2e --merge');
    const all = pipeline({ predict: { shards: 2, runDir: '/r/id', queries: 'all', order: 'first', fixed: 16 } });
    expect(stageScript(all, stage('predict', all))).toContain('predict-private --run /r/id --all --order first --fixed-point-bits 16 --shard "$shard/2"');
    expect(stageScript(p, stage('train', p))).toContain('module load cuda/11.8\nprivedge() { node /opt/privedge/bin/privedge.js "$@"; }\n');
    expect(stageScript(p, stage('train', p))).not.toContain('SLURM_ARRAY_TASK_COUNT');
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest so that bash reads them back unchanged', () => {
    expect(shellQuote('/a/b-c_d.yaml')).toBe('/a/b-c_d.yaml');
    const nasty = ["it's", 'a b', '$HOME', 'x"y', '`id`', ''];
    const echoed = execFileSync('bash', ['-c', `printf '%s\\n' ${nasty.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(echoed).toBe(nasty.map((s) => `${s}\n`).join(''));
  });
});
