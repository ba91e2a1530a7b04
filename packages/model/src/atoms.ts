import { InvalidInputError, ShapeError } from '@argmin/autodiff';
import { asExpr, atom, broadcastShape, Expr, format, type ExprLike } from './expr.js';

/**
 * The atoms of the modeling language with their DCP metadata: curvature, sign of the result
 * from the signs of the arguments, and monotonicity in each argument (which may depend on the
 * argument's sign, e.g. x² is increasing for x ≥ 0). Their cone forms are in canon-atoms.ts.
 */
export type Sign = 'nonneg' | 'nonpos' | 'zero' | 'unknown';
export type Monotonicity = 'inc' | 'dec' | 'none';

export interface AtomSpec {
  readonly curvature: 'convex' | 'concave';
  /** Sign of the result given the arguments' signs. */
  sign(args: readonly Sign[]): Sign;
  /** Monotonicity in argument i given the arguments' signs. */
  mono(i: number, args: readonly Sign[]): Monotonicity;
  /** Arguments that must be free of variables (data, e.g. quadForm's matrix). */
  readonly data?: readonly number[];
  /** One line for the docs' table. */
  readonly doc: string;
}

const nonneg = (): Sign => 'nonneg';
const unknown = (): Sign => 'unknown';
const inc = (): Monotonicity => 'inc';
const none = (): Monotonicity => 'none';
/** |x|, x², ‖x‖: increasing where x ≥ 0, decreasing where x ≤ 0. */
const evenMono = (_i: number, s: readonly Sign[]): Monotonicity =>
  s[0] === 'nonneg' || s[0] === 'zero' ? 'inc' : s[0] === 'nonpos' ? 'dec' : 'none';
/** The sign of max(a, b) / min(a, b). */
const maxSign = (s: readonly Sign[]): Sign =>
  s.some((x) => x === 'nonneg' || x === 'zero') ? 'nonneg' : s.every((x) => x === 'nonpos') ? 'nonpos' : 'unknown';
const minSign = (s: readonly Sign[]): Sign =>
  s.some((x) => x === 'nonpos' || x === 'zero') ? 'nonpos' : s.every((x) => x === 'nonneg') ? 'nonneg' : 'unknown';

export const ATOMS: Readonly<Record<string, AtomSpec>> = {
  sumSquares: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: 'Σᵢ xᵢ²' },
  quadForm: {
    curvature: 'convex',
    sign: nonneg,
    mono: (i, s) => (i === 0 ? evenMono(0, s) : 'none'),
    data: [1],
    doc: 'xᵀQx, Q PSD (constant or parameter)',
  },
  norm1: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: 'Σᵢ |xᵢ|' },
  norm2: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: '‖x‖₂ (Frobenius for matrices)' },
  normInf: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: 'maxᵢ |xᵢ|' },
  abs: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: '|x| elementwise' },
  pos: { curvature: 'convex', sign: nonneg, mono: inc, doc: 'max(x, 0) elementwise' },
  maximum: { curvature: 'convex', sign: maxSign, mono: inc, doc: 'max(a, b) elementwise' },
  minimum: { curvature: 'concave', sign: minSign, mono: inc, doc: 'min(a, b) elementwise' },
  max: { curvature: 'convex', sign: (s) => s[0]!, mono: inc, doc: 'maxᵢ xᵢ' },
  min: { curvature: 'concave', sign: (s) => s[0]!, mono: inc, doc: 'minᵢ xᵢ' },
  entr: { curvature: 'concave', sign: unknown, mono: none, doc: '−x log x elementwise (x ≥ 0)' },
  exp: { curvature: 'convex', sign: nonneg, mono: inc, doc: 'eˣ elementwise' },
  logistic: { curvature: 'convex', sign: nonneg, mono: inc, doc: 'log(1 + eˣ) elementwise' },
  log: { curvature: 'concave', sign: unknown, mono: inc, doc: 'log x elementwise (x > 0)' },
  logSumExp: { curvature: 'convex', sign: unknown, mono: inc, doc: 'log Σᵢ exp xᵢ' },
  huber: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: 'x² for |x| ≤ M, 2M|x| − M² beyond' },
  lambdaMax: { curvature: 'convex', sign: unknown, mono: none, doc: 'largest eigenvalue of a symmetric X' },
  logDet: { curvature: 'concave', sign: unknown, mono: none, doc: 'log det X of a symmetric X ≻ 0' },
  // power(x, p) is three atoms, as norm(x, p) is four: curvature and monotonicity depend on p.
  absPower: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: '|x|ᵖ elementwise, p > 1 (power(x, p))' },
  concavePower: { curvature: 'concave', sign: nonneg, mono: inc, doc: 'xᵖ elementwise, 0 < p < 1, x ≥ 0 (power(x, p))' },
  inversePower: { curvature: 'convex', sign: nonneg, mono: () => 'dec', doc: 'xᵖ elementwise, p < 0, x > 0 (power(x, p))' },
  normP: { curvature: 'convex', sign: nonneg, mono: evenMono, doc: '(Σᵢ |xᵢ|ᵖ)^(1/p), p > 1, not 2 or ∞ (norm(x, p))' },
  geoMean: { curvature: 'concave', sign: nonneg, mono: inc, doc: 'Πᵢ xᵢ^wᵢ, weights wᵢ > 0 normalized to sum 1 (default 1/n), x ≥ 0' },
};

function vectorLike(name: string, x: Expr): void {
  if (x.size === 0) throw new ShapeError(`model: ${name}() of an empty expression`);
}

export const sumSquares = (x: ExprLike): Expr => unary('sumSquares', x, []);
export const abs = (x: ExprLike): Expr => elementwise('abs', x);
export const pos = (x: ExprLike): Expr => elementwise('pos', x);
export const entr = (x: ExprLike): Expr => elementwise('entr', x);
export const exp = (x: ExprLike): Expr => elementwise('exp', x);
export const log = (x: ExprLike): Expr => elementwise('log', x);
export const logistic = (x: ExprLike): Expr => elementwise('logistic', x);
export const logSumExp = (x: ExprLike): Expr => unary('logSumExp', x, []);
export const max = (x: ExprLike): Expr => unary('max', x, []);
export const min = (x: ExprLike): Expr => unary('min', x, []);

/**
 * ‖x‖ₚ over all entries for p ≥ 1 or Infinity (default 2; Frobenius for a matrix with p = 2).
 * p = 1, 2, ∞ keep their linear / SOC forms; any other p goes through power cones (normP).
 */
export function norm(x: ExprLike, p = 2): Expr {
  if (p === 1 || p === 2 || p === Infinity) return unary(p === 1 ? 'norm1' : p === 2 ? 'norm2' : 'normInf', x, []);
  if (typeof p !== 'number' || !Number.isFinite(p) || !(p > 1)) {
    throw new InvalidInputError(`model: norm(${format(asExpr(x))}, ${p}): p must be a number ≥ 1 or Infinity`);
  }
  const e = asExpr(x);
  vectorLike('norm', e);
  return atom('normP', [e], [], p);
}

/**
 * xᵖ elementwise for a constant p ≠ 0 (CVXPY's power, with |x|ᵖ for every p > 1):
 * - p > 1: |x|ᵖ, convex on all of ℝ (so power(x, 2) is x² for every x, and power(x, 3) is |x|³,
 *   not x³), ≥ 0, nondecreasing for x ≥ 0 and nonincreasing for x ≤ 0 (like abs);
 * - p = 1: x itself;
 * - 0 < p < 1: xᵖ, concave and nondecreasing, with x ≥ 0 imposed by its cone;
 * - p < 0: xᵖ, convex and nonincreasing, with x > 0 imposed by its cone.
 * p = 0 (the constant 1) is refused: write the constant.
 */
export function power(x: ExprLike, p: number): Expr {
  const e = asExpr(x);
  if (typeof p !== 'number' || !Number.isFinite(p) || p === 0) {
    throw new InvalidInputError(`model: power(${format(e)}, ${p}): p must be a finite number other than 0`);
  }
  if (p === 1) return e;
  return atom(p > 1 ? 'absPower' : p > 0 ? 'concavePower' : 'inversePower', [e], e.shape, p);
}

/**
 * The weighted geometric mean Πᵢ xᵢ^wᵢ of the entries of x (x ≥ 0 imposed by its cones), with
 * weights wᵢ > 0 normalized to sum to 1 (default: all equal, (Πᵢ xᵢ)^(1/n)). Concave, nondecreasing.
 */
export function geoMean(x: ExprLike, weights?: readonly number[]): Expr {
  const e = asExpr(x);
  vectorLike('geoMean', e);
  if (weights === undefined) return atom('geoMean', [e], []);
  if (!Array.isArray(weights) || weights.length !== e.size) {
    throw new InvalidInputError(`model: geoMean(${format(e)}, weights): expected ${e.size} weights, one per entry`);
  }
  weights.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || !(w > 0))
      throw new InvalidInputError(`model: geoMean(${format(e)}, weights): weight ${i} must be a finite number > 0, got ${w}`);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return new Expr('atom', [], [e], { atom: 'geoMean', weights: Float64Array.from(weights, (w) => w / total) });
}

/** Elementwise maximum of two expressions (one may be a scalar). */
export function maximum(a: ExprLike, b: ExprLike): Expr {
  const x = asExpr(a);
  const y = asExpr(b);
  return atom('maximum', [x, y], broadcastShape(x, y, 'vs'));
}

export function minimum(a: ExprLike, b: ExprLike): Expr {
  const x = asExpr(a);
  const y = asExpr(b);
  return atom('minimum', [x, y], broadcastShape(x, y, 'vs'));
}

/** The Huber function elementwise with threshold M > 0 (CVXPY's convention: x² inside). */
export function huber(x: ExprLike, M = 1): Expr {
  if (!(M > 0) || !Number.isFinite(M)) throw new ShapeError(`model: huber(): M must be a positive number, got ${M}`);
  const e = asExpr(x);
  return atom('huber', [e], e.shape, M);
}

/** xᵀQx for a vector x and a symmetric PSD matrix Q free of variables (a constant or a parameter). */
export function quadForm(x: ExprLike, Q: ExprLike): Expr {
  const e = asExpr(x);
  const q = asExpr(Q);
  const n = e.size;
  if (e.ndim > 1 || q.ndim !== 2 || q.shape[0] !== n || q.shape[1] !== n) {
    throw new ShapeError(
      `model: quadForm(${format(e)}, ${format(q)}) needs a vector [n] and a matrix [n, n], got [${e.shape}] and [${q.shape}]`,
    );
  }
  return atom('quadForm', [e, q], []);
}

/** The largest eigenvalue of a symmetric matrix expression. */
export function lambdaMax(X: ExprLike): Expr {
  const e = asExpr(X);
  if (e.ndim !== 2 || e.shape[0] !== e.shape[1])
    throw new ShapeError(`model: lambdaMax(${format(e)}) needs a square matrix, got [${e.shape}]`);
  return atom('lambdaMax', [e], []);
}

/** log det X of a symmetric positive definite matrix expression (its symmetric part is read). */
export function logDet(X: ExprLike): Expr {
  const e = asExpr(X);
  if (e.ndim !== 2 || e.shape[0] !== e.shape[1])
    throw new ShapeError(`model: logDet(${format(e)}) needs a square matrix, got [${e.shape}]`);
  return atom('logDet', [e], []);
}

/** X ⪰ 0 as a constraint. */
export function psd(X: ExprLike): ReturnType<Expr['psdGe']> {
  return asExpr(X).psdGe(0);
}

function unary(name: string, x: ExprLike, shape: readonly number[]): Expr {
  const e = asExpr(x);
  vectorLike(name, e);
  return atom(name, [e], shape);
}

function elementwise(name: string, x: ExprLike): Expr {
  const e = asExpr(x);
  return atom(name, [e], e.shape);
}
