import { pathToFileURL } from 'node:url';
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { cone, qp } from '@argmin/nodes-convex';
import { convexLayer, minimize, parameter, problem, quadForm, variable } from '@argmin/model';
import { medianMs, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * The modeling layer's overhead (@argmin/model): a layer call against a direct call of the node
 * it compiles to, on the same data, forward + backward (the VJP of x for a random cotangent), in
 * the same run (CPU time, pairs in random order; see pairedMedians). The target is a ratio ≤ 1.2. Compiling happens once per layer and is
 * timed on its own row.
 *
 * - LP n = 100: min cᵀx s.t. Ax ≤ b with m = 2n rows, exactly n active at a known solution
 *   (SCS's construction), all of A, b, c parameters; compiles to the cone node's LP as is.
 * - QP n = 20 (OptNet): min ½xᵀQx + pᵀx s.t. Gx ≤ h, Ax = b, m = n, k = n/5, all parameters;
 *   compiles to the QP node.
 *
 *   pnpm exec tsx --conditions=source bench/model.bench.ts [--quick]
 */

const normal = (rng: Rng, len: number) => Float64Array.from({ length: len }, () => rng.normal());

function lpData(n: number, rng: Rng): { A: Tensor; b: Tensor; c: Tensor } {
  const m = 2 * n;
  const A = Float64Array.from(normal(rng, m * n), (v) => v / Math.sqrt(n));
  const x = normal(rng, n);
  // z < 0 on n random rows: active there (s = 0, y > 0), slack elsewhere (s > 0, y = 0).
  const z = Float64Array.from({ length: m }, (_, i) => (i < n ? -1 : 1) * (0.2 + rng.uniform()));
  for (let i = m - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [z[i], z[j]] = [z[j]!, z[i]!];
  }
  const b = new Float64Array(m);
  const c = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const s = Math.max(z[i]!, 0);
    const y = s - z[i]!;
    b[i] = s;
    for (let j = 0; j < n; j++) {
      b[i]! += A[i * n + j]! * x[j]!;
      c[j]! -= A[i * n + j]! * y;
    }
  }
  return { A: new Tensor(A, [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) };
}

function qpData(n: number, rng: Rng) {
  const m = n;
  const k = Math.max(1, Math.floor(n / 5));
  const L = normal(rng, n * n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 0.1 : 0;
      for (let r = 0; r < n; r++) s += (L[i * n + r]! * L[j * n + r]!) / n;
      Q[i * n + j] = s;
    }
  }
  const G = normal(rng, m * n);
  const A = normal(rng, k * n);
  const z0 = normal(rng, n);
  const h = Float64Array.from({ length: m }, (_, i) => rng.uniform() + G.slice(i * n, i * n + n).reduce((s, g, j) => s + g * z0[j]!, 0));
  const b = Float64Array.from({ length: k }, (_, i) => A.slice(i * n, i * n + n).reduce((s, a, j) => s + a * z0[j]!, 0));
  return {
    Q: new Tensor(Q, [n, n]),
    p: new Tensor(normal(rng, n), [n]),
    G: new Tensor(G, [m, n]),
    h: new Tensor(h, [m]),
    A: new Tensor(A, [k, n]),
    b: new Tensor(b, [k]),
  };
}

/**
 * Medians of two functions timed in pairs after a warm-up, each pair in a random order (a fixed
 * a-then-b order lets one call's garbage fall on the other), as CPU time of this process: the
 * machine is often shared, and CPU time leaves out the time other processes hold the core,
 * which wall time would add to whichever call it hit.
 */
function pairedMedians(a: () => void, b: () => void, runs: number, rng: Rng): [number, number] {
  // Warm-up long enough for the JIT to settle on both (the layer has more code to optimize).
  for (let i = 0; i < Math.max(3, runs >> 2); i++) a(), b();
  const ta: number[] = [];
  const tb: number[] = [];
  const cpuMs = (f: () => void) => {
    const t0 = process.cpuUsage();
    f();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
  for (let i = 0; i < runs; i++) {
    if (rng.uniform() < 0.5) {
      ta.push(cpuMs(a));
      tb.push(cpuMs(b));
    } else {
      tb.push(cpuMs(b));
      ta.push(cpuMs(a));
    }
  }
  const med = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!;
  return [med(ta), med(tb)];
}

/** Forward + backward of x for a fixed cotangent. */
function fwdBwd(f: (...ts: Tensor[]) => Tensor, args: Tensor[], cot: Tensor): void {
  const { pullback } = vjp((...ts: Tensor[]) => f(...ts), ...args);
  pullback(cot);
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = Rng.seeded(14);
  const runs = quick ? 5 : 15;

  {
    const n = 100;
    const data = lpData(n, rng);
    const A = parameter([2 * n, n]);
    const b = parameter([2 * n]);
    const c = parameter([n]);
    const x = variable([n]);
    const prob = problem(minimize(c.dot(x)), [A.matmul(x).le(b)]);
    const compileMs = medianMs(() => convexLayer(prob, { parameters: [A, b, c], variables: [x] }), quick ? 3 : 5, 1);
    const layer = convexLayer(prob, { parameters: [A, b, c], variables: [x] });
    const cot = new Tensor(normal(rng, n), [n]);
    const args = [data.A, data.b, data.c];
    const spec = layer.program.cones;
    const viaLayer = () => fwdBwd((a, bb, cc) => layer([a!, bb!, cc!])[0]!, args, cot);
    const direct = () => fwdBwd((a, bb, cc) => cone({ A: a!, b: bb!, c: cc! }, { cones: spec }).x, args, cot);
    const [ours, peer] = pairedMedians(viaLayer, direct, runs, rng);
    rows.push({ group: 'model', name: `compile LP n=${n} m=${2 * n} (once per layer)`, ours: compileMs, unit: 'ms' });
    rows.push({ group: 'model', name: `LP n=${n} fwd+bwd: layer vs cone node`, ours, unit: 'ms', peer, peerName: 'cone node, same data' });
    rows.push({ group: 'model', name: `LP n=${n} layer / node`, ours: ours / peer, unit: '×', target: '≤ 1.2' });
  }
  {
    const n = 20;
    const d = qpData(n, rng);
    const Q = parameter([n, n], { psd: true });
    const p = parameter([n]);
    const G = parameter(d.G.shape);
    const h = parameter(d.h.shape);
    const A = parameter(d.A.shape);
    const b = parameter(d.b.shape);
    const x = variable([n]);
    const prob = problem(minimize(quadForm(x, Q).mul(0.5).add(p.dot(x))), [A.matmul(x).eq(b), G.matmul(x).le(h)]);
    const compileMs = medianMs(() => convexLayer(prob, { parameters: [Q, p, G, h, A, b], variables: [x] }), quick ? 3 : 5, 1);
    const layer = convexLayer(prob, { parameters: [Q, p, G, h, A, b], variables: [x] });
    const cot = new Tensor(normal(rng, n), [n]);
    const args = [d.Q, d.p, d.G, d.h, d.A, d.b];
    const viaLayer = () => fwdBwd((...t) => layer(t)[0]!, args, cot);
    const direct = () => fwdBwd((Qa, pa, Ga, ha, Aa, ba) => qp({ Q: Qa!, p: pa!, G: Ga!, h: ha!, A: Aa!, b: ba! }).z, args, cot);
    const [ours, peer] = pairedMedians(viaLayer, direct, runs * 30, rng);
    rows.push({ group: 'model', name: `compile QP n=${n} (once per layer)`, ours: compileMs, unit: 'ms' });
    rows.push({ group: 'model', name: `QP n=${n} fwd+bwd: layer vs qp node`, ours, unit: 'ms', peer, peerName: 'qp node, same data' });
    rows.push({ group: 'model', name: `QP n=${n} layer / node`, ours: ours / peer, unit: '×', target: '≤ 1.2' });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printRows(await run({ quick: process.argv.includes('--quick') }));
