import fc from 'fast-check';
import { InvalidInputError, Rng, Tensor } from '@argmin/autodiff';
import { luFactor, luSolve } from '@argmin/autodiff/kernels';
import type { QpParams } from '../../src/qp/node.js';

export interface QpShape {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  /** Strict-complementarity margin: active λᵢ and inactive slacks are at least this. */
  readonly margin?: number;
}

/**
 * The structure a QP with a known, strictly complementary solution is built from, backwards:
 * Q = LLᵀ/n + 0.5I, G, A, a solution z*, for each inequality whether it is active and a value
 * (its multiplier λ* if active, its slack s* if not, both ≥ margin), and ν*. Then
 * h = Gz* + s*, b = Az*, p = −(Qz* + Gᵀλ* + Aᵀν*). At most n − k − 1 inequalities are active
 * (the first ones marked), so the active rows and A can be independent.
 */
export interface QpParts {
  readonly L: Float64Array;
  readonly G: Float64Array;
  readonly A: Float64Array;
  readonly z: Float64Array;
  readonly nu: Float64Array;
  readonly active: readonly boolean[];
  /** In [0, 1]: mapped to λ* or s* in [margin, margin + 1.5]. */
  readonly values: readonly number[];
}

export function buildQp(
  { n, m, k, margin = 0.2 }: QpShape,
  parts: QpParts,
): { params: QpParams; z: Float64Array; lam: Float64Array; nu: Float64Array } {
  const { L, G, A, z, nu } = parts;
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += L[i * n + r]! * L[j * n + r]!;
      Q[i * n + j] = s / n + (i === j ? 0.5 : 0);
    }
  }
  const lam = new Float64Array(m);
  const slack = new Float64Array(m);
  activeRows({ n, m, k }, parts).forEach((isActive, i) => {
    const value = margin + parts.values[i]! * 1.5;
    if (isActive) lam[i] = value;
    else slack[i] = value;
  });
  const h = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = slack[i]!;
    for (let j = 0; j < n; j++) s += G[i * n + j]! * z[j]!;
    h[i] = s;
  }
  const b = new Float64Array(k);
  for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) b[r]! += A[r * n + j]! * z[j]!;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Q[i * n + j]! * z[j]!;
    for (let r = 0; r < m; r++) s += G[r * n + i]! * lam[r]!;
    for (let r = 0; r < k; r++) s += A[r * n + i]! * nu[r]!;
    p[i] = -s;
  }
  const params: Record<string, Tensor> = { Q: new Tensor(Q, [n, n]), p: new Tensor(p, [n]) };
  if (m > 0) Object.assign(params, { G: new Tensor(G, [m, n]), h: new Tensor(h, [m]) });
  if (k > 0) Object.assign(params, { A: new Tensor(A, [k, n]), b: new Tensor(b, [k]) });
  return { params: params as QpParams, z, lam, nu };
}

/** Which inequalities are active: the first n − k − 1 marked ones. */
function activeRows({ n, k }: QpShape, parts: QpParts): boolean[] {
  let left = Math.max(0, n - k - 1);
  return parts.active.map((a) => (a && left > 0 ? (left--, true) : false));
}

/**
 * The smallest eigenvalue of the Gram matrix of A's rows and the active rows of G, each scaled to
 * unit length (0 if some row is zero): how far the constraints that bind are from dependent.
 */
export function activeIndependence(shape: QpShape, parts: QpParts): number {
  const { n, k } = shape;
  const rows: Float64Array[] = [];
  for (let r = 0; r < k; r++) rows.push(parts.A.subarray(r * n, (r + 1) * n));
  activeRows(shape, parts).forEach((a, i) => a && rows.push(parts.G.subarray(i * n, (i + 1) * n)));
  const unit = rows.map((row) => {
    const norm = Math.hypot(...row);
    return norm > 0 ? row.map((v) => v / norm) : null;
  });
  if (unit.some((u) => u === null)) return 0;
  // Cholesky of the Gram matrix: its smallest pivot² bounds the smallest eigenvalue from above
  // and is 0 exactly when the rows are dependent — a cheap, monotone test for this filter.
  const r = unit.length;
  const gram = Float64Array.from({ length: r * r }, (_, ij) => {
    const [i, j] = [Math.floor(ij / r), ij % r];
    let s = 0;
    for (let t = 0; t < n; t++) s += unit[i]![t]! * unit[j]![t]!;
    return s;
  });
  let worst = 1;
  for (let j = 0; j < r; j++) {
    let d = gram[j * r + j]!;
    for (let t = 0; t < j; t++) d -= gram[j * r + t]! ** 2;
    if (!(d > 0)) return 0;
    worst = Math.min(worst, d);
    const l = Math.sqrt(d);
    gram[j * r + j] = l;
    for (let i = j + 1; i < r; i++) {
      let s = gram[i * r + j]!;
      for (let t = 0; t < j; t++) s -= gram[i * r + t]! * gram[j * r + t]!;
      gram[i * r + j] = s / l;
    }
  }
  return worst;
}

/** Parts drawn by fast-check: every number and flag is an arbitrary, so a failure shrinks to a small instance. */
export function arbQpParts({ n, m, k }: QpShape): fc.Arbitrary<QpParts> {
  // Multiples of 1/2000: they shrink towards 0 and never reach denormals, where every flop of the
  // solver is a hundred times slower and central differences lose all their digits.
  const entry = (max: number) => fc.integer({ min: -2000 * max, max: 2000 * max }).map((v) => v / 2000);
  const vec = (len: number) => fc.array(entry(2), { minLength: len, maxLength: len }).map((v) => Float64Array.from(v));
  return fc.record({
    L: vec(n * n),
    G: vec(m * n),
    A: vec(k * n),
    z: vec(n),
    nu: vec(k),
    active: fc.array(fc.boolean(), { minLength: m, maxLength: m }),
    values: fc.array(
      fc.integer({ min: 0, max: 1000 }).map((v) => v / 1000),
      { minLength: m, maxLength: m },
    ),
  });
}

/**
 * Random strictly complementary QPs of a fixed shape, built from arbitrary parts. Filtered out:
 * instances whose binding constraints are close to dependent (Gram pivot² < 0.05), where the
 * solution map is ill-conditioned, and instances within 1e-3 (in h) of a change of active set,
 * where a central difference's step crosses the kink: a multiplier of 0.2 on a row of norm 5e-4
 * leaves its row active only while h moves by less than 3e-8. Both are failures of central
 * differences, not of the node.
 */
export function arbQp(shape: QpShape): fc.Arbitrary<QpParams> {
  return arbQpParts(shape)
    .filter((parts) => activeIndependence(shape, parts) >= 0.05)
    .filter((parts) => kinkDistance(shape, parts) >= 1e-3)
    .map((parts) => buildQp(shape, parts).params);
}

/**
 * How far h can move before an active row's multiplier reaches 0: min over active rows i of
 * λᵢ / (M⁻¹)ᵢᵢ with M = R Q⁻¹ Rᵀ, R the rows of A and the active rows of G (dλ = −M⁻¹ dh on
 * the active set). Infinity when nothing is active; 0 when M is singular.
 */
export function kinkDistance(shape: QpShape, parts: QpParts): number {
  const { n, k } = shape;
  const { params, lam } = buildQp(shape, parts);
  const rows: Float64Array[] = [];
  for (let r = 0; r < k; r++) rows.push(parts.A.subarray(r * n, (r + 1) * n));
  const activeIdx: number[] = [];
  activeRows(shape, parts).forEach((a, i) => a && (activeIdx.push(i), rows.push(parts.G.subarray(i * n, (i + 1) * n))));
  if (activeIdx.length === 0) return Infinity;
  const r = rows.length;
  // Q⁻¹Rᵀ (n×r), then M = R·Q⁻¹Rᵀ and the diagonal of M⁻¹.
  const rt = Float64Array.from({ length: n * r }, (_, ta) => rows[ta % r]![Math.floor(ta / r)]!);
  const qInvRt = luSolve(luFactor(params.Q.data, n), rt, r);
  const M = Float64Array.from({ length: r * r }, (_, ij) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += rows[Math.floor(ij / r)]![t]! * qInvRt[t * r + (ij % r)]!;
    return s;
  });
  let mInv: Float64Array;
  try {
    mInv = luSolve(
      luFactor(M, r),
      Float64Array.from({ length: r * r }, (_, ij) => (ij % (r + 1) === 0 ? 1 : 0)),
      r,
    );
  } catch (e) {
    if (e instanceof InvalidInputError) return 0; // M singular: the binding rows are dependent
    throw e;
  }
  let worst = Infinity;
  activeIdx.forEach((i, a) => {
    const diag = mInv[(k + a) * (r + 1)]!;
    worst = Math.min(worst, diag > 0 ? lam[i]! / diag : 0);
  });
  return worst;
}

/** One QP from a seed, for tests that need a fixed instance (the same construction as arbQp). */
export function generateQp(shape: QpShape, seed: number): { params: QpParams; z: Float64Array; lam: Float64Array; nu: Float64Array } {
  const { n, m, k } = shape;
  const rng = Rng.seeded(seed);
  const randn = (len: number) => Float64Array.from({ length: len }, () => rng.normal());
  const L = randn(n * n);
  const G = randn(m * n);
  const A = randn(k * n);
  const z = randn(n);
  const nu = randn(k);
  const active: boolean[] = [];
  const values: number[] = [];
  // The draws in the order the instances of the existing tests were made with.
  let left = Math.max(0, n - k - 1);
  for (let i = 0; i < m; i++) {
    values.push(rng.uniform());
    const isActive = left > 0 && rng.uniform() < 0.5;
    if (isActive) left--;
    active.push(isActive);
  }
  return buildQp(shape, { L, G, A, z, nu, active, values });
}

/** Symmetric tangents for Q (the problem depends on Q's symmetric part only). */
export function symmetricTangent(t: Tensor, param: string): Tensor {
  if (param !== 'Q') return t;
  const n = t.shape[t.ndim - 1]!;
  const out = new Float64Array(t.size);
  for (let o = 0; o < t.size; o += n * n) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[o + i * n + j] = 0.5 * (t.data[o + i * n + j]! + t.data[o + j * n + i]!);
  }
  return new Tensor(out, t.shape);
}
