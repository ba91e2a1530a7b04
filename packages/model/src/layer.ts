import {
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
import { applyMap, applyMapT, mapNnz } from './affine-map.js';
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
  const text = prob.toString();

  /** The node's solve on the data segments, and the read-out of variables and duals (as ops). */
  const solveAndRead = (seg: Record<string, Tensor>, lead: readonly number[], call: LayerCallOptions) => {
    const { x, dualOf, info, state } = solveProgram(program, seg, call);
    const part = (t: Tensor, off: number, len: number) => slice(t, [...lead.map(() => 0), off], [...lead, off + len]);
    const outputs = variables.map((v) => reshape(part(x, program.variableOffset.get(v)!, v.size), [...lead, ...v.shape]));
    for (const c of duals) {
      const r = program.constraintRows.get(c)!;
      const y = part(dualOf(r.kind), r.offset, r.count);
      outputs.push(r.kind === 'psd' ? svecToMatrix(y, r.order!, lead) : reshape(y, [...lead, ...c.shape]));
    }
    return { outputs, info, state };
  };

  const layer = (tensors: readonly Tensor[], call: LayerCallOptions = {}): LayerOutput => {
    const batch = checkTensors(program, tensors);
    const lead = batch === null ? [] : [batch];
    const B = batch ?? 1;
    // The map on raw arrays (it is affine, its adjoint is exact and first order like the node's
    // implicit VJP): θ stacked per element, data = M·[θ; 1], the data cut into the node's tensors.
    const data = applyMap(program.map, stackTheta(program, tensors, B), B, true);
    const nData = program.map.nData;
    const seg: Record<string, Tensor> = {};
    for (const s of program.segments) {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const values = new Float64Array(B * size);
      for (let b = 0; b < B; b++) values.set(data.subarray(b * nData + s.offset, b * nData + s.offset + size), b * size);
      seg[s.name] = new Tensor(values, [...lead, ...s.shape]);
    }
    if (!isRecording()) {
      const r = solveAndRead(seg, lead, call);
      return Object.assign(r.outputs, { info: r.info, state: r.state });
    }
    // One node on the caller's tapes: the solve and the read-out run on a private tape; this
    // node's VJP is that tape's pullback to the data segments followed by Mᵀ.
    let report: { info: SolveInfo; state: LayerState } | null = null;
    const inner = withoutRecording(() =>
      vjp((s: Record<string, Tensor>) => {
        const r = solveAndRead(s, lead, call);
        report = r;
        return r.outputs;
      }, seg),
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
      pullback: (cots: readonly Cotangent[]) => {
        const [g] = withoutRecording(() => inner.pullback(cots.map((c) => c ?? null))) as [Record<string, Tensor>];
        const gData = new Float64Array(B * nData);
        for (const s of program.segments) {
          const gs = g[s.name]!.data;
          const size = gs.length / B;
          for (let b = 0; b < B; b++) gData.set(gs.subarray(b * size, (b + 1) * size), b * nData + s.offset);
        }
        return unstackTheta(program, tensors, applyMapT(program.map, gData, B), B);
      },
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
    if (!(t instanceof Tensor)) throw new InvalidInputError(`model.layer: tensor ${i} (parameter ${format(param)}) is not a Tensor`);
    const s = param.shape;
    const r = t.ndim - s.length;
    let ok = r === 0 || r === 1;
    for (let a = 0; ok && a < s.length; a++) ok = t.shape[r + a] === s[a];
    if (!ok) {
      throw new ShapeError(
        `model.layer: parameter ${format(param)} has shape [${s}] but tensor ${i} has shape [${t.shape}] (expected [${s}] or [B, ${s}])`,
      );
    }
    if (r === 1) {
      const b = t.shape[0]!;
      if (batch !== null && b !== batch)
        throw new ShapeError(`model.layer: batch sizes differ: ${batch} and ${b} (parameter ${format(param)}, tensor ${i})`);
      batch = b;
    }
    const d = t.data;
    for (let j = 0; j < d.length; j++) {
      if (!Number.isFinite(d[j]!))
        throw new InvalidInputError(`model.layer: parameter ${format(param)} (tensor ${i}) has a non-finite entry`);
    }
  });
  return batch;
}

/** θ = [vec(p₁), vec(p₂), …] per batch element, row-major [B, nθ]; a shared parameter repeats. */
function stackTheta(program: Program, tensors: readonly Tensor[], B: number): Float64Array {
  const n = program.nTheta;
  const theta = new Float64Array(B * n);
  program.theta.forEach(({ param, offset }, i) => {
    const t = tensors[i]!;
    const size = param.size;
    const batched = t.ndim === param.ndim + 1;
    for (let b = 0; b < B; b++) theta.set(batched ? t.data.subarray(b * size, (b + 1) * size) : t.data, b * n + offset);
  });
  return theta;
}

/** The θ cotangent [B, nθ] back to one gradient per parameter tensor; shared ones sum over the batch. */
function unstackTheta(program: Program, tensors: readonly Tensor[], g: Float64Array, B: number): Tensor[] {
  const n = program.nTheta;
  return program.theta.map(({ param, offset }, i) => {
    const t = tensors[i]!;
    const size = param.size;
    const batched = t.ndim === param.ndim + 1;
    const out = new Float64Array(t.size);
    for (let b = 0; b < B; b++) {
      const src = g.subarray(b * n + offset, b * n + offset + size);
      if (batched) out.set(src, b * size);
      else for (let j = 0; j < size; j++) out[j]! += src[j]!;
    }
    return new Tensor(out, t.shape);
  });
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
