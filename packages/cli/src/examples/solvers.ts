// Example graphs traced from the real solver packages, for `argmin view --example NAME`.
import {
  Rng,
  add,
  matmul,
  matrixTranspose,
  mean,
  mul,
  randn,
  relu,
  reshape,
  softmax,
  sub,
  sum,
  tanh,
  tensor,
  trace,
  type Tensor,
} from '@argmin/autodiff';
import { toJSON, type GraphJSON } from '@argmin/graph';
import { lqr } from '@argmin/nodes-control';
import { qp, sinkhorn } from '@argmin/nodes-convex';

/** A batch of 4 projections onto a polytope (QP layer, implicit), then a squared loss. */
export function qpGraph(): GraphJSON {
  const rng = Rng.seeded(1);
  const n = 4;
  const Q = tensor([
    [2, 0.2, 0, 0],
    [0.2, 1.5, 0, 0],
    [0, 0, 1, 0.1],
    [0, 0, 0.1, 1.2],
  ]);
  const G = randn([6, n], rng);
  const h = tensor([1, 1, 1, 1, 1, 1]);
  const g = trace(
    (p: Tensor) => {
      const z = qp({ Q, p, G, h }, { label: 'QP layer' }).z;
      return mean(mul(z, z));
    },
    [randn([4, n], rng, 2)],
    { name: 'QP layer (OptNet), batch of 4', argNames: ['p'] },
  );
  return toJSON(g);
}

/** LQR over 10 steps for a double integrator, solved by the Riccati recursion. */
export function lqrGraph(): GraphJSON {
  const T = 10;
  const ns = 2;
  const n = 3;
  const C = tensor(
    Array.from({ length: T }, () => [
      [1, 0, 0],
      [0, 0.1, 0],
      [0, 0, 0.01],
    ]),
  );
  const c = tensor(Array.from({ length: T }, () => [0, 0, 0]));
  const F = tensor(
    Array.from({ length: T - 1 }, () => [
      [1, 0.1, 0],
      [0, 1, 0.1],
    ]),
  );
  const g = trace(
    (x0: Tensor) => {
      const { x, u } = lqr({ C, c, F, x0 }, { label: 'LQR' });
      return add(sum(mul(x, x)), sum(mul(u, u)));
    },
    [tensor([1, -0.5])],
    { name: `LQR (ns=${ns}, nc=${n - ns}, T=${T})`, argNames: ['x0'] },
  );
  return toJSON(g);
}

/** Entropic OT between two point clouds: the implicit node, and the same problem unrolled. */
export function sinkhornGraph(): GraphJSON {
  const rng = Rng.seeded(3);
  const n = 5;
  const a = tensor(Array(n).fill(1 / n));
  const b = tensor(Array(n).fill(1 / n));
  const xs = randn([n, 2], rng);
  const g = trace(
    (ys: Tensor) => {
      // Squared distances |x_i − y_j|² from inner products.
      const xx = sum(mul(xs, xs), 1, true);
      const yy = sum(mul(ys, ys), 1, true);
      // Costs scaled to about [0, 1], where ε = 0.1 is a moderate regularisation.
      const C = mul(sub(add(xx, reshape(yy, [1, n])), mul(matmul(xs, matrixTranspose(ys)), 2)), 0.1);
      const implicit = sinkhorn({ a, b, C }, { epsilon: 0.1, label: 'Sinkhorn (implicit)' }).value;
      const unrolled = sinkhorn({ a, b, C }, { epsilon: 0.1, strategy: 'unroll', maxIter: 20, label: 'Sinkhorn (unrolled)' }).value;
      return add(implicit, unrolled);
    },
    [randn([n, 2], rng)],
    { name: 'Sinkhorn: implicit and unrolled', argNames: ['y'] },
  );
  return toJSON(g);
}

/** A three-layer MLP with a softmax cross-entropy loss; the weights are parameters. */
export function mlpGraph(): GraphJSON {
  const rng = Rng.seeded(4);
  const params = {
    W1: randn([8, 16], rng, 0.3),
    b1: randn([16], rng, 0.1),
    W2: randn([16, 16], rng, 0.3),
    b2: randn([16], rng, 0.1),
    W3: randn([16, 3], rng, 0.3),
    b3: randn([3], rng, 0.1),
  };
  const x = randn([32, 8], rng);
  const labels = tensor(Array.from({ length: 32 }, (_, i) => [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0))));
  const g = trace(
    (p: typeof params) => {
      const h1 = tanh(add(matmul(x, p.W1), p.b1));
      const h2 = relu(add(matmul(h1, p.W2), p.b2));
      const probs = softmax(add(matmul(h2, p.W3), p.b3), -1);
      return mean(sum(mul(labels, mul(probs, -1)), -1));
    },
    [params],
    { name: 'MLP (3 dense layers, batch 32)', argNames: ['θ'], parameters: [0] },
  );
  return toJSON(g);
}
