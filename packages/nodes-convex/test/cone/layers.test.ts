import {
  Rng,
  Tensor,
  add,
  cholesky,
  concat,
  full,
  matmul,
  matrixTranspose,
  mul,
  neg,
  randn,
  reshape,
  slice,
  symmetrize,
  tensor,
  zeros,
} from '@argmin/autodiff';
import { checkVjp } from '@argmin/autodiff/testing';
import { describe, expect, test } from 'vitest';
import { cone } from '../../src/cone/node.js';

/**
 * Two modelling layers built on the cone node with differentiable ops:
 * - the constraint layer of Amos & Kolter / cvxpylayers: the projection of x onto the ellipsoid
 *   {y : ½(y − z)ᵀA(y − z) ≤ 1}, as min t s.t. ‖y − x‖ ≤ t, ‖Lᵀ(y − z)‖ ≤ √2 (A = LLᵀ);
 * - the nearest correlation matrix (an SDP): min ‖X − C‖_F s.t. X ⪰ 0, diag X = 1.
 */

function ellipsoidProjection(x: Tensor, z: Tensor, A: Tensor): Tensor {
  const d = x.size;
  const Lt = matrixTranspose(cholesky(symmetrize(A)));
  const I = tensor(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))));
  // Variables (y, t). SOC 1: (t, y − x); SOC 2: (√2, Lᵀ(y − z)).
  const Acone = concat(
    [
      concat([zeros([1, d]), full([1, 1], -1)], 1),
      concat([neg(I), zeros([d, 1])], 1),
      zeros([1, d + 1]),
      concat([neg(Lt), zeros([d, 1])], 1),
    ],
    0,
  );
  const b = concat([zeros([1]), neg(x), full([1], Math.SQRT2), neg(matmul(Lt, z))], 0);
  const c = concat([zeros([d]), full([1], 1)], 0);
  const out = cone({ A: Acone, b, c }, { cones: { soc: [d + 1, d + 1] } });
  expect(out.info.status).toEqual(['converged']);
  return slice(out.x, [0], [d]);
}

/** The projection by its Lagrange condition y = (I + λA)⁻¹(x + λAz), λ found by bisection. */
function ellipsoidOracle(x: Float64Array, z: Float64Array, A: Float64Array): Float64Array {
  const d = x.length;
  const at = (lam: number) => {
    // Solve (I + λA)y = x + λAz by Gaussian elimination (small d).
    const M = Float64Array.from({ length: d * d }, (_, k) => (Math.floor(k / d) === k % d ? 1 : 0) + lam * A[k]!);
    const r = Float64Array.from({ length: d }, (_, i) => x[i]! + lam * A.slice(i * d, (i + 1) * d).reduce((s, v, j) => s + v * z[j]!, 0));
    for (let col = 0; col < d; col++)
      for (let row = col + 1; row < d; row++) {
        const f = M[row * d + col]! / M[col * d + col]!;
        for (let k = col; k < d; k++) M[row * d + k]! -= f * M[col * d + k]!;
        r[row]! -= f * r[col]!;
      }
    const y = new Float64Array(d);
    for (let i = d - 1; i >= 0; i--) {
      let v = r[i]!;
      for (let k = i + 1; k < d; k++) v -= M[i * d + k]! * y[k]!;
      y[i] = v / M[i * d + i]!;
    }
    const e = y.map((v, i) => v - z[i]!);
    return { y, g: 0.5 * e.reduce((s, v, i) => s + v * A.slice(i * d, (i + 1) * d).reduce((t, a, j) => t + a * e[j]!, 0), 0) - 1 };
  };
  let lo = 0;
  let hi = 1;
  while (at(hi).g > 0) hi *= 2;
  for (let k = 0; k < 200; k++) {
    const mid = 0.5 * (lo + hi);
    if (at(mid).g > 0) lo = mid;
    else hi = mid;
  }
  return at(hi).y;
}

const symmetricTangent = (t: Tensor) => {
  const n = t.shape[0]!;
  return new Tensor(
    t.data.map((_, k) => 0.5 * (t.data[k]! + t.data[(k % n) * n + Math.floor(k / n)]!)),
    t.shape,
  );
};

describe('constraint-modelling layer: projection onto an ellipsoid', () => {
  test.each([2, 3, 5])('matches the Lagrange-multiplier solution and its gradients check (d = %i)', (d) => {
    const rng = Rng.seeded(d);
    const R = randn([d, d], rng);
    const A = add(
      matmul(R, matrixTranspose(R)),
      mul(tensor(Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)))), 0.5),
    );
    const z = randn([d], rng, 0.3);
    const x = randn([d], rng, 3); // well outside the ellipsoid
    const y = ellipsoidProjection(x, z, A);
    const oracle = ellipsoidOracle(x.data, z.data, A.data);
    y.data.forEach((v, i) => expect(Math.abs(v - oracle[i]!)).toBeLessThan(1e-9));
    checkVjp(ellipsoidProjection, [x, z, A], {
      seed: d,
      rtol: 1e-6,
      atol: 1e-9,
      tangent: (t, arg) => (arg === 2 ? symmetricTangent(t) : t),
    });
  });
});

// --- nearest correlation matrix -------------------------------------------------------------

/** svec as a constant linear map: rows pick (i, j), i ≥ j, column-major, off-diagonals × √2. */
function svecMatrix(k: number): Tensor {
  const p = (k * (k + 1)) / 2;
  const S = new Float64Array(p * k * k);
  let r = 0;
  for (let j = 0; j < k; j++)
    for (let i = j; i < k; i++, r++) {
      if (i === j) S[r * k * k + i * k + j] = 1;
      else (S[r * k * k + i * k + j] = Math.SQRT1_2), (S[r * k * k + j * k + i] = Math.SQRT1_2);
    }
  return new Tensor(S, [p, k * k]);
}

function nearestCorrelation(C: Tensor): Tensor {
  const k = C.shape[0]!;
  const p = (k * (k + 1)) / 2;
  const S = svecMatrix(k);
  const c = matmul(S, reshape(C, [k * k]));
  const eye = (q: number) => tensor(Array.from({ length: q }, (_, i) => Array.from({ length: q }, (_, j) => (i === j ? 1 : 0))));
  // Variables (svec X, t). Zero: 1 − X_ii = 0. SOC: (t, svec X − svec C). PSD: svec X.
  const diagRows = new Float64Array(k * (p + 1));
  let r = 0;
  for (let j = 0; j < k; j++) for (let i = j; i < k; i++, r++) if (i === j) diagRows[j * (p + 1) + r] = 1;
  const Acone = concat(
    [
      new Tensor(diagRows, [k, p + 1]),
      concat([zeros([1, p]), full([1, 1], -1)], 1),
      concat([neg(eye(p)), zeros([p, 1])], 1),
      concat([neg(eye(p)), zeros([p, 1])], 1),
    ],
    0,
  );
  const b = concat([full([k], 1), zeros([1]), neg(c), zeros([p])], 0);
  const cost = concat([zeros([p]), full([1], 1)], 0);
  const out = cone({ A: Acone, b, c: cost }, { cones: { zero: k, soc: [p + 1], psd: [k] } });
  expect(out.info.status).toEqual(['converged']);
  // Back to the matrix: X = Sᵀ·svec X with the √2 undone on the off-diagonals (S·Sᵀ = I).
  return reshape(matmul(matrixTranspose(S), slice(out.x, [0], [p])), [k, k]);
}

/** Higham (2002): alternating projections with Dykstra's correction, to high accuracy. */
function highamOracle(C: Float64Array, k: number): Float64Array {
  let Y = C.slice();
  let dS = new Float64Array(k * k);
  for (let it = 0; it < 100_000; it++) {
    const R = Y.map((v, i) => v - dS[i]!);
    // PSD projection by Jacobi eigenvalues (simple, accurate).
    const X = psdProject(R, k);
    dS = X.map((v, i) => v - R[i]!);
    const next = X.slice();
    for (let i = 0; i < k; i++) next[i * k + i] = 1;
    const change = next.reduce((s, v, i) => Math.max(s, Math.abs(v - Y[i]!)), 0);
    Y = next;
    if (change < 1e-14) break;
  }
  return Y;
}

function psdProject(R: Float64Array, k: number): Float64Array {
  const a = R.slice();
  const V = Float64Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? 1 : 0));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++)
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = cs * arp - sn * arq;
          a[r * k + q] = sn * arp + cs * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = cs * apr - sn * aqr;
          a[q * k + r] = sn * apr + cs * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = V[r * k + p]!;
          const vrq = V[r * k + q]!;
          V[r * k + p] = cs * vrp - sn * vrq;
          V[r * k + q] = sn * vrp + cs * vrq;
        }
      }
  }
  const out = new Float64Array(k * k);
  for (let e = 0; e < k; e++) {
    const lam = Math.max(a[e * k + e]!, 0);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j]! += lam * V[i * k + e]! * V[j * k + e]!;
  }
  return out;
}

describe('SDP: the nearest correlation matrix', () => {
  test.each([3, 4, 6])('matches Higham’s alternating projections and its gradient checks (k = %i)', (k) => {
    const rng = Rng.seeded(40 + k);
    // A symmetric "correlation-like" matrix with unit diagonal that is not PSD.
    const raw = randn([k, k], rng);
    const C = new Tensor(new Float64Array(k * k), [k, k]);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) C.data[i * k + j] = i === j ? 1 : Math.tanh(raw.data[Math.min(i, j) * k + Math.max(i, j)]! * 1.5);
    const X = nearestCorrelation(C);
    const oracle = highamOracle(C.data, k);
    X.data.forEach((v, i) => expect(Math.abs(v - oracle[i]!)).toBeLessThan(1e-7));
    for (let i = 0; i < k; i++) expect(X.data[i * k + i]).toBeCloseTo(1, 10);
    expect(Math.max(...X.data.map((v, i) => Math.abs(v - C.data[i]!)))).toBeGreaterThan(1e-2); // C was not PSD
    checkVjp(nearestCorrelation, [C], { seed: k, rtol: 1e-5, atol: 1e-8, tangent: symmetricTangent });
  });
});
