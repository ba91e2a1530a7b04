// Relaxed SIMD on for the dense kernels, as current engines have it (scripts/relaxed-simd.ts).
import '../scripts/relaxed-simd.js';
import type { BenchRow } from './types.js';

/** The median of `values` (the upper middle one for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time of `fn` in milliseconds over `runs` runs, after warm-up runs. */
export function medianMs(fn: () => unknown, runs = 20, warmup = Math.max(2, Math.floor(runs / 4))): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * Median wall time in milliseconds of each function, timed in alternating rounds (one call of
 * each per round, after `warmup` untimed rounds): load on a shared machine, the JIT's tier-up and
 * the garbage one variant leaves for the next then fall on all of them alike, which consecutive
 * blocks of runs (medianMs) do not guarantee.
 */
export function alternatingMedians<K extends string>(
  fns: Record<K, () => unknown>,
  runs: number,
  warmup = Math.max(3, Math.floor(runs / 3)),
): Record<K, number> {
  const times = alternatingTimes(fns, runs, warmup);
  return Object.fromEntries(Object.keys(fns).map((k) => [k, median(times[k as K])])) as Record<K, number>;
}

/** alternatingMedians's timed runs themselves (to pool with other rounds before taking medians). */
export function alternatingTimes<K extends string>(
  fns: Record<K, () => unknown>,
  runs: number,
  warmup = Math.max(3, Math.floor(runs / 3)),
): Record<K, number[]> {
  const keys = Object.keys(fns) as K[];
  const times = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < warmup + runs; r++) {
    for (const k of keys) {
      const t0 = performance.now();
      fns[k]();
      if (r >= warmup) times[k].push(performance.now() - t0);
    }
  }
  return times;
}

function format(v: number | undefined): string {
  if (v === undefined) return '';
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** Prints rows as an aligned table. */
export function printRows(rows: readonly BenchRow[]): void {
  const table = rows.map((r) => [
    r.group,
    r.name,
    `${format(r.ours)} ${r.unit}`,
    r.peer === undefined ? '' : `${format(r.peer)} ${r.unit} (${r.peerName})`,
    r.target ?? '',
    r.reference ?? '',
  ]);
  const header = ['group', 'benchmark', 'argmin', 'peer (same run)', 'target', 'reference'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}
