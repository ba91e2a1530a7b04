import type { ConeBuilder } from './canon.js';
import { canonPower } from './canon-power.js';
import { DcpError } from './errors.js';
import { format, type Expr } from './expr.js';
import { Lin, linAdd, linConst, linMatmul, linScale, linSub, linSum, selectionOf, type Row } from './lin.js';
import { symmetricEigen } from '@argmin/autodiff/kernels';

/**
 * Cone forms of the atoms. Each returns an affine surrogate (usually a fresh epigraph variable t)
 * and adds the constraints that bound the atom by it:
 *
 * | atom            | form                                                         |
 * | --------------- | ------------------------------------------------------------ |
 * | abs, normInf    | t ± x ≥ 0                                                    |
 * | pos, maximum    | t ≥ 0 (t ≥ b), t ≥ x                                         |
 * | norm2           | ‖x‖ ≤ t (SOC)                                                |
 * | sumSquares      | ‖(t − 1, 2x)‖ ≤ t + 1 (rotated SOC: ‖x‖² ≤ t)               |
 * | quadForm, Q cst | ‖Lᵀx‖² ≤ t with Q = LLᵀ from its eigendecomposition          |
 * | quadForm, Q par | [[t, (Qw)ᵀ], [Qw, Q]] ⪰ 0, w = x (Schur: wᵀQw ≤ t, linear in Q) |
 * | exp, log, entr  | (x, 1, t), (t, 1, x), (t, x, 1) in the exponential cone       |
 * | logSumExp       | (xᵢ − t, 1, uᵢ) ∈ K_exp, Σuᵢ ≤ 1                            |
 * | logistic        | (−t, 1, u), (x − t, 1, v) ∈ K_exp, u + v ≤ 1                 |
 * | huber           | s² ≤ q (rotated SOC), |x − s| ≤ a, value q + 2Ma              |
 * | lambdaMax       | tI − X ⪰ 0                                                   |
 * | logDet          | [[diag(Z), Z], [Zᵀ, X]] ⪰ 0, Z upper triangular, (uᵢ, 1, Zᵢᵢ) ∈ K_exp, value Σuᵢ |
 * | absPower, concavePower, normP, geoMean | power cones (canon-power.ts)         |
 */
const ONE: Row = [-1, -1, 1];
const sc = (r: Row, k: number): Row => r.map((x, i) => (i % 3 === 2 ? x * k : x));
const plus = (...rs: Row[]): Row => rs.flat();

export function canonAtom(e: Expr, canon: (a: Expr) => Lin, cones: ConeBuilder): Lin {
  const name = e.data.atom!;
  const x = canon(e.args[0]!);
  switch (name) {
    case 'abs':
      return absOf(x, cones);
    case 'pos':
      return maximumOf(x, linConst([0], []), cones);
    case 'maximum':
      return maximumOf(x, canon(e.args[1]!), cones);
    case 'minimum':
      return linScale(maximumOf(linScale(x, -1), linScale(canon(e.args[1]!), -1), cones), -1);
    case 'max':
      return maximumOf(x, null, cones);
    case 'min':
      return linScale(maximumOf(linScale(x, -1), null, cones), -1);
    case 'norm1':
      return linSum(absOf(x, cones));
    case 'normInf': {
      const t = cones.newVar([]);
      cones.addNonneg(linSub(t, x));
      cones.addNonneg(linAdd(t, x));
      return t;
    }
    case 'norm2': {
      const t = cones.newVar([]);
      cones.addSoc([t.rows[0]!, ...x.rows]);
      return t;
    }
    case 'sumSquares':
      return sumSquaresOf(x, cones);
    case 'quadForm':
      return quadFormOf(e, x, canon(e.args[1]!), cones);
    case 'exp':
      return elementwiseExp(x, cones, (xi, ti) => [xi, ONE, ti]);
    case 'log':
      return elementwiseExp(x, cones, (xi, ti) => [ti, ONE, xi]);
    case 'entr':
      return elementwiseExp(x, cones, (xi, ti) => [ti, xi, ONE]);
    case 'logistic': {
      // log(e⁰ + eˣ) ≤ t  ⟺  u + v ≤ 1 with e^(−t) ≤ u and e^(x−t) ≤ v.
      const t = cones.newVar(x.shape);
      const u = cones.newVar(x.shape);
      const v = cones.newVar(x.shape);
      x.rows.forEach((xi, i) => {
        cones.addExp(sc(t.rows[i]!, -1), ONE, u.rows[i]!);
        cones.addExp(plus(xi, sc(t.rows[i]!, -1)), ONE, v.rows[i]!);
      });
      cones.addNonneg(linSub(linSub(linConst([1], []), u), v));
      return t;
    }
    case 'logSumExp': {
      const t = cones.newVar([]);
      const u = cones.newVar([x.size]);
      x.rows.forEach((xi, i) => cones.addExp(plus(xi, sc(t.rows[0]!, -1)), ONE, u.rows[i]!));
      cones.addNonneg(linSub(linConst([1], []), linSum(u)));
      return t;
    }
    case 'huber': {
      const M = e.data.k!;
      const s = cones.newVar(x.shape);
      const q = cones.newVar(x.shape);
      const a = cones.newVar(x.shape);
      s.rows.forEach((si, i) => cones.addSoc([plus(q.rows[i]!, ONE), plus(q.rows[i]!, sc(ONE, -1)), sc(si, 2)]));
      const r = linSub(x, s);
      cones.addNonneg(linSub(a, r));
      cones.addNonneg(linAdd(a, r));
      return linAdd(q, linScale(a, 2 * M));
    }
    case 'lambdaMax': {
      const k = x.shape[0]!;
      const t = cones.newVar([]);
      const rows = x.rows.map((r, f) => plus(sc(r, -1), Math.floor(f / k) === f % k ? t.rows[0]! : []));
      cones.addPsd(new Lin(x.shape, rows));
      return t;
    }
    case 'logDet':
      return logDetOf(x, cones);
  }
  const viaPower = canonPower(e, x, cones);
  if (viaPower !== null) return viaPower;
  throw new DcpError(format(e), `no cone form for atom '${name}'`);
}

function absOf(x: Lin, cones: ConeBuilder): Lin {
  const t = cones.newVar(x.shape);
  cones.addNonneg(linSub(t, x));
  cones.addNonneg(linAdd(t, x));
  return t;
}

/** t ≥ a and t ≥ b elementwise (b null: a scalar t above every entry of a). */
function maximumOf(a: Lin, b: Lin | null, cones: ConeBuilder): Lin {
  const shape = b === null ? [] : a.size >= b.size ? a.shape : b.shape;
  const t = cones.newVar(shape);
  cones.addNonneg(linSub(t, a));
  if (b !== null) cones.addNonneg(linSub(t, b));
  return t;
}

function sumSquaresOf(x: Lin, cones: ConeBuilder): Lin {
  const t = cones.newVar([]);
  const tr = t.rows[0]!;
  cones.addSoc([plus(tr, ONE), plus(tr, sc(ONE, -1)), ...x.rows.map((r) => sc(r, 2))]);
  return t;
}

function elementwiseExp(x: Lin, cones: ConeBuilder, triple: (xi: Row, ti: Row) => [Row, Row, Row]): Lin {
  const t = cones.newVar(x.shape);
  x.rows.forEach((xi, i) => {
    const [a, b, c] = triple(xi, t.rows[i]!);
    cones.addExp(a, b, c);
  });
  return t;
}

/** The constant values of a parameter-free, variable-free Lin (a constant matrix). */
export function constantValues(l: Lin): Float64Array | null {
  const out = new Float64Array(l.size);
  for (let i = 0; i < l.size; i++) {
    const r = l.rows[i]!;
    for (let j = 0; j < r.length; j += 3) {
      if (r[j] !== -1 || r[j + 1] !== -1) return null;
      out[i]! += r[j + 2]!;
    }
  }
  return out;
}

/** Q = LLᵀ for a constant symmetric PSD Q (rows of Lᵀ scaled by √λ), or a DcpError. */
export function psdFactor(e: Expr, q: Float64Array, n: number): { rows: Float64Array[] } {
  const sym = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym[i * n + j] = 0.5 * (q[i * n + j]! + q[j * n + i]!);
  const { values, vectors } = symmetricEigen(sym, n);
  const scale = Math.max(1, ...Array.from(values, Math.abs));
  const rows: Float64Array[] = [];
  values.forEach((lam, k) => {
    if (lam < -1e-10 * scale) {
      throw new DcpError(
        format(e),
        `the matrix of quadForm is not positive semidefinite (eigenvalue ${lam.toPrecision(3)}); xᵀQx is then not convex`,
      );
    }
    if (lam <= 1e-14 * scale) return;
    const s = Math.sqrt(lam);
    rows.push(Float64Array.from({ length: n }, (_, i) => s * vectors[i * n + k]!));
  });
  return { rows };
}

function quadFormOf(e: Expr, x: Lin, Q: Lin, cones: ConeBuilder): Lin {
  const n = x.size;
  const q = constantValues(Q);
  if (q !== null) {
    const { rows } = psdFactor(e, q, n);
    const y = new Lin(
      [rows.length],
      rows.map((l) => x.rows.flatMap((r, i) => sc(r, l[i]!))),
    );
    return rows.length === 0 ? linConst([0], []) : sumSquaresOf(y, cones);
  }
  // A parameter matrix: a variable w = x (unless x is one already), then the Schur complement,
  // whose entries t, Qw and Q are all linear in (Q, w) jointly as DPP requires.
  const w = selectionOf(x) !== null ? x : cones.newVar([n]);
  if (w !== x) cones.addZero(linSub(w, x));
  const Qw = linMatmul(Q, w, [n]);
  const t = cones.newVar([]);
  const k = n + 1;
  const rows: Row[] = new Array(k * k);
  rows[0] = t.rows[0]!;
  for (let i = 0; i < n; i++) {
    rows[(i + 1) * k] = Qw.rows[i]!;
    rows[i + 1] = Qw.rows[i]!;
    for (let j = 0; j < n; j++) rows[(i + 1) * k + j + 1] = Q.rows[i * n + j]!;
  }
  cones.addPsd(new Lin([k, k], rows));
  return t;
}

/**
 * log det X ≥ Σᵢ log Zᵢᵢ for an upper triangular Z with [[diag(Z), Z], [Zᵀ, X]] ⪰ 0 (CVXPY's
 * form): the Schur complement gives X ⪰ Zᵀdiag(Z)⁻¹Z = LLᵀ with L = Zᵀdiag(Z)^(−½), whose
 * determinant is Πᵢ Zᵢᵢ, and the bound is tight at Z = diag(L)·Lᵀ of X's Cholesky factor.
 * Each log goes through the exponential cone: e^(uᵢ) ≤ Zᵢᵢ.
 */
function logDetOf(X: Lin, cones: ConeBuilder): Lin {
  const k = X.shape[0]!;
  const z = cones.newVar([(k * (k + 1)) / 2]);
  // z holds Z's upper triangle row by row: Z[i][j] (i ≤ j) at i·k − i(i − 1)/2 + (j − i).
  const Z = (i: number, j: number): Row => (i <= j ? z.rows[i * k - (i * (i - 1)) / 2 + (j - i)]! : []);
  const m = 2 * k;
  const rows: Row[] = Array.from({ length: m * m }, () => []);
  for (let i = 0; i < k; i++) {
    rows[i * m + i] = Z(i, i);
    for (let j = 0; j < k; j++) {
      rows[i * m + k + j] = Z(i, j);
      rows[(k + j) * m + i] = Z(i, j);
      rows[(k + i) * m + k + j] = X.rows[i * k + j]!;
    }
  }
  cones.addPsd(new Lin([m, m], rows));
  const u = cones.newVar([k]);
  for (let i = 0; i < k; i++) cones.addExp(u.rows[i]!, ONE, Z(i, i));
  return linSum(u);
}
