import {
  ConvergenceError,
  InvalidInputError,
  ShapeError,
  Tensor,
  add,
  mean,
  mul,
  slice,
  sub,
  sum,
  type NodeOutput,
  type OptimizationNode,
  type Rng,
} from '@argmin/autodiff';
import {
  applyNode,
  withoutRecording,
  type ObjectiveSpec,
  type SolveControls,
  type TensorRecord,
  rankOf,
  type CoreSpec,
} from '@argmin/autodiff/extend';
import { validateDataset, type Dataset } from './data.js';
import { solutionLayout, splitOutput, type SolutionLayout } from './layout.js';
import type { Model } from './model.js';
import { refine, validateRefinement, type Refinement } from './refine.js';
import { train, type TrainOptions, type TrainResult } from './train.js';

/**
 * The amortization loss (Amos 2022, §3.1): 'regression' against the solutions y*(x) the node
 * computes (the training data must hold them), 'objective' — the problem's own objective
 * f(ŷ_θ(x); x), with constraints by projection or penalty, needing no solve at all — or a
 * weighted sum of both.
 */
export type AmortizationLoss = 'regression' | 'objective' | { readonly regression?: number; readonly objective?: number };

export interface AmortizeOptions<P extends TensorRecord, S extends TensorRecord, O extends object> {
  /** The node's parameters for a batch of contexts x `[B, dx]` (batched, or shared by the batch). */
  readonly problem: (x: Tensor) => P;
  readonly loss: AmortizationLoss;
  /** Solution entries the model predicts, in the order of its output (default: the first entry). */
  readonly predict?: readonly (keyof S & string)[];
  /** Core shapes of the predicted entries; when omitted they are read from one solve. */
  readonly shapes?: { readonly [K in keyof S]?: readonly number[] };
  /** Overrides of the problem's objective and constraint handling (default: the node's own `objective`). */
  readonly objective?: ObjectiveSpec<P, S, O>['objective'];
  readonly project?: ObjectiveSpec<P, S, O>['project'];
  readonly penalty?: ObjectiveSpec<P, S, O>['penalty'];
  readonly violation?: ObjectiveSpec<P, S, O>['violation'];
  /** Weight ρ of the penalty in the objective loss and gradient refinement (default 10). */
  readonly penaltyWeight?: number;
  /** Semi-amortization: refinement steps after the prediction (see Refinement). */
  readonly refine?: Refinement;
  /** The node's own options (e.g. `{ k }` for LML) and solve controls, for every node call. */
  readonly nodeOptions?: O & SolveControls<S>;
}

/** A model amortizing a node: ŷ_θ(x) ≈ y*(x) = argmin f(y; problem(x)). */
export interface Amortized<P extends TensorRecord, S extends TensorRecord, Theta> {
  readonly name: string;
  readonly node: OptimizationNode<P, S, object>;
  readonly model: Model<Theta>;
  readonly options: AmortizeOptions<P, S, object>;
  init(rng: Rng): Theta;
  /** The predicted entries for contexts x `[B, dx]`, projected and refined; differentiable in θ. */
  predict(theta: Theta, x: Tensor): Partial<S>;
  /** The same prediction on the model's fast path, never recorded: what deployment runs. */
  infer(theta: Theta, x: Tensor): Partial<S>;
  /** y*(x): the node solved on problem(x) (no gradient). */
  solve(x: Tensor, controls?: SolveControls<S>): NodeOutput<S>;
  /** `{ x, ...y*(x) }` for the regression loss; throws if a solve did not converge. */
  dataset(x: Tensor): Dataset;
  /** The scalar training loss on a minibatch `{ x, ... }`. */
  loss(theta: Theta, batch: Dataset): Tensor;
  /**
   * f(Π(ŷ)) + ρ·penalty per context `[R]` for raw model outputs `[R, size]` at contexts `[R, dx]`
   * (projection applied, no refinement), with ops: the score a search over outputs minimizes.
   */
  outputObjective(x: Tensor, output: Tensor): Tensor;
  /** Objective and (largest) constraint violation of a prediction, per context. */
  assess(x: Tensor, prediction: Partial<S>): { readonly objective: Float64Array; readonly violation: Float64Array };
  /** Trains θ on `data` with `train` (loss and data filled in). */
  fit(theta: Theta, data: Dataset, options: Omit<TrainOptions<Theta>, 'loss' | 'data'>): TrainResult<Theta>;
  /** The layout of the predicted entries in the model's output (resolved on first use). */
  layout(x?: Tensor): SolutionLayout;
}

/**
 * Amortizes an optimization node with a model (fully amortized; with `refine`, semi-amortized):
 *
 * ```ts
 * const am = amortize(qpNode, mlp({ sizes: [dx, 64, n] }), { problem: (x) => ({ Q, p: ..., G, h }), loss: 'objective' });
 * const { params } = am.fit(am.init(Rng.seeded(0)), { x: contexts }, { steps: 2000 });
 * const { z } = am.infer(params, testContexts);
 * ```
 */
export function amortize<P extends TensorRecord, S extends TensorRecord, O extends object, Theta>(
  node: OptimizationNode<P, S, O>,
  model: Model<Theta>,
  options: AmortizeOptions<P, S, O>,
): Amortized<P, S, Theta> {
  const where = `amortize(${node.name}, ${model.name})`;
  const weights = lossWeights(where, options.loss);
  const known = node.objective;
  const nodeOptions = (options.nodeOptions ?? {}) as O & SolveControls<S>;
  const objective = options.objective ?? known?.objective;
  const project = options.project ?? known?.project;
  const penalty = options.penalty ?? known?.penalty;
  const violation = options.violation ?? known?.violation;
  const rho = options.penaltyWeight ?? 10;
  if (!(rho >= 0)) throw new InvalidInputError(`${where}: 'penaltyWeight' must be ≥ 0, got ${rho}`);
  if (typeof options.problem !== 'function') throw new InvalidInputError(`${where}: 'problem' must map contexts to the node's parameters`);
  if (weights.objective > 0 && !objective) {
    throw new InvalidInputError(
      `${where}: loss 'objective' needs the problem's objective, and ${node.name} defines none; pass options.objective`,
    );
  }
  if (options.refine) validateRefinement(where, options.refine, node, objective !== undefined);
  const keys = (options.predict ?? [Object.keys(node.signature.solution)[0]!]) as string[];
  const total = objective
    ? (p: P, y: Partial<S>) =>
        penalty && rho > 0 ? add(objective(p, y, nodeOptions), mul(penalty(p, y, nodeOptions), rho)) : objective(p, y, nodeOptions)
    : undefined;
  const refineCtx = {
    where,
    node,
    nodeOptions,
    ...(total ? { total } : {}),
    ...(project ? { project: (p: P, y: Partial<S>) => project(p, y, nodeOptions) } : {}),
  };

  let layout: SolutionLayout | null = null;
  const resolveLayout = (x?: Tensor): SolutionLayout => {
    if (layout) return layout;
    let shapes = options.shapes as Record<string, readonly number[]> | undefined;
    if (!shapes || keys.some((k) => !shapes![k])) {
      if (!x)
        throw new InvalidInputError(
          `${where}: give 'shapes' of the predicted entries, or call with contexts so that one solve can tell them`,
        );
      const one = solveContexts(slice(x, [0, 0], [1, x.shape[1]!]));
      shapes = Object.fromEntries(keys.map((k) => [k, (one as Record<string, Tensor>)[k]?.shape.slice(1) ?? []]));
    }
    const ranks = Object.fromEntries(Object.entries(node.signature.solution).map(([k, spec]) => [k, rankOf(spec as CoreSpec)]));
    layout = solutionLayout(where, keys, shapes, ranks, model.outputSize);
    return layout;
  };
  const checkContexts = (x: Tensor): void => {
    if (!(x instanceof Tensor) || x.ndim !== 2 || x.shape[1] !== model.inputSize) {
      const got = x instanceof Tensor ? `shape [${x.shape.join(',')}]` : typeof x;
      throw new ShapeError(`${where}: contexts must have shape [B, ${model.inputSize}] (the model's input size), got ${got}`);
    }
  };
  const finish = (params: P, raw: Tensor, refineIt: boolean): Partial<S> => {
    let y = splitOutput(resolveLayout(), raw) as Partial<S>;
    if (project) y = project(params, y, nodeOptions);
    return options.refine && refineIt ? refine(refineCtx, params, y, options.refine) : y;
  };
  const solveContexts = (x: Tensor, controls: SolveControls<S> = {}): NodeOutput<S> =>
    withoutRecording(() => applyNode(node, options.problem(x), { ...nodeOptions, ...controls, strategy: 'solve' } as O & SolveControls<S>));

  const am: Amortized<P, S, Theta> = {
    name: where,
    node,
    model,
    options,
    init: (rng) => model.init(rng),
    predict(theta, x) {
      checkContexts(x);
      resolveLayout(x);
      return finish(options.problem(x), model.apply(theta, x), true);
    },
    infer(theta, x) {
      checkContexts(x);
      resolveLayout(x);
      return withoutRecording(() => finish(options.problem(x), model.predict(theta, x), true));
    },
    solve(x, controls) {
      checkContexts(x);
      return solveContexts(x, controls);
    },
    dataset(x) {
      checkContexts(x);
      const out = solveContexts(x) as NodeOutput<S> & Record<string, Tensor>;
      const bad = out.info.status.flatMap((s, b) => (s === 'converged' ? [] : [`${b} (${s})`]));
      if (bad.length > 0) {
        throw new ConvergenceError(
          `${where}: the solve did not converge for context${bad.length > 1 ? 's' : ''} ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}; regression targets must be solutions`,
        );
      }
      return { x, ...Object.fromEntries(resolveLayout(x).keys.map((k) => [k, out[k]!])) };
    },
    loss(theta, batch) {
      const x = batch.x;
      if (!x) throw new InvalidInputError(`${where}: the training batch needs the contexts 'x'`);
      const params = options.problem(x);
      const y = am.predict(theta, x) as Record<string, Tensor>;
      let value: Tensor | null = null;
      const addTerm = (t: Tensor, w: number) => (value = value === null ? mul(t, w) : add(value, mul(t, w)));
      if (weights.regression > 0) addTerm(regression(where, resolveLayout(), y, batch), weights.regression);
      if (weights.objective > 0) addTerm(mean(total!(params, y as Partial<S>)), weights.objective);
      return value!;
    },
    outputObjective(x, output) {
      if (!total) throw new InvalidInputError(`${where}: scoring outputs needs the problem's objective; pass options.objective`);
      const params = options.problem(x);
      return total(params, finish(params, output, false));
    },
    assess(x, prediction) {
      return withoutRecording(() => {
        const params = options.problem(x);
        if (!objective)
          throw new InvalidInputError(`${where}: assessing a prediction needs the problem's objective; pass options.objective`);
        const f = objective(params, prediction, nodeOptions);
        const v = violation ? violation(params, prediction, nodeOptions).data : new Float64Array(f.size);
        return { objective: Float64Array.from(f.data), violation: Float64Array.from(v) };
      });
    },
    fit(theta, data, trainOptions) {
      // Checked before the first solve that reads the layout, so a NaN is named in the data.
      validateDataset(where, data);
      if (data.x) {
        checkContexts(data.x);
        resolveLayout(data.x);
      }
      return train(theta, { ...trainOptions, data, loss: (t, batch) => am.loss(t, batch) });
    },
    layout: resolveLayout,
  };
  return am;
}

function lossWeights(where: string, loss: AmortizationLoss): { regression: number; objective: number } {
  if (loss === 'regression') return { regression: 1, objective: 0 };
  if (loss === 'objective') return { regression: 0, objective: 1 };
  if (loss !== null && typeof loss === 'object') {
    const w = { regression: loss.regression ?? 0, objective: loss.objective ?? 0 };
    if (!(w.regression >= 0 && w.objective >= 0 && w.regression + w.objective > 0 && Number.isFinite(w.regression + w.objective))) {
      throw new InvalidInputError(
        `${where}: loss weights must be finite, ≥ 0 and not both 0, got regression ${w.regression}, objective ${w.objective}`,
      );
    }
    return w;
  }
  throw new InvalidInputError(
    `${where}: unknown loss '${String(loss)}' (expected 'regression', 'objective' or { regression, objective } weights)`,
  );
}

/** Mean squared error of each predicted entry against its solution in the batch, summed over entries. */
function regression(where: string, layout: SolutionLayout, y: Record<string, Tensor>, batch: Dataset): Tensor {
  let total: Tensor | null = null;
  for (const key of layout.keys) {
    const target = batch[key];
    if (!target) {
      throw new InvalidInputError(
        `${where}: the regression loss needs the solutions '${key}' in the training data; build it with amortized.dataset(x)`,
      );
    }
    const pred = y[key]!;
    if (target.shape.length !== pred.shape.length || target.shape.some((d, i) => d !== pred.shape[i])) {
      throw new ShapeError(
        `${where}: training targets '${key}' of shape [${target.shape.join(',')}] do not match the prediction's [${pred.shape.join(',')}]`,
      );
    }
    const d = sub(pred, target);
    const term = mean(
      sum(
        mul(d, d),
        Array.from({ length: d.ndim - 1 }, (_, i) => i + 1),
      ),
    );
    total = total === null ? term : add(total, term);
  }
  return total!;
}
