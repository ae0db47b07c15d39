/**
 * Lets the event loop turn once: timers, I/O callbacks and signal listeners queued so far run
 * before the caller goes on. A loop whose only awaits are already-settled promises (the wasm
 * backend's `data()`) never leaves the microtask queue, so a SIGINT listener would not run until
 * the loop ends; long loops on the main thread await this between steps.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
