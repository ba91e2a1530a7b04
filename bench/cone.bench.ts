import { pathToFileURL } from 'node:url';
import { Rng, Tensor, vjp } from '@argmin/autodiff';
import { cone } from '../packages/nodes-convex/src/cone/node.js';
import { projectCone } from '../packages/nodes-convex/src/cone/cones.js';
import { coneLayout, type ConeParams, type ConeSpec } from '../packages/nodes-convex/src/cone/problem.js';
import { medianMs, printRows } from './timing.js';
import type { BenchRow } from './types.js';

/**
 * Cone programs (convex.cone): an LP, an SOCP and an SDP at a few sizes, forward (solve to the
 * default 1e-9 scaled residuals) and forward + backward (the VJP of (x, y, s) for a random
 * cotangent, by the implicit derivative of the residual map).
 *
 *   pnpm exec tsx --conditions=source bench/cone.bench.ts [--quick]
 *
 * Instances have a known regular solution (SCS's construction: split a random z by Moreau into
 * s* and y*, b = Ax* + s*, c = −Aᵀy*), with z chosen so the solution is unique: an LP with
 * m = 2n rows of which exactly n are active; an SOCP with q cones of size 5, all active on their
 * boundaries, and n = 2q; the SDP is the nearest correlation matrix of order k. The Python
 * peers (diffcp, cvxpylayers over SCS) are not measured here: no JS peer exists.
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

/** min ‖X − C‖_F s.t. X ⪰ 0, diag X = 1, in (svec X, t). */
export function nearestCorrelation(k: number, rng: Rng): { params: ConeParams; cones: ConeSpec } {
  const p = (k * (k + 1)) / 2;
  const m = k + (p + 1) + p;
  const n = p + 1;
  const A = new Float64Array(m * n);
  const b = new Float64Array(m);
  let r = 0;
  for (let j = 0; j < k; j++)
    for (let i = j; i < k; i++, r++) {
      if (i === j) (A[j * n + r] = 1), (b[j] = 1);
      const cij = i === j ? 1 : Math.SQRT2 * Math.tanh(1.5 * rng.normal());
      A[(k + 1 + r) * n + r] = -1;
      b[k + 1 + r] = -cij;
      A[(k + p + 1 + r) * n + r] = -1;
    }
  A[k * n + p] = -1;
  const c = new Float64Array(n);
  c[p] = 1;
  return { params: { A: new Tensor(A, [m, n]), b: new Tensor(b, [m]), c: new Tensor(c, [n]) }, cones: { zero: k, soc: [p + 1], psd: [k] } };
}

export async function run({ quick = false }: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = Rng.seeded(7);
  const cases: [string, { params: ConeParams; cones: ConeSpec }][] = [
    ...(quick ? [10, 50] : [10, 50, 100]).map((n) => [`LP n=${n} m=${2 * n}`, lp(n, rng)] as [string, ReturnType<typeof lp>]),
    ...(quick ? [5, 20] : [5, 20, 50]).map((q) => [`SOCP ${q}×SOC(5) n=${2 * q}`, socp(q, rng)] as [string, ReturnType<typeof lp>]),
    ...(quick ? [5, 10] : [5, 10, 15]).map((k) => [`SDP NCM k=${k}`, nearestCorrelation(k, rng)] as [string, ReturnType<typeof lp>]),
  ];
  for (const [name, { params, cones }] of cases) {
    const check = cone(params, { cones });
    if (check.info.status[0] !== 'converged') throw new Error(`${name}: ${check.info.status[0]}`);
    const runs = quick ? 5 : 15;
    const fwd = medianMs(() => cone(params, { cones }), runs);
    const cot = [check.x, check.y, check.s].map(
      (t) =>
        new Tensor(
          t.data.map(() => rng.normal()),
          t.shape,
        ),
    );
    const both = medianMs(() => {
      const { pullback } = vjp(
        (A: Tensor, b: Tensor, c: Tensor) => {
          const o = cone({ A, b, c }, { cones });
          return [o.x, o.y, o.s];
        },
        params.A!,
        params.b,
        params.c,
      );
      pullback(cot);
    }, runs);
    const note = `${check.info.iterations[0]} it., residual ${check.info.residual[0]!.toExponential(0)}`;
    rows.push({
      group: 'convex.cone',
      name: `fwd ${name} (${note})`,
      ours: fwd,
      unit: 'ms',
      reference: 'diffcp/cvxpylayers (Python): not measured',
    });
    rows.push({ group: 'convex.cone', name: `fwd+bwd ${name}`, ours: both, unit: 'ms' });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await run({ quick: process.argv.includes('--quick') }));
}
