import { afterEach, describe, expect, it } from 'vitest';
import { useSimdGemm } from '../../src/kernels/gemm-packed.js';
import { DENSE_PANEL, denseBackward, denseForward, denseLdl, denseStride } from '../../src/kernels/sparse/dense-ldl.js';
import { MATRIX_AT, denseHeap, useDenseSimd, useFusedMultiplyAdd } from '../../src/kernels/sparse/dense-simd.js';
import { relaxedSimd } from '../../src/kernels/wasm-encode.js';

/** A random symmetric quasi-definite matrix of order t (stride denseStride(t), both triangles), its pivots' signs interleaved. */
function quasiDefinite(t: number, seed: number): { k: Float64Array; signs: Int8Array } {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const ld = denseStride(t);
  const k = new Float64Array(ld * ld);
  const signs = Int8Array.from({ length: t }, () => (u() > 0 ? 1 : -1));
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < i; j++) k[i * ld + j] = k[j * ld + i] = 0.3 * u();
    k[i * ld + i] = signs[i]! * (0.3 * t + 1 + Math.abs(u()));
  }
  return { k, signs };
}

/** The textbook LDLᵀ (column by column, the same regularization rule), on a t×t copy. */
function referenceLdl(k: Float64Array, t: number, signs: Int8Array, eps: number, delta: number) {
  const ld = denseStride(t);
  const l = new Float64Array(t * t);
  const d = new Float64Array(t);
  let regularized = 0;
  for (let j = 0; j < t; j++) {
    let dj = k[j * ld + j]!;
    for (let c = 0; c < j; c++) dj -= l[j * t + c]! ** 2 * d[c]!;
    if (!(signs[j]! * dj > eps)) {
      dj = signs[j]! * delta;
      regularized++;
    }
    d[j] = dj;
    for (let i = j + 1; i < t; i++) {
      let v = k[i * ld + j]!;
      for (let c = 0; c < j; c++) v -= l[i * t + c]! * l[j * t + c]! * d[c]!;
      l[i * t + j] = v / dj;
    }
  }
  return { l, d, regularized };
}

/** max |K − L·D·Lᵀ| over the lower triangle, relative to max |K|. */
function relativeResidual(k: Float64Array, a: Float64Array, d: Float64Array, t: number): number {
  const ld = denseStride(t);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < t; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let c = 0; c <= j; c++) s += (c === i ? 1 : a[i * ld + c]!) * d[c]! * (c === j ? 1 : a[j * ld + c]!);
      err = Math.max(err, Math.abs(k[i * ld + j]! - s));
      norm = Math.max(norm, Math.abs(k[i * ld + j]!));
    }
  }
  return err / norm;
}

/** denseLdl on a copy of K's lower triangle (the upper one and the padding filled with garbage). */
function factor(k: Float64Array, t: number, signs: Int8Array, eps: number, delta: number, work = denseStride(t) * DENSE_PANEL) {
  const ld = denseStride(t);
  const a = new Float64Array(ld * ld).fill(Number.NaN);
  for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) a[i * ld + j] = k[i * ld + j]!;
  const d = new Float64Array(t + 3).fill(Number.NaN);
  const regularized = denseLdl(a, t, d, 3, signs, eps, delta, new Float64Array(work));
  return { a, d: d.subarray(3), regularized };
}

const SIZES = [1, 3, 47, 48, 49, 97, 130, 300, 517];
// The fused path runs where the engine has relaxed SIMD (the tests turn it on: scripts/relaxed-simd.ts).
const PATHS = [
  { name: `WebAssembly memory (${relaxedSimd() ? 'relaxed multiply–add' : 'multiply and add'})`, simd: true, fma: true },
  { name: 'WebAssembly memory, a multiply and an add', simd: true, fma: false },
  { name: 'TypeScript (scalar gemm)', simd: false, fma: false },
];

afterEach(() => {
  useDenseSimd(true);
  useSimdGemm(true);
  useFusedMultiplyAdd(true);
});

describe.each(PATHS)('dense LDLᵀ, $name', ({ simd, fma }) => {
  const setPath = () => {
    useDenseSimd(simd);
    useSimdGemm(simd);
    useFusedMultiplyAdd(fma);
  };

  it.each(SIZES)('order %i: the textbook factorization up to rounding, ‖K − LDLᵀ‖ ≤ 1e-14‖K‖', (t) => {
    setPath();
    const { k, signs } = quasiDefinite(t, t + 17);
    const ref = referenceLdl(k, t, signs, 1e-13, 1e-7);
    const { a, d, regularized } = factor(k, t, signs, 1e-13, 1e-7);
    expect(regularized).toBe(0);
    expect(ref.regularized).toBe(0);
    const ld = denseStride(t);
    for (let i = 0; i < t; i++) {
      expect(Math.abs(d[i]! - ref.d[i]!)).toBeLessThanOrEqual(1e-13 * Math.abs(ref.d[i]!));
      for (let j = 0; j < i; j++) expect(Math.abs(a[i * ld + j]! - ref.l[i * t + j]!)).toBeLessThanOrEqual(1e-14);
    }
    expect(relativeResidual(k, a, d, t)).toBeLessThanOrEqual(1e-14);
  });

  it.each([3, 49, 130, 300])('order %i with wrong-sign pivots: regularized in pivot order, as the textbook one', (t) => {
    setPath();
    const { k, signs } = quasiDefinite(t, 3 * t + 1);
    // Pivots expected with the other sign become signs[k]·δ; δ of the pivots' size keeps L tame.
    const flipped = [...new Set([0, 2, 31, 32, 33, 47, 48, 100, 129, 200, t - 1])].filter((j) => j < t);
    const wrong = Int8Array.from(signs);
    for (const j of flipped) wrong[j] = -wrong[j]!;
    const delta = 0.3 * t;
    const ref = referenceLdl(k, t, wrong, 1e-13, delta);
    const { a, d, regularized } = factor(k, t, wrong, 1e-13, delta);
    expect(ref.regularized).toBe(flipped.length);
    expect(regularized).toBe(flipped.length);
    const ld = denseStride(t);
    for (const j of flipped) expect(d[j]).toBe(wrong[j]! * delta);
    for (let i = 0; i < t; i++) {
      expect(Math.abs(d[i]! - ref.d[i]!)).toBeLessThanOrEqual(1e-13 * Math.abs(ref.d[i]!));
      for (let j = 0; j < i; j++) expect(Math.abs(a[i * ld + j]! - ref.l[i * t + j]!)).toBeLessThanOrEqual(1e-13);
    }
  });

  it.each([1, 3, 4, 5, 47, 130, 301])('order %i: denseForward solves L·x = b, denseBackward Lᵀ·x = b', (t) => {
    setPath();
    const { k, signs } = quasiDefinite(t, t + 5);
    const { a } = factor(k, t, signs, 1e-13, 1e-7);
    const ld = denseStride(t);
    const lower = (i: number, j: number) => (i === j ? 1 : i > j ? a[i * ld + j]! : 0);
    // Zeros in runs (denseBackward skips a group of four rows with w = 0) and an offset.
    const b = Float64Array.from({ length: t }, (_, i) => (i % 9 < 5 ? Math.sin(i + 1) : 0));
    for (const [solve, op] of [
      [denseForward, (i: number, j: number) => lower(i, j)],
      [denseBackward, (i: number, j: number) => lower(j, i)],
    ] as const) {
      const w = new Float64Array(t + 2).fill(7);
      w.set(b, 2);
      solve(a, t, w, 2);
      expect(w[0]).toBe(7);
      expect(w[1]).toBe(7);
      for (let i = 0; i < t; i++) {
        let s = 0;
        for (let j = 0; j < t; j++) s += op(i, j) * w[2 + j]!;
        expect(Math.abs(s - b[i]!)).toBeLessThanOrEqual(1e-14);
      }
    }
  });
});

describe('dense LDLᵀ work and paths', () => {
  it('runs in the documented work (4·16 doubles) and leaves d outside its range alone', () => {
    for (const t of [20, 300]) {
      const { k, signs } = quasiDefinite(t, 9);
      const { a, d } = factor(k, t, signs, 1e-13, 1e-7, 64);
      expect(relativeResidual(k, a, d, t)).toBeLessThanOrEqual(1e-14);
    }
  });

  it('the two paths agree up to rounding, and a disallowed WebAssembly (globalThis.__argmin_wasm = false) takes the scalar one', () => {
    const t = 260;
    const { k, signs } = quasiDefinite(t, 4);
    const fast = factor(k, t, signs, 1e-13, 1e-7);
    const g = globalThis as { __argmin_wasm?: boolean };
    g.__argmin_wasm = false;
    try {
      expect(useDenseSimd(true)).toBe(false);
      const slow = factor(k, t, signs, 1e-13, 1e-7);
      const ld = denseStride(t);
      for (let i = 0; i < t; i++) {
        expect(Math.abs(fast.d[i]! - slow.d[i]!)).toBeLessThanOrEqual(1e-13 * Math.abs(slow.d[i]!));
        for (let j = 0; j < i; j++) expect(Math.abs(fast.a[i * ld + j]! - slow.a[i * ld + j]!)).toBeLessThanOrEqual(1e-14);
      }
    } finally {
      delete g.__argmin_wasm;
    }
    expect(useDenseSimd(true)).toBe(true);
  });

  it('reads nothing of the memory it has not written (a memory full of NaN)', () => {
    const t = 203;
    const ld = denseStride(t);
    denseHeap(ld * ld)!.fill(Number.NaN, MATRIX_AT);
    const { k, signs } = quasiDefinite(t, 2);
    const { a, d } = factor(k, t, signs, 1e-13, 1e-7);
    expect(relativeResidual(k, a, d, t)).toBeLessThanOrEqual(1e-14);
  });

  it('a larger tail after a smaller one (a new memory), then a smaller one again', () => {
    for (const t of [140, 611, 150]) {
      const { k, signs } = quasiDefinite(t, t);
      const { a, d } = factor(k, t, signs, 1e-13, 1e-7);
      expect(relativeResidual(k, a, d, t)).toBeLessThanOrEqual(1e-14);
    }
  });
});

describe('a factor kept on the memory (denseLdl with keep)', () => {
  /** Solves L·x = b and Lᵀ·x = b with the sweeps on `a`, wherever its L is. */
  const sweeps = (a: Float64Array, t: number, b: Float64Array) => {
    const fwd = b.slice();
    denseForward(a, t, fwd, 0);
    const bwd = b.slice();
    denseBackward(a, t, bwd, 0);
    return { fwd, bwd };
  };
  const kept = (k: Float64Array, t: number, signs: Int8Array) => {
    const ld = denseStride(t);
    const a = new Float64Array(ld * ld);
    for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) a[i * ld + j] = k[i * ld + j]!;
    denseLdl(a, t, new Float64Array(t), 0, signs, 1e-13, 1e-7, new Float64Array(ld * DENSE_PANEL), true);
    return a;
  };

  it.each([64, 131, 300])(
    'order %i: its sweeps agree with the copied-out factor, before and after another matrix claims the memory',
    (t) => {
      const { k, signs } = quasiDefinite(t, t + 11);
      const { a: ref } = factor(k, t, signs, 1e-13, 1e-7);
      const b = Float64Array.from({ length: t }, (_, i) => Math.cos(3 * i + 1));
      const want = sweeps(ref, t, b);
      const a = kept(k, t, signs);
      const close = (got: { fwd: Float64Array; bwd: Float64Array }) => {
        for (let i = 0; i < t; i++) {
          expect(Math.abs(got.fwd[i]! - want.fwd[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want.fwd[i]!)));
          expect(Math.abs(got.bwd[i]! - want.bwd[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want.bwd[i]!)));
        }
      };
      // Resident: a's own lower triangle still holds K, the sweeps read the memory.
      const ld = denseStride(t);
      expect(a[(t - 1) * ld]).toBe(k[(t - 1) * ld]);
      close(sweeps(a, t, b));
      // Another matrix kept on the memory copies L back into a; a's sweeps then run on a itself.
      const other = quasiDefinite(t + 4, 5);
      const { a: ref2 } = factor(other.k, t + 4, other.signs, 1e-13, 1e-7);
      const b2 = Float64Array.from({ length: t + 4 }, (_, i) => Math.sin(i));
      const want2 = sweeps(ref2, t + 4, b2);
      const a2 = kept(other.k, t + 4, other.signs);
      for (let i = 0; i < t; i++) for (let j = 0; j < i; j++) expect(a[i * ld + j]).toBe(ref[i * ld + j]);
      close(sweeps(a, t, b));
      // The second factor is resident now, and its sweeps solve with it.
      const got2 = sweeps(a2, t + 4, b2);
      for (let i = 0; i < t + 4; i++) {
        expect(Math.abs(got2.fwd[i]! - want2.fwd[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want2.fwd[i]!)));
        expect(Math.abs(got2.bwd[i]! - want2.bwd[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want2.bwd[i]!)));
      }
    },
  );

  it('a kept factor survives a new (larger) memory: it is copied back before the old one goes', () => {
    const t = 120;
    const { k, signs } = quasiDefinite(t, 8);
    const { a: ref } = factor(k, t, signs, 1e-13, 1e-7);
    const a = kept(k, t, signs);
    // A tail larger than any memory so far forces a new one.
    const big = 1200;
    const { k: kb, signs: sb } = quasiDefinite(big, 3);
    factor(kb, big, sb, 1e-13, 1e-7);
    const ld = denseStride(t);
    for (let i = 0; i < t; i++) for (let j = 0; j < i; j++) expect(a[i * ld + j]).toBe(ref[i * ld + j]);
  });
});
