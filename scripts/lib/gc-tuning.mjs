// V8's garbage collector tuned for long batch computations: a process-wide setting, applied by the
// process entry points (bin/privedge.js, scripts/bench-mpc.ts), never by library code. Plain
// JavaScript beside stale-build.mjs, so the launcher can apply it even when dist/ is stale or
// missing this file.
import { setFlagsFromString } from 'node:v8';

/** The V8 flags {@link preferThroughputGc} sets. */
export const THROUGHPUT_GC_FLAGS = Object.freeze(['--no-incremental-marking']);

/**
 * Makes V8 collect the old generation in one pause instead of marking it in steps interleaved
 * with the program (incremental marking, which keeps pauses short for interactive programs).
 * The private prediction allocates gigabytes of ring tensors per query outside the JavaScript
 * heap, and V8 starts an old-generation collection after about every 64 MB of them; marked in one
 * pause, those collections cost less in all: measured 2026-12-05 on the 2-core development VM
 * (`bench:mpc`, v8, gf 32, N = 33, three runs each in alternation), 2.56 s online against 2.76 s
 * (0.93x), with longer but fewer pauses (docs/private-prediction-v2.md, "CPU, not threads,
 * bounds the online time"). Idempotent; takes effect for the collections that follow.
 * @returns {void}
 */
export function preferThroughputGc() {
  for (const flag of THROUGHPUT_GC_FLAGS) setFlagsFromString(flag);
}
