// Random QPs with a known answer, for the fuzz suite. An instance is built from a KKT point
// (z*, λ*, ν*, s*) — so it is feasible and bounded and z* solves it — with the active sets,
// degeneracy and scaling drawn at random; infeasible and unbounded instances are built from
// their certificates. The check of a returned answer is written here, apart from the library's
// own acceptance test, and compares against the construction.
import { Tensor } from '@argmin/autodiff';
import fc from 'fast-check';

export interface QpInstance {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  readonly Q: Float64Array;
  readonly p: Float64Array;
  readonly G: Float64Array;
  readonly h: Float64Array;
  readonly A: Float64Array;
  readonly b: Float64Array;
  /** The constructed solution (in the instance's own, scaled, variables), and whether it is unique. */
  readonly z: Float64Array;
  /** The units of the variables: z = D·w for the constructed, O(1), solution w. */
  readonly units: Float64Array;
  readonly unique: boolean;
  /** How many trailing rows of G, h have huge bounds (absent constraints). */
  readonly huge: number;
  readonly kind: 'solvable' | 'infeasible' | 'unbounded';
  readonly label: string;
}

export const tensors = (q: QpInstance) => ({
  Q: new Tensor(Float64Array.from(q.Q), [q.n, q.n]),
  p: new Tensor(Float64Array.from(q.p), [q.n]),
  ...(q.m > 0 ? { G: new Tensor(Float64Array.from(q.G), [q.m, q.n]), h: new Tensor(Float64Array.from(q.h), [q.m]) } : {}),
  ...(q.k > 0 ? { A: new Tensor(Float64Array.from(q.A), [q.k, q.n]), b: new Tensor(Float64Array.from(q.b), [q.k]) } : {}),
});

/** A deterministic generator from one integer seed (fast-check shrinks the seed and sizes). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export type Scaling = 'none' | 'uniform' | 'objective' | 'rows' | 'columns' | 'mixed';
export type Degeneracy = 'strict' | 'weak' | 'tiny-multiplier' | 'dependent-active' | 'huge-bounds' | 'psd';

export interface Spec {
  readonly n: number;
  readonly m: number;
  readonly k: number;
  readonly seed: number;
  readonly scaling: Scaling;
  readonly degeneracy: Degeneracy;
  /** Exponent of the scaling, in [−150, 150] (used by 'uniform', 'objective', 'rows'). */
  readonly exponent: number;
}

export const arbSpec: fc.Arbitrary<Spec> = fc.record({
  n: fc.integer({ min: 1, max: 6 }),
  m: fc.integer({ min: 0, max: 7 }),
  k: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  scaling: fc.constantFrom<Scaling>('none', 'uniform', 'objective', 'rows', 'columns', 'mixed'),
  degeneracy: fc.constantFrom<Degeneracy>('strict', 'weak', 'tiny-multiplier', 'dependent-active', 'huge-bounds', 'psd'),
  exponent: fc.integer({ min: -150, max: 150 }),
});

/** A solvable instance built from a KKT point, then scaled (the scaling is a change of units). */
export function solvable(spec: Spec): QpInstance {
  const r = rng(spec.seed);
  const u = () => 2 * r() - 1;
  const n = spec.n;
  const k = Math.min(spec.k, n - 1);
  const m = spec.m;
  // Q = MᵀM + δI: positive definite, or semidefinite (rank < n) for 'psd'.
  const rank = spec.degeneracy === 'psd' ? Math.max(0, n - 1 - Math.floor(r() * 2)) : n;
  const M = Float64Array.from({ length: rank * n }, u);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < rank; a++) s += M[a * n + i]! * M[a * n + j]!;
      Q[i * n + j] = s + (spec.degeneracy === 'psd' ? 0 : i === j ? 0.2 : 0);
    }
  }
  const z = Float64Array.from({ length: n }, () => 2 * u());
  const G = Float64Array.from({ length: m * n }, u);
  const A = Float64Array.from({ length: k * n }, u);
  if (spec.degeneracy === 'dependent-active' && m >= 2) {
    // Row 1 is a multiple of row 0, and both are active: LICQ fails, λ is not unique.
    for (let j = 0; j < n; j++) G[n + j] = 2 * G[j]!;
  }
  const lam = new Float64Array(m);
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const active = r() < 0.5 || (spec.degeneracy === 'dependent-active' && i < 2);
    if (active) lam[i] = 0.1 + r();
    else s[i] = 0.1 + r();
  }
  if (m > 0 && spec.degeneracy === 'weak') lam[0] = s[0] = 0; // weakly active: λ = s = 0
  if (m > 0 && spec.degeneracy === 'tiny-multiplier') {
    lam[0] = 10 ** -(6 + Math.floor(r() * 6));
    s[0] = 0;
  }
  const nu = Float64Array.from({ length: k }, u);
  // Every active row needs λ > 0 consistent with a PSD Q without a unique z: fine either way,
  // since p is defined from the KKT conditions.
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += Q[i * n + j]! * z[j]!;
    for (let a = 0; a < m; a++) v += G[a * n + i]! * lam[a]!;
    for (let a = 0; a < k; a++) v += A[a * n + i]! * nu[a]!;
    p[i] = -v;
  }
  const h = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += G[a * n + j]! * z[j]!;
    h[a] = v + s[a]!;
  }
  const b = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    let v = 0;
    for (let j = 0; j < n; j++) v += A[a * n + j]! * z[j]!;
    b[a] = v;
  }
  let extraRows = 0; // the last rows, with huge bounds
  let Gx = G;
  let hx = h;
  if (spec.degeneracy === 'huge-bounds') {
    // Extra rows with bounds of 1e20…1e300: absent constraints.
    extraRows = 1 + Math.floor(r() * 2);
    Gx = new Float64Array((m + extraRows) * n);
    Gx.set(G);
    for (let i = m * n; i < Gx.length; i++) Gx[i] = u();
    hx = new Float64Array(m + extraRows);
    hx.set(h);
    // Stored as exponents; `scale` turns them into bounds 1e20…1e300 times the row's unit.
    for (let i = m; i < m + extraRows; i++) hx[i] = -(20 + Math.floor(r() * 100));
  }
  const unique = spec.degeneracy !== 'psd';
  return scale(
    {
      n,
      m: m + extraRows,
      k,
      Q,
      p,
      G: Gx,
      h: hx,
      A,
      b,
      z,
      units: new Float64Array(n),
      unique,
      huge: extraRows,
      kind: 'solvable',
      label: `${spec.degeneracy}/${spec.scaling}`,
    },
    spec,
    r,
  );
}

/** Infeasible: rows a·z ≤ −1 and −a·z ≤ −1 (so 0 ≤ −2), among random others. */
export function infeasible(spec: Spec): QpInstance {
  const r = rng(spec.seed);
  const u = () => 2 * r() - 1;
  const n = spec.n;
  const m = Math.max(2, spec.m);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 0.5 + r();
  const p = Float64Array.from({ length: n }, u);
  const G = Float64Array.from({ length: m * n }, u);
  for (let j = 0; j < n; j++) G[n + j] = -G[j]!;
  const h = Float64Array.from({ length: m }, () => 1 + r());
  h[0] = -0.5 - r();
  h[1] = -0.5 - r();
  const inst = {
    n,
    m,
    k: 0,
    Q,
    p,
    G,
    h,
    A: new Float64Array(0),
    b: new Float64Array(0),
    z: new Float64Array(n),
    units: new Float64Array(n),
    unique: false,
    huge: 0,
  };
  return scale({ ...inst, kind: 'infeasible', label: `infeasible/${spec.scaling}` }, spec, r);
}

/** Unbounded: Q = 0 on a direction d with pᵀd < 0 and Gd ≤ 0, Ad = 0. */
export function unbounded(spec: Spec): QpInstance {
  const r = rng(spec.seed);
  const u = () => 2 * r() - 1;
  const n = Math.max(2, spec.n);
  const m = spec.m;
  // d = e₀; Q is zero in row/column 0; G's column 0 ≤ 0; p₀ < 0.
  const Q = new Float64Array(n * n);
  for (let i = 1; i < n; i++) Q[i * n + i] = 0.5 + r();
  const p = Float64Array.from({ length: n }, u);
  p[0] = -0.5 - r();
  const G = Float64Array.from({ length: m * n }, u);
  for (let a = 0; a < m; a++) G[a * n] = -Math.abs(G[a * n]!);
  const h = Float64Array.from({ length: m }, () => 1 + r());
  const inst = {
    n,
    m,
    k: 0,
    Q,
    p,
    G,
    h,
    A: new Float64Array(0),
    b: new Float64Array(0),
    z: new Float64Array(n),
    units: new Float64Array(n),
    unique: false,
    huge: 0,
  };
  return scale({ ...inst, kind: 'unbounded', label: `unbounded/${spec.scaling}` }, spec, r);
}

/**
 * A change of units: variables z = D w, objective ×c, rows of G, h ×R and of A, b ×F. The
 * solution w* = D⁻¹z* (and the instance's status) is unchanged by it.
 */
function scale(q: QpInstance, spec: Spec, r: () => number): QpInstance {
  const { n, m, k } = q;
  const pick = (lo: number, hi: number) => 10 ** (lo + Math.floor(r() * (hi - lo + 1)));
  const e = spec.exponent;
  let c = 1;
  const D = new Float64Array(n).fill(1);
  const R = new Float64Array(m).fill(1);
  const F = new Float64Array(k).fill(1);
  switch (spec.scaling) {
    case 'none':
      break;
    case 'uniform':
      // Every datum ×10^e: z* unchanged.
      c = 10 ** e;
      R.fill(10 ** e);
      F.fill(10 ** e);
      break;
    case 'objective':
      c = 10 ** e;
      break;
    case 'rows':
      for (let i = 0; i < m; i++) R[i] = pick(Math.min(e, 0), Math.max(e, 0));
      for (let i = 0; i < k; i++) F[i] = pick(Math.min(e, 0), Math.max(e, 0));
      break;
    case 'columns':
      // Q gets 10^(eᵢ + eⱼ): keep the exponents within ±60 so nothing overflows.
      for (let j = 0; j < n; j++) D[j] = pick(-Math.min(60, Math.abs(e)), Math.min(60, Math.abs(e)));
      break;
    case 'mixed':
      c = pick(-12, 12);
      for (let j = 0; j < n; j++) D[j] = pick(-6, 6);
      for (let i = 0; i < m; i++) R[i] = pick(-12, 12);
      for (let i = 0; i < k; i++) F[i] = pick(-12, 12);
      break;
  }
  const Q = q.Q.map((v, idx) => c * D[Math.floor(idx / n)]! * v * D[idx % n]!);
  const p = q.p.map((v, j) => c * D[j]! * v);
  const G = q.G.map((v, idx) => R[Math.floor(idx / n)]! * v * D[idx % n]!);
  const hugeFrom = q.m - q.huge;
  const h = q.h.map((v, i) => (i >= hugeFrom ? Math.min(1e300, R[i]! * 10 ** -v) : R[i]! * v));
  const A = q.A.map((v, idx) => F[Math.floor(idx / n)]! * v * D[idx % n]!);
  const b = q.b.map((v, i) => F[i]! * v);
  const z = q.z.map((v, j) => v / D[j]!);
  return { ...q, Q, p, G, h, A, b, z, units: D };
}

/**
 * The independent check of a 'converged' answer: primal feasibility of every row against its
 * own magnitudes, and optimality against the construction — z = z* (in the original units, where
 * the solution is O(1)) when it is unique, else an objective no worse than at z*.
 */
export function checkAnswer(q: QpInstance, z: Float64Array, tol = 1e-6): string | null {
  const { n, m, k, Q, p, G, h, A, b } = q;
  for (let a = 0; a < m; a++) {
    let v = 0;
    let mag = Math.abs(h[a]!);
    for (let j = 0; j < n; j++) {
      v += G[a * n + j]! * z[j]!;
      mag += Math.abs(G[a * n + j]! * z[j]!);
    }
    if (!(v - h[a]! <= tol * mag)) return `inequality ${a} violated: Gz − h = ${v - h[a]!} (row magnitude ${mag})`;
  }
  for (let a = 0; a < k; a++) {
    let v = 0;
    let mag = Math.abs(b[a]!);
    for (let j = 0; j < n; j++) {
      v += A[a * n + j]! * z[j]!;
      mag += Math.abs(A[a * n + j]! * z[j]!);
    }
    if (!(Math.abs(v - b[a]!) <= tol * mag)) return `equality ${a} violated: Az − b = ${v - b[a]!} (row magnitude ${mag})`;
  }
  if (q.unique) {
    // In the original units (z = D·w) the constructed solution has entries in [−2, 2].
    for (let j = 0; j < n; j++) {
      const err = Math.abs(q.units[j]! * (z[j]! - q.z[j]!));
      if (!(err <= 1e-6 * 2)) return `z[${j}] = ${z[j]} but z*[${j}] = ${q.z[j]} (error ${err} in the original units)`;
    }
    return null;
  }
  const f = (x: Float64Array) => {
    let v = 0;
    let mag = 0;
    for (let i = 0; i < n; i++) {
      let qx = 0;
      for (let j = 0; j < n; j++) qx += Q[i * n + j]! * x[j]!;
      v += x[i]! * (0.5 * qx + p[i]!);
      mag += Math.abs(x[i]! * qx) + Math.abs(x[i]! * p[i]!);
    }
    return [v, mag] as const;
  };
  const [fz, mz] = f(z);
  const [fs, ms] = f(q.z);
  if (!(fz <= fs + tol * Math.max(mz, ms))) return `objective ${fz} above the optimum ${fs}`;
  return null;
}
