import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Rng } from '@argmin/autodiff';
import { analyzeLdl, type CscMatrix, cscFromTriplets, factorLdl, nnzOf, solveLdl } from '@argmin/autodiff/kernels';
import { medianMs, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Sparse LDLᵀ (kernels/sparse): symbolic analysis (AMD + elimination tree + L's pattern), numeric
 * factorization and solve with refinement, on
 *  - the KKT matrix [[0, Aᵀ], [A, −W]] of a random LP with n = 2000 variables, m = 4000
 *    inequalities, A at 1% density (20 Gaussian entries per row) and an IPM-like scaling W
 *    spread over four decades: the matrix the cone engine factors every iteration;
 *  - the same pattern with a dominant positive diagonal (SPD), so CHOLMOD's supernodal
 *    Cholesky (C + BLAS) can be timed on it;
 *  - the KKT matrix of the cone benchmark's dense LP (n = 100, m = 200, dense A), where the dual
 *    rows share all x rows and update the dense tail as one packed product;
 *  - the 5-point Laplacian of a 100×100 grid.
 * The peer column is CHOLMOD through cvxopt (python3-cvxopt, OPENBLAS_NUM_THREADS=1), measured in
 * the same run when /usr/bin/python3 has it: simplicial LDLᵀ for the quasi-definite KKT (CHOLMOD's
 * supernodal code is Cholesky only), supernodal Cholesky for the SPD matrices; nnz(L) rows compare
 * our AMD's fill with SuiteSparse AMD's ordering under our symbolic analysis. Debian's cvxopt links
 * the reference BLAS (libblas3), which is what CHOLMOD's supernodal kernels run on here. The
 * n = 1000 LP shows how the factorization grows: its dense tail is ~n, so time grows like n³.
 *
 *   pnpm exec tsx --conditions=source bench/sparse.bench.ts [--quick]
 */

interface Instance {
  readonly name: string;
  readonly upper: CscMatrix;
  readonly signs: Int8Array;
  readonly mode: 'ldl' | 'chol';
}

/** Upper triangle of the LP KKT matrix (x block first); `spd` swaps in a dominant positive diagonal. */
export function lpKkt(n: number, m: number, density: number, seed: number, spd = false): Instance {
  const rng = Rng.seeded(seed);
  const perRow = Math.max(1, Math.round(density * n));
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  const colAbs = new Float64Array(n);
  const picked = new Int32Array(n).fill(-1);
  for (let i = 0; i < m; i++) {
    let rowAbs = 0;
    for (let c = 0; c < perRow; ) {
      const j = Math.floor(rng.uniform() * n);
      if (picked[j] === i) continue;
      picked[j] = i;
      const v = rng.normal();
      rows.push(j), cols.push(n + i), vals.push(v);
      colAbs[j]! += Math.abs(v);
      rowAbs += Math.abs(v);
      c++;
    }
    const w = 10 ** (4 * rng.uniform() - 2);
    rows.push(n + i), cols.push(n + i), vals.push(spd ? rowAbs + 1 : -w);
  }
  for (let j = 0; j < n; j++) rows.push(j), cols.push(j), vals.push(spd ? colAbs[j]! + 1 : 0);
  const upper = cscFromTriplets(n + m, n + m, rows, cols, vals);
  const signs = new Int8Array(n + m).fill(1);
  if (!spd) signs.fill(-1, n);
  return { name: `${spd ? 'SPD twin of ' : ''}LP KKT n=${n} m=${m} 1%`, upper, signs, mode: spd ? 'chol' : 'ldl' };
}

/** The LP KKT with a dense A (the cone benchmark's LP, n = 100, m = 200), Gaussian entries. */
export function denseLpKkt(n: number, m: number, seed: number): Instance {
  const rng = Rng.seeded(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let j = 0; j < n; j++) rows.push(j), cols.push(j), vals.push(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) rows.push(j), cols.push(n + i), vals.push(rng.normal());
    rows.push(n + i), cols.push(n + i), vals.push(-(10 ** (4 * rng.uniform() - 2)));
  }
  const signs = new Int8Array(n + m).fill(1).fill(-1, n);
  return { name: `dense-A LP KKT n=${n} m=${m}`, upper: cscFromTriplets(n + m, n + m, rows, cols, vals), signs, mode: 'ldl' };
}

export function laplacian(k: number): Instance {
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const a = i * k + j;
      rows.push(a), cols.push(a), vals.push(4);
      if (i + 1 < k) rows.push(a), cols.push(a + k), vals.push(-1);
      if (j + 1 < k) rows.push(a), cols.push(a + 1), vals.push(-1);
    }
  }
  return {
    name: `Laplacian ${k}×${k}`,
    upper: cscFromTriplets(k * k, k * k, rows, cols, vals),
    signs: new Int8Array(k * k).fill(1),
    mode: 'chol',
  };
}

interface PeerResult {
  readonly symbolic_ms: number;
  readonly factor_ms: number;
  readonly solve_ms: number;
  readonly perm: number[];
}

/** The values with our default static regularization (±1e-8 on the diagonal), which CHOLMOD needs for the LP's zero x block. */
function regularized(s: Instance): Float64Array {
  const v = s.upper.values.slice();
  for (let j = 0; j < s.upper.ncols; j++) v[s.upper.colPtr[j + 1]! - 1]! += s.signs[j]! * 1e-8;
  return v;
}

/** CHOLMOD's timings and SuiteSparse AMD's ordering per instance, or null without python3-cvxopt. */
function cholmod(instances: readonly Instance[], runs: number): Record<string, PeerResult> | null {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import cvxopt.cholmod']).status !== 0) return null;
  const input = JSON.stringify({
    runs,
    matrices: instances.map((s) => ({
      name: s.name,
      n: s.upper.ncols,
      mode: s.mode,
      colPtr: Array.from(s.upper.colPtr),
      rowIdx: Array.from(s.upper.rowIdx),
      values: Array.from(regularized(s)),
    })),
  });
  const script = new URL('peers/cholmod_ldl.py', import.meta.url).pathname;
  const res = spawnSync(python, [script], { input, maxBuffer: 1 << 28, env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
  if (res.status !== 0) throw new Error(`cholmod peer failed: ${res.stderr.toString()}`);
  return JSON.parse(res.stdout.toString()) as Record<string, PeerResult>;
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const instances = [
    denseLpKkt(100, 200, 3),
    lpKkt(1000, 2000, 0.01, 1),
    lpKkt(2000, 4000, 0.01, 1),
    lpKkt(2000, 4000, 0.01, 1, true),
    laplacian(100),
  ];
  const runs = quick ? 3 : 7;
  const smallRuns = quick ? 50 : 200;
  const peers = cholmod(instances, quick ? 1 : 3);
  const rows: BenchRow[] = [];
  const group = 'kernels.sparse';
  // Warm the JIT on a small instance with a dense tail, so the first row does not pay compilation.
  const warm = lpKkt(200, 400, 0.05, 9);
  for (let r = 0; r < 5; r++)
    solveLdl(factorLdl(analyzeLdl(warm.upper), warm.upper.values, warm.signs), new Float64Array(600), new Float64Array(600));
  for (const inst of instances) {
    const n = inst.upper.ncols;
    const peer = peers?.[inst.name];
    const analyse = medianMs(() => analyzeLdl(inst.upper), quick ? 1 : 3, 1);
    const sym = analyzeLdl(inst.upper);
    let f = factorLdl(sym, inst.upper.values, inst.signs);
    const reps = n < 1000 ? smallRuns : runs;
    const factor = medianMs(() => (f = factorLdl(sym, inst.upper.values, inst.signs, undefined, f)), reps, n < 1000 ? 20 : 1);
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const x = new Float64Array(n);
    const solve = medianMs(() => solveLdl(f, b, x), reps * 3);
    const tail = n - sym.tailStart;
    const lp = inst.mode === 'ldl';
    const note = `nnz(K upper) ${nnzOf(inst.upper)}, dense tail ${tail}, ${(sym.flops / 1e6).toFixed(1)}e6 multiply-adds`;
    const peerName = inst.mode === 'ldl' ? 'CHOLMOD simplicial LDLᵀ' : 'CHOLMOD supernodal LLᵀ';
    rows.push(
      {
        group,
        name: `${inst.name}: analyze (AMD + symbolic)`,
        ours: analyse,
        unit: 'ms',
        ...(peer ? { peer: peer.symbolic_ms, peerName: 'CHOLMOD analyze (AMD)' } : {}),
      },
      {
        group,
        name: `${inst.name}: factor`,
        ours: factor,
        unit: 'ms',
        ...(peer ? { peer: peer.factor_ms, peerName } : {}),
        ...(lp && n === 6000 ? { target: '≪ 500 ms' } : {}),
        reference: note,
      },
      {
        group,
        name: `${inst.name}: solve + refinement (${f.lastSolve.steps} step${f.lastSolve.steps === 1 ? '' : 's'}, ‖r‖∞ ${f.lastSolve.residual.toExponential(0)})`,
        ours: solve,
        unit: 'ms',
        ...(peer ? { peer: peer.solve_ms, peerName: 'CHOLMOD solve (no refinement)' } : {}),
      },
      {
        group,
        name: `${inst.name}: nnz(L)`,
        ours: sym.nnzL,
        unit: 'entries',
        ...(peer
          ? { peer: analyzeLdl(inst.upper, { ordering: Int32Array.from(peer.perm) }).nnzL, peerName: 'SuiteSparse AMD ordering' }
          : {}),
        reference: `natural order ${analyzeLdl(inst.upper, { ordering: 'natural' }).nnzL}`,
      },
    );
  }
  rows.push({
    group,
    name: 'refactor + solve, LP KKT n=200 m=400 (dense tail, grouped Schur): heap growth per call',
    ours: heapGrowthKiB(lpKkt(200, 400, 0.05, 2)),
    unit: 'KiB',
    target: '0',
  });
  return rows;
}

/** Heap growth per factorLdl(…, into) + solveLdl call after the first (no allocation expected). */
function heapGrowthKiB(inst: Instance): number {
  const sym = analyzeLdl(inst.upper);
  const n = inst.upper.ncols;
  const b = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  const x = new Float64Array(n);
  let f = factorLdl(sym, inst.upper.values, inst.signs);
  for (let r = 0; r < 3; r++) solveLdl((f = factorLdl(sym, inst.upper.values, inst.signs, undefined, f)), b, x);
  const calls = 500;
  const before = process.memoryUsage().heapUsed;
  for (let r = 0; r < calls; r++) solveLdl((f = factorLdl(sym, inst.upper.values, inst.signs, undefined, f)), b, x);
  return Math.max(0, (process.memoryUsage().heapUsed - before) / calls / 1024);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
