import {
  InvalidInputError,
  type NodeCallOptions,
  type NodeOutput,
  type OptimizationNode,
  type Plugin,
  Tensor,
  concat,
  index,
  reshape,
} from '@argmin/autodiff';
import {
  ARGMIN_API_VERSION,
  type AnyNode,
  type TensorRecord,
  applyNode,
  defineNode,
  definePlugin,
  withoutRecording,
} from '@argmin/autodiff/extend';
import type { Amortized } from './amortize.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './package-info.js';

/** The parameters of an amortizer node: the context `x [dx]` and the model's weights θ. */
export type AmortizedParams<Theta extends TensorRecord> = { readonly x: Tensor } & Theta;

/**
 * An amortizer as an optimization node, `amortized.<node>`: its solution is the prediction
 * ŷ_θ(x) (projected, and refined when the amortizer is semi-amortized), so a trained model sits
 * in traced graphs like the solver it replaces, with its weights as inputs.
 *
 * - 'unroll' computes the prediction with ops (`predict`): gradients reach x and θ;
 * - 'solve' runs the deployed fast path (`infer`): no gradient;
 * - 'implicit' is not available — a prediction satisfies no optimality condition (that is the
 *   amortization gap), so there is nothing to differentiate implicitly.
 *
 * `example` gives the weights' structure; `contexts` (a few contexts `[B, dx]`) lets the layout
 * of the prediction be read from one solve when the amortizer's options give no `shapes`.
 * The context is batched over a leading axis; the weights are shared by the batch (their
 * gradient is the sum over it). Its `info.residual` is the prediction's largest constraint
 * violation per element.
 */
export function amortizedNode<P extends TensorRecord, S extends TensorRecord, Theta extends TensorRecord>(
  am: Amortized<P, S, Theta>,
  example: Theta,
  contexts?: Tensor,
): OptimizationNode<AmortizedParams<Theta>, TensorRecord, object> {
  const name = `amortized.${am.node.name}`;
  const thetaKeys = Object.keys(example);
  if (thetaKeys.includes('x')) throw new InvalidInputError(`${name}: the model's parameters may not be named 'x' (the context)`);
  // The predicted entries' shapes: from the amortizer's options, else from one solve at `contexts`.
  const layout = am.layout(contexts);
  const params: Record<string, number> = { x: 1 };
  for (const k of thetaKeys) params[k] = example[k]!.ndim;
  const solution: Record<string, number> = {};
  for (const k of layout.keys) solution[k] = layout.shapes[k]!.length;

  // Weights carry a batch axis when their rank is one more than the example's (one model per element).
  const weightsBatched = (p: AmortizedParams<Theta>) => thetaKeys.some((k) => p[k]!.ndim === example[k]!.ndim + 1);
  const batchOf = (p: AmortizedParams<Theta>) =>
    p.x.ndim === 2
      ? p.x.shape[0]!
      : (thetaKeys.map((k) => p[k]!).find((t, i) => t.ndim === example[thetaKeys[i]!]!.ndim + 1)?.shape[0] ?? 1);
  const isBatched = (p: AmortizedParams<Theta>) => p.x.ndim === 2 || weightsBatched(p);
  /** Element b's context [1, dx] and weights (sliced with `pick`, an op or a copy). */
  const element = (p: AmortizedParams<Theta>, b: number, pick: (t: Tensor, b: number) => Tensor) => {
    const x = p.x.ndim === 2 ? reshape(pick(p.x, b), [1, p.x.shape[1]!]) : reshape(p.x, [1, p.x.size]);
    const theta: Record<string, Tensor> = {};
    for (const k of thetaKeys) theta[k] = p[k]!.ndim === example[k]!.ndim + 1 ? pick(p[k]!, b) : p[k]!;
    return { x, theta: theta as unknown as Theta };
  };
  const whole = (p: AmortizedParams<Theta>) => {
    const theta: Record<string, Tensor> = {};
    for (const k of thetaKeys) theta[k] = p[k]!;
    return { x: p.x.ndim === 2 ? p.x : reshape(p.x, [1, p.x.size]), theta: theta as unknown as Theta };
  };
  /** The prediction for every element: one call when the weights are shared, else one per element. */
  const run = (p: AmortizedParams<Theta>, predictOne: (theta: Theta, x: Tensor) => Partial<S>, pick: (t: Tensor, b: number) => Tensor) => {
    if (!weightsBatched(p)) {
      const { x, theta } = whole(p);
      return { x, y: predictOne(theta, x) as Record<string, Tensor> };
    }
    const parts = Array.from({ length: batchOf(p) }, (_, b) => {
      const { x, theta } = element(p, b, pick);
      return { x, y: predictOne(theta, x) as Record<string, Tensor> };
    });
    const y: Record<string, Tensor> = {};
    for (const k of layout.keys)
      y[k] = concat(
        parts.map((q) => q.y[k]!),
        0,
      );
    return {
      x: concat(
        parts.map((q) => q.x),
        0,
      ),
      y,
    };
  };
  const shaped = (y: Record<string, Tensor>, batched: boolean): TensorRecord => {
    const out: Record<string, Tensor> = {};
    for (const k of layout.keys) out[k] = batched ? y[k]! : index(y[k]!, 0, 0);
    return out;
  };

  return defineNode<AmortizedParams<Theta>, TensorRecord, object>({
    name,
    signature: { params: params as never, solution },
    solve(p) {
      const { x, y } = withoutRecording(() =>
        run(
          p,
          (t, xx) => am.infer(t, xx),
          (t, b) => index(t, b, 0),
        ),
      );
      const { violation } = am.assess(x, y as Partial<S>);
      return {
        solution: shaped(y, isBatched(p)),
        info: {
          status: Array.from(violation, () => 'converged' as const),
          iterations: Array.from(violation, () => 0),
          residual: Array.from(violation),
        },
      };
    },
    step: {
      defaultSteps: 1,
      init(p) {
        return shaped(
          run(
            p,
            (t, xx) => am.predict(t, xx),
            (t, b) => index(t, b, 0),
          ).y,
          isBatched(p),
        );
      },
      // The prediction is the whole computation: further steps leave it as it is.
      update: (_p, state) => state,
    },
  });
}

/**
 * Calls an amortizer node: the prediction for contexts `x` (`[B, dx]` or `[dx]`) with weights θ,
 * differentiable in both under the default 'unroll' strategy.
 */
export function amortizedPredict<Theta extends TensorRecord>(
  node: OptimizationNode<AmortizedParams<Theta>, TensorRecord, object>,
  x: Tensor,
  theta: Theta,
  options: NodeCallOptions<TensorRecord> = {},
): NodeOutput<TensorRecord> {
  if (!(x instanceof Tensor)) throw new InvalidInputError(`${node.name}: the context 'x' must be a Tensor`);
  const strategy = options.strategy ?? 'unroll';
  if (strategy === 'implicit' || (typeof strategy === 'object' && (strategy as { kind?: string }).kind === 'implicit')) {
    throw new InvalidInputError(
      `${node.name}: strategy 'implicit' is not available: a prediction satisfies no optimality condition; use 'unroll' (through the model) or 'solve'`,
    );
  }
  return applyNode(node, { ...theta, x } as AmortizedParams<Theta>, { ...options, strategy });
}

/** A plugin listing amortizer nodes, so a runtime can load saved graphs that contain them. */
export function amortizedPlugin(...nodes: AnyNode[]): Plugin {
  return definePlugin({
    name: PACKAGE_NAME,
    version: PACKAGE_VERSION,
    argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
    nodes,
  });
}
