import { InvalidInputError, ShapeError, Tensor, vjp, type NodeCallOptions, type SolveInfo } from '@argmin/autodiff';
import { isRecording, record, withoutRecording, type Cotangent, type TensorRecord } from '@argmin/autodiff/extend';
import { mapNnz } from './affine-map.js';
import type { ConeEngine } from './assemble.js';
import { compileProblem, type Program } from './compile.js';
import { applyData, dataPlan, pullData } from './data-plan.js';
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
  const sources = dataPlan(program.map, program.segments, program.theta);
  const readKeys = [...new Set(plan.map((item) => item.key))];

  const layer = (tensors: readonly Tensor[], call: LayerCallOptions = {}): LayerOutput => {
    const batch = checkTensors(program, tensors);
    const lead = batch === null ? [] : [batch];
    const B = batch ?? 1;
    const batched = program.theta.map(({ param }, i) => tensors[i]!.ndim === param.ndim + 1);
    // The map on raw arrays (it is affine, its adjoint is exact and first order like the node's
    // implicit VJP), segment by segment as planned at compile time (data-plan.ts).
    const seg = applyData(sources, tensors, batched, batch);
    if (!isRecording()) {
      const r = solveProgram(program, seg, call);
      return Object.assign(readOutputs(plan, r.state, B, lead), { info: r.info, state: r.state });
    }
    // One node on the caller's tapes: the solve runs on a private tape; this node's VJP scatters
    // the outputs' cotangents into the solution's, pulls them back to the data segments through
    // that tape (the node's VJP), then applies Mᵀ.
    // The private tape returns only the solution tensors the outputs read (fewer leaves to track).
    let info: SolveInfo | null = null;
    let state: LayerState = {};
    const inner = withoutRecording(() =>
      vjp((s: Record<string, Tensor>) => {
        const r = solveProgram(program, s, call);
        info = r.info;
        state = r.state;
        return Object.fromEntries(readKeys.map((k) => [k, r.state[k]!]));
      }, seg),
    );
    const read = inner.value;
    const outputs = readOutputs(plan, read, B, lead);
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
        const solCot = scatterCotangents(plan, cots, read, B);
        const [g] = withoutRecording(() => inner.pullback(solCot)) as [Record<string, Tensor>];
        return pullData(sources, g, tensors, batched, batch);
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

/** The batch size of a call (null when no tensor carries a batch axis), after checking shapes and values. */
function checkTensors(program: Program, tensors: readonly Tensor[]): number | null {
  const theta = program.theta;
  if (!Array.isArray(tensors) || tensors.length !== theta.length) {
    throw new InvalidInputError(
      `model.layer: expected ${theta.length} tensors (one per parameter), got ${Array.isArray(tensors) ? tensors.length : typeof tensors}`,
    );
  }
  let batch: number | null = null;
  for (let i = 0; i < theta.length; i++) {
    const param = theta[i]!.param;
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
    if (!allFinite(t.data)) throw new InvalidInputError(`model.layer: parameter ${format(param)} (tensor ${i}) has a non-finite entry`);
  }
  return batch;
}

function allFinite(d: Float64Array): boolean {
  // x − x is 0 for every finite x and NaN for ±∞ and NaN, so one comparison per entry.
  let acc = 0;
  for (let j = 0; j < d.length; j++) acc += d[j]! - d[j]!;
  return acc === 0;
}
