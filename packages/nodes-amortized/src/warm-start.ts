import type { NodeCallOptions, NodeOutput, Tensor } from '@argmin/autodiff';
import { applyNode, withoutRecording, type SolveControls, type TensorRecord } from '@argmin/autodiff/extend';
import type { Amortized } from './amortize.js';
import { medianMs, summary } from './measure.js';

export interface WarmStartOptions<P extends TensorRecord, S extends TensorRecord> {
  /**
   * Completes the prediction into a fuller starting point, e.g. multipliers recovered from a
   * primal guess (an interior-point method starts far better with both). Default: as predicted.
   */
  readonly complete?: (params: P, prediction: Partial<S>) => Partial<S>;
  /** Solve controls of the warm and cold solves (tol, maxIter); the node's options come from amortize. */
  readonly controls?: SolveControls<S>;
  /** Node-call options (strategy etc.) for `solveWarm`; default strategy 'implicit'. */
  readonly call?: Omit<NodeCallOptions<S>, 'warmStart'>;
}

/**
 * Solves the node on contexts x from the amortized prediction: the prediction (completed) is the
 * node's `warmStart`, so the solver only finishes the job, and the result is an exact solution
 * with the node's usual gradient. Returns the node's output and the starting point used.
 */
export function solveWarm<P extends TensorRecord, S extends TensorRecord, Theta>(
  am: Amortized<P, S, Theta>,
  theta: Theta,
  x: Tensor,
  options: WarmStartOptions<P, S> = {},
): { output: NodeOutput<S>; start: Partial<S> } {
  const start = startingPoint(am, theta, x, options);
  const output = applyNode(am.node, am.options.problem(x), {
    ...(am.options.nodeOptions ?? {}),
    ...options.controls,
    ...options.call,
    warmStart: start,
  } as never) as NodeOutput<S>;
  return { output, start };
}

function startingPoint<P extends TensorRecord, S extends TensorRecord, Theta>(
  am: Amortized<P, S, Theta>,
  theta: Theta,
  x: Tensor,
  options: WarmStartOptions<P, S>,
): Partial<S> {
  return withoutRecording(() => {
    const prediction = am.infer(theta, x);
    return options.complete ? options.complete(am.options.problem(x), prediction) : prediction;
  });
}

export interface WarmStartSide {
  readonly iterations: readonly number[];
  readonly meanIterations: number;
  /** Milliseconds per context of the batched solve (median of the repeats). */
  readonly solveMs: number;
  readonly converged: number;
}

export interface WarmStartReport {
  readonly contexts: number;
  readonly cold: WarmStartSide;
  readonly warm: WarmStartSide & { readonly predictMs: number };
  /** 1 − mean warm iterations / mean cold iterations. */
  readonly iterationReduction: number;
  /** 1 − (warm solve + prediction time) / cold solve time. */
  readonly timeReduction: number;
  /** Largest difference between the warm- and cold-started solutions' predicted entries. */
  readonly solutionDifference: number;
}

/**
 * Cold versus warm-started solves of the same contexts, batched: iterations per context (the
 * node's `info.iterations`), median wall times, and whether both reach the same solution.
 */
export function compareWarmStart<P extends TensorRecord, S extends TensorRecord, Theta>(
  am: Amortized<P, S, Theta>,
  theta: Theta,
  x: Tensor,
  options: WarmStartOptions<P, S> & { readonly repeats?: number } = {},
): WarmStartReport {
  const B = x.shape[0]!;
  const repeats = options.repeats ?? 3;
  const params = am.options.problem(x);
  const base = { ...(am.options.nodeOptions ?? {}), ...options.controls, strategy: 'solve' as const };
  let cold!: NodeOutput<S>;
  let warm!: NodeOutput<S>;
  let start!: Partial<S>;
  const coldMs = medianMs(() => (cold = withoutRecording(() => applyNode(am.node, params, base as never))), repeats) / B;
  const predictMs = medianMs(() => (start = startingPoint(am, theta, x, options)), Math.max(repeats, 10)) / B;
  const warmMs =
    medianMs(() => (warm = withoutRecording(() => applyNode(am.node, params, { ...base, warmStart: start } as never))), repeats) / B;
  const side = (out: NodeOutput<S>, ms: number): WarmStartSide => ({
    iterations: out.info.iterations,
    meanIterations: summary(out.info.iterations).mean,
    solveMs: ms,
    converged: out.info.status.filter((s) => s === 'converged').length,
  });
  let diff = 0;
  for (const key of am.layout(x).keys) {
    const a = (cold as Record<string, Tensor>)[key]!.data;
    const b = (warm as Record<string, Tensor>)[key]!.data;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  const c = side(cold, coldMs);
  const w = side(warm, warmMs);
  return {
    contexts: B,
    cold: c,
    warm: { ...w, predictMs },
    iterationReduction: 1 - w.meanIterations / c.meanIterations,
    timeReduction: 1 - (warmMs + predictMs) / coldMs,
    solutionDifference: diff,
  };
}
