import { serializeGraph } from '@argmin/graph';
import { controlPlugin, lqr, mpc } from '@argmin/nodes-control';
import { convexPlugin, lml, qp, sinkhorn, softmaxLayer } from '@argmin/nodes-convex';
import { describe, expect, test } from 'vitest';
import { Rng, Tensor, add, createRuntime, eye, flatten, matmulT, mul, randn, randu, tensor, trace, vjp } from '../src/index.js';
import { relErr, sameBits } from './compile-helpers.js';

const runtime = createRuntime({ plugins: [convexPlugin, controlPlugin] });

/**
 * trace → save → load → compile, then: outputs equal the original's to the bit, and the VJP for a
 * random cotangent on every output equals the original's to 1e-12 relative.
 */
function roundTrip(f: (...args: Tensor[]) => unknown, args: Tensor[], seed: number, traceArgs: Tensor[] = args): void {
  // Traced at other inputs than it is run at (where the problem allows), so nothing is replayed.
  const g = trace(f, traceArgs, { storeValues: true });
  const run = runtime.compile(runtime.loadGraph(serializeGraph(g)));
  const a = vjp(f, ...args);
  const b = vjp(run, ...args);
  const outA = flatten(a.value).leaves;
  const outB = flatten(b.value).leaves;
  expect(outB.length).toBe(outA.length);
  outA.forEach((t, i) => expect(sameBits(outB[i]!, t)).toBe(true));
  const rng = Rng.seeded(seed);
  const leaves = outA.map((t) => randn(t.shape, rng));
  const gA = a.pullback(flatten(a.value).unflatten(leaves));
  const gB = b.pullback(flatten(b.value).unflatten(leaves));
  gA.forEach((t, i) => expect(relErr(gB[i] as Tensor, t as Tensor)).toBeLessThanOrEqual(1e-12));
}

describe('graphs from the node families round-trip: outputs to the bit, gradients to 1e-12', () => {
  const rng = Rng.seeded(3);

  test('convex.qp with inequality and equality constraints, tolerance recorded', () => {
    const M = randn([4, 4], rng);
    const Q = add(matmulT(M, M, false, true), eye(4));
    const G = randn([3, 4], rng);
    const A = randn([1, 4], rng);
    const f = (p: Tensor, h: Tensor) => {
      const o = qp({ Q, p, G, h, A, b: tensor([0.5]) }, { tol: 1e-10 });
      return { z: o.z, lam: o.lam };
    };
    roundTrip(f, [randn([4], rng), add(randu([3], rng), 0.5)], 1, [randn([4], rng), add(randu([3], rng), 0.5)]);
    const g = trace(f, [randn([4], rng), add(randu([3], rng), 0.5)], { storeValues: true });
    const node = Object.values(g.nodes).find((n) => n.op === 'convex.qp')!;
    expect(node.attrs.tol).toBe(1e-10);
  });

  test('convex.lml, convex.sinkhorn and the softmax layer', () => {
    roundTrip((x: Tensor) => lml({ x }, { k: 2 }).y, [randn([5], rng)], 2, [randn([5], rng)]);
    const C = randu([3, 4], rng);
    roundTrip(
      (a: Tensor, b: Tensor) => {
        const o = sinkhorn({ a, b, C }, { epsilon: 0.2, tol: 1e-11 });
        return [o.plan, o.value];
      },
      [tensor([0.2, 0.3, 0.5]), tensor([0.25, 0.25, 0.25, 0.25])],
      3,
    );
    roundTrip((x: Tensor) => mul(softmaxLayer({ x }).y, 3), [randn([2, 5], rng)], 4, [randn([2, 5], rng)]);
  });

  test('unrolled solvers (every iteration an op in the file) round-trip too', () => {
    const unroll = { strategy: { kind: 'unroll', steps: 30 } } as const;
    roundTrip((x: Tensor) => softmaxLayer({ x }, unroll).y, [randn([4], rng)], 7, [randn([4], rng)]);
    // Run where traced: LML's unrolled init computes a bracket from x's values outside the ops,
    // so the trace holds it as a constant and the file is that program (exact at the traced x).
    const xl = randn([5], rng);
    roundTrip((x: Tensor) => lml({ x }, { k: 2, ...unroll }).y, [xl], 8);
    const C = randu([3, 3], rng);
    roundTrip(
      (a: Tensor) => sinkhorn({ a, b: tensor([0.3, 0.3, 0.4]), C }, { epsilon: 0.3, ...unroll }).plan,
      [tensor([0.5, 0.25, 0.25])],
      9,
    );
  });

  test('control.lqr and control.mpc with linear dynamics and control bounds', () => {
    const T = 4;
    const ns = 2;
    const n = 3;
    const Cs = Array.from({ length: T }, () => {
      const M = randn([n, n], rng);
      return add(matmulT(M, M, false, true), eye(n));
    });
    const Cdata = new Float64Array(T * n * n);
    Cs.forEach((c, t) => Cdata.set(c.data, t * n * n));
    const C = new Tensor(Cdata, [T, n, n]);
    const F = mul(randn([T - 1, ns, n], rng), 0.5);
    const f = randn([T - 1, ns], rng);
    const x0 = randn([ns], rng);
    roundTrip(
      (c: Tensor, x: Tensor) => {
        const o = lqr({ C, c, F, f, x0: x });
        return { x: o.x, u: o.u };
      },
      [randn([T, n], rng), x0],
      5,
      [randn([T, n], rng), randn([ns], rng)],
    );
    roundTrip(
      (c: Tensor, x: Tensor) => mpc({ C, c, x0: x, dynamics: { F, f }, uLower: -0.3, uUpper: 0.3 }, { tol: 1e-10 }).u,
      [randn([T, n], rng), x0],
      6,
    );
  });
});
