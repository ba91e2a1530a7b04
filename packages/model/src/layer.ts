import { InvalidInputError, ShapeError, Tensor, vjp, type NodeCallOptions, type SolveInfo } from '@argmin/autodiff';
import { isRecording, record, withoutRecording, type Cotangent, type TensorRecord } from '@argmin/autodiff/extend';
import { applyMap, applyMapT, mapNnz } from './affine-map.js';
import type { ConeEngine } from './assemble.js';
import { compileProblem, type Program } from './compile.js';
import { Constraint, format, type Expr } from './expr.js';
import type { Problem } from './problem.js';
import { readOutputs, readPlan, scatterCotangents } from './readout.js';
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
  /** What the cone node accepts (default: probed from its signature); for tests and adapters. */
  readonly engine?: ConeEngine;
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
  const program = compileProblem(prob, parameters, variables, {
    ...(options.target ? { target: options.target } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
  const text = prob.toString();

  const plan = readPlan(program, variables, duals);

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
      const r = solveProgram(program, seg, call);
      return Object.assign(readOutputs(plan, r.state, B, lead), { info: r.info, state: r.state });
    }
    // One node on the caller's tapes: the solve runs on a private tape; this node's VJP scatters
    // the outputs' cotangents into the solution's, pulls them back to the data segments through
    // that tape (the node's VJP), then applies Mᵀ.
    let info: SolveInfo | null = null;
    const inner = withoutRecording(() =>
      vjp((s: Record<string, Tensor>) => {
        const r = solveProgram(program, s, call);
        info = r.info;
        return r.state;
      }, seg),
    );
    const state = inner.value;
    const outputs = readOutputs(plan, state, B, lead);
    record({
      op: 'model.layer',
      kind: 'optimization',
      inputs: tensors,
      outputs,
      attrs: { target: program.target, variables: program.n, rows: program.rows.total },
      strategy: typeof call.strategy === 'object' ? call.strategy.kind : (call.strategy ?? 'implicit'),
      info: info!,
      label: call.label ?? text,
      pullback: (cots: readonly Cotangent[]) => {
        const solCot = scatterCotangents(plan, cots, state, B);
        const [g] = withoutRecording(() => inner.pullback(solCot)) as [Record<string, Tensor>];
        const gData = new Float64Array(B * nData);
        for (const s of program.segments) {
          const gs = g[s.name]!.data;
          const size = gs.length / B;
          for (let b = 0; b < B; b++) gData.set(gs.subarray(b * size, (b + 1) * size), b * nData + s.offset);
        }
        return unstackTheta(program, tensors, applyMapT(program.map, gData, B), B);
      },
    });
    return Object.assign(outputs, { info: info!, state });
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
