import { Rng, Tensor, add, eye, grad, matmulT, mul, randn, randu, sum, vjp } from '@argmin/autodiff';
import { type AnyNode, applyNode } from '@argmin/autodiff/extend';
import { lmlNode, qpNode, sinkhornNode } from '@argmin/nodes-convex';
import { medianMs } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Hessian-vector products through implicit nodes (reverse over reverse: the VJP of the gradient
 * of Σy³ through the node): with the node's own VJP written with ops (lml, sinkhorn declare
 * `vjpRecords`), with the generic recorded root VJP through `optimality` (the same node with the
 * flag off), and through the unrolled solver; the first-order gradient for scale.
 *
 *   pnpm bench -- --only=higher-order
 */
const cubic = (y: Tensor) => sum(mul(y, mul(y, y)));

function rows(
  group: string,
  name: string,
  node: AnyNode,
  out: string,
  params: (x: Tensor) => object,
  options: object,
  x: Tensor,
  unroll: object,
  runs: number,
): BenchRow[] {
  const v = randn(x.shape, Rng.seeded(2));
  const loss = (n: AnyNode, extra: object) => (z: Tensor) => cubic(applyNode(n, params(z), { ...options, ...extra })[out] as Tensor);
  const hvp = (n: AnyNode, extra: object) => () => vjp(grad(loss(n, extra)) as (z: Tensor) => Tensor, x).pullback(v);
  const generic = { ...node, vjpRecords: false };
  const result: BenchRow[] = [{ group, name: `${name} gradient`, ours: medianMs(() => grad(loss(node, {}))(x), runs), unit: 'ms' }];
  if (node.vjpRecords) result.push({ group, name: `${name} HVP, own VJP with ops`, ours: medianMs(hvp(node, {}), runs), unit: 'ms' });
  result.push({ group, name: `${name} HVP, generic recorded root VJP`, ours: medianMs(hvp(generic, {}), runs), unit: 'ms' });
  result.push({ group, name: `${name} HVP, unrolled`, ours: medianMs(hvp(node, { strategy: unroll }), Math.max(3, runs / 4)), unit: 'ms' });
  return result;
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const runs = quick ? 5 : 20;
  const out: BenchRow[] = [];
  const n = 50;
  out.push(
    ...rows(
      'higher order',
      `lml n=${n}`,
      lmlNode,
      'y',
      (x) => ({ x }),
      { k: 5 },
      randn([n], Rng.seeded(1)),
      { kind: 'unroll', steps: 40 },
      runs,
    ),
  );
  const s = 10;
  const a = new Tensor(new Float64Array(s).fill(1 / s), [s]);
  out.push(
    ...rows(
      'higher order',
      `sinkhorn ${s}×${s}`,
      sinkhornNode,
      'plan',
      (C) => ({ a, b: a, C }),
      { epsilon: 0.5 },
      randu([s, s], Rng.seeded(3)),
      { kind: 'unroll', steps: 100 },
      runs,
    ),
  );
  const q = 30;
  const M = randn([q, q], Rng.seeded(4));
  const Q = add(matmulT(M, M, false, true), eye(q));
  const G = randn([q, q], Rng.seeded(5));
  const h = add(randu([q], Rng.seeded(6)), 1);
  out.push(
    ...rows(
      'higher order',
      `qp n=m=${q}`,
      qpNode,
      'z',
      (p) => ({ Q, p, G, h }),
      {},
      randn([q], Rng.seeded(7)),
      { kind: 'unroll', steps: 30 },
      runs,
    ),
  );
  return out;
}
