/** The V8 flags {@link preferThroughputGc} sets. */
export declare const THROUGHPUT_GC_FLAGS: readonly string[];
/** Turns V8's incremental marking off for the rest of the process (see gc-tuning.mjs). */
export declare function preferThroughputGc(): void;
