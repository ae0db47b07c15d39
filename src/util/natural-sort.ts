const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Compares strings so that embedded numbers sort by value (`s2` before `s10`). */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}
