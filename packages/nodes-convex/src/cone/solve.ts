import { Tensor, type SolveInfo, type SolveStatus } from '@argmin/autodiff';
import type { CscPattern } from '@argmin/autodiff/kernels';
import type { ConeData } from './data.js';
import { solveProgram, type KktChoice, type ProgramInput, type ProgramState } from './ipm/program.js';
import type { ConeLayout, ConeParams, ConeSolution } from './problem.js';
import { denseQuadratic, quadraticResidualAt, refineQuadratic } from './quadratic-map.js';
import { refine } from './refine.js';
import { residualAt, type ResidualPoint } from './residual-map.js';

/** Solver options of the cone node (beside `cones` and the common controls). */
export interface ConeSolverOptions {
  /**
   * Target for the worst primal, dual and gap residual, each row and column relative to its own
   * terms plus one unit of the equilibrated program (ipm/measure.ts; default 1e-9).
   */
  readonly tol?: number;
  /** Interior-point iteration budget (default 100). */
  readonly maxIter?: number;
  /** Certificate tolerance for infeasible / unbounded programs (default 1e-8). */
  readonly tolInfeasible?: number;
  /**
   * KKT linear algebra: 'dense' eliminates to the normal equations with dense Cholesky (dense A),
   * 'sparse' factors the quasi-definite KKT matrix by sparse LDLᵀ with AMD ordering;
   * 'auto' (default) picks 'sparse' for a sparse A (Aval) or a large, mostly empty dense one.
   */
  readonly kkt?: KktChoice;
  /**
   * Polish the interior-point solution by Gauss–Newton on the embedding's residual map
   * (refine.ts). Interior points stop at μ ≈ 1e-10, where solutions on curved cones (second-order,
   * PSD, exponential, power) are accurate only to about √μ in x; polishing takes them to round-off.
   * Either way a curved-cone program with n + m ≤ 1000 (≤ denseMax with P) is differentiated
   * through the residual map (vjp-residual.ts), at the polished point or at the iterate itself.
   * Default 'auto': on for programs with curved cones, no P and n + m ≤ 1000 (a sparse A is densified for it).
   */
  readonly polish?: boolean | 'auto';
  /** Largest n + m polished and differentiated with dense linear algebra (default 400; above, CG and GMRES). */
  readonly denseMax?: number;
}

/** Sparsity patterns of the sparse parameter forms (`Aval`, `Pval`). */
export interface ConeSparsity {
  /** Pattern of A (m×n) for `Aval`. */
  readonly A?: CscPattern;
  /** Pattern of P's upper triangle incl. the diagonal (n×n) for `Pval`. */
  readonly P?: CscPattern;
}

/** What the VJP reuses: per batch element, the engine's final state (null if not converged). */
export interface ConeSaved {
  readonly states: readonly (ProgramState | null)[];
  /** Curved-cone elements (polished or not, see residualSized): the residual-map point the exact VJP differentiates. */
  readonly points: readonly (ResidualPoint | null)[];
}

/** A dense-A, no-P element as the residual-map code reads it. */
export function coneData(input: ProgramInput): ConeData {
  const { m, n, aPattern } = input;
  // The residual map reads A densely: a sparse A's values are scattered into an m×n copy.
  let A = input.A;
  let aOff = input.aOff;
  if (aPattern) {
    A = new Float64Array(m * n);
    for (let j = 0; j < n; j++)
      for (let q = aPattern.colPtr[j]!; q < aPattern.colPtr[j + 1]!; q++) A[aPattern.rowIdx[q]! * n + j] = input.A[input.aOff + q]!;
    aOff = 0;
  }
  return {
    m,
    n,
    layout: input.layout,
    A,
    aOff,
    b: input.b,
    bOff: input.bOff,
    c: input.c,
    cOff: input.cOff,
  };
}

function polishes(input: ProgramInput, opts: ConeSolverOptions): boolean {
  const p = opts.polish ?? 'auto';
  if (p === false) return false;
  // With P the polish and its VJP are dense (quadratic-map.ts).
  if (p === true) return !(input.P && input.n + input.m > (opts.denseMax ?? 400));
  return residualSized(input, opts);
}

/**
 * Programs with curved cones whose residual map the VJP differentiates (vjp-residual.ts,
 * quadratic-map.ts): n + m ≤ 1000, and ≤ denseMax with P (its map is dense). Their KKT matrix at
 * the final iterate is not a derivative to trust: its H spans μ to 1/μ inside one block, and on
 * the benchmark SOCP and SDP its gradients were off by 1e-3 to 40% at every tolerance tried.
 */
function residualSized(input: ProgramInput, opts: ConeSolverOptions): boolean {
  if (input.P && input.n + input.m > (opts.denseMax ?? 400)) return false;
  const curved = input.layout.blocks.some((b) => b.kind !== 'zero' && b.kind !== 'nonneg');
  return curved && input.n + input.m <= 1000;
}

/** The residual-map point at an unpolished iterate (x, z = y − s), for the exact VJP. */
function pointAt(input: ProgramInput, x: Float64Array, zy: Float64Array): ResidualPoint {
  return input.P ? quadraticResidualAt(coneData(input), denseQuadratic(input), x, zy) : residualAt(coneData(input), x, zy);
}

/** The equilibrated program the engine solved (ipm/equilibrate.ts) as a ProgramInput. */
function scaledInput(input: ProgramInput, st: ProgramState): ProgramInput {
  const { A, P, b, c } = st.data;
  return {
    layout: input.layout,
    m: input.m,
    n: input.n,
    ...(A.kind === 'csc' ? { A: A.values, aOff: 0, aPattern: A.pattern } : { A: A.data, aOff: 0 }),
    ...(P ? (P.kind === 'csc' ? { P: P.values, pOff: 0, pPattern: P.pattern } : { P: P.data, pOff: 0 }) : {}),
    b,
    bOff: 0,
    c,
    cOff: 0,
  };
}

/** A point of the equilibrated program in the caller's units: x = E·x̃, s = D⁻¹·s̃, y = D·ỹ/σ. */
function unscaled(st: ProgramState, p: { x: Float64Array; y: Float64Array; s: Float64Array }) {
  const { D, E, cost } = st.data.scaling;
  return {
    x: p.x.map((v, j) => v * E[j]!),
    y: p.y.map((v, i) => (v * D[i]!) / cost),
    s: p.s.map((v, i) => v / D[i]!),
  };
}

/** Leading batch size of the call (1 when nothing is batched) and whether anything is batched. */
export function batchOf(params: ConeParams): { B: number; batched: boolean } {
  const lead: number[] = [];
  if (params.A && params.A.ndim === 3) lead.push(params.A.shape[0]!);
  if (params.Aval && params.Aval.ndim === 2) lead.push(params.Aval.shape[0]!);
  if (params.P && params.P.ndim === 3) lead.push(params.P.shape[0]!);
  if (params.Pval && params.Pval.ndim === 2) lead.push(params.Pval.shape[0]!);
  if (params.b.ndim === 2) lead.push(params.b.shape[0]!);
  if (params.c.ndim === 2) lead.push(params.c.shape[0]!);
  return { B: lead[0] ?? 1, batched: lead.length > 0 };
}

/** Batch element e's data as views into the parameters. */
export function elementInput(params: ConeParams, layout: ConeLayout, sparsity: ConeSparsity | undefined, e: number): ProgramInput {
  const { b, c } = params;
  const m = layout.m;
  const n = c.shape[c.ndim - 1]!;
  const off = (t: Tensor, core: number, size: number) => (t.ndim > core ? e * size : 0);
  const base = { layout, m, n, b: b.data, bOff: off(b, 1, m), c: c.data, cOff: off(c, 1, n) };
  const a = params.Aval
    ? { A: params.Aval.data, aOff: off(params.Aval, 1, params.Aval.shape[params.Aval.ndim - 1]!), aPattern: sparsity!.A! }
    : { A: params.A!.data, aOff: off(params.A!, 2, m * n) };
  const p = params.Pval
    ? { P: params.Pval.data, pOff: off(params.Pval, 1, params.Pval.shape[params.Pval.ndim - 1]!), pPattern: sparsity!.P! }
    : params.P
      ? { P: params.P.data, pOff: off(params.P, 2, n * n) }
      : {};
  return { ...base, ...a, ...p };
}

/**
 * The batched forward: one interior-point solve per element (ipm/). Elements that share a
 * sparsity pattern share its symbolic analysis (the KKT pattern cache in kkt-sparse.ts).
 * A warm start is accepted and ignored: an interior-point method starts from the interior
 * and gains nothing from a point on the boundary.
 */
export function solveCone(
  params: ConeParams,
  layout: ConeLayout,
  opts: ConeSolverOptions,
  sparsity?: ConeSparsity,
): { solution: ConeSolution; info: SolveInfo; saved: ConeSaved } {
  const m = layout.m;
  const n = params.c.shape[params.c.ndim - 1]!;
  const { B, batched } = batchOf(params);
  const x = new Float64Array(B * n);
  const y = new Float64Array(B * m);
  const s = new Float64Array(B * m);
  const status: SolveStatus[] = [];
  const iterations: number[] = [];
  const residual: number[] = [];
  const states: (ProgramState | null)[] = [];
  const points: (ResidualPoint | null)[] = [];
  const ipmOpts = {
    tol: opts.tol ?? 1e-9,
    tolInfeasible: opts.tolInfeasible ?? 1e-8,
    maxIter: opts.maxIter ?? 100,
    kkt: opts.kkt ?? 'auto',
  };
  for (let e = 0; e < B; e++) {
    const input = elementInput(params, layout, sparsity, e);
    const st = solveProgram(input, ipmOpts);
    const r = st.result;
    let out = { x: r.x, y: r.y, s: r.s, residual: r.residual, steps: 0, point: null as ResidualPoint | null };
    let st8 = r.status;
    const zy = r.y.map((v, i) => v - r.s[i]!);
    const polish = polishes(input, opts);
    // Polish a converged solution, or one the interior point left close (stalled by round-off).
    if ((st8 === 'converged' || (st8 === 'max_iter' && r.residual <= 1e-5)) && polish) {
      const polishOn = (inp: ProgramInput, x0: Float64Array, zy0: Float64Array) =>
        inp.P
          ? refineQuadratic(coneData(inp), denseQuadratic(inp), x0, zy0, 8)
          : refine(coneData(inp), x0, zy0, { maxSteps: 8, tol: ipmOpts.tol, denseMax: opts.denseMax ?? 400 });
      // First on the equilibrated program the engine solved, from its own iterate: on badly scaled
      // data the residual map's Jacobian there is conditioned like the engine's, while on the
      // caller's data its normal equations square a conditioning of up to 1e12 (SOCPs with rows
      // and columns scaled by 10^±8 kept the engine's 1e-10 and x errors of 1e-5). Then on the
      // caller's data from the better of the two points: where the first reached round-off this
      // takes a step or none, and lands where the VJP differentiates the caller's map (the cone
      // contract's worst implicit-gradient error: 0.57 of its tolerance without it, 0.40 with).
      // Every polished point is judged by the engine's own measure on the caller's data.
      const zt = r.point.z.map((v, i) => v - r.point.s[i]!);
      const scaled = polishOn(scaledInput(input, st), r.point.x, zt);
      const u = unscaled(st, scaled.point);
      const judgedScaled = st.verify(u.x, u.y, u.s);
      const start =
        judgedScaled <= r.residual ? { x: u.x, zy: u.y.map((v, i) => v - u.s[i]!), steps: scaled.steps } : { x: r.x, zy, steps: 0 };
      const p = polishOn(input, start.x, start.zy);
      const judged = st.verify(p.point.x, p.point.y, p.point.s);
      const steps = start.steps + p.steps;
      if (judged <= Math.min(r.residual, judgedScaled))
        out = { x: p.point.x, y: p.point.y, s: p.point.s, residual: judged, steps, point: p.point };
      else if (judgedScaled <= r.residual) out = { ...u, residual: judgedScaled, steps, point: pointAt(input, u.x, start.zy) };
      if (out.residual <= ipmOpts.tol) st8 = 'converged';
    }
    // Unpolished (or polish refused) curved-cone programs: the residual map at the iterate itself.
    if (st8 === 'converged' && !out.point && (polish || residualSized(input, opts))) out.point = pointAt(input, r.x, zy);
    x.set(out.x, e * n);
    y.set(out.y, e * m);
    s.set(out.s, e * m);
    status.push(st8);
    iterations.push(r.iterations + out.steps);
    residual.push(out.residual);
    states.push(st8 === 'converged' ? st : null);
    points.push(st8 === 'converged' ? out.point : null);
  }
  const shape = (k: number) => (batched ? [B, k] : [k]);
  return {
    solution: { x: new Tensor(x, shape(n)), y: new Tensor(y, shape(m)), s: new Tensor(s, shape(m)) },
    info: { status, iterations, residual },
    saved: { states, points },
  };
}
