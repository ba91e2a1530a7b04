/** One line of the benchmark table printed by `pnpm bench` and written to bench/results.json. */
export interface BenchRow {
  /** Package or node family, e.g. 'autodiff', 'convex.qp'. */
  readonly group: string;
  /** What was measured, e.g. 'gemm 512', 'fwd+bwd n=20 B=1'. */
  readonly name: string;
  /** Our figure. */
  readonly ours: number;
  /** 'ms', 'GFLOP/s', 'KiB', … */
  readonly unit: string;
  /** A peer's figure measured in the same run, where a peer exists in this ecosystem. */
  readonly peer?: number;
  readonly peerName?: string;
  /** The target from the issue, e.g. '≤ 1 ms', for the reader's comparison. */
  readonly target?: string;
  /** Reference figure quoted from a Python peer on this kind of machine (not measured here). */
  readonly reference?: string;
}

/** A benchmark module: `bench/<name>.bench.ts` exports `run`. */
export type BenchModule = { run(options: { quick: boolean }): Promise<BenchRow[]> };
