import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { Rng, Tensor, add, mul, randn, tanh, valueAndGrad, zeros } from '@argmin/autodiff';
import { gemm } from '@argmin/autodiff/kernels';
import { sum } from '../packages/autodiff/src/ops/reduce.js';
import { matmul } from '../packages/autodiff/src/ops/linalg.js';
import { loadTfjs, tfjsMatmul, tfjsMlpStep } from './peers/tfjs.js';
import type { BenchRow } from './types.js';

/**
 * autodiff benchmarks: gemm throughput (with a naive triple loop for reference) and one
 * forward + backward step of a small MLP, each beside @tensorflow/tfjs-core + tfjs-backend-cpu
 * 4.22 measured in the same run. tfjs computes in float32, we in float64.
 *
 *   pnpm exec tsx --conditions=source bench/autodiff.bench.ts [--quick]
 */

const PEER = 'tfjs-core 4.22 cpu (float32)';
const MLP = { batch: 32, width: 64, layers: 3 } as const;

/** Median milliseconds per call of `fn`, by tinybench (the median resists other load on the machine). */
async function timeMs(name: string, fn: () => unknown, { time, iterations }: { time: number; iterations: number }): Promise<number> {
  const bench = new Bench({ time, iterations, warmupTime: Math.min(time, 200), warmupIterations: Math.min(iterations, 5) });
  bench.add(name, () => {
    fn();
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`bench '${name}' ended in state ${result.state}`);
  return result.latency.p50;
}

const gflops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);

function randomMatrix(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n * n }, () => rng.uniform() * 2 - 1);
}

/** The textbook i-j-p loop: the baseline the blocked kernel is measured against. */
function naiveMatmul(n: number, a: Float64Array, b: Float64Array, c: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += a[i * n + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  }
}

/** One forward + backward step of the MLP with our valueAndGrad, on the same shapes as tfjs's. */
function oursMlpStep(rng: Rng): () => number {
  const { batch, width, layers } = MLP;
  const x = randn([batch, width], rng);
  const scaled = (t: Tensor) =>
    new Tensor(
      t.data.map((v) => v / Math.sqrt(width)),
      t.shape,
    );
  const params = {
    weights: Array.from({ length: layers }, () => scaled(randn([width, width], rng))),
    biases: Array.from({ length: layers }, () => zeros([width])),
  };
  const loss = (p: typeof params) => {
    let h = x;
    for (let l = 0; l < layers; l++) h = tanh(add(matmul(h, p.weights[l]!), p.biases[l]!));
    return sum(mul(h, h));
  };
  const step = valueAndGrad(loss);
  return () => (step(params)[0] as Tensor).item();
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rng = Rng.seeded(42);
  const tf = await loadTfjs();
  const time = quick ? 300 : 1500;
  const rows: BenchRow[] = [];

  for (const n of [256, 512]) {
    const a = randomMatrix(n, rng);
    const b = randomMatrix(n, rng);
    const c = new Float64Array(n * n);
    const ours = await timeMs(`gemm ${n}`, () => gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n), { time, iterations: 5 });
    const peer = await timeMs(`tfjs matMul ${n}`, tfjsMatmul(tf, n), { time, iterations: 5 });
    rows.push({
      group: 'autodiff',
      name: `gemm ${n}×${n}×${n}`,
      ours: gflops(n, ours),
      unit: 'GFLOP/s',
      peer: gflops(n, peer),
      peerName: PEER,
      target: '≥ 6',
    });
    const naive = await timeMs(`naive ${n}`, () => naiveMatmul(n, a, b, c), { time: quick ? 100 : 500, iterations: n > 256 ? 2 : 5 });
    rows.push({ group: 'autodiff', name: `naive triple loop ${n}×${n}×${n}`, ours: gflops(n, naive), unit: 'GFLOP/s' });
  }

  const { batch, width, layers } = MLP;
  const ours = await timeMs('mlp ours', oursMlpStep(rng), { time, iterations: 50 });
  const peer = await timeMs('mlp tfjs', tfjsMlpStep(tf, MLP), { time, iterations: 50 });
  rows.push({
    group: 'autodiff',
    name: `MLP fwd+bwd ${layers}×dense ${width}×${width} tanh, batch ${batch}`,
    ours,
    unit: 'ms',
    peer,
    peerName: PEER,
    target: 'faster than tfjs',
  });
  return rows;
}

function printTable(rows: readonly BenchRow[]): void {
  const fmt = (v: number | undefined) => (v === undefined ? '' : v < 10 ? v.toFixed(3) : v.toFixed(1));
  console.table(rows.map((r) => ({ name: r.name, ours: fmt(r.ours), peer: fmt(r.peer), unit: r.unit, target: r.target ?? '' })));
  if (rows.some((r) => r.peer !== undefined)) console.log(`peer: ${PEER}`);
  // Timings on a shared machine mean little without the load they were taken under.
  console.log(`1-minute load average at the end: ${loadavg()[0]!.toFixed(2)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await run({ quick: process.argv.includes('--quick') }));
}
