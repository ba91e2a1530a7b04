import type { Attrs, AttrValue } from '@argmin/graph';
import { ConvergenceError, DifferentiationError } from '../errors.js';
import { isRecording, isTrackedForGradient, record, withoutRecording, type Cotangent } from '../tape.js';
import { Tensor, zeros } from '../tensor.js';
import { vjp } from '../transforms.js';
import { batchElement, paramsOfElement, resolveLayout, solutionOfElement, stackBatch, type NodeLayout } from './batch.js';
import { firstNonFinite } from './checks.js';
import { recordedImplicitVjp } from './higher-order.js';
import { rootVjp } from './implicit.js';
import type { AnyNode, Cotangents, OptimizationNode, SolveInfo, SolveResult, TensorRecord } from './node.js';
import { validateOptions, validateWarmStart } from './options.js';
import { resolvePlan, type NodeCallOptions, type Plan } from './strategy.js';
import { unrollSolve } from './unroll.js';
import { isParallelCall, parallelTarget, solveOnWorkers } from '../parallel/call.js';

type ImplicitPlan = Extract<Plan, { kind: 'implicit' }>;

/** A node call's result: the solution's tensors and the solver's report. */
export type NodeOutput<S extends TensorRecord> = S & { readonly info: SolveInfo };

/**
 * Calls an optimization node: checks the parameters against the signature and the options
 * against the node's schema (once, for every node), resolves the strategy into a plan, solves,
 * and puts the call on the active tapes with the VJP the plan asks for. Outside transforms it
 * only solves.
 */
export function applyNode<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  options: O & NodeCallOptions<S> = {} as O & NodeCallOptions<S>,
): NodeOutput<S> {
  const layout = resolveLayout(node.name, node.signature, params);
  validateOptions(node, options);
  const plan = resolvePlan(node, options);
  validateWarmStart(node, options.warmStart, layout);
  node.check?.(params, options, layout);
  const strategy = plan.kind;
  if (plan.kind === 'unroll') {
    const { solution, info } = unrollSolve(node, params, options, layout, plan.steps);
    return { ...solution, info };
  }
  // `workers: n`: the batch is solved in slices on a worker pool, which keeps them for the backward.
  const target = parallelTarget(node, options.workers, layout, plan.kind);
  const result: SolveResult<S> = target
    ? (solveOnWorkers(
        node,
        params,
        options as Record<string, unknown>,
        layout,
        target,
        plan.kind === 'implicit' && isRecording(),
      ) as SolveResult<S>)
    : withoutRecording(() => node.solve(params, options, layout));
  const paramKeys = Object.keys(node.signature.params).filter((k) => params[k] !== undefined);
  const solutionKeys = Object.keys(node.signature.solution);
  const inputs = paramKeys.map((k) => params[k]!);
  const outputs = solutionKeys.map((k) => result.solution[k]!);
  const frozen = new Set<string>(node.signature.nondifferentiable ?? []);
  // A warm start changes the value (to the solver's tolerance), not the derivative: its tensors
  // are recorded as inputs named 'warmStart.<key>' that receive no gradient, so a traced graph
  // holds them and a compiled graph starts where the traced call started.
  const warm = warmStartInputs(options.warmStart, solutionKeys);
  const none = warm.tensors.map(() => null);

  record({
    op: node.name,
    kind: 'optimization',
    inputs: [...inputs, ...warm.tensors],
    outputs,
    attrs: jsonAttrs(options),
    strategy,
    info: result.info,
    inputNames: [...paramKeys, ...warm.names],
    ...(options.label !== undefined ? { label: options.label } : {}),
    pullback: (cots: readonly Cotangent[], needs: readonly boolean[]): Cotangent[] =>
      needs.slice(0, inputs.length).some(Boolean) ? [...paramPullback(cots), ...none] : [...inputs.map(() => null), ...none],
  });
  return { ...result.solution, info: result.info };

  function paramPullback(cots: readonly Cotangent[]): Cotangent[] {
    if (plan.kind !== 'implicit') return inputs.map(() => null);
    // Differentiated again (a Hessian-vector product, a hypergradient): record the implicit
    // VJP as ops, so the enclosing tape sees how it depends on the parameters and cotangents.
    if (inputs.some(isTrackedForGradient) || cots.some((c) => c !== null && isTrackedForGradient(c))) {
      // Recorded, in this thread: a call solved on workers has no `saved` here (see `solvedHere`).
      const grads = recordedImplicitVjp(node, params, solvedHere(node, params, result, options, layout), cots, options, layout, plan);
      return paramKeys.map((k) => (frozen.has(k) ? null : (grads[k] ?? null)));
    }
    const cot: Record<string, Tensor | null> = {};
    solutionKeys.forEach((k, i) => (cot[k] = cots[i] ?? null));
    // Nobody differentiates this gradient: the node's own VJP or the root VJP, on raw kernels, unrecorded.
    const grads = withoutRecording(() => implicitVjp(node, params, result, cot as Cotangents<S>, options, layout, plan));
    return paramKeys.map((k) => (frozen.has(k) ? null : (grads[k] ?? null)));
  }
}

/** The tensors of a warm start, in solution order, and their input names. */
function warmStartInputs(warmStart: object | undefined, solutionKeys: readonly string[]): { tensors: Tensor[]; names: string[] } {
  const tensors: Tensor[] = [];
  const names: string[] = [];
  const w = (warmStart ?? {}) as Record<string, unknown>;
  for (const k of solutionKeys) {
    const t = w[k];
    if (t instanceof Tensor) {
      tensors.push(t);
      names.push(`${WARM_START_PREFIX}${k}`);
    }
  }
  return { tensors, names };
}

/** Input-name prefix of a warm start's tensors in a traced node (see `compile`). */
export const WARM_START_PREFIX = 'warmStart.';

/** The implicit VJP of a whole (possibly batched) call, with the gradient policy applied. */
function implicitVjp<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  result: SolveResult<S>,
  cot: Cotangents<S>,
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
  plan: Extract<Plan, { kind: 'implicit' }>,
): Cotangents<P> {
  const { policy } = plan;
  const batch = layout.size ?? 1;
  const bad = result.info.status.flatMap((s, b) => (s === 'converged' ? [] : [b]));
  if (bad.length > 0 && policy === 'error') {
    const which = bad
      .slice(0, 5)
      .map((b) => `${b} (${result.info.status[b]})`)
      .join(', ');
    throw new ConvergenceError(
      `${node.name}: cannot differentiate batch element${bad.length > 1 ? 's' : ''} ${which}${bad.length > 5 ? ', …' : ''}: the solve did not converge. Pass onUnconverged: 'zero' or 'unroll-fallback' to differentiate the rest.`,
    );
  }
  const good = bad.length === 0 ? null : new Set(Array.from({ length: batch }, (_, b) => b).filter((b) => !bad.includes(b)));
  const maskedCot = good === null ? cot : maskCotangent(cot, good, layout);

  let grads: Record<string, Tensor> | null = null;
  if (isParallelCall(result.saved)) grads = result.saved.vjp(params, maskedCot, layout);
  // Solved on workers that no longer hold the slices (released, evicted, pool closed): solve again here.
  const local = grads === null ? solvedHere(node, params, result, options, layout) : result;
  grads ??= elementVjps(node, params, local as SolveResult<TensorRecord>, maskedCot, options, layout, plan);
  if (good !== null) zeroBadElements(grads, bad, layout);
  if (bad.length > 0 && policy === 'unroll-fallback')
    addUnrolledGradients(node, params, cot, options, layout, bad, grads, plan.fallbackSteps);

  for (const [k, g] of Object.entries(grads)) {
    if (g && !allFinite(g.data)) {
      throw new DifferentiationError(`${node.name}: the implicit VJP produced a non-finite gradient for parameter '${k}'`);
    }
  }
  return grads as Cotangents<P>;
}

/**
 * The VJPs of a call's (or a worker's slice's) elements, cotangents already masked: the node's
 * own `vjp`, or the generic root VJP on the converged elements.
 */
export function elementVjps(
  ...[node, params, result, cot, options, layout, plan]: [
    AnyNode,
    TensorRecord,
    SolveResult<TensorRecord>,
    Cotangents<TensorRecord>,
    object,
    NodeLayout,
    ImplicitPlan,
  ]
): Record<string, Tensor> {
  if (node.vjp) return { ...(node.vjp(params, result, cot, options, layout) as Record<string, Tensor>) };
  const status = result.info.status;
  const good = status.every((s) => s === 'converged') ? null : new Set(status.flatMap((s, b) => (s === 'converged' ? [b] : [])));
  return genericImplicit(node, params, result, cot, options, layout, good, plan);
}

function allFinite(d: Float64Array): boolean {
  return firstNonFinite(d) < 0;
}

/** Generic path: the root VJP of `optimality`, element by element; shared parameters summed. */
function genericImplicit<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  result: SolveResult<S>,
  cot: Cotangents<S>,
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
  good: ReadonlySet<number> | null,
  plan: Extract<Plan, { kind: 'implicit' }>,
): Record<string, Tensor> {
  const batch = layout.size ?? 1;
  const perElement: Record<string, Tensor>[] = [];
  for (let b = 0; b < batch; b++) {
    const pb = layout.size === null ? params : paramsOfElement(params, layout, b);
    if (good !== null && !good.has(b)) {
      perElement.push(Object.fromEntries(Object.entries(pb).map(([k, t]) => [k, zeros(t.shape)])));
      continue;
    }
    const sb = solutionOfElement(result.solution, layout, b);
    const cb: Record<string, Tensor | null> = {};
    for (const k of Object.keys(sb)) {
      const c = cot[k];
      cb[k] = c ? (layout.size === null ? c : batchElement(c, b)) : null;
    }
    const residual = (p: P, s: S) => node.optimality!(p, s, options);
    const context = { node: node.name, element: b, ...(plan.linearSolve ? { linearSolve: plan.linearSolve } : {}) };
    perElement.push(rootVjp(residual, pb, sb, cb as Cotangents<S>, context) as Record<string, Tensor>);
  }
  return combineElements(perElement, params, layout);
}

/** Batched parameters get their elements stacked; shared ones the sum over elements. */
function combineElements(perElement: Record<string, Tensor>[], params: TensorRecord, layout: NodeLayout): Record<string, Tensor> {
  if (layout.size === null) return perElement[0]!;
  const out: Record<string, Tensor> = {};
  for (const k of Object.keys(params)) {
    const parts = perElement.map((g) => g[k]!);
    if (layout.batched.has(k)) out[k] = stackBatch(parts);
    else {
      const sum = new Float64Array(parts[0]!.size);
      for (const p of parts) for (let i = 0; i < sum.length; i++) sum[i]! += p.data[i]!;
      out[k] = new Tensor(sum, parts[0]!.shape);
    }
  }
  return out;
}

function maskCotangent<S extends TensorRecord>(cot: Cotangents<S>, good: ReadonlySet<number>, layout: NodeLayout): Cotangents<S> {
  const out: Record<string, Tensor | null> = {};
  for (const [k, c] of Object.entries(cot)) {
    if (!c || layout.size === null) {
      out[k] = c && good.has(0) ? c : null;
      continue;
    }
    const per = c.size / layout.size;
    const d = Float64Array.from(c.data);
    for (let b = 0; b < layout.size; b++) if (!good.has(b)) d.fill(0, b * per, (b + 1) * per);
    out[k] = new Tensor(d, c.shape);
  }
  return out as Cotangents<S>;
}

function zeroBadElements(grads: Record<string, Tensor>, bad: readonly number[], layout: NodeLayout): void {
  for (const [k, g] of Object.entries(grads)) {
    if (!g) continue;
    if (layout.size === null) {
      grads[k] = zeros(g.shape);
      continue;
    }
    if (!layout.batched.has(k)) continue;
    const per = g.size / layout.size;
    const d = Float64Array.from(g.data);
    for (const b of bad) d.fill(0, b * per, (b + 1) * per);
    grads[k] = new Tensor(d, g.shape);
  }
}

/** Differentiates the unconverged elements by unrolling the solver on each, and adds it in. */
function addUnrolledGradients<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  cot: Cotangents<S>,
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
  bad: readonly number[],
  grads: Record<string, Tensor>,
  steps: number,
): void {
  for (const b of bad) {
    const pb = layout.size === null ? params : paramsOfElement(params, layout, b);
    const single: NodeLayout = { size: null, batched: new Set(), dims: layout.dims };
    const { pullback } = vjp((p: P) => unrollSolve(node, p, options, single, steps).solution, pb);
    const cb: Record<string, Tensor | null> = {};
    for (const k of Object.keys(node.signature.solution)) {
      const c = cot[k];
      cb[k] = c ? (layout.size === null ? c : batchElement(c, b)) : null;
    }
    const [g] = pullback(cb) as [Record<string, Tensor>];
    for (const [k, gk] of Object.entries(g)) {
      const prev = grads[k] ?? zeros(params[k]!.shape);
      const d = Float64Array.from(prev.data);
      if (layout.size !== null && layout.batched.has(k))
        d.set(
          gk.data.map((v, i) => v + d[b * gk.size + i]!),
          b * gk.size,
        );
      else for (let i = 0; i < d.length; i++) d[i]! += gk.data[i]!;
      grads[k] = new Tensor(d, prev.shape);
    }
  }
}

/**
 * A call's result with what its VJP reuses (`saved`) in this thread: a call solved on workers is
 * solved again here, keeping the recorded solution tensors (the same values), so a recorded VJP
 * still depends on the outputs the tapes track.
 */
function solvedHere<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  result: SolveResult<S>,
  options: O & NodeCallOptions<S>,
  layout: NodeLayout,
): SolveResult<S> {
  if (!isParallelCall(result.saved)) return result;
  const again = withoutRecording(() => node.solve(params, options, layout));
  return { ...again, solution: result.solution };
}

/** The JSON-compatible options of a call, recorded as the node's attrs in traced graphs. */
function jsonAttrs(options: object): Attrs {
  const out: Record<string, AttrValue> = {};
  const lost: string[] = [];
  for (const [k, v] of Object.entries(options)) {
    // `workers` says where the call ran, not what it computes: a saved graph does not hold it.
    if (k === 'warmStart' || k === 'label' || k === 'workers' || v === undefined) continue;
    const j = jsonData(v, 0);
    if (j === undefined) lost.push(k);
    else out[k] = j;
  }
  // Options a file cannot hold (functions, models, tensors) are named, so running the saved graph fails clearly.
  if (lost.length > 0) out.unserializable = lost;
  return out;
}

/** Plain JSON data (e.g. `strategy: { kind, linearSolve }`) as itself; anything else undefined. */
function jsonData(v: unknown, depth: number): AttrValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (depth > 8 || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    const parts = v.map((x) => jsonData(x, depth + 1));
    return parts.includes(undefined) ? undefined : (parts as AttrValue[]);
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  const parts = entries.map(([, x]) => jsonData(x, depth + 1));
  return parts.includes(undefined) ? undefined : Object.fromEntries(entries.map(([k], i) => [k, parts[i]!]));
}

/**
 * The node's numeric forward alone, with the call checked as `applyNode` checks it (for tests
 * and tools that want `solve`'s raw result, e.g. `saved`, without putting it on a tape).
 */
export function solveNode<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  params: P,
  options: O & NodeCallOptions<S> = {} as O & NodeCallOptions<S>,
): SolveResult<S> {
  const layout = resolveLayout(node.name, node.signature, params);
  validateOptions(node, options);
  validateWarmStart(node, options.warmStart, layout);
  node.check?.(params, options, layout);
  return withoutRecording(() => node.solve(params, options, layout));
}
