/**
 * Orders of `predict-private --order` (a module of its own so the CLI can list them without
 * loading the 2PC code): spread, K images evenly spaced over the test set; first, the first K;
 * margin, the K with the smallest plaintext margin, smallest first.
 */
export const QUERY_ORDERS = ['spread', 'first', 'margin'] as const;

/** Which test images `--queries K` picks, and in which order they run (see {@link QUERY_ORDERS}). */
export type QueryOrder = (typeof QUERY_ORDERS)[number];
