// Runs inside the temporary consumer project, against the installed tarballs: what a new user
// does first. A QP and its gradient, an LQR, the standalone viewer page, and the `argmin` CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { grad, sum, tensor, trace } from '@argmin/autodiff';
import { analyzeLdl, factorLdl, solveLdl } from '@argmin/autodiff/kernels';
import { openKernelThreads } from '@argmin/autodiff/parallel';
import { toJSON } from '@argmin/graph';
import { lqr } from '@argmin/nodes-control';
import { qp } from '@argmin/nodes-convex';
import { renderViewerHtml } from '@argmin/viz/node';

const fail = (what) => {
  console.error(`consumer smoke: ${what}`);
  process.exit(1);
};
const close = (a, b, tol = 1e-5) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

// argmin ½‖z‖² + pᵀz s.t. z ≤ (1, 1), at p = (−2, −0.5): z = (1, 0.5), the first constraint
// active. d(Σz)/dp = (0, −1): the active coordinate does not move, the free one follows −p.
const G = tensor([
  [1, 0],
  [0, 1],
]);
const Q = tensor([
  [1, 0],
  [0, 1],
]);
const h = tensor([1, 1]);
const solveZ = (p) => qp({ Q, p, G, h }).z;
const z = solveZ(tensor([-2, -0.5]));
if (!close(z.data[0], 1, 1e-4) || !close(z.data[1], 0.5, 1e-4)) fail(`QP solution ${Array.from(z.data)} ≠ (1, 0.5)`);
const dp = grad((p) => sum(solveZ(p)))(tensor([-2, -0.5]));
if (!close(dp.data[0], 0, 1e-4) || !close(dp.data[1], -1, 1e-4)) fail(`QP gradient ${Array.from(dp.data)} ≠ (0, −1)`);

// LQR over 3 steps (2 transitions), one state and one control: x_{t+1} = x_t + u_t, cost ½(x² + u²).
const T = 3;
const C = tensor(
  Array.from({ length: T }, () => [
    [1, 0],
    [0, 1],
  ]),
);
const c = tensor(Array.from({ length: T }, () => [0, 0]));
const F = tensor(Array.from({ length: T - 1 }, () => [[1, 1]]));
const { x, u } = lqr({ C, c, F, x0: tensor([1]) });
if (x.shape.join() !== '3,1' || u.shape.join() !== '3,1') fail(`LQR shapes x ${x.shape} u ${u.shape}`);
if (!(u.data[0] < 0 && u.data[0] > -1)) fail(`LQR first control ${u.data[0]} should pull the state towards 0`);

// The viewer page, from a traced graph.
const graph = toJSON(trace((p) => sum(solveZ(p)), [tensor([-2, -0.5])], { name: 'consumer QP', argNames: ['p'] }));
const html = renderViewerHtml(graph);
if (!html.includes('"consumer QP"') || !html.includes('Content-Security-Policy'))
  fail('renderViewerHtml: the page lacks the graph or its CSP');
mkdirSync('out', { recursive: true });
writeFileSync('out/graph.json', JSON.stringify(graph));
writeFileSync('out/viewer.html', html);

// The installed CLI.
const cli = join('node_modules', '.bin', 'argmin');
const ok = spawnSync(cli, ['view', 'out/graph.json', '-o', 'out/cli.html'], { encoding: 'utf8' });
if (ok.status !== 0 || !existsSync('out/cli.html')) fail(`argmin view exited ${ok.status}: ${ok.stderr}`);
if (!readFileSync('out/cli.html', 'utf8').includes('"consumer QP"')) fail('argmin view: the page lacks the graph');
const bad = spawnSync(cli, ['view', 'out/graph.json', '-o', 'missing/dir/x.html'], { encoding: 'utf8' });
if (bad.status !== 1 || bad.stderr.includes('    at ') || bad.stderr.trim().split('\n').length !== 1) {
  fail(`argmin view into a missing directory: want one line and exit 1, got ${bad.status}: ${bad.stderr}`);
}
// A dense factorization large enough for its products to be shared with a kernel thread, which
// the installed package starts from its built files: the same solution bit for bit.
const order = 400;
const colPtr = Int32Array.from({ length: order + 1 }, (_, j) => (j * (j + 1)) / 2);
const rowIdx = Int32Array.from({ length: colPtr[order] }, (_, q) => q - colPtr[Math.floor((Math.sqrt(8 * q + 1) - 1) / 2)]);
const values = Float64Array.from(rowIdx, (i, q) => (i === Math.floor((Math.sqrt(8 * q + 1) - 1) / 2) ? order : Math.sin(q)));
const sym = analyzeLdl({ nrows: order, ncols: order, colPtr, rowIdx });
const signs = new Int8Array(order).fill(1);
const rhs = Float64Array.from({ length: order }, (_, i) => Math.cos(i));
const alone = solveLdl(factorLdl(sym, values, signs), rhs, new Float64Array(order));
const threads = await openKernelThreads({ threads: 1 });
const shared = solveLdl(factorLdl(sym, values, signs), rhs, new Float64Array(order));
await threads.close();
if (alone.some((v, i) => v !== shared[i])) fail('openKernelThreads: the shared factorization differs from one thread');

console.log(
  `consumer smoke: QP z=(${Array.from(z.data, (v) => v.toFixed(3))}) ∂Σz/∂p=(${Array.from(dp.data, (v) => v.toFixed(3))}), LQR u0=${u.data[0].toFixed(4)}, viewer ${(html.length / 1024).toFixed(0)} KB, CLI ok, kernel thread ok`,
);
