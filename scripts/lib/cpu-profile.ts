/**
 * Summaries of a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` and the inspector's
 * `Profiler.stop` produce), for `bench:mpc --profile`.
 */

/** The parts of a V8 CPU profile read here. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  /** The node sampled at each tick. */
  readonly samples: readonly number[];
  /** Microseconds since the previous sample, one per sample. */
  readonly timeDeltas: readonly number[];
}

/** Self time of one function. */
export interface SelfTime {
  /** `name file:line`, or V8's pseudo-nodes as they are (`(garbage collector)`, `(idle)`, `(program)`). */
  readonly name: string;
  readonly ms: number;
}

/**
 * Milliseconds of samples per function (self time: the function on top of the stack), largest
 * first; functions of the same name, file and line are one entry (V8 splits them by call path).
 * The file is the last two parts of its path, with the line when V8 knows it (code loaded through
 * tsx reports line 0: no line then); anonymous functions are `(anonymous)`, native code without a
 * file `(anonymous)` alone.
 */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) return;
    const pseudo = frame.url === '' && frame.functionName.startsWith('(');
    const file = frame.url.split('/').slice(-2).join('/');
    const where = file === '' ? '' : ` ${file}${frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : ''}`;
    const name = pseudo ? frame.functionName : `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}
