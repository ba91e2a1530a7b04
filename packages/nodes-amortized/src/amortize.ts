import { InvalidInputError, add, mean, mul, type NodeOutput, type OptimizationNode, type Rng, type Tensor } from '@argmin/autodiff';
import { applyNode, withoutRecording, type ObjectiveSpec, type SolveControls, type TensorRecord } from '@argmin/autodiff/extend';
import { validateDataset, type Dataset } from './data.js';
import { splitOutput, type SolutionLayout } from './layout.js';
import type { Model } from './model.js';
import { checkContextShape, layoutResolver, problemPieces, requireConverged } from './amortize-problem.js';
import { lossWeights, regression } from './amortize-loss.js';
import { refine, type Refinement } from './refine.js';
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
  if (typeof options.problem !== 'function') throw new InvalidInputError(`${where}: 'problem' must map contexts to the node's parameters`);
  const pieces = problemPieces(where, node, options, weights.objective > 0);
  const { nodeOptions, objective, project, violation, total } = pieces;
  const solveContexts = (x: Tensor, controls: SolveControls<S> = {}): NodeOutput<S> =>
    withoutRecording(() => applyNode(node, options.problem(x), { ...nodeOptions, ...controls, strategy: 'solve' } as O & SolveControls<S>));
  const resolveLayout = layoutResolver(where, node, model, options, solveContexts);
  const checkContexts = (x: Tensor): void => checkContextShape(where, model, x);
  const finish = (params: P, raw: Tensor, refineIt: boolean): Partial<S> => {
    let y = splitOutput(resolveLayout(), raw) as Partial<S>;
    if (project) y = project(params, y, nodeOptions);
    return options.refine && refineIt ? refine(pieces.refineContext, params, y, options.refine) : y;
  };
  const prepare = (x: Tensor): P => {
    checkContexts(x);
    resolveLayout(x);
    return options.problem(x);
  };

  const am: Amortized<P, S, Theta> = {
    name: where,
    node,
    model,
    options,
    init: (rng) => model.init(rng),
    predict: (theta, x) => finish(prepare(x), model.apply(theta, x), true),
    // With nothing to project or refine, the deployed path never needs the problem's parameters.
    infer: (theta, x) =>
      withoutRecording(() => {
        if (project || options.refine) return finish(prepare(x), model.predict(theta, x), true);
        checkContexts(x);
        return splitOutput(resolveLayout(x), model.predict(theta, x)) as Partial<S>;
      }),
    solve(x, controls) {
      checkContexts(x);
      return solveContexts(x, controls);
    },
    dataset(x) {
      checkContexts(x);
      const out = solveContexts(x) as NodeOutput<S> & Record<string, Tensor>;
      requireConverged(where, out.info.status);
      return { x, ...Object.fromEntries(resolveLayout(x).keys.map((k) => [k, out[k]!])) };
    },
    loss(theta, batch) {
      const x = batch.x;
      if (!x) throw new InvalidInputError(`${where}: the training batch needs the contexts 'x'`);
      const params = options.problem(x);
      const y = am.predict(theta, x) as Record<string, Tensor>;
      const terms: Tensor[] = [];
      if (weights.regression > 0) terms.push(mul(regression(where, resolveLayout(), y, batch), weights.regression));
      if (weights.objective > 0) terms.push(mul(mean(total!(params, y as Partial<S>)), weights.objective));
      return terms.reduce((a, b) => add(a, b));
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
