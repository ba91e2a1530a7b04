// Runs in a dedicated worker of the page (the thread that may block): a QP batch's forward and
// VJP in-thread and on 2 Web Workers, compared; posts the differences to the page.
import { qp } from '@argmin/nodes-convex';
import { Rng, Tensor, randn, randu, vjp } from '../../../src/index.js';
import { openBrowserWorkerPool } from '../../../src/parallel/browser.js';

type Rec = Record<string, Tensor>;
const post = (x: unknown) => (globalThis as unknown as { postMessage(x: unknown): void }).postMessage(x);

function problem(n: number, batch: number): Rec {
  const rng = Rng.seeded(5);
  const L = randn([n, n], rng);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) for (let r = 0; r < n; r++) Q[i * n + j]! += (L.data[i * n + r]! * L.data[j * n + r]!) / n;
  for (let i = 0; i < n; i++) Q[i * n + i]! += 0.1;
  return { Q: new Tensor(Q, [n, n]), p: randn([batch, n], rng), G: randn([batch, n, n], rng), h: randu([batch, n], rng, 0.1, 1) };
}

function run(params: Rec, workers?: number): { z: Tensor; grads: Rec; status: readonly string[] } {
  let status: readonly string[] = [];
  const { value, pullback } = vjp((p: Rec) => {
    const out = qp(p as never, workers ? { workers } : {});
    status = out.info.status;
    return out.z;
  }, params);
  const cot = new Tensor(
    Float64Array.from({ length: value.size }, (_, i) => Math.sin(i)),
    value.shape,
  );
  return { z: value, grads: (pullback(cot) as [Rec])[0], status };
}

const maxDiff = (a: Tensor, b: Tensor) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

try {
  const pool = await openBrowserWorkerPool({
    size: 2,
    plugins: [new URL('./nodes-convex.js', import.meta.url).href],
    workerUrl: new URL('./worker.js', import.meta.url),
    minBatch: 2,
  });
  const params = problem(6, 13);
  const here = run(params);
  const there = run(params, 2);
  post({
    nodes: [...pool.nodes],
    exchanges: pool.exchanges,
    sameStatus: JSON.stringify(here.status) === JSON.stringify(there.status),
    diffZ: maxDiff(here.z, there.z),
    diffGrad: Math.max(...Object.keys(here.grads).map((k) => maxDiff(here.grads[k]!, there.grads[k]!))),
  });
  await pool.close();
} catch (e) {
  post({ error: String((e as Error)?.stack ?? e) });
}
