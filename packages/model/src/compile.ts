import { InvalidInputError } from '@argmin/autodiff';
import type { ConeSpec } from '@argmin/nodes-convex';
import { canonAtom } from './canon-atoms.js';
import { Canonicalizer, ConeBuilder, type RowRange } from './canon.js';
import { analyze } from './dcp.js';
import { format, neg, type Constraint, type Expr, type Shape } from './expr.js';
import { type Lin, linAdd, linConst, linLeaf, linScale, linSub, selectionOf, type Row } from './lin.js';
import { buildAffineMap, type AffineMap, type Segment } from './affine-map.js';
import type { Problem } from './problem.js';

/**
 * Compiles a problem once into the data of a cone program whose every coefficient is an affine
 * function of the stacked parameters θ: data = M·[θ; 1], M sparse (see affine-map.ts).
 *
 * Two targets, picked from the cones the problem needs:
 * - 'qp': a quadratic objective with only linear constraints goes to the QP node as
 *   min ½xᵀQx + pᵀx s.t. Gx ≤ h, Ax = b, so a parametric quadForm(x, Q) is differentiable in Q
 *   through the solver's quadratic term;
 * - 'cone': everything else goes to the cone node, min cᵀx s.t. b − Ax ∈ K. The cone node has no
 *   quadratic term yet, so a quadratic objective that meets second-order, PSD or exponential
 *   cones is rewritten into cones (sumSquares by a rotated SOC, a parametric quadForm by its
 *   Schur complement in a PSD cone). That rewrite moves to the node's P once it accepts one.
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
}

interface QuadItem {
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

export function compileProblem(prob: Problem, parameters: readonly Expr[], variables: readonly Expr[]): Program {
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
  const conic = cones.soc.length + cones.psd.length + cones.exp.length > 0;
  const target = quad.length > 0 && !conic ? 'qp' : 'cone';
  const P = new Map<number, Row>();
  for (const q of quad) {
    if (target === 'cone')
      objective = linAdd(
        objective,
        linScale(
          canonAtom(q.expr, (a) => canon.canon(a), cones),
          q.weight,
        ),
      );
    else addQuadratic(q, canon, cones, P);
  }

  const program = assemble(target, cones, objective, P, nTheta);
  const constraintRows = new Map<Constraint, RowRange & { offset: number }>();
  for (const [c, r] of ranges) constraintRows.set(c, { ...r, offset: rowOffset(r, cones, target) });
  return { ...program, theta, nTheta, variableOffset, constraintRows };
}

/** Adds w·sumSquares(e) or w·quadForm(e, Q) to ½xᵀPx (P kept symmetric, keyed by i·n + j). */
function addQuadratic(q: QuadItem, canon: Canonicalizer, cones: ConeBuilder, P: Map<number, Row>): void {
  const e = canon.canon(q.expr.args[0]!);
  let vars = selectionOf(e);
  if (vars === null) {
    const w = cones.newVar([e.size]);
    cones.addZero(linSub(w, e));
    vars = selectionOf(w)!;
  }
  const n = vars.length;
  const Q =
    q.expr.data.atom === 'quadForm'
      ? canon.canon(q.expr.args[1]!)
      : linConst(
          Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? 1 : 0)),
          [n, n],
        );
  // w·Σᵢⱼ Qᵢⱼ xᵢxⱼ = ½xᵀPx with P += w(Q + Qᵀ); the key uses a bound on n fixed later.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = Q.rows[i * n + j]!;
      if (r.length === 0) continue;
      const scaled = r.map((x, t) => (t % 3 === 2 ? x * q.weight : x));
      for (const [a, b] of [
        [vars[i]!, vars[j]!],
        [vars[j]!, vars[i]!],
      ] as const) {
        const key = a * 2 ** 26 + b;
        const prev = P.get(key);
        if (prev) prev.push(...scaled);
        else P.set(key, [...scaled]);
      }
    }
  }
}

function rowOffset(r: RowRange, cones: ConeBuilder, target: 'qp' | 'cone'): number {
  if (r.kind === 'zero' || (target === 'qp' && r.kind === 'nonneg')) return r.start;
  if (r.kind === 'nonneg') return cones.zero.length + r.start;
  let off = cones.zero.length + cones.nonneg.length + cones.soc.reduce((s, b) => s + b.length, 0);
  for (let k = 0; k < r.start; k++) off += cones.psd[k]!.rows.length;
  return off;
}

function assemble(
  target: 'qp' | 'cone',
  cones: ConeBuilder,
  objective: Lin,
  P: ReadonlyMap<number, Row>,
  nTheta: number,
): Pick<Program, 'target' | 'n' | 'cones' | 'rows' | 'map' | 'segments'> {
  const n = cones.nVars;
  const socRows = cones.soc.flat();
  const psdRows = cones.psd.flatMap((b) => b.rows);
  const expRows = cones.exp.flat();
  const spec: ConeSpec = {
    ...(cones.zero.length ? { zero: cones.zero.length } : {}),
    ...(cones.nonneg.length ? { nonneg: cones.nonneg.length } : {}),
    ...(cones.soc.length ? { soc: cones.soc.map((b) => b.length) } : {}),
    ...(cones.psd.length ? { psd: cones.psd.map((b) => b.order) } : {}),
    ...(cones.exp.length ? { exp: cones.exp.length } : {}),
  };
  const segments: Segment[] = [];
  const entries: [number, number, number][] = [];
  let offset = 0;
  const segment = (name: string, shape: Shape): number => {
    const start = offset;
    segments.push({ name, offset: start, shape });
    offset += shape.reduce((a, b) => a * b, 1);
    return start;
  };
  const term = (data: number, p: number, w: number) => entries.push([data, p < 0 ? nTheta : p, w]);
  /** Rows s = Fx + g become A = −F and b = g. */
  const constraintBlock = (rows: readonly Row[], aName: string, bName: string) => {
    if (rows.length === 0) return;
    const a = segment(aName, [rows.length, n]);
    const b = segment(bName, [rows.length]);
    rows.forEach((r, i) => {
      for (let t = 0; t < r.length; t += 3) {
        if (r[t]! >= 0) term(a + i * n + r[t]!, r[t + 1]!, -r[t + 2]!);
        else term(b + i, r[t + 1]!, r[t + 2]!);
      }
    });
  };
  if (target === 'qp') {
    const q = segment('Q', [n, n]);
    for (const [key, r] of P) {
      const i = Math.floor(key / 2 ** 26);
      const j = key % 2 ** 26;
      for (let t = 0; t < r.length; t += 3) term(q + i * n + j, r[t + 1]!, r[t + 2]!);
    }
  }
  const c = segment(target === 'qp' ? 'p' : 'c', [n]);
  const obj = objective.rows[0]!;
  for (let t = 0; t < obj.length; t += 3) if (obj[t]! >= 0) term(c + obj[t]!, obj[t + 1]!, obj[t + 2]!);
  if (target === 'qp') {
    constraintBlock(cones.zero, 'A', 'b');
    constraintBlock(cones.nonneg, 'G', 'h');
  } else constraintBlock([...cones.zero, ...cones.nonneg, ...socRows, ...psdRows, ...expRows], 'A', 'b');
  const total = cones.zero.length + cones.nonneg.length + socRows.length + psdRows.length + expRows.length;
  return {
    target,
    n,
    cones: spec,
    rows: { zero: cones.zero.length, nonneg: cones.nonneg.length, total },
    map: buildAffineMap(offset, nTheta, entries),
    segments,
  };
}
