import {
  broadcastTo,
  concat,
  InvalidInputError,
  isRecording,
  mul,
  record,
  reshape,
  ShapeError,
  slice,
  take,
  Tensor,
  vjp,
  withoutRecording,
  type Cotangent,
  type NodeCallOptions,
  type SolveInfo,
  type TensorRecord,
} from '@argmin/autodiff';
import { affineMapOps, mapNnz } from './affine-map.js';
import { compileProblem, type Program } from './compile.js';
import { Constraint, format, type Expr } from './expr.js';
import type { Problem } from './problem.js';
import { solveProgram } from './solve.js';

export interface ConvexLayerOptions {
  /** The parameters, in the order the layer takes their tensors. */
  readonly parameters: readonly Expr[];
  /** The variables whose optimal values the layer returns, in this order. */
  readonly variables: readonly Expr[];
  /** Constraints whose optimal dual variables follow the variables in the output. */
  readonly duals?: readonly Constraint[];
  /**
   * 'auto' (default) solves a quadratic objective with only linear constraints by the QP node,
   * everything else by the cone node; 'cone' sends every problem to the cone node.
   */
  readonly target?: 'auto' | 'cone';
}

/** The raw solution of the underlying node, to pass back as `warmStart`. */
export type LayerState = TensorRecord;

export interface LayerCallOptions extends Omit<NodeCallOptions, 'warmStart'> {
  /** The `state` of an earlier call (same batch layout): starts the solver from that solution. */
  readonly warmStart?: LayerState;
  /** Options of the underlying node (the cone node's or the QP node's), e.g. `{ polish: false }`. */
  readonly solver?: Readonly<Record<string, unknown>>;
}

/** The variables' values (then the duals), with the solver's report and its raw solution. */
export type LayerOutput = Tensor[] & { readonly info: SolveInfo; readonly state: LayerState };

export interface ConvexLayer {
  (tensors: readonly Tensor[], options?: LayerCallOptions): LayerOutput;
  /** The compiled program (target node, sizes, cones, the affine map). */
  readonly program: Program;
  /** The problem's text form, the layer's label in traced graphs. */
  readonly text: string;
  /** Sizes for a quick look: variables, rows, map nonzeros. */
  describe(): string;
}

/**
 * Compiles `prob` once into an affine map from its parameters to cone program data, and returns
 * the layer: `layer(tensors, options)` takes one tensor per parameter (each at the parameter's
 * shape, or with one leading batch axis; shared ones receive summed gradients), applies the map,
 * solves with the QP or cone node, and returns the variables' optimal values (then the requested
 * duals). In traced graphs the whole call is one optimization node labelled with the problem.
 * Gradients: the node's VJP (per `strategy`, `onUnconverged`) followed by the map's adjoint.
 */
export function convexLayer(prob: Problem, options: ConvexLayerOptions): ConvexLayer {
  const { parameters, variables } = options;
  const duals = options.duals ?? [];
  duals.forEach((c, i) => {
    if (!(c instanceof Constraint) || !prob.constraints.includes(c)) {
      throw new InvalidInputError(`model: convexLayer: options.duals[${i}] is not one of the problem's constraints`);
    }
  });
  const program = compileProblem(prob, parameters, variables, options.target ? { target: options.target } : {});
  const ops = affineMapOps(program.map);
  const text = prob.toString();

  const forward = (
    tensors: readonly Tensor[],
    batch: number | null,
    call: LayerCallOptions,
  ): { outputs: Tensor[]; info: SolveInfo; state: LayerState } => {
    const theta = stackTheta(program, tensors, batch);
    const data = ops.apply.apply([theta], { constant: true });
    const lead = batch === null ? [] : [batch];
    const seg: Record<string, Tensor> = {};
    for (const s of program.segments) {
      const part = slice(data, [...lead.map(() => 0), s.offset], [...lead, s.offset + s.shape.reduce((a, b) => a * b, 1)]);
      seg[s.name] = reshape(part, [...lead, ...s.shape]);
    }
    const { x, dualOf, info, state } = solveProgram(program, seg, call);
    const take1 = (t: Tensor, off: number, len: number) => slice(t, [...lead.map(() => 0), off], [...lead, off + len]);
    const outputs = variables.map((v) => reshape(take1(x, program.variableOffset.get(v)!, v.size), [...lead, ...v.shape]));
    for (const c of duals) {
      const r = program.constraintRows.get(c)!;
      const y = take1(dualOf(r.kind), r.offset, r.count);
      outputs.push(r.kind === 'psd' ? svecToMatrix(y, r.order!, lead) : reshape(y, [...lead, ...c.shape]));
    }
    return { outputs, info, state };
  };

  const layer = (tensors: readonly Tensor[], call: LayerCallOptions = {}): LayerOutput => {
    const batch = checkTensors(program, tensors);
    if (!isRecording()) {
      const r = forward(tensors, batch, call);
      return Object.assign(r.outputs, { info: r.info, state: r.state });
    }
    // One node on the caller's tapes: the map, the solve and the read-out run on a private tape,
    // whose pullback is this node's VJP.
    let report: { info: SolveInfo; state: LayerState } | null = null;
    const inner = withoutRecording(() =>
      vjp(
        (ts: Tensor[]) => {
          const r = forward(ts, batch, call);
          report = r;
          return r.outputs;
        },
        [...tensors],
      ),
    );
    const { info, state } = report!;
    const outputs = inner.value;
    record({
      op: 'model.layer',
      kind: 'optimization',
      inputs: tensors,
      outputs,
      attrs: { target: program.target, variables: program.n, rows: program.rows.total },
      strategy: typeof call.strategy === 'object' ? call.strategy.kind : (call.strategy ?? 'implicit'),
      info,
      label: call.label ?? text,
      pullback: (cots: readonly Cotangent[]) => withoutRecording(() => inner.pullback(cots.map((c) => c ?? null))[0]),
    });
    return Object.assign(outputs, { info, state });
  };

  const describe = () => {
    const nnz = mapNnz(program.map);
    return `${program.target} program: ${program.n} variables, ${program.rows.total} rows (${JSON.stringify(program.cones)}), ${program.nTheta} parameters, map nnz ${nnz.linear} + ${nnz.constant} constant`;
  };
  return Object.assign(layer, { program, text, describe });
}

/** The batch size of a call (null when no tensor carries a batch axis), after checking shapes. */
function checkTensors(program: Program, tensors: readonly Tensor[]): number | null {
  if (!Array.isArray(tensors) || tensors.length !== program.theta.length) {
    throw new InvalidInputError(
      `model.layer: expected ${program.theta.length} tensors (one per parameter), got ${Array.isArray(tensors) ? tensors.length : typeof tensors}`,
    );
  }
  let batch: number | null = null;
  program.theta.forEach(({ param }, i) => {
    const t = tensors[i];
    const name = format(param);
    if (!(t instanceof Tensor)) throw new InvalidInputError(`model.layer: tensor ${i} (parameter ${name}) is not a Tensor`);
    const s = param.shape;
    const core = t.shape.slice(t.ndim - s.length);
    const ok = core.length === s.length && core.every((d, a) => d === s[a]) && t.ndim - s.length <= 1;
    if (!ok)
      throw new ShapeError(
        `model.layer: parameter ${name} has shape [${s}] but tensor ${i} has shape [${t.shape}] (expected [${s}] or [B, ${s}])`,
      );
    if (t.ndim === s.length + 1) {
      const b = t.shape[0]!;
      if (batch !== null && b !== batch)
        throw new ShapeError(`model.layer: batch sizes differ: ${batch} and ${b} (parameter ${name}, tensor ${i})`);
      batch = b;
    }
    for (const v of t.data)
      if (!Number.isFinite(v)) throw new InvalidInputError(`model.layer: parameter ${name} (tensor ${i}) has a non-finite entry`);
  });
  return batch;
}

/** θ = [vec(p₁), vec(p₂), …] per batch element; a shared parameter is broadcast over the batch. */
function stackTheta(program: Program, tensors: readonly Tensor[], batch: number | null): Tensor {
  if (tensors.length === 0) return new Tensor(new Float64Array(batch ?? 0), batch === null ? [0] : [batch, 0]);
  const parts = program.theta.map(({ param }, i) => {
    const t = tensors[i]!;
    if (batch === null) return reshape(t, [param.size]);
    if (t.ndim === param.ndim + 1) return reshape(t, [batch, param.size]);
    return broadcastTo(reshape(t, [1, param.size]), [batch, param.size]);
  });
  return parts.length === 1 ? parts[0]! : concat(parts, batch === null ? 0 : 1);
}

/** A PSD dual in the cone's svec form back to a symmetric matrix (off-diagonals ÷ √2). */
function svecToMatrix(y: Tensor, k: number, lead: readonly number[]): Tensor {
  const idx: number[] = [];
  const scale = new Float64Array(k * k);
  const pos = (i: number, j: number) => {
    const [r, c] = i >= j ? [i, j] : [j, i];
    return c * k - (c * (c - 1)) / 2 + (r - c);
  };
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      idx.push(pos(i, j));
      scale[i * k + j] = i === j ? 1 : Math.SQRT1_2;
    }
  }
  const flat = take(y, idx, lead.length);
  return reshape(mul(flat, new Tensor(scale, [k * k])), [...lead, k, k]);
}
