// Fuzz: LML, Sinkhorn and the four layers on random inputs at scales 1e-150…1e150 (answers
// checked against closed forms or an independent root finder), and on random bad inputs.
import { Tensor } from '@argmin/autodiff';
import { lmlSolve, reluLayer, sigmoidLayer, sinkhorn, softmaxLayer, sparsemaxLayer } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { BrokenPromise, EXPONENTS, assertFinite, fuzzCase, fuzzRuns, report, snapshot, type Outcome } from './harness.js';

afterAll(() => report('nodes'));

const arbRow = (maxLength = 6) =>
  fc.tuple(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength }), fc.integer(EXPONENTS), fc.nat());
/** A row of values in [−1, 1]·10^e, sometimes with one entry far above the rest. */
const scaled = ([v, e, spike]: [number[], number, number]) => {
  const x = v.map((a) => a * 10 ** e);
  if (spike % 3 === 0) x[spike % x.length] = 10 ** Math.min(300, e + 20);
  return x;
};

/**
 * The reference for LML: bisection on Σσ(xᵢ − x_p + ν) = k in the frame of a pivot score x_p
 * with ν ∈ [−60, 60] (some pivot — the entry that carries the fractional mass — always
 * brackets the root there), so no xᵢ + ν is formed with cancellation. Null if none brackets.
 */
function lmlReference(x: number[], k: number): number[] | null {
  const sig = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
  for (const pivot of [...new Set(x)]) {
    const shifted = x.map((v) => v - pivot);
    const f = (nu: number) => shifted.reduce((a, v) => a + sig(v + nu), 0) - k;
    let lo = -60;
    let hi = 60;
    if (!(f(lo) <= 0 && f(hi) >= 0)) continue;
    for (let i = 0; i < 200; i++) {
      const mid = 0.5 * (lo + hi);
      if (f(mid) < 0) lo = mid;
      else hi = mid;
    }
    return shifted.map((v) => sig(v + 0.5 * (lo + hi)));
  }
  return null;
}

describe('fuzz: lml', () => {
  test('random scores at every scale: y matches an independent bisection, Σy = k', () => {
    fc.assert(
      fc.property(arbRow(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (row, frac) => {
        const x = scaled(row);
        const k = Math.max(0.5, Math.round(frac * (x.length - 1) * 2) / 2);
        fuzzCase('lml/random', () => {
          const t = new Tensor(Float64Array.from(x), [x.length]);
          const untouched = snapshot({ t });
          const out = lmlSolve(t, { k });
          untouched();
          if (out.info.status[0] !== 'converged') return 'honest';
          assertFinite('y', out.y);
          const sum = out.y.data.reduce((a, v) => a + v, 0);
          if (!(Math.abs(sum - k) <= 1e-9 * Math.max(1, k))) throw new BrokenPromise(`lml: Σy = ${sum} ≠ k = ${k} for x = ${x}`);
          const ref = lmlReference(x, k);
          if (ref === null) throw new BrokenPromise(`lml: no reference for x = ${x}, k = ${k}`);
          ref.forEach((r, i) => {
            if (!(Math.abs(out.y.data[i]! - r) <= 1e-7))
              throw new BrokenPromise(`lml: y[${i}] = ${out.y.data[i]} but ${r} for x = ${x}, k = ${k}`);
          });
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(300) },
    );
  });

  test('bad inputs: non-finite scores, k out of range or ill-typed, non-tensors', () => {
    const bads: [string, () => unknown][] = [
      ['nan', () => lmlSolve(new Tensor(Float64Array.of(1, Number.NaN, 2), [3]), { k: 1 })],
      ['inf', () => lmlSolve(new Tensor(Float64Array.of(1, Number.POSITIVE_INFINITY, 2), [3]), { k: 1 })],
      ['k=0', () => lmlSolve(new Tensor(Float64Array.of(1, 2, 3), [3]), { k: 0 })],
      ['k=n', () => lmlSolve(new Tensor(Float64Array.of(1, 2, 3), [3]), { k: 3 })],
      ['k=NaN', () => lmlSolve(new Tensor(Float64Array.of(1, 2, 3), [3]), { k: Number.NaN })],
      ['k string', () => lmlSolve(new Tensor(Float64Array.of(1, 2, 3), [3]), { k: '1' as never })],
      ['no k', () => lmlSolve(new Tensor(Float64Array.of(1, 2, 3), [3]), {} as never)],
      ['array', () => lmlSolve([1, 2, 3] as never, { k: 1 })],
      ['scalar', () => lmlSolve(new Tensor(Float64Array.of(1), []), { k: 1 })],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bads), ([name, run]) => {
        fuzzCase(`lml/bad-input/${name}`, () => {
          run();
          throw new BrokenPromise(`lml accepted bad input '${name}'`);
        });
      }),
      { numRuns: fuzzRuns(60) },
    );
  });
});

/** Closed forms of the layers, for the check of a 'converged' answer. */
const closedForm = {
  relu: (x: number[]) => x.map((v) => Math.max(v, 0)),
  sigmoid: (x: number[]) => x.map((v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))),
  softmax: (x: number[]) => {
    const m = Math.max(...x);
    const e = x.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  },
  sparsemax: (x: number[]) => {
    const m = Math.max(...x);
    const z = x.map((v) => v - m);
    const sorted = [...z].sort((a, b) => b - a);
    let cum = 0;
    let tau = 0;
    for (let j = 0; j < sorted.length; j++) {
      cum += sorted[j]!;
      const t = (cum - 1) / (j + 1);
      if (sorted[j]! > t) tau = t;
    }
    return z.map((v) => Math.max(v - tau, 0));
  },
};
const layerFns = { relu: reluLayer, sigmoid: sigmoidLayer, softmax: softmaxLayer, sparsemax: sparsemaxLayer } as const;
type LayerName = keyof typeof layerFns;

describe('fuzz: layers', () => {
  test('random inputs at every scale, random budgets and warm starts: closed form or an honest status', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<LayerName>('relu', 'sigmoid', 'softmax', 'sparsemax'),
        arbRow(),
        fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        fc.option(fc.constantFrom(0, 1, 0.5, 1e-300), { nil: undefined }),
        (name, row, maxIter, warm) => {
          const x = scaled(row);
          fuzzCase(`layers/${name}`, (): Outcome => {
            const t = new Tensor(Float64Array.from(x), [x.length]);
            const options: Record<string, unknown> = {};
            if (maxIter !== undefined) options.maxIter = maxIter;
            if (warm !== undefined && name !== 'sparsemax')
              options.warmStart = { y: new Tensor(new Float64Array(x.length).fill(warm), [x.length]) };
            const untouched = snapshot({ t });
            let out: { y: Tensor; info: { status: string[] } };
            try {
              out = (layerFns[name] as unknown as (p: { x: Tensor }, o: object) => typeof out)({ x: t }, options);
            } catch (e) {
              // A valid input (finite, any scale, any budget, a warm start in the domain's closure)
              // is never refused.
              throw new BrokenPromise(`${name}: refused a valid input (x = ${x}): ${(e as Error).message}`);
            }
            untouched();
            if (out.info.status[0] !== 'converged') return 'honest';
            assertFinite('y', out.y);
            const ref = closedForm[name](x);
            const unit = name === 'relu' ? Math.max(...x.map(Math.abs), 2 ** -1022) : 1;
            ref.forEach((r, i) => {
              if (!(Math.abs(out.y.data[i]! - r) <= 1e-8 * unit)) {
                throw new BrokenPromise(
                  `${name}: y[${i}] = ${out.y.data[i]} but ${r} (x = ${x}, options ${JSON.stringify({ maxIter, warm })})`,
                );
              }
            });
            return 'verified';
          });
        },
      ),
      { numRuns: fuzzRuns(400) },
    );
  });

  test('bad inputs: non-tensors and NaN as x', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<LayerName>('relu', 'sigmoid', 'softmax', 'sparsemax'),
        fc.constantFrom<unknown>([1, 2], 3, null, undefined, 'x', { data: [1] }, new Tensor(Float64Array.of(1, Number.NaN), [2])),
        (name, x) => {
          fuzzCase(`layers/bad-input`, () => {
            (layerFns[name] as (p: unknown) => unknown)({ x });
            throw new BrokenPromise(`${name} accepted ${String(x)}`);
          });
        },
      ),
      { numRuns: fuzzRuns(60) },
    );
  });
});

describe('fuzz: sinkhorn', () => {
  test('random costs, marginals and ε at every scale: marginals hold when converged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer(EXPONENTS),
        fc.integer({ min: -3, max: 2 }),
        (n, m, seed, e, epsExp) => {
          let s = seed;
          const r = () => (s = (s * 16807) % 2147483647) / 2147483647;
          const a = Array.from({ length: n }, () => 0.1 + r());
          const b = Array.from({ length: m }, () => 0.1 + r());
          const sa = a.reduce((x, y) => x + y, 0);
          const sb = b.reduce((x, y) => x + y, 0);
          const scale = 10 ** e;
          const A = new Tensor(
            Float64Array.from(a, (v) => (v / sa) * scale),
            [n],
          );
          const B = new Tensor(
            Float64Array.from(b, (v) => (v / sb) * scale),
            [m],
          );
          const C = new Tensor(
            Float64Array.from({ length: n * m }, () => r() * 10 ** (e % 7)),
            [n, m],
          );
          const epsilon = 10 ** (epsExp + (e % 7));
          fuzzCase('sinkhorn/random', () => {
            const untouched = snapshot({ A, B, C });
            const out = sinkhorn({ a: A, b: B, C }, { epsilon });
            untouched();
            if (out.info.status[0] !== 'converged') return 'honest';
            assertFinite('plan', out.plan);
            for (let i = 0; i < n; i++) {
              let row = 0;
              for (let j = 0; j < m; j++) row += out.plan.data[i * m + j]!;
              if (!(Math.abs(row - A.data[i]!) <= 1e-6 * scale))
                throw new BrokenPromise(`sinkhorn: row ${i} sums to ${row}, a = ${A.data[i]}`);
            }
            for (let j = 0; j < m; j++) {
              let col = 0;
              for (let i = 0; i < n; i++) col += out.plan.data[i * m + j]!;
              if (!(Math.abs(col - B.data[j]!) <= 1e-6 * scale))
                throw new BrokenPromise(`sinkhorn: column ${j} sums to ${col}, b = ${B.data[j]}`);
            }
            return 'verified';
          });
        },
      ),
      { numRuns: fuzzRuns(200) },
    );
  });

  test('bad inputs: negative or unequal marginals, NaN cost, ε ≤ 0, shapes', () => {
    const t = (v: number[], shape = [v.length]) => new Tensor(Float64Array.from(v), shape);
    const good = { a: t([0.5, 0.5]), b: t([0.5, 0.5]), C: t([0, 1, 1, 0], [2, 2]) };
    const bads: [string, () => unknown][] = [
      ['negative a', () => sinkhorn({ ...good, a: t([-0.5, 1.5]) }, { epsilon: 0.1 })],
      ['unequal mass', () => sinkhorn({ ...good, a: t([0.5, 0.6]) }, { epsilon: 0.1 })],
      ['nan cost', () => sinkhorn({ ...good, C: t([0, Number.NaN, 1, 0], [2, 2]) }, { epsilon: 0.1 })],
      ['eps 0', () => sinkhorn(good, { epsilon: 0 })],
      ['eps NaN', () => sinkhorn(good, { epsilon: Number.NaN })],
      ['eps missing', () => sinkhorn(good, {} as never)],
      ['shape', () => sinkhorn({ ...good, C: t([0, 1, 1], [3]) }, { epsilon: 0.1 })],
      ['non-tensor', () => sinkhorn({ ...good, a: [0.5, 0.5] as never }, { epsilon: 0.1 })],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bads), ([name, run]) => {
        fuzzCase(`sinkhorn/bad-input/${name}`, () => {
          run();
          throw new BrokenPromise(`sinkhorn accepted bad input '${name}'`);
        });
      }),
      { numRuns: fuzzRuns(60) },
    );
  });
});
