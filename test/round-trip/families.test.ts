import {
  Rng,
  type Tensor,
  add,
  concat,
  createRuntime,
  expandDims,
  eye,
  matmulT,
  mul,
  neg,
  randn,
  randu,
  sub,
  sum,
  tensor,
  zeros,
} from '@argmin/autodiff';
import { amortize, amortizedNode, amortizedPlugin, amortizedPredict, mlp } from '@argmin/nodes-amortized';
import { cemSolve, controlPlugin } from '@argmin/nodes-control';
import { cone, convexPlugin, qpNode, reluLayer, sigmoidLayer, sparsemaxLayer, type QpParams } from '@argmin/nodes-convex';
import { describe, test } from 'vitest';
import { expectRoundTrip } from './round-trip.js';

/**
 * trace → save → load → compile → run for the node families the other round-trip tests
 * (packages/autodiff/test/compile-families.test.ts: qp, lml, sinkhorn, softmax, lqr, mpc with
 * linear dynamics, unrolled solvers) do not cover: outputs to the bit, gradients to 1e-12.
 * (MPC with a nonlinear model cannot be saved: see demo-parts.test.ts.)
 */
const runtime = createRuntime({ plugins: [convexPlugin, controlPlugin] });

describe('graphs from every node family round-trip', () => {
  const rng = Rng.seeded(5);

  test('the relu, sigmoid and sparsemax layers', () => {
    for (const layer of [reluLayer, sigmoidLayer, sparsemaxLayer]) {
      const f = (x: Tensor) => mul(layer({ x }).y, 2);
      expectRoundTrip(runtime, f, [randn([2, 5], rng)], { traceArgs: [randn([2, 5], rng)], seed: 1 });
    }
  });

  test('convex.cone: a second-order cone program (distance to the nonnegative orthant)', () => {
    // Variables (y, t): min t s.t. y ≥ 0 (nonneg rows s = y) and ‖y − x‖ ≤ t (soc rows s = (t, y − x)).
    const d = 3;
    const minusI = mul(eye(d), -1);
    const A = concat([concat([minusI, zeros([d, 1])], 1), tensor([[0, 0, 0, -1]]), concat([minusI, zeros([d, 1])], 1)], 0);
    const c = tensor([0, 0, 0, 1]);
    const f = (x: Tensor) => {
      const out = cone({ A, b: concat([zeros([d + 1]), neg(x)], 0), c }, { cones: { nonneg: d, soc: [d + 1] } });
      return { x: out.x, value: sum(mul(out.x, c)) };
    };
    expectRoundTrip(runtime, f, [tensor([0.5, -1, 2])], { traceArgs: [tensor([1.5, 0.3, -0.7])], seed: 2 });
  });

  test('control.cem: DCEM unrolled (the iterations and the LML soft elites are in the file)', () => {
    const quadratic = (x: Tensor, theta: Tensor | undefined) => {
      const dx = sub(x, expandDims(theta!, 1));
      return sum(mul(dx, dx), -1);
    };
    const options = { objective: quadratic, nSamples: 12, nElite: 3, iters: 4, temperature: 2, seed: 7 };
    const f = (theta: Tensor, mu0: Tensor) => cemSolve({ mu0, sigma0: tensor([1, 1]), theta }, options).mu;
    expectRoundTrip(runtime, f, [tensor([0.4, -0.8]), zeros([2])], { seed: 3 });
  });

  test('an amortized node: trained weights stored in the file, run through its plugin', () => {
    const n = 3;
    const dx = 2;
    const Q = add(matmulT(randn([n, n], rng), randn([n, n], rng), false, true), mul(eye(n), 4));
    const P = randn([dx, n], rng);
    const problem = (x: Tensor): QpParams => ({ Q: add(Q, matmulT(Q, eye(n), true, false)), p: matmulT(x, P, false, false) });
    const am = amortize(qpNode, mlp({ sizes: [dx, 6, n], activation: 'tanh' }), { problem, loss: 'objective', shapes: { z: [n] } });
    const theta = am.init(Rng.seeded(1));
    const node = amortizedNode(am, theta);
    const withPlugin = createRuntime({ plugins: [convexPlugin, amortizedPlugin(node)] });
    const f = (th: typeof theta, x: Tensor) => amortizedPredict(node, x, th).z!;
    expectRoundTrip(withPlugin, f, [theta, randu([4, dx], rng)], { parameters: [0], traceArgs: [theta, randu([4, dx], rng)], seed: 4 });
  });
});
