import { InvalidInputError } from '@argmin/autodiff';
import type { CscPattern } from '@argmin/autodiff/kernels';
import type { ConeSpec } from '@argmin/nodes-convex';
import { canonAtom } from './canon-atoms.js';
import { Canonicalizer, ConeBuilder, type RowRange } from './canon.js';
import { analyze } from './dcp.js';
import { format, neg, type Constraint, type Expr } from './expr.js';
import { type Lin, linAdd, linConst, linLeaf, linScale, type Row } from './lin.js';
import type { AffineMap, Segment } from './affine-map.js';
import { assemble, coneEngine, type ConeEngine } from './assemble.js';
import type { Problem } from './problem.js';
import { addQuadratic, quadraticCover } from './quad.js';

/**
 * Compiles a problem once into the data of a cone program whose every coefficient is an affine
 * function of the stacked parameters θ: data = M·[θ; 1], M sparse (see affine-map.ts).
 *
 * Two targets, picked from the cones the problem needs:
 * - 'qp': a quadratic objective with only linear constraints goes to the QP node as
 *   min ½xᵀQx + pᵀx s.t. Gx ≤ h, Ax = b, so a parametric quadForm(x, Q) is differentiable in Q
 *   through the solver's quadratic term;
 * - 'cone': everything else goes to the cone node, min cᵀx s.t. b − Ax ∈ K with A dense and a
 *   quadratic objective rewritten into cones (sumSquares by a rotated SOC, a parametric
 *   quadForm by its Schur complement in a PSD cone). `engine` opts into the node's sparse A
 *   (values on a pattern fixed at compile time) and quadratic term ½xᵀPx (P's upper triangle);
 *   assemble.ts says why neither is the default yet.
 */
export interface Program {
  readonly target: 'qp' | 'cone';
  /** Columns of the canonical x (user variables first, then auxiliary ones). */
  readonly n: number;
  readonly cones: ConeSpec;
  readonly rows: { readonly zero: number; readonly nonneg: number; readonly total: number };
  /** Where each parameter sits in θ. */
  readonly theta: readonly { readonly param: Expr; readonly offset: number }[];
  readonly nTheta: number;
  readonly variableOffset: ReadonlyMap<Expr, number>;
  readonly constraintRows: ReadonlyMap<Constraint, RowRange & { readonly offset: number }>;
  readonly map: AffineMap;
  readonly segments: readonly Segment[];
  /** Sparsity patterns of the cone node's sparse data (A's values, P's upper triangle). */
  readonly sparsity?: { readonly A?: CscPattern; readonly P?: CscPattern };
}

export interface QuadItem {
  readonly expr: Expr;
  readonly weight: number;
}

/** Splits the objective into Σ wᵢ·(sumSquares | quadForm) terms with constant wᵢ > 0 and the rest. */
function splitObjective(e: Expr, w: number, quad: QuadItem[], rest: { expr: Expr; weight: number }[]): void {
  if (e.op === 'add') {
    splitObjective(e.args[0]!, w, quad, rest);
    splitObjective(e.args[1]!, w, quad, rest);
    return;
  }
  if (e.op === 'neg') {
    splitObjective(e.args[0]!, -w, quad, rest);
    return;
  }
  if (e.op === 'mul') {
    const [a, b] = e.args as [Expr, Expr];
    const k = a.op === 'constant' && a.size === 1 ? a : b.op === 'constant' && b.size === 1 ? b : null;
    if (k !== null) {
      splitObjective(k === a ? b : a, w * k.data.values![0]!, quad, rest);
      return;
    }
  }
  if (e.op === 'atom' && (e.data.atom === 'sumSquares' || e.data.atom === 'quadForm') && w > 0) {
    quad.push({ expr: e, weight: w });
    return;
  }
  rest.push({ expr: e, weight: w });
}

/** Compile options: which node solves quadratic programs, and what the cone node accepts. */
export interface CompileOptions {
  /** 'auto' (default): the QP node for quadratic objectives with linear constraints; 'cone': always the cone node. */
  readonly target?: 'auto' | 'cone';
  readonly engine?: ConeEngine;
}

export function compileProblem(
  prob: Problem,
  parameters: readonly Expr[],
  variables: readonly Expr[],
  options: CompileOptions = {},
): Program {
  const engine = options.engine ?? coneEngine();
  const inProblem = prob.parameters;
  for (const p of inProblem) {
    if (!parameters.includes(p)) {
      throw new InvalidInputError(
        `model: convexLayer: parameter ${format(p)} (shape [${p.shape}]) appears in the problem but not in options.parameters`,
      );
    }
  }
  parameters.forEach((p, i) => {
    if (p.op !== 'parameter') throw new InvalidInputError(`model: convexLayer: options.parameters[${i}] (${format(p)}) is not a parameter`);
  });
  const probVars = prob.variables;
  variables.forEach((v, i) => {
    if (v.op !== 'variable') throw new InvalidInputError(`model: convexLayer: options.variables[${i}] (${format(v)}) is not a variable`);
    if (!probVars.includes(v)) throw new InvalidInputError(`model: convexLayer: variable ${format(v)} does not appear in the problem`);
  });

  const theta: { param: Expr; offset: number }[] = [];
  const parameterOffset = new Map<Expr, number>();
  let nTheta = 0;
  for (const p of parameters) {
    if (parameterOffset.has(p)) throw new InvalidInputError(`model: convexLayer: parameter ${format(p)} is listed twice`);
    parameterOffset.set(p, nTheta);
    theta.push({ param: p, offset: nTheta });
    nTheta += p.size;
  }
  const variableOffset = new Map<Expr, number>();
  let nUser = 0;
  for (const v of [...variables, ...probVars.filter((v) => !variables.includes(v))]) {
    variableOffset.set(v, nUser);
    nUser += v.size;
  }

  const cones = new ConeBuilder(nUser);
  const canon = new Canonicalizer(cones, variableOffset, parameterOffset);
  for (const [v, off] of variableOffset) {
    if (v.data.leaf?.nonneg) cones.addNonneg(linLeaf('variable', off, v.shape));
    if (v.data.leaf?.nonpos) cones.addNonneg(linScale(linLeaf('variable', off, v.shape), -1));
  }
  const ranges = new Map<Constraint, RowRange>();
  for (const c of prob.constraints) {
    const l = canon.canon(c.expr);
    ranges.set(c, c.kind === 'eq' ? cones.addZero(l) : c.kind === 'le' ? cones.addNonneg(l) : cones.addPsd(l));
  }

  const sense = prob.objective.sense;
  const f = sense === 'minimize' ? prob.objective.expr : neg(prob.objective.expr);
  analyze(f);
  const quad: QuadItem[] = [];
  const rest: { expr: Expr; weight: number }[] = [];
  splitObjective(f, 1, quad, rest);
  let objective: Lin = linConst([0], []);
  for (const r of rest) objective = linAdd(objective, linScale(canon.canon(r.expr), r.weight));
  const conic = cones.soc.length + cones.psd.length + cones.exp.length + cones.power.length > 0;
  // The QP node takes a quadratic objective with linear constraints, when P reaches every variable
  // (zero-curvature columns, e.g. epigraph variables or an SVM's bias, go to the cone node: the
  // QP node's interior point is unreliable on such singular Q today).
  const covered = new Set(quad.flatMap((q) => quadraticCover(q.expr, canon)));
  const definite = Array.from({ length: cones.nVars }, (_, v) => covered.has(v)).every(Boolean);
  const target = quad.length > 0 && !conic && definite && options.target !== 'cone' ? 'qp' : 'cone';
  const P = new Map<number, Row>();
  // A quadratic objective meeting curved cones goes to the cone node's P (its polish and VJP are
  // exact there, quadratic-map.ts); without curved cones it is rewritten into a rotated SOC.
  const quadratic = engine.quadratic === 'auto' ? conic : engine.quadratic;
  for (const q of quad) {
    if (target === 'cone' && !quadratic)
      objective = linAdd(
        objective,
        linScale(
          canonAtom(q.expr, (a) => canon.canon(a), cones),
          q.weight,
        ),
      );
    else objective = linAdd(objective, addQuadratic(q.expr, q.weight, canon, cones, P));
  }

  const program = assemble(target, cones, objective, P, nTheta, engine);
  const constraintRows = new Map<Constraint, RowRange & { offset: number }>();
  for (const [c, r] of ranges) constraintRows.set(c, { ...r, offset: rowOffset(r, cones, target) });
  return { ...program, theta, nTheta, variableOffset, constraintRows };
}

function rowOffset(r: RowRange, cones: ConeBuilder, target: 'qp' | 'cone'): number {
  if (r.kind === 'zero' || (target === 'qp' && r.kind === 'nonneg')) return r.start;
  if (r.kind === 'nonneg') return cones.zero.length + r.start;
  let off = cones.zero.length + cones.nonneg.length + cones.soc.reduce((s, b) => s + b.length, 0);
  for (let k = 0; k < r.start; k++) off += cones.psd[k]!.rows.length;
  return off;
}
