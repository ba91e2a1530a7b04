import { ConvergenceError, DifferentiationError } from '../errors.js';
import { add, neg } from '../ops/elementwise.js';
import { index, stack } from '../ops/index-ops.js';
import { reshape } from '../ops/shape.js';
import type { Cotangent } from '../tape.js';
import { zeros, type Tensor } from '../tensor.js';
import { vjp } from '../transforms.js';
import type { NodeLayout } from './batch.js';
import { Linearization, flattenRecord, implicitSolve, type SolveContext } from './implicit-solve.js';
import type { Cotangents, OptimizationNode, SolveResult, TensorRecord } from './node.js';
import type { NodeCallOptions, Plan } from './strategy.js';
import { unrollSolve } from './unroll.js';

/**
 * The root VJP p̄ = (∂R/∂p)ᵀu, (∂R/∂s)ᵀu = −s̄, written entirely with differentiable ops: the
 * solve is `implicitSolve` (whose VJP is the solve with the transposed operator) and both
 * products are recorded VJPs of R. An enclosing tape therefore records the whole implicit
 * gradient, and differentiating it gives Hessian-vector products, hypergradients of bilevel
 * problems, and so on. One batch element; R square in the solution, as for `rootVjp`.
 */
export function recordedRootVjp(
  residual: (params: TensorRecord, solution: TensorRecord) => Tensor,
  params: TensorRecord,
  solution: TensorRecord,
  cotangent: { readonly [k: string]: Tensor | null | undefined },
  context: SolveContext,
): Record<string, Tensor> {
  const lin = new Linearization(residual, params, solution, context);
  const u = implicitSolve(lin, neg(flattenRecord(cotangent, solution, lin.solutionKeys)), true);
  const [pGrad] = vjp(residual, params, solution).pullback(reshape(u, lin.residualShape)) as [TensorRecord, TensorRecord];
  const out: Record<string, Tensor> = {};
  for (const k of lin.paramKeys) out[k] = pGrad[k] ?? zeros(params[k]!.shape);
  return out;
}

/**
 * The implicit VJP of a whole (possibly batched) call when the caller differentiates it again:
 * elements taken and stacked with ops, shared parameters' gradients summed with ops, the gradient
 * policy applied per element (unconverged elements contribute zero, or their unrolled VJP, also
 * recorded). The node's own `vjp` is used only if it declares `vjpRecords` (written with ops);
 * one on raw kernels would give a constant to the enclosing tape, so the generic root VJP
 * through `optimality` is recorded instead.
 */
export function recordedImplicitVjp<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  result: SolveResult<S>,
  cots: readonly Cotangent[],
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
  plan: Extract<Plan, { kind: 'implicit' }>,
): Record<string, Tensor> {
  const solutionKeys = Object.keys(node.signature.solution);
  const status = result.info.status;
  if (node.vjp && node.vjpRecords && status.every((s) => s === 'converged')) {
    // The node's own VJP, written with ops: recorded as it runs, batched as the call.
    const cot: Record<string, Tensor | null> = {};
    solutionKeys.forEach((k, i) => (cot[k] = cots[i] ?? null));
    return finiteOrThrow(node.name, { ...(node.vjp(params, result, cot as Cotangents<S>, options, layout) as Record<string, Tensor>) });
  }
  const optimality = node.optimality;
  if (!optimality) {
    throw new DifferentiationError(
      `${node.name}: a derivative of this node's implicit gradient was requested (e.g. a Hessian-vector product), but the node has no 'optimality' residual to differentiate its implicit VJP with ops; use strategy 'unroll' for higher-order derivatives`,
    );
  }
  const paramKeys = Object.keys(node.signature.params).filter((k) => params[k] !== undefined);
  const batch = layout.size ?? 1;
  const bad = status.flatMap((s, b) => (s === 'converged' ? [] : [b]));
  if (bad.length > 0 && plan.policy === 'error') {
    throw new ConvergenceError(
      `${node.name}: cannot differentiate batch element ${bad[0]} (${status[bad[0]!]}): the solve did not converge. Pass onUnconverged: 'zero' or 'unroll-fallback' to differentiate the rest.`,
    );
  }
  const element = (t: Tensor, b: number): Tensor => (layout.size === null ? t : index(t, b));
  const perElement: Record<string, Tensor>[] = [];
  for (let b = 0; b < batch; b++) {
    const pb: Record<string, Tensor> = {};
    for (const k of paramKeys) pb[k] = layout.batched.has(k) ? element(params[k]!, b) : params[k]!;
    const cb: Record<string, Tensor | null> = {};
    solutionKeys.forEach((k, i) => (cb[k] = cots[i] ? element(cots[i]!, b) : null));
    if (status[b] !== 'converged') {
      perElement.push(plan.policy === 'zero' ? zerosLike(pb) : unrolledVjp(node, pb as P, cb, options, layout, plan.fallbackSteps));
      continue;
    }
    const sb: Record<string, Tensor> = {};
    for (const k of solutionKeys) sb[k] = element(result.solution[k]!, b);
    const residual = (p: TensorRecord, s: TensorRecord) => optimality(p as P, s as S, options);
    const context = { node: node.name, element: b, ...(plan.linearSolve ? { linearSolve: plan.linearSolve } : {}) };
    perElement.push(recordedRootVjp(residual, pb, sb, cb, context));
  }
  const out: Record<string, Tensor> = {};
  for (const k of paramKeys) {
    const parts = perElement.map((g) => g[k]!);
    if (layout.size === null) out[k] = parts[0]!;
    else if (layout.batched.has(k)) out[k] = stack(parts);
    else out[k] = parts.reduce((acc, g) => add(acc, g));
  }
  return finiteOrThrow(node.name, out);
}

function finiteOrThrow(name: string, grads: Record<string, Tensor>): Record<string, Tensor> {
  for (const [k, g] of Object.entries(grads)) {
    if (g && !g.data.every(Number.isFinite)) {
      throw new DifferentiationError(`${name}: the implicit VJP produced a non-finite gradient for parameter '${k}'`);
    }
  }
  return grads;
}

function zerosLike(record: TensorRecord): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(record).map(([k, t]) => [k, zeros(t.shape)]));
}

/** The VJP of one unconverged element through the unrolled solver, recorded like any ops. */
function unrolledVjp<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  cot: Record<string, Tensor | null>,
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
  steps: number,
): Record<string, Tensor> {
  const single: NodeLayout = { size: null, batched: new Set(), dims: layout.dims };
  const { pullback } = vjp((p: P) => unrollSolve(node, p, options, single, steps).solution, params);
  return pullback(cot)[0] as Record<string, Tensor>;
}
