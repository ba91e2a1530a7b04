import {
  Rng,
  Tensor,
  add,
  createRuntime,
  exp,
  expandDims,
  log,
  matmul,
  mean,
  mul,
  neg,
  ones,
  randn,
  randu,
  relu,
  squeeze,
  sum,
  tensor,
  zeros,
} from '@argmin/autodiff';
import { amortize, metaOt, mlp, semiDualOp } from '@argmin/nodes-amortized';
import { ARGMIN_API_VERSION, definePlugin } from '@argmin/autodiff/extend';
import { controlPlugin, mpc, pendulum } from '@argmin/nodes-control';
import { convexPlugin, lml, qp, qpNode, qpObjective, sinkhorn, type QpParams } from '@argmin/nodes-convex';
import { maximum, minimum } from '@argmin/autodiff';
import { describe, expect, test } from 'vitest';
import { qpFamily } from '../../examples/lib/amortized-qp.js';
import { meanSquaredError, project, randomPolygon } from '../../examples/lib/optnet-constraints.js';
import { normalCdfOp } from '../../examples/lib/task-based-sqp.js';
import { generateLoadData, initModel, rowsOf, taskLoss } from '../../examples/lib/task-based.js';
import { expectRoundTrip } from './round-trip.js';

/**
 * The computations the demo's parts trace (examples/demo/*.ts), at small sizes and untrained
 * weights, saved with their values and run from the file: outputs to the bit, gradients (in the
 * inputs and the stored weights) to 1e-12 relative.
 */
// The examples' own op (the normal CDF of the task-based loss) and Meta OT's semi-dual op come
// in plugins of their own, as a user shipping such a graph would add them.
const extraOps = definePlugin({
  name: 'demo-ops',
  version: '0.1.0',
  argminApi: `^${ARGMIN_API_VERSION.split('.')[0]}`,
  ops: [normalCdfOp, semiDualOp],
});
const runtime = createRuntime({ plugins: [convexPlugin, controlPlugin, extraOps] });

describe("the demo's graphs run from their files", () => {
  test('task-based scheduling loss (SQP of QP nodes)', () => {
    const data = generateLoadData(3, Rng.seeded(1));
    const model = initModel(Rng.seeded(2));
    const f = (m: typeof model, x: Tensor, y: Tensor) => taskLoss(m, x, y);
    expectRoundTrip(runtime, f, [model, rowsOf(data.x, [0, 1]), rowsOf(data.y, [0, 1])], { parameters: [0], seed: 1 });
  });

  test('OptNet constraint learning (projection QP with learned G, h)', () => {
    const rng = Rng.seeded(3);
    const c = randomPolygon(5, rng);
    const x = mul(randn([6, 2], rng), 1.5);
    const y = randn([6, 2], rng);
    const f = (cc: typeof c, xx: Tensor, yy: Tensor) => meanSquaredError(project(cc, xx), yy);
    expectRoundTrip(runtime, f, [c, x, y], { parameters: [0], traceArgs: [c, mul(randn([6, 2], rng), 1.5), y], seed: 2 });
  });

  test('amortized QP: the semi-amortized objective loss beside the exact solve', () => {
    const n = 4;
    const dx = 3;
    const fam = qpFamily(n, dx, Rng.seeded(0));
    const clamp = (_: QpParams, s: { z?: Tensor }) => ({ z: minimum(maximum(s.z!, -1), 1) });
    const am = amortize(qpNode, mlp({ sizes: [dx, 8, n], linearSkip: true }), {
      problem: fam.problem,
      loss: 'objective',
      project: clamp,
      shapes: { z: [n] },
      refine: { kind: 'gradient', steps: 2, stepSize: 0.05 },
    });
    const theta = am.init(Rng.seeded(1));
    const f = (th: typeof theta, ctx: Tensor) => {
      const params = fam.problem(ctx);
      return { loss: am.loss(th, { x: ctx }), optimal: qpObjective(params, qp(params, { strategy: 'solve' }).z) };
    };
    expectRoundTrip(runtime, f, [theta, randn([4, dx], Rng.seeded(2))], { parameters: [0], seed: 3 });
  });

  test('Meta OT: predicted potentials, and Sinkhorn warm-started from them', () => {
    const side = 2;
    const n = side * side;
    const rng = Rng.seeded(4);
    const grid = Array.from({ length: n }, (_, k) => [k % side, Math.floor(k / side)] as const);
    const cost = tensor(grid.map(([a, b]) => grid.map(([c, d]) => ((a - c) ** 2 + (b - d) ** 2) / side ** 2)));
    const meta = metaOt({ cost, epsilon: 0.1, hidden: [8] });
    const theta = meta.init(rng);
    const normalize = (t: Tensor) =>
      new Tensor(
        t.data.map((v, i) => v / sumRow(t, Math.floor(i / n), n)),
        t.shape,
      );
    const a = normalize(add(randu([2, n], rng), 0.2));
    const b = normalize(add(randu([2, n], rng), 0.2));
    const f = (th: typeof theta, x: Tensor) => {
      const fhat = meta.potential(th, a, x);
      const solved = sinkhorn({ a, b, C: cost }, { epsilon: 0.1, tol: 1e-4, warmStart: { f: fhat } });
      return { loss: meta.loss(th, { a, b, x }), value: solved.value };
    };
    expectRoundTrip(runtime, f, [theta, meta.features(a, b)], { parameters: [0], seed: 4 });
  });

  test('sorting and top-k: Sinkhorn soft permutations and the LML top-k of network scores', () => {
    const N = 4;
    const rng = Rng.seeded(5);
    const net = { W1: randn([1, 6], rng), b1: randn([6], rng), W2: randn([6, N], rng), b2: zeros([N]) };
    const forward = (p: typeof net, x: Tensor) => add(matmul(relu(add(matmul(x, p.W1), p.b1)), p.W2), p.b2);
    const f = (p: typeof net, x: Tensor) => {
      const scores = forward(p, expandDims(x, -1)); // [B, N, N]: number i at position j
      const P = sinkhorn({ a: ones([N]), b: ones([N]), C: neg(scores) }, { epsilon: 1, maxIter: 2000, onUnconverged: 'zero' }).plan;
      const placed = sum(mul(P, expandDims(x, -1)), 1);
      const top = lml({ x: squeeze(sum(scores, -1)) }, { k: 2 }).y;
      return { sort: mean(mul(placed, placed)), topk: mean(log(top)) };
    };
    expectRoundTrip(runtime, f, [net, randu([3, N], rng)], { parameters: [0], seed: 5 });
  });

  test('pendulum imitation: MPC with a nonlinear model, the model given when compiling', () => {
    const T = 4;
    const C = new Tensor(
      new Float64Array(T * 16).map((_, k) => ((k % 16) % 5 === 0 ? 1 : 0)),
      [T, 4, 4],
    );
    const x0 = tensor([1, 0, 0.5]);
    const f = (phi: Tensor, c: Tensor) => {
      const out = mpc({ C, c, x0, dynamics: { model: pendulum, params: exp(phi) }, uLower: -2, uUpper: 2 }, { tol: 1e-10 });
      return mean(mul(out.u, out.u));
    };
    const args = [log(tensor([10, 1, 1])), mul(randn([T, 4], Rng.seeded(6)), 0.1)];
    // The model is code, which a file does not hold: compiling without it names the option.
    expect(() => expectRoundTrip(runtime, f, args, { parameters: [0] })).toThrow(
      /control\.mpc\): option 'dynamics' was a function or object that a graph file cannot hold; give it when compiling/,
    );
    const { graph } = expectRoundTrip(runtime, f, args, { parameters: [0], bind: { 'control.mpc': { dynamics: pendulum } }, seed: 6 });
    // A binding that fills nothing (a misspelt option) is an error, not ignored.
    expect(() => runtime.compile(graph, { bind: { 'control.mpc': { dynamic: pendulum } } })).toThrow(
      /bind\['control\.mpc'\]\.dynamic fills nothing: .* \(lost: 'dynamics'\)/,
    );
  });
});

function sumRow(t: Tensor, r: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += t.data[r * n + i]!;
  return s;
}
