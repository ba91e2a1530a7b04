import { InvalidInputError, type NodeOutput, type Tensor } from '@argmin/autodiff';
import type { TensorRecord } from '@argmin/autodiff/extend';
import type { Amortized } from './amortize.js';

/** Median wall time of `fn` in milliseconds over `repeats` runs, after `warmup` runs. */
export function medianMs(fn: () => unknown, repeats: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < Math.max(1, repeats); i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function timed(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Mean, median and max of a list (NaN for an empty one). */
export function summary(values: ArrayLike<number>): { mean: number; median: number; max: number } {
  const v = Array.from(values).sort((a, b) => a - b);
  if (v.length === 0) return { mean: NaN, median: NaN, max: NaN };
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, median: v[Math.floor(v.length / 2)]!, max: v[v.length - 1]! };
}

export interface AmortizationReport {
  readonly contexts: number;
  /** Solver time from scratch over amortized prediction time, on the same contexts (batched; medians). */
  readonly speedup: number;
  /** Milliseconds per context. */
  readonly solveMs: number;
  readonly predictMs: number;
  /** Relative suboptimality (f(ŷ) − f(y*)) / |f(y*)|, mean, median and max over contexts. */
  readonly gap: number;
  readonly gapMedian: number;
  readonly gapMax: number;
  /** Constraint violation of the predictions (largest per context): mean and max. */
  readonly violation: number;
  readonly violationMax: number;
  /** Mean f(y*) and f(ŷ). */
  readonly optimalObjective: number;
  readonly predictedObjective: number;
}

export interface EvaluateOptions<S extends TensorRecord> {
  /** Solutions of the contexts if already computed (the solve is timed anyway). */
  readonly reference?: NodeOutput<S>;
  /**
   * Rounds of timing (default 5): each runs one batched solve untimed and one timed, then a
   * block of predictions untimed and one timed: at least `predictRepeats` (default 10) calls,
   * and enough to last a quarter of the solve.
   */
  readonly rounds?: number;
  readonly predictRepeats?: number;
}

/**
 * The tutorial's measurements of an amortized model on held-out contexts x `[B, dx]`: the
 * speed-up (batched solve from scratch over batched `infer`, both per context) and the relative
 * suboptimality of the predictions, with their constraint violation beside it. Solves and
 * predictions are timed in interleaved rounds, so both sides see the same load, and each side
 * reports its median round. On a shared machine a burst of predictions far shorter than the
 * solve would run in a less disturbed slice of time than the solve: each round's predictions
 * therefore run for at least a quarter of its solve's time. Each side is timed in its own steady
 * state: the untimed run after a switch pays for collecting the other side's garbage (the solve
 * leaves megabytes; predictions timed right after it ran up to ~1.4× slower), and forcing a collection
 * instead is no fairer (a full GC shrinks the young generation, which made the next solve ~1.5×
 * slower).
 */
export function evaluateAmortized<P extends TensorRecord, S extends TensorRecord, Theta>(
  am: Amortized<P, S, Theta>,
  theta: Theta,
  x: Tensor,
  options: EvaluateOptions<S> = {},
): AmortizationReport {
  const B = x.shape[0]!;
  const rounds = Math.max(1, options.rounds ?? 5);
  const repeats = Math.max(1, options.predictRepeats ?? 10);
  let solved: NodeOutput<S> | undefined;
  let prediction: Partial<S> = am.infer(theta, x);
  /** Milliseconds per call of a block of `calls` predictions. */
  const predictBlock = (calls: number) =>
    timed(() => {
      for (let k = 0; k < calls; k++) prediction = am.infer(theta, x);
    }) / calls;
  // Timed only to size the first round's blocks (the JIT's first compilation is no deployment cost).
  let perPrediction = predictBlock(repeats);
  const solveTimes: number[] = [];
  const predictTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    am.solve(x);
    const solveTime = timed(() => (solved = am.solve(x)));
    const calls = Math.max(repeats, Math.ceil(solveTime / 4 / Math.max(perPrediction, 1e-6)));
    predictBlock(calls);
    perPrediction = predictBlock(calls);
    solveTimes.push(solveTime);
    predictTimes.push(perPrediction);
  }
  const solveMs = summary(solveTimes).median / B;
  const predictMs = summary(predictTimes).median / B;
  // A given reference is what the predictions are measured against; the solve is only timed.
  const ref = options.reference ?? solved!;
  const bad = ref.info.status.filter((s) => s !== 'converged').length;
  if (bad > 0) throw new InvalidInputError(`${am.name}: ${bad} of ${B} reference solves did not converge; cannot measure suboptimality`);
  const keys = am.layout(x).keys;
  const optimal = am.assess(x, Object.fromEntries(keys.map((k) => [k, (ref as Record<string, Tensor>)[k]!])) as Partial<S>);
  const predicted = am.assess(x, prediction);
  const gaps = predicted.objective.map((f, b) => (f - optimal.objective[b]!) / Math.max(Math.abs(optimal.objective[b]!), 1e-12));
  const g = summary(gaps);
  const v = summary(predicted.violation);
  return {
    contexts: B,
    speedup: solveMs / predictMs,
    solveMs,
    predictMs,
    gap: g.mean,
    gapMedian: g.median,
    gapMax: g.max,
    violation: v.mean,
    violationMax: v.max,
    optimalObjective: summary(optimal.objective).mean,
    predictedObjective: summary(predicted.objective).mean,
  };
}
