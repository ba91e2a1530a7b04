import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, PluginError } from '../../src/errors.js';
import { denseBackward, denseForward, denseLdl, denseStride } from '../../src/kernels/sparse/dense-ldl.js';
import { MATRIX_AT, denseHeap, heapGemm, lastShares, setClaimWork } from '../../src/kernels/sparse/dense-simd.js';
import { type KernelThreads, openKernelThreads } from '../../src/parallel/index.js';

/**
 * Kernel threads share out the dense products of one factorization: every entry must come out
 * bit for bit as on the calling thread alone (the same 128-deep partial sums, whichever thread
 * forms them), for products split by rows and by columns, with edges that are not whole tiles.
 */

let open: KernelThreads | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

function random(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

/** C −= A·B on the dense memory, the three operands placed side by side; returns C. */
function product(m: number, n: number, k: number, seed: number): Float64Array {
  const ld = Math.max(m, n, k) + 5;
  const heap = denseHeap(3 * ld * ld)!;
  const a = MATRIX_AT;
  const b = a + ld * ld;
  const c = b + ld * ld;
  heap.set(random(3 * ld * ld, seed), a);
  heapGemm(m, n, k, a, ld, b, ld, c, ld);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) out.set(heap.subarray(c + i * ld, c + i * ld + n), i * n);
  return out;
}

function ldl(t: number, seed: number): { a: Float64Array; d: Float64Array } {
  const ld = denseStride(t);
  const r = random(ld * ld, seed);
  const a = new Float64Array(ld * ld);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < i; j++) a[i * ld + j] = 0.3 * r[i * ld + j]!;
    a[i * ld + i] = 0.3 * t + 1;
  }
  const d = new Float64Array(t);
  denseLdl(a, t, d, 0, new Int8Array(t).fill(1), 1e-13, 1e-7, new Float64Array(ld * 64));
  return { a, d };
}

describe('openKernelThreads', () => {
  it('shares products by rows and by columns with the same result bit for bit', async () => {
    const shapes: [number, number, number][] = [
      [301, 97, 203], // rows, a partial last tile
      [90, 517, 131], // columns, a partial last panel
      [258, 258, 300],
    ];
    const alone = shapes.map(([m, n, k], i) => product(m, n, k, 11 + i));
    open = await openKernelThreads({ threads: 2 });
    const shared = shapes.map(([m, n, k], i) => product(m, n, k, 11 + i));
    shapes.forEach((_, i) => expect(shared[i]!).toEqual(alone[i]!));
    // The products were big enough to be shared: the result differs from a wrong split's.
    expect(alone[0]!.some((v) => v !== 0)).toBe(true);
    // Many small claims, so the threads' shares interleave: still bit for bit, together all of
    // the rows, and every thread took some in some round. (A round can miss a thread that woke
    // late; on a loaded machine, the full tier's two test workers beside these two threads, 20
    // rounds in a row missed one, so the rounds are counted together.)
    const old = setClaimWork(1);
    try {
      const took = [false, false, false];
      for (let round = 0; round < 100 && !took.every(Boolean); round++) {
        shapes.forEach(([m, n, k], i) => expect(product(m, n, k, 11 + i)).toEqual(alone[i]!));
        const taken = lastShares();
        expect(taken.reduce((a, b) => a + b, 0)).toBe(258);
        taken.forEach((v, t) => {
          if (v > 0) took[t] = true;
        });
      }
      expect(took).toEqual([true, true, true]);
    } finally {
      setClaimWork(old);
    }
  });

  it('factors a dense tail as on one thread, and closes back to one thread', async () => {
    const t = 421;
    const one = ldl(t, 5);
    open = await openKernelThreads({ threads: 1 });
    const two = ldl(t, 5);
    expect(two.a).toEqual(one.a);
    expect(two.d).toEqual(one.d);
    await open.close();
    open = null;
    expect(ldl(t, 5).a).toEqual(one.a);
  });

  it('a factor kept on the memory survives opening and closing the threads (each replaces the memory)', async () => {
    const t = 203;
    const ld = denseStride(t);
    const { a: ref } = ldl(t, 9);
    const b = random(t, 4);
    const want = b.slice();
    denseForward(ref, t, want, 0);
    denseBackward(ref, t, want, 0);
    const kept = () => {
      const r = random(ld * ld, 9);
      const a = new Float64Array(ld * ld);
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < i; j++) a[i * ld + j] = 0.3 * r[i * ld + j]!;
        a[i * ld + i] = 0.3 * t + 1;
      }
      denseLdl(a, t, new Float64Array(t), 0, new Int8Array(t).fill(1), 1e-13, 1e-7, new Float64Array(ld * 64), true);
      return a;
    };
    const solves = (a: Float64Array) => {
      const w = b.slice();
      denseForward(a, t, w, 0);
      denseBackward(a, t, w, 0);
      for (let i = 0; i < t; i++) expect(Math.abs(w[i]! - want[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want[i]!)));
    };
    const before = kept();
    open = await openKernelThreads({ threads: 1 });
    solves(before);
    const during = kept();
    await open.close();
    open = null;
    solves(during);
  });

  it('rejects bad options and a second set', async () => {
    await expect(openKernelThreads({ threads: 0 })).rejects.toThrow(InvalidInputError);
    await expect(openKernelThreads({ threads: 1.5 })).rejects.toThrow(/threads/);
    open = await openKernelThreads({ threads: 1 });
    await expect(openKernelThreads({ threads: 1 })).rejects.toThrow(PluginError);
    await open.close();
    // Two calls at once: the second is refused while the first starts.
    const both = await Promise.allSettled([openKernelThreads({ threads: 1 }), openKernelThreads({ threads: 1 })]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    open = (both.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<KernelThreads>).value;
  });
});
