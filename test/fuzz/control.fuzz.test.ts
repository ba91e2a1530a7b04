// Fuzz: LQR and box MPC on random linear problems at scales 1e-150…1e150 (a 'converged' answer
// is checked by central differences of the rolled-out cost, computed here: for a quadratic cost
// they are exact up to rounding), CEM with good and bad objectives, amortize/train options, and
// graph JSON with random documents and depth limits.
import { InvalidInputError, Rng, Tensor, sum } from '@argmin/autodiff';
import { fromJSON } from '@argmin/graph';
import { amortize, mlp } from '@argmin/nodes-amortized';
import { type CemNodeOptions, cem, cemSolve, lqr, mpc } from '@argmin/nodes-control';
import { lmlNode } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { BrokenPromise, EXPONENTS, fuzzCase, fuzzRuns, report, snapshot } from './harness.js';

afterAll(() => report('control'));

interface Linear {
  T: number;
  ns: number;
  nc: number;
  C: Float64Array;
  c: Float64Array;
  F: Float64Array;
  x0: Float64Array;
  lo: number;
  hi: number;
}

/** A random linear-quadratic problem: C_t = MᵀM + δI (δ = 0 on the controls sometimes), stable-ish F. */
function linear(seed: number, T: number, ns: number, nc: number, e: number, zeroControlCost: boolean): Linear {
  let s = seed;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const n = ns + nc;
  const scale = 10 ** e;
  const C = new Float64Array(T * n * n);
  for (let t = 0; t < T; t++) {
    const M = Array.from({ length: n * n }, r);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let a = 0; a < n; a++) v += M[a * n + i]! * M[a * n + j]!;
        const ctrl = i >= ns || j >= ns;
        C[t * n * n + i * n + j] = zeroControlCost && ctrl ? 0 : scale * (v + (i === j ? 0.1 : 0));
      }
    }
  }
  const c = Float64Array.from({ length: T * n }, () => scale * r());
  const F = Float64Array.from({ length: (T - 1) * ns * n }, () => 0.6 * r());
  const x0 = Float64Array.from({ length: ns }, r);
  return { T, ns, nc, C, c, F, x0, lo: -1, hi: 1 };
}

/** The rolled-out cost J(u) = Σ ½τᵀCτ + cᵀτ with x_{t+1} = F_t τ_t, and its magnitude Σ|terms|. */
function rollout(p: Linear, u: Float64Array): [number, number] {
  const { T, ns, nc, C, c, F } = p;
  const n = ns + nc;
  let x = Array.from(p.x0);
  let J = 0;
  let mag = 0;
  for (let t = 0; t < T; t++) {
    const tau = [...x, ...Array.from(u.subarray(t * nc, (t + 1) * nc))];
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let j = 0; j < n; j++) q += C[t * n * n + i * n + j]! * tau[j]!;
      J += tau[i]! * (0.5 * q + c[t * n + i]!);
      mag += Math.abs(tau[i]! * q) + Math.abs(tau[i]! * c[t * n + i]!);
    }
    if (t < T - 1) {
      const next = new Array<number>(ns).fill(0);
      for (let i = 0; i < ns; i++) for (let j = 0; j < n; j++) next[i]! += F[t * ns * n + i * n + j]! * tau[j]!;
      x = next;
    }
  }
  return [J, mag];
}

/**
 * Optimality of u by central differences of J (exact for a quadratic, up to rounding): a free
 * control has ∂J/∂u ≈ 0, one at its lower bound ∂J/∂u ≥ 0, at its upper bound ≤ 0 — each against
 * the rounding level of J's terms.
 */
function checkControls(p: Linear, u: Float64Array, boxed: boolean): string | null {
  const [, mag] = rollout(p, u);
  for (let i = 0; i < u.length; i++) {
    const h = 1e-3 * Math.max(1, Math.abs(u[i]!));
    const up = Float64Array.from(u);
    const dn = Float64Array.from(u);
    up[i]! += h;
    dn[i]! -= h;
    const g = (rollout(p, up)[0] - rollout(p, dn)[0]) / (2 * h);
    const slack = (1e-6 * (mag + 1e-300)) / h;
    const atLo = boxed && u[i]! <= p.lo + 1e-9;
    const atHi = boxed && u[i]! >= p.hi - 1e-9;
    if (atLo && g < -slack) return `u[${i}] at its lower bound with ∂J/∂u = ${g}`;
    if (atHi && g > slack) return `u[${i}] at its upper bound with ∂J/∂u = ${g}`;
    if (!atLo && !atHi && Math.abs(g) > slack) return `free u[${i}] = ${u[i]} with ∂J/∂u = ${g} (slack ${slack})`;
  }
  return null;
}

const arbLinear = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 2 }),
  T: fc.integer({ min: 2, max: 4 }),
  ns: fc.integer({ min: 1, max: 3 }),
  nc: fc.integer({ min: 1, max: 2 }),
  e: fc.integer(EXPONENTS),
  zero: fc.boolean(),
});

const tensorsOf = (p: Linear) => {
  const n = p.ns + p.nc;
  return {
    C: new Tensor(Float64Array.from(p.C), [p.T, n, n]),
    c: new Tensor(Float64Array.from(p.c), [p.T, n]),
    F: new Tensor(Float64Array.from(p.F), [p.T - 1, p.ns, n]),
    x0: new Tensor(Float64Array.from(p.x0), [p.ns]),
  };
};

describe('fuzz: lqr and mpc', () => {
  test('lqr on random problems at every scale', () => {
    fc.assert(
      fc.property(arbLinear, ({ seed, T, ns, nc, e }) => {
        const p = linear(seed, T, ns, nc, e, false);
        fuzzCase('lqr/random', () => {
          const t = tensorsOf(p);
          const untouched = snapshot(t);
          const out = lqr(t);
          untouched();
          if (out.info.status[0] !== 'converged') return 'honest';
          const bad = checkControls(p, out.u.data, false);
          if (bad) throw new BrokenPromise(`lqr 'converged' but ${bad}`);
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  test('box mpc on random problems at every scale, with and without a zero control cost', () => {
    fc.assert(
      fc.property(arbLinear, ({ seed, T, ns, nc, e, zero }) => {
        const p = linear(seed, T, ns, nc, e, zero);
        fuzzCase(`mpc/${zero ? 'zero-control-cost' : 'random'}`, () => {
          const t = tensorsOf(p);
          const untouched = snapshot(t);
          const out = mpc({ C: t.C, c: t.c, x0: t.x0, dynamics: { F: t.F }, uLower: p.lo, uUpper: p.hi });
          untouched();
          const status = out.info.status[0]!;
          if (status === 'unbounded' || status === 'infeasible')
            throw new BrokenPromise(`mpc reported '${status}' on a box-bounded problem`);
          if (status !== 'converged') return 'honest';
          const bad = checkControls(p, out.u.data, true);
          if (bad) throw new BrokenPromise(`mpc 'converged' but ${bad}`);
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(150) },
    );
  });

  test('bad inputs: NaN, shapes, a bound above its upper bound, non-tensors', () => {
    const p = linear(5, 3, 2, 1, 0, false);
    const t = tensorsOf(p);
    const bads: [string, () => unknown][] = [
      [
        'lqr nan',
        () =>
          lqr({
            ...t,
            c: new Tensor(
              Float64Array.from(p.c, (v, i) => (i === 0 ? Number.NaN : v)),
              t.c.shape,
            ),
          }),
      ],
      ['lqr shape', () => lqr({ ...t, F: new Tensor(new Float64Array(3 * 2 * 3), [3, 2, 3]) })],
      ['lqr non-tensor', () => lqr({ ...t, x0: [1, 2] as never })],
      ['mpc bounds', () => mpc({ C: t.C, c: t.c, x0: t.x0, dynamics: { F: t.F }, uLower: 1, uUpper: -1 })],
      ['mpc nan bound', () => mpc({ C: t.C, c: t.c, x0: t.x0, dynamics: { F: t.F }, uLower: Number.NaN })],
      ['mpc shape', () => mpc({ C: t.C, c: t.c, x0: new Tensor(new Float64Array(5), [5]), dynamics: { F: t.F } })],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bads), ([name, run]) => {
        fuzzCase(`control/bad-input/${name}`, () => {
          run();
          throw new BrokenPromise(`accepted bad input '${name}'`);
        });
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});

describe('fuzz: cem', () => {
  test('objectives returning bad values are typed errors; good ones give finite means', () => {
    const kinds = ['good', 'nan', 'inf', 'shape', 'number', 'undefined'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.nat(), (kind, nz, soft, seed) => {
        const config = {
          mu0: new Tensor(new Float64Array(nz).fill(0.3), [nz]),
          sigma0: 1,
          nSamples: 6,
          nElite: 2,
          iters: 2,
          ...(soft ? { temperature: 3 } : {}),
        };
        const f = (x: Tensor): Tensor => {
          const v = sum(x, -1);
          if (kind === 'good') return v;
          if (kind === 'nan' || kind === 'inf') {
            const d = Float64Array.from(v.data);
            d[seed % d.length] = kind === 'nan' ? Number.NaN : Number.NEGATIVE_INFINITY;
            return new Tensor(d, v.shape);
          }
          if (kind === 'shape') return sum(v);
          return (kind === 'number' ? 3 : undefined) as never;
        };
        fuzzCase(`cem/${kind}`, () => {
          const out = cem(f, config, { rng: Rng.seeded(seed) });
          if (kind !== 'good') throw new BrokenPromise(`cem accepted an objective returning ${kind}`);
          if (!out.mu.data.every(Number.isFinite)) throw new BrokenPromise('cem: non-finite mean');
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(80) },
    );
  });
});

describe('fuzz: cem node options', () => {
  // Per option, values the schema must accept and values it must refuse (by construction).
  const values: Record<string, { good: unknown[]; bad: unknown[] }> = {
    nSamples: { good: [6, 9], bad: [1, 2.5, '6', Number.NaN, -4] },
    nElite: { good: [1, 2], bad: [0, 1.5, null, Number.POSITIVE_INFINITY] },
    iters: { good: [1, 3], bad: [0, -1, '3', 2.2] },
    temperature: { good: [0.5, 4, undefined], bad: [0, -2, Number.NaN, 'hot'] },
    seed: { good: [0, 12, -3], bad: [0.5, '1', Number.NaN] },
    normalize: { good: [true, false], bad: ['no', 0] },
    objective: { good: [(x: Tensor) => sum(x, -1)], bad: [3, 'f', null] },
    maxIters: { good: [], bad: [3] },
    temprature: { good: [], bad: [2] },
    elite: { good: [], bad: [2] },
  };
  test('bad values are InvalidInputErrors naming the option; good ones give a finite mean', () => {
    const keys = Object.keys(values);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.boolean(), fc.nat(), (key, wantGood, pick) => {
        const pool = wantGood && values[key]!.good.length > 0 ? values[key]!.good : values[key]!.bad;
        const good = pool === values[key]!.good;
        const value = pool[pick % pool.length];
        const base = { objective: (x: Tensor) => sum(x, -1), nSamples: 6, nElite: 2, iters: 2, seed: 1 };
        const options = { ...base, [key]: value } as CemNodeOptions;
        fuzzCase(`cem/options/${good ? 'good' : 'bad'}`, () => {
          let out: ReturnType<typeof cemSolve>;
          try {
            out = cemSolve({ mu0: new Tensor(Float64Array.of(0.2, -0.1), [2]), sigma0: new Tensor(Float64Array.of(1, 1), [2]) }, options);
          } catch (e) {
            if (!good && e instanceof InvalidInputError && e.message.startsWith('control.cem: ') && e.message.includes(`'${key}'`)) throw e;
            throw new BrokenPromise(`cem node with ${key} = ${String(value)}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
          }
          if (!good) throw new BrokenPromise(`cem node accepted ${key} = ${String(value)}`);
          if (!out.mu.data.every(Number.isFinite)) throw new BrokenPromise('cem node: non-finite mean');
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(80) },
    );
  });
});

describe('fuzz: amortize and train options', () => {
  test('ill-formed optimizers and step counts are typed errors', () => {
    const am = amortize(lmlNode, mlp({ sizes: [3, 3] }), { problem: (x: Tensor) => ({ x }), nodeOptions: { k: 2 }, loss: 'regression' });
    const theta = mlp({ sizes: [3, 3] }).init(Rng.seeded(1));
    const data = {
      x: new Tensor(
        Float64Array.from({ length: 24 }, (_, i) => Math.sin(i)),
        [8, 3],
      ),
    };
    const bads: [string, object][] = [
      ['optimizer {}', { steps: 1, optimizer: {} }],
      ['optimizer null', { steps: 1, optimizer: null }],
      ['optimizer number', { steps: 1, optimizer: 3 }],
      ['optimizer half', { steps: 1, optimizer: { init: () => 0 } }],
      ['steps -1', { steps: -1 }],
      ['steps NaN', { steps: Number.NaN }],
      ['batchSize 0', { steps: 1, batchSize: 0 }],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bads), ([name, options]) => {
        fuzzCase(`amortize/bad-option/${name}`, () => {
          am.fit(theta, data, options as never);
          throw new BrokenPromise(`fit accepted '${name}'`);
        });
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});

describe('fuzz: graph JSON', () => {
  test('random documents and depth limits: a graph or a typed error, never a crash', () => {
    const deep = (d: number): unknown => (d === 0 ? {} : { nodes: [deep(d - 1)] });
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 0, max: 3000 }).map(deep)),
        fc.option(fc.oneof(fc.constant(Number.NaN), fc.integer({ min: -5, max: 100 }), fc.double({ noNaN: false })), { nil: undefined }),
        (doc, maxDepth) => {
          fuzzCase('graph/fromJSON', () => {
            fromJSON(doc, maxDepth === undefined ? {} : { maxDepth });
            return 'verified';
          });
        },
      ),
      { numRuns: fuzzRuns(150) },
    );
  });
});
