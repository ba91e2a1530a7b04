import fc from 'fast-check';
import { Tensor, sizeOf, type Shape } from '../tensor.js';

/**
 * fast-check arbitraries for tensors and for the domains optimization nodes live on. Each keeps
 * a margin from the domain's boundary where a derivative would be undefined, so central
 * differences stay inside the domain.
 */

export interface ValueRange {
  readonly min?: number;
  readonly max?: number;
  /** Exclude values with |x| below this (keeps relu/abs away from their kink). */
  readonly awayFromZero?: number;
}

function arbValue({ min = -3, max = 3, awayFromZero = 0 }: ValueRange): fc.Arbitrary<number> {
  const v = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  return awayFromZero > 0 ? v.filter((x) => Math.abs(x) >= awayFromZero) : v;
}

/** A tensor of the given shape with values in a range. */
export function arbTensor(shape: Shape, range: ValueRange = {}): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  return fc.array(arbValue(range), { minLength: n, maxLength: n }).map((v) => new Tensor(Float64Array.from(v), shape));
}

/** A shape of rank in [minRank, maxRank] with dimensions in [1, maxDim]. */
export function arbShape({ minRank = 0, maxRank = 3, maxDim = 4 } = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** Two shapes that broadcast together: a shape, and a suffix of it with some axes set to 1. */
export function arbBroadcastPair(opts: { maxRank?: number; maxDim?: number } = {}): fc.Arbitrary<[number[], number[]]> {
  return arbShape({ minRank: 0, maxRank: opts.maxRank ?? 3, maxDim: opts.maxDim ?? 4 }).chain((full) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        fc.boolean(),
      )
      .map(([drop, ones, swap]) => {
        const other = full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        return (swap ? [other, full] : [full, other]) as [number[], number[]];
      }),
  );
}

/** A pair of broadcastable tensors. */
export function arbBroadcastTensors(rangeA: ValueRange = {}, rangeB: ValueRange = rangeA): fc.Arbitrary<[Tensor, Tensor]> {
  return arbBroadcastPair().chain(([sa, sb]) => fc.tuple(arbTensor(sa, rangeA), arbTensor(sb, rangeB)));
}

export const arbVector = (n: number, range?: ValueRange): fc.Arbitrary<Tensor> => arbTensor([n], range);
export const arbMatrix = (m: number, n: number, range?: ValueRange): fc.Arbitrary<Tensor> => arbTensor([m, n], range);

/**
 * A symmetric positive definite n×n matrix LLᵀ/n + minEig·I, optionally batched `[B, n, n]`;
 * its smallest eigenvalue is at least `minEig`, which bounds its condition number.
 */
export function arbSpd(n: number, { minEig = 0.5, batch }: { minEig?: number; batch?: number } = {}): fc.Arbitrary<Tensor> {
  const b = batch ?? 1;
  return arbTensor([b, n, n], { min: -1, max: 1 }).map((l) => {
    const out = new Float64Array(b * n * n);
    for (let k = 0; k < b; k++) {
      const o = k * n * n;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let r = 0; r < n; r++) s += l.data[o + i * n + r]! * l.data[o + j * n + r]!;
          const v = s / n + (i === j ? minEig : 0);
          out[o + i * n + j] = v;
          out[o + j * n + i] = v;
        }
      }
    }
    return new Tensor(out, batch === undefined ? [n, n] : [b, n, n]);
  });
}

/** A point in the interior of the probability simplex, each entry at least `margin`. */
export function arbSimplex(n: number, { margin = 0.01 }: { margin?: number } = {}): fc.Arbitrary<Tensor> {
  return fc.array(fc.double({ min: 0.1, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((w) => {
    const s = w.reduce((a, b) => a + b, 0);
    const scale = 1 - n * margin;
    return new Tensor(
      Float64Array.from(w, (v) => margin + (scale * v) / s),
      [n],
    );
  });
}

/** A point strictly inside the box [low, high]ⁿ, at least `margin` from every face. */
export function arbInteriorBox(n: number, low: number, high: number, margin = 0.05): fc.Arbitrary<Tensor> {
  return arbTensor([n], { min: low + margin, max: high - margin });
}

/** Cases of a node's contract in the full tier (`pnpm test:full`, FULL=1) unless it asks for more. */
export const FULL_TIER_RUNS = 10_000;

/**
 * The number of runs of a property test: `fast` in the default tier (CI's), and in the full tier
 * (FULL=1) `full` (default 10× `fast`, at least 1,000; the node contracts ask for their 10⁴ or
 * 10⁵ cases themselves), never fewer than `fast`. FULL_RUNS=<n> replaces `full` for a shorter
 * exploratory run of the full tier.
 */
export function numRuns(fast = 100, full: number = Math.max(10 * fast, 1000)): number {
  const env = typeof process === 'undefined' ? {} : process.env;
  if (!env.FULL || env.FULL === '0') return fast;
  const override = env.FULL_RUNS === undefined ? undefined : Number(env.FULL_RUNS);
  if (override !== undefined && !(Number.isInteger(override) && override > 0)) {
    throw new Error(`FULL_RUNS must be a positive integer, got '${env.FULL_RUNS}'`);
  }
  return Math.max(fast, override ?? full);
}
