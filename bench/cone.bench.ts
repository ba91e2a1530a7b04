import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { openKernelThreads } from '@argmin/autodiff/parallel';
import type { CscPattern } from '@argmin/autodiff/kernels';
import { cone } from '../packages/nodes-convex/src/cone/node.js';
import { projectCone } from '../packages/nodes-convex/src/cone/cones.js';
import { coneLayout, type ConeParams, type ConeSpec } from '../packages/nodes-convex/src/cone/problem.js';
import { nearestCorrelation } from '../packages/nodes-convex/test/cone/correlation.js';
import { alternatingMedians, alternatingTimes, median, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Cone programs (convex.cone), forward and forward + backward (the VJP of (x, y, s) for a random
 * cotangent), against cvxopt's conelp measured in the same run (bench/peers/cvxopt_cone.py, one
 * BLAS thread, tolerances 1e-9) when /usr/bin/python3 has cvxopt; otherwise that column is empty.
 *
 *   pnpm exec tsx --conditions=source bench/cone.bench.ts [--quick]
 *
 * Instances have a known regular solution (SCS's construction: split a random z by Moreau into
 * s* and y*, b = Ax* + s*, c = −Aᵀy*), with z chosen so the solution is unique: an LP with
 * m = 2n rows of which exactly n are active; an SOCP with q cones of size 5, all active on their
 * boundaries, and n = 2q; the SDP is the nearest correlation matrix of order k. 'ipm' rows stop
 * the interior point at the 1e-9 residuals cvxopt is asked for; the default rows add the
 * Gauss–Newton polish curved cones get (solutions to round-off, exact gradients). The sparse LP
 * rows (n variables, 2n inequalities, 1% density, tol 1e-8) pass A as Aval on a CSC pattern.
 * The dense rows of an instance are timed in alternating rounds (medians), so the JIT's warm-up
 * and one variant's garbage do not fall on one row alone.
 */

function known(spec: ConeSpec, n: number, z: Float64Array, rng: Rng): ConeParams {
  const layout = coneLayout(spec);
  const m = layout.m;
  const A = Float64Array.from({ length: m * n }, () => rng.normal() / Math.sqrt(n));
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const s = new Float64Array(m);
  projectCone(layout, false, z, s);
  const y = s.map((v, i) => v - z[i]!);
  const b = s.slice();
  const c = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) (b[i]! += A[i * n + j]! * x[j]!), (c[j]! -= A[i * n + j]! * y[i]!);
  return { A: new Tensor(A, [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) };
}

export function lp(n: number, rng: Rng): { params: ConeParams; cones: ConeSpec } {
  const m = 2 * n;
  // Exactly n active rows (z < 0 ⇒ y > 0, s = 0), in random positions.
  const z = Float64Array.from({ length: m }, (_, i) => (i < n ? -1 : 1) * (0.2 + rng.uniform()));
  for (let i = m - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [z[i], z[j]] = [z[j]!, z[i]!];
  }
  const cones = { nonneg: m };
  return { params: known(cones, n, z, rng), cones };
}

export function socp(q: number, rng: Rng): { params: ConeParams; cones: ConeSpec } {
  const k = 5;
  const z = new Float64Array(q * k);
  for (let c = 0; c < q; c++) {
    // |t| < ‖u‖: both parts on the cones' boundaries.
    const u = Array.from({ length: k - 1 }, () => rng.normal());
    const r = Math.hypot(...u);
    z[c * k] = (2 * rng.uniform() - 1) * 0.8 * r;
    u.forEach((v, i) => (z[c * k + 1 + i] = v));
  }
  const cones = { soc: new Array<number>(q).fill(k) };
  return { params: known(cones, 2 * q, z, rng), cones };
}

/** A sparse LP with a known unique solution: n variables, m = 2n rows (the even ones active), each entry nonzero w.p. `density`. */
export function sparseLp(n: number, density: number, rng: Rng): { params: ConeParams; cones: ConeSpec; pattern: CscPattern } {
  const m = 2 * n;
  const colPtr = new Int32Array(n + 1);
  const rows: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < n; j++) {
    const set = new Set<number>([Math.floor(rng.uniform() * m), (j * 2) % m, (j * 2 + 1) % m]);
    const extra = Math.round(density * m);
    for (let k = 0; k < extra; k++) set.add(Math.floor(rng.uniform() * m));
    const sorted = [...set].sort((a, b) => a - b);
    for (const i of sorted) {
      rows.push(i);
      // Row 2j is active and carries a strong entry of column j: the active rows are then
      // structurally nonsingular, so the solution is unique (a random sparse active set often is not).
      vals.push(i === (j * 2) % m ? 3 + Math.abs(rng.normal()) : rng.normal());
    }
    colPtr[j + 1] = rows.length;
  }
  const pattern: CscPattern = { nrows: m, ncols: n, colPtr, rowIdx: Int32Array.from(rows) };
  const Aval = Float64Array.from(vals);
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const z = Float64Array.from({ length: m }, (_, i) => (i % 2 === 0 ? -1 : 1) * (0.2 + rng.uniform()));
  const s = z.map((v) => Math.max(v, 0));
  const y = z.map((v) => Math.max(-v, 0));
  const b = s.slice();
  const c = new Float64Array(n);
  for (let j = 0; j < n; j++)
    for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) {
      const i = pattern.rowIdx[q]!;
      b[i]! += Aval[q]! * x[j]!;
      c[j]! -= Aval[q]! * y[i]!;
    }
  return { params: { Aval: new Tensor(Aval, [Aval.length]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, cones: { nonneg: m }, pattern };
}

/**
 * min cᵀx s.t. ‖x − x₀‖ ≤ r, A sparse (one entry per column): a single second-order cone of size
 * n + 1, which the sparse KKT matrix carries expanded (diagonal plus two columns) instead of as a
 * dense (n+1)² block. Known answer x₀ − r·c/‖c‖.
 */
export function sparseBall(n: number, rng: Rng): { params: ConeParams; cones: ConeSpec; pattern: CscPattern } {
  const x0 = Float64Array.from({ length: n }, () => rng.normal());
  const c = Float64Array.from({ length: n }, () => rng.normal());
  const b = Float64Array.from([0.5 + rng.uniform(), ...x0.map((v) => -v)]);
  const pattern: CscPattern = {
    nrows: n + 1,
    ncols: n,
    colPtr: Int32Array.from({ length: n + 1 }, (_, j) => j),
    rowIdx: Int32Array.from({ length: n }, (_, j) => 1 + j),
  };
  const Aval = new Float64Array(n).fill(-1);
  return { params: { Aval: new Tensor(Aval, [n]), b: new Tensor(b, [n + 1]), c: new Tensor(c, [n]) }, cones: { soc: [n + 1] }, pattern };
}

type Instance = { name: string; params: ConeParams; cones: ConeSpec; pattern?: CscPattern; tol?: number };

/** cvxopt's median per instance, or null when /usr/bin/python3 has no cvxopt. */
function cvxopt(
  instances: readonly Instance[],
  runs: number,
): Record<string, { ms: number; times: number[]; iterations: number; status: string; tol: number }> | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import cvxopt'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const spec = {
    runs,
    instances: instances.map(({ name, params, cones, pattern, tol }) => ({
      runs: pattern ? 1 : runs,
      name,
      m: params.b.size,
      n: params.c.size,
      ...(pattern
        ? { colPtr: Array.from(pattern.colPtr), rowIdx: Array.from(pattern.rowIdx), values: Array.from(params.Aval!.data) }
        : { A: Array.from(params.A!.data) }),
      b: Array.from(params.b.data),
      c: Array.from(params.c.data),
      cones,
      tol: tol ?? 1e-9,
    })),
  };
  const out = execFileSync('/usr/bin/python3', [new URL('./peers/cvxopt_cone.py', import.meta.url).pathname], {
    input: JSON.stringify(spec),
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    maxBuffer: 1 << 28,
  });
  return JSON.parse(out.toString());
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = Rng.seeded(7);
  const dense: Instance[] = [
    { name: 'LP n=100 m=200', ...lp(100, rng) },
    { name: 'SOCP 50×SOC(5) n=100', ...socp(50, rng) },
    { name: 'SDP NCM k=15', ...nearestCorrelation(15, rng) },
  ];
  const sparse: Instance[] = [250, 500, 1000, 2000].map((n) => {
    const inst = sparseLp(n, 0.01, rng);
    return { name: `sparse LP n=${n} m=${2 * n} 1%`, ...inst, tol: 1e-8 };
  });
  const ball: Instance = { name: 'sparse SOCP one SOC(1001) n=1000', ...sparseBall(1000, rng), tol: 1e-9 };
  const runs = quick ? 5 : 15;
  // cvxopt forms the dense normal equations for the sparse LPs too: skip its n = 2000 run (minutes under load).
  const peer = cvxopt([...sparse.filter((s) => s.params.c.size <= 1000), ball], quick ? 3 : runs) ?? {};
  const peerCell = (name: string) =>
    peer[name] ? { peer: peer[name]!.ms, peerName: `cvxopt conelp, ${peer[name]!.iterations} it., tol ${peer[name]!.tol}` } : {};
  const targets: Record<string, string> = {
    'LP n=100 m=200': '≤ cvxopt',
    'SOCP 50×SOC(5) n=100': '≤ 0.5× cvxopt',
    'SDP NCM k=15': '≤ cvxopt',
  };
  // The dense instances and cvxopt take turns, round by round, and each side's times are pooled:
  // this host runs at one of two speeds (~1.6× apart) for seconds at a time, and each side should
  // see both alike: three timed runs of each per round (cvxopt in a fresh process, warmed by a
  // solve); with one run per round the LP's median moved by 30% between runs of the bench. Each
  // side is warmed in its turn (cvxopt by its tolerance probe and one solve, ours by two calls of
  // each kind): the other side's process has just had the core and its caches.
  const prepared = dense.map((inst) => denseCalls(inst, rng));
  const ours = prepared.map(() => ({ fwdIpm: [] as number[], fwd: [] as number[], bothIpm: [] as number[], bothDefault: [] as number[] }));
  const peerTimes: Record<string, number[]> = {};
  const rounds = quick ? 3 : runs;
  const perRound = quick ? 1 : 3;
  // Per round, the ratios of that round's medians: the two sides of a ratio ran within a second
  // of each other, so a ratio is not moved by the host's speed phases the way pooled medians are.
  const perRoundRatios = prepared.map(() => ({ peer: [] as number[], backward: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    const round = cvxopt(dense, perRound) ?? {};
    for (const [name, v] of Object.entries(round)) {
      (peerTimes[name] ??= []).push(...v.times);
      peer[name] = { ...v, ms: median(peerTimes[name]!) };
    }
    prepared.forEach(({ calls, name }, i) => {
      const t = alternatingTimes(calls, perRound, r === 0 ? 5 : 2);
      for (const k of Object.keys(t) as (keyof typeof t)[]) ours[i]![k].push(...t[k]);
      if (round[name]) perRoundRatios[i]!.peer.push(median(t.fwdIpm) / median(round[name]!.times));
      perRoundRatios[i]!.backward.push(median(t.bothIpm) / median(t.fwdIpm));
    });
  }
  prepared.forEach(({ name, cones, check, checkIpm }, i) => {
    const { fwdIpm, fwd, bothIpm, bothDefault } = ours[i]!;
    const m = { fwdIpm: median(fwdIpm), fwd: median(fwd), bothIpm: median(bothIpm), bothDefault: median(bothDefault) };
    const it = `${checkIpm.info.iterations[0]} it., residual ${checkIpm.info.residual[0]!.toExponential(0)}`;
    rows.push({
      group: 'convex.cone',
      name: `fwd ipm ${name} (${it})`,
      ours: m.fwdIpm,
      unit: 'ms',
      ...peerCell(name),
      target: targets[name]!,
    });
    rows.push({
      group: 'convex.cone',
      name: `fwd+bwd ipm ${name} (${cones.nonneg && !cones.soc && !cones.psd ? 'KKT' : 'residual-map'} VJP)`,
      ours: m.bothIpm,
      unit: 'ms',
      target: `≤ 1.3× fwd (${(1.3 * m.fwdIpm).toFixed(1)})`,
    });
    const ratios = perRoundRatios[i]!;
    if (ratios.peer.length)
      rows.push({
        group: 'convex.cone',
        name: `ratio fwd ipm ${name} / cvxopt (median of ${ratios.peer.length} per-round ratios)`,
        ours: median(ratios.peer),
        unit: '×',
        target: targets[name]!.replace('× cvxopt', '').replace('cvxopt', '1'),
      });
    rows.push({
      group: 'convex.cone',
      name: `ratio fwd+bwd / fwd ipm ${name} (median of ${ratios.backward.length} per-round ratios)`,
      ours: median(ratios.backward),
      unit: '×',
      target: '≤ 1.3',
    });
    rows.push({
      group: 'convex.cone',
      name: `fwd ${name} (default; ${check.info.iterations[0]} it. incl. polish, residual ${check.info.residual[0]!.toExponential(0)})`,
      ours: m.fwd,
      unit: 'ms',
    });
    rows.push({
      group: 'convex.cone',
      name: `fwd+bwd ${name} (default)`,
      ours: m.bothDefault,
      unit: 'ms',
      target: `≤ 1.3× fwd (${(1.3 * m.fwd).toFixed(1)})`,
    });
  });
  for (const inst of [...sparse, ball]) rows.push(...sparseRows(inst, rng, quick, '', peerCell));
  // The largest LPs again with one kernel thread (openKernelThreads): the dense tail's products
  // shared between the two cores.
  const threads = await openKernelThreads({ threads: 1 });
  try {
    for (const inst of sparse.filter((s) => s.params.c.size >= 1000))
      rows.push(...sparseRows(inst, rng, quick, ', 1 kernel thread', () => ({})));
  } finally {
    await threads.close();
  }
  return rows;
}

/** A dense instance's four timed calls (forward and forward + backward, with and without the polish), after checked solves. */
function denseCalls({ name, params, cones }: Instance, rng: Rng) {
  const ipmOnly = { cones, polish: false } as const;
  const check = cone(params, { cones });
  const checkIpm = cone(params, ipmOnly);
  if (check.info.status[0] !== 'converged' || checkIpm.info.status[0] !== 'converged') throw new Error(`${name}: ${check.info.status[0]}`);
  const cot = [check.x, check.y, check.s].map(
    (t) =>
      new Tensor(
        t.data.map(() => rng.normal()),
        t.shape,
      ),
  );
  const both = (opts: object) => () => {
    const { pullback } = vjp(
      (A: Tensor, b: Tensor, c: Tensor) => {
        const o = cone({ A, b, c }, { cones, ...opts });
        return [o.x, o.y, o.s];
      },
      params.A!,
      params.b,
      params.c,
    );
    pullback(cot);
  };
  const calls = {
    fwdIpm: () => cone(params, ipmOnly),
    fwd: () => cone(params, { cones }),
    bothIpm: both({ polish: false }),
    bothDefault: both({}),
  };
  return { name, cones, check, checkIpm, calls };
}

/** Forward and forward + backward of a sparse instance, `r` timed runs after a checked solve. */
function sparseRows(
  { name, params, cones, pattern, tol }: Instance,
  rng: Rng,
  quick: boolean,
  how: string,
  peerCell: (name: string) => Partial<BenchRow>,
): BenchRow[] {
  // The interior point alone for the cone: the default polish's dense residual-map LU is O((n+m)³).
  const opts = { cones, sparsity: { A: pattern! }, tol: tol!, ...(cones.soc ? { polish: false } : {}) };
  const t0 = performance.now();
  const check = cone(params, opts);
  const first = performance.now() - t0;
  if (check.info.status[0] !== 'converged') throw new Error(`${name}: ${check.info.status[0]}`);
  // Runs by cost (a first call includes the symbolic analysis): many for the fast instances, whose
  // medians the host's speed swings would otherwise decide; n = 2000 takes seconds.
  const r = first < 100 ? (quick ? 3 : 15) : first < 1000 ? (quick ? 1 : 5) : quick ? 1 : 3;
  const cot = new Tensor(
    check.x.data.map(() => rng.normal()),
    check.x.shape,
  );
  // Forward and forward + backward alternate, so the ratio compares runs of the same period.
  const { fwd, both } = alternatingMedians(
    {
      fwd: () => cone(params, opts),
      both: () => {
        const { pullback } = vjp((Aval: Tensor) => cone({ ...params, Aval }, opts).x, params.Aval!);
        pullback(cot);
      },
    },
    r,
    r > 3 ? 4 : 1,
  );
  const it = `${check.info.iterations[0]} it., residual ${check.info.residual[0]!.toExponential(0)}`;
  return [
    {
      group: 'convex.cone',
      name: `fwd ${name} (${it}${how})`,
      ours: fwd,
      unit: 'ms',
      ...(how === '' ? peerCell(name) : {}),
      ...(name.includes('n=2000') ? { target: '< 2000 ms' } : {}),
    },
    {
      group: 'convex.cone',
      name: `fwd+bwd ${name} (∂x/∂Aval${how})`,
      ours: both,
      unit: 'ms',
      target: `≤ 1.3× fwd (${(1.3 * fwd).toFixed(0)})`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
