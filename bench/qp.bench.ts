import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { assertPsdBlocks } from '../packages/autodiff/src/optimization/checks.js';
import { qpElement } from '../packages/nodes-convex/src/qp/dense.js';
import { qp, type QpParams } from '../packages/nodes-convex/src/qp/node.js';
import { qpDims } from '../packages/nodes-convex/src/qp/problem.js';
import { routeEstimates } from '../packages/nodes-convex/src/qp/route.js';
import { sparseQp } from '../packages/nodes-convex/src/qp/sparse-data.js';
import { bandedQp } from '../packages/nodes-convex/test/qp/banded.js';
import { median, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Dense QP (OptNet) at n = 5 … 200 with m = n inequalities and k = max(1, n/5) equalities, on
 * the generator of the shared fixtures (Q = LLᵀ/n + 0.1I, Gaussian G and A, h = Gz₀ + s₀ with
 * s₀ ~ U[0, 1), b = Az₀): forward, and forward + backward (the VJP of z for a random cotangent),
 * for batch 1 and 64. The peer column is the `quadprog` npm package (Goldfarb–Idnani dual
 * active set, forward only, one element at a time) on the same instances; for n = 50, 100, 200
 * at B = 1 a second row has cvxopt's solvers.qp (C and BLAS, one thread, its default tolerances)
 * as the peer, measured in the same run by bench/peers/cvxopt_qp.py on the same instances when
 * /usr/bin/python3 has cvxopt (otherwise those rows have no peer).
 *
 *   pnpm exec tsx --conditions=source bench/qp.bench.ts [--quick]
 *
 * Times are the median over rounds of the mean per call in a round, after a warm-up.
 *
 * The 'convex.qp sparse' rows (issue #20) time the sparse route (solver: 'sparse', the cone
 * engine's sparse LDLᵀ interior point and a sparse polish) against the dense path (solver:
 * 'dense') on two families of large sparse QPs, node calls with batch 1 (both pay the node's
 * validation, whose PSD check of Q is a dense Cholesky: its own row). Each name says which route
 * 'auto' takes there and the router's two estimates (route.ts).
 */

const require = createRequire(import.meta.url);
const quadprog = require('quadprog') as {
  solveQP(D: number[][], d: number[], A: number[][], b: number[], meq: number): { solution: number[]; message: string };
};

/** The fixtures' generator, batched (every parameter carries the batch axis). */
export function randomQp(n: number, batch: number, seed: number): QpParams {
  const m = n;
  const k = Math.max(1, Math.floor(n / 5));
  const rng = Rng.seeded(seed);
  const normal = (len: number) => Float64Array.from({ length: len }, () => rng.normal());
  const Q = new Float64Array(batch * n * n),
    h = new Float64Array(batch * m),
    b = new Float64Array(batch * k);
  const p = normal(batch * n),
    G = normal(batch * m * n),
    A = normal(batch * k * n);
  for (let e = 0; e < batch; e++) {
    const L = normal(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += L[i * n + r]! * L[j * n + r]!;
        Q[e * n * n + i * n + j] = s / n + (i === j ? 0.1 : 0);
      }
    }
    const z0 = normal(n);
    for (let i = 0; i < m; i++) {
      let s = rng.uniform();
      for (let j = 0; j < n; j++) s += G[(e * m + i) * n + j]! * z0[j]!;
      h[e * m + i] = s;
    }
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) b[e * k + i]! += A[(e * k + i) * n + j]! * z0[j]!;
  }
  return {
    Q: new Tensor(Q, [batch, n, n]),
    p: new Tensor(p, [batch, n]),
    G: new Tensor(G, [batch, m, n]),
    h: new Tensor(h, [batch, m]),
    A: new Tensor(A, [batch, k, n]),
    b: new Tensor(b, [batch, k]),
  };
}

/** quadprog's 1-indexed inputs for element e: min −dᵀx + ½xᵀDx s.t. Cᵀx ≥ c₀, the first k equalities. */
function quadprogInputs(params: QpParams, e: number) {
  const n = params.p.shape[1]!;
  const m = params.h!.shape[1]!;
  const k = params.b!.shape[1]!;
  const at = (t: Tensor, i: number) => t.data[e * (t.size / t.shape[0]!) + i]!;
  const D: number[][] = [[]];
  const C: number[][] = [[]];
  const d: number[] = [0];
  const c0: number[] = [0];
  for (let i = 1; i <= n; i++) {
    D.push([0]);
    C.push([0]);
    d.push(-at(params.p, i - 1));
    for (let j = 1; j <= n; j++) D[i]![j] = at(params.Q, (i - 1) * n + j - 1);
    for (let r = 1; r <= k; r++) C[i]![r] = at(params.A!, (r - 1) * n + i - 1);
    for (let r = 1; r <= m; r++) C[i]![k + r] = -at(params.G!, (r - 1) * n + i - 1);
  }
  for (let r = 1; r <= k; r++) c0.push(at(params.b!, r - 1));
  for (let r = 1; r <= m; r++) c0.push(-at(params.h!, r - 1));
  return { D, d, C, c0, k };
}

/** quadprog overwrites D with its factor, so every call gets fresh copies (as a caller must). */
function quadprogSolve(inputs: ReturnType<typeof quadprogInputs>): number[] {
  const { D, d, C, c0, k } = inputs;
  const r = quadprog.solveQP(
    D.map((row) => row.slice()),
    d.slice(),
    C.map((row) => row.slice()),
    c0.slice(),
    k,
  );
  if (r.message) throw new Error(`quadprog: ${r.message}`);
  return r.solution;
}

/** Median over rounds of the mean milliseconds per call in a round, after a warm-up; slow calls get fewer rounds. */
function medianRoundMs(fn: () => unknown, budgetMs: number): number {
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  const slow = first > budgetMs / 2;
  const warm = performance.now();
  for (let i = 0; i < 200 && !slow && (i < 2 || performance.now() - warm < budgetMs / 4); i++) fn();
  const times: number[] = [];
  const start = performance.now();
  for (let round = 0; round < 30 && (round < (slow ? 2 : 3) || performance.now() - start < budgetMs); round++) {
    const last = times.at(-1) ?? first;
    const inner = last < 1 ? 10 : last < 10 ? 3 : 1;
    const t1 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t1) / inner);
  }
  return median(times);
}

const TARGETS: Record<string, string> = {
  'fwd+bwd n=20 B=1': '≤ 1 ms',
  'fwd+bwd n=50 B=1': '≤ 5 ms',
  'fwd+bwd n=20 B=64': '≤ 25 ms',
  'fwd n=50 B=1 vs cvxopt': '≤ 1.0× cvxopt',
  'fwd n=100 B=1 vs cvxopt': '≤ 1.0× cvxopt',
  'fwd n=200 B=1 vs cvxopt': '≤ 1.5× cvxopt',
};
/** The sizes with a cvxopt row (B = 1). */
const CVXOPT_SIZES = [50, 100, 200];

/** cvxopt's median wall time per instance (n = 50, 100, 200, B = 1), or null when /usr/bin/python3 has no cvxopt. */
function cvxopt(runs: number): Record<string, { ms: number; iterations: number; status: string; z: number[] }> | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import cvxopt'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const instances = CVXOPT_SIZES.map((n) => {
    const params = randomQp(n, 1, 1000 * n + 1);
    const list = (t: Tensor | undefined) => Array.from(t!.data);
    const [m, k] = [params.h!.shape[1]!, params.b!.shape[1]!];
    return {
      name: `n=${n}`,
      n,
      m,
      k,
      Q: list(params.Q),
      p: list(params.p),
      G: list(params.G),
      h: list(params.h),
      A: list(params.A),
      b: list(params.b),
    };
  });
  const out = execFileSync('/usr/bin/python3', [new URL('./peers/cvxopt_qp.py', import.meta.url).pathname], {
    input: JSON.stringify({ runs, instances }),
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    maxBuffer: 1 << 26,
  });
  return JSON.parse(out.toString());
}
const REFERENCES: Record<string, string> = {
  'fwd n=5 B=1': 'cvxopt 0.8–1.3 ms',
  'fwd n=20 B=1': 'cvxopt 0.8–1.3 ms',
  'fwd n=50 B=1': 'cvxopt 0.8–1.3 ms',
  'fwd+bwd n=5 B=1': 'qpth 10.5 ms',
  'fwd+bwd n=20 B=1': 'qpth 11.3 ms',
  'fwd+bwd n=50 B=1': 'qpth 12.6 ms',
  'fwd+bwd n=20 B=64': 'qpth 15.6 ms at B=8',
};

const T = (data: Float64Array, shape: number[]) => new Tensor(data, shape);

/**
 * A scattered sparse QP: Q = BᵀB + 0.1I with two random entries per row of B (about 4/n of Q
 * nonzero), m = n inequalities and n/20 equalities with `perRow` random nonzeros per row (default
 * 1%, at least 2), h = Gz₀ + U[0,1), b = Az₀. Random patterns fill the LDLᵀ factor far more than a band.
 */
export function scatteredQp(n: number, seed: number, perRow = Math.max(2, Math.round(0.01 * n))): QpParams {
  const rng = Rng.seeded(seed);
  const pick = () => Math.floor(rng.uniform() * n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const [a, c, va, vc] = [pick(), pick(), rng.normal(), rng.normal()];
    for (const [x, vx] of [
      [a, va],
      [c, vc],
    ] as const)
      for (const [y, vy] of [
        [a, va],
        [c, vc],
      ] as const)
        Q[x * n + y]! += vx * vy;
    Q[i * n + i]! += 0.1;
  }
  const z0 = Float64Array.from({ length: n }, () => rng.normal());
  const sparseRows = (rows: number, slack: boolean) => {
    const M = new Float64Array(rows * n);
    const rhs = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let t = 0; t < perRow; t++) M[i * n + pick()] = rng.normal();
      let v = slack ? rng.uniform() : 0;
      for (let j = 0; j < n; j++) v += M[i * n + j]! * z0[j]!;
      rhs[i] = v;
    }
    return [M, rhs] as const;
  };
  const [G, h] = sparseRows(n, true);
  const k = Math.max(1, Math.floor(n / 20));
  const [A, b] = sparseRows(k, false);
  const p = Float64Array.from({ length: n }, () => rng.normal());
  return { Q: T(Q, [n, n]), p: T(p, [n]), G: T(G, [n, n]), h: T(h, [n]), A: T(A, [k, n]), b: T(b, [k]) };
}

/** Sparse route vs dense path on the sparse families; every pair is checked to agree first. */
function sparseRows(quick: boolean, budget: number): BenchRow[] {
  const rows: BenchRow[] = [];
  const families = [
    // The dense path is timed up to `denseMax` (beyond, seconds to minutes a call).
    ['banded', bandedQp, quick ? [100, 250] : [100, 250, 500, 1000, 2000], 500],
    ['scattered', scatteredQp, quick ? [250] : [250, 500, 1000], 1000],
    ['scattered 2/row', (n: number, seed: number) => scatteredQp(n, seed, 2), quick ? [] : [1000, 2000], 1000],
  ] as const;
  for (const [family, make, sizes, denseMax] of families) {
    for (const n of sizes) {
      const params = make(n, n);
      const routed = qp(params, { solver: 'sparse' });
      const dense = n <= denseMax ? qp(params, { solver: 'dense' }) : null;
      if (routed.info.status[0] !== 'converged' || (dense && dense.info.status[0] !== 'converged'))
        throw new Error(`qp bench: ${family} n=${n}: ${routed.info.status} (sparse), ${dense?.info.status} (dense)`);
      let off = 0;
      if (dense) routed.z.data.forEach((v, i) => (off = Math.max(off, Math.abs(v - dense.z.data[i]!) / (1 + Math.abs(v)))));
      if (!(off <= 1e-6)) throw new Error(`qp bench: ${family} n=${n}: the routes disagree by ${off}`);
      const auto = qp(params).info.method![0]!.startsWith('sparse-') ? 'sparse' : 'dense';
      const el = qpElement(params, qpDims(params), 0);
      const est = routeEstimates(sparseQp(el));
      const nnz = [params.Q, params.G!, params.A!].reduce((a, t) => a + t.data.filter((v) => v !== 0).length, 0);
      const density = (100 * nnz) / (params.Q.size + params.G!.size + params.A!.size);
      const tag = `${family} n=${n} m=${el.m} (${density.toPrecision(2)}% nz, auto→${auto}, est. ${(est.sparseNs / 1e6).toPrecision(2)}/${(est.denseNs / 1e6).toPrecision(2)} ms)`;
      const ms = (solver: 'sparse' | 'dense') => medianRoundMs(() => qp(params, { solver }), budget);
      const row = (name: string, ours: number, peer?: number, peerName?: string): BenchRow => ({
        group: 'convex.qp sparse',
        ...{ name, ours, unit: 'ms' },
        ...(peer === undefined ? {} : { peer, peerName: peerName ?? 'dense path' }),
      });
      const peer = dense ? ms('dense') : undefined;
      rows.push(row(`fwd ${tag}`, ms('sparse'), peer, `dense path, ${dense?.info.method?.[0]}`));
      if (n === 500 || n === 2000) {
        const psd = medianRoundMs(() => assertPsdBlocks('convex.qp', 'Q', params.Q, 'symmetric'), budget);
        rows.push(row(`  of which the node's PSD check of Q, n=${n}`, psd));
      }
      if (n === 250 || n === 500) {
        const cot = T(
          Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1)),
          [n],
        );
        const fb = (solver: 'sparse' | 'dense') =>
          medianRoundMs(() => vjp((p: QpParams) => qp(p, { solver }).z, params).pullback(cot), budget);
        rows.push(row(`fwd+bwd ${family} n=${n}`, fb('sparse'), fb('dense')));
      }
    }
  }
  return rows;
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  if (process.argv.includes('--sparse-only')) return sparseRows(quick, quick ? 300 : 1500);
  const budget = quick ? 300 : 1500;
  const peerCvxopt = cvxopt(quick ? 7 : 21);
  for (const n of [5, 20, 50, 100, 200]) {
    for (const batch of [1, 64]) {
      if (quick && n * batch > 3200) continue;
      const params = randomQp(n, batch, 1000 * n + batch);
      const cot = new Tensor(
        Float64Array.from({ length: batch * n }, (_, i) => Math.sin(i + 1)),
        [batch, n],
      );
      const out = qp(params);
      if (!out.info.status.every((s) => s === 'converged'))
        throw new Error(`qp bench: n=${n} B=${batch} did not converge: ${out.info.status.join(',')}`);
      const inputs = Array.from({ length: batch }, (_, e) => quadprogInputs(params, e));
      // The peer must agree before its time means anything.
      let diff = 0;
      inputs.forEach((inp, e) =>
        quadprogSolve(inp)
          .slice(1)
          .forEach((v, i) => (diff = Math.max(diff, Math.abs(v - out.z.data[e * n + i]!)))),
      );
      if (!(diff <= 1e-6)) throw new Error(`qp bench: quadprog disagrees by ${diff} at n=${n} B=${batch}`);

      const fwd = medianRoundMs(() => qp(params), budget);
      const peer = medianRoundMs(() => inputs.forEach(quadprogSolve), budget);
      const fwdBwd = medianRoundMs(() => vjp((p: QpParams) => qp(p).z, params).pullback(cot), budget);
      const name = (what: string) => `${what} n=${n} B=${batch}`;
      for (const [what, ms] of [
        ['fwd', fwd],
        ['fwd+bwd', fwdBwd],
      ] as const) {
        const label = name(what);
        rows.push({
          group: 'convex.qp',
          name: label,
          ours: ms,
          unit: 'ms',
          ...(what === 'fwd' ? { peer, peerName: 'quadprog' } : {}),
          ...(TARGETS[label] ? { target: TARGETS[label] } : {}),
          ...(REFERENCES[label] ? { reference: REFERENCES[label] } : {}),
        });
      }
      const c = batch === 1 ? peerCvxopt?.[`n=${n}`] : undefined;
      if (c) {
        // cvxopt stops at its default tolerances (about 1e-7 relative): it agrees to that, not to ours.
        let off = 0;
        c.z.forEach((v, i) => (off = Math.max(off, Math.abs(v - out.z.data[i]!) / (1 + Math.abs(out.z.data[i]!)))));
        if (c.status !== 'optimal' || !(off <= 1e-3)) throw new Error(`qp bench: cvxopt ${c.status}, off by ${off} at n=${n}`);
        const label = `${name('fwd')} vs cvxopt`;
        rows.push({
          group: 'convex.qp',
          name: label,
          ours: fwd,
          unit: 'ms',
          peer: c.ms,
          peerName: `cvxopt qp, ${c.iterations} it.`,
          target: TARGETS[label]!,
        });
      }
    }
  }
  rows.push(...sparseRows(quick, budget));
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
