// A generated graph of any size with the viewer's whole vocabulary: inputs, parameters, constants,
// a group cluster, optimization nodes with SolveInfo (mixed statuses, residual histories), and
// unrolled solvers whose iterations are nested clusters. For demos, tests and the 2,000-node budget.
import type { Attrs, ClusterData, GraphJSON, NodeData, NodeKind, SolveInfoData, Strategy, ValueData } from '@argmin/graph';

export interface SyntheticOptions {
  /** Approximate number of nodes (at least about 40). Default 120. */
  readonly nodes?: number;
  /** Batch size B of the solver reports. Default 4. */
  readonly batch?: number;
  /** false: drop every cluster, giving a flat graph (the layout's worst case). Default true. */
  readonly clusters?: boolean;
  readonly seed?: number;
  readonly name?: string;
}

const OPS_PER_ITERATION = 4;
const MAX_ITERATIONS_PER_SOLVER = 50;

export function syntheticGraph(options: SyntheticOptions = {}): GraphJSON {
  const target = Math.max(40, Math.floor(options.nodes ?? 120));
  const batch = Math.max(1, Math.floor(options.batch ?? 4));
  const b = new Builder(options.seed ?? 1, batch);

  // Inputs and an encoder (a 'group' cluster) predicting the QP's linear term.
  const x = b.leaf('input', 'x', [batch, 16]);
  const y = b.leaf('input', 'y_target', [batch, 8]);
  b.cluster('encoder', 'encoder (MLP)', 'group');
  const w1 = b.leaf('parameter', 'W1', [16, 32], 'encoder');
  const b1 = b.leaf('parameter', 'b1', [32], 'encoder');
  const h1 = b.op(
    'relu',
    [b.op('add', [b.op('matmul', [x, w1], [batch, 32], 'encoder'), b1], [batch, 32], 'encoder')],
    [batch, 32],
    'encoder',
  );
  const w2 = b.leaf('parameter', 'W2', [32, 8], 'encoder');
  const p = b.op('matmul', [h1, w2], [batch, 8], 'encoder', 'p = h·W2');

  // A QP layer solved with implicit differentiation, and a constrained one that failed on one element.
  const q = b.leaf('constant', 'Q', [8, 8]);
  const g = b.leaf('constant', 'G', [4, 8]);
  const hVec = b.leaf('constant', 'h', [4]);
  const z = b.solver(
    'convex.qp',
    'qp layer',
    [q, p, g, hVec],
    [batch, 8],
    'implicit',
    b.info(['converged', 'converged', 'max_iter', 'converged']),
  );
  const z2 = b.solver(
    'convex.qp',
    'projection',
    [q, z, g, hVec],
    [batch, 8],
    'solve',
    b.info(['converged', 'infeasible', 'converged', 'unbounded']),
  );

  // Unrolled Sinkhorn-like solvers fill the requested size; each iteration is its own cluster.
  let state = z2;
  const kernel = b.leaf('constant', 'K', [8, 8]);
  // Split the remaining budget evenly over as few solvers as MAX_ITERATIONS_PER_SOLVER allows;
  // each solver is one optimization node plus OPS_PER_ITERATION ops per iteration.
  const remaining = Math.max(OPS_PER_ITERATION + 1, target - b.count - 3);
  const solvers = Math.ceil(remaining / (OPS_PER_ITERATION * MAX_ITERATIONS_PER_SOLVER + 1));
  const totalIterations = Math.max(solvers, Math.ceil((remaining - solvers) / OPS_PER_ITERATION));
  for (let s = 0; s < solvers; s++) {
    const iterations = Math.floor(totalIterations / solvers) + (s < totalIterations % solvers ? 1 : 0);
    const cid = b.cluster(`unroll${s}`, `sinkhorn #${s + 1} (unrolled)`, 'unroll');
    for (let k = 0; k < iterations; k++) {
      const it = b.cluster(`unroll${s}.it${k}`, `iteration ${k + 1}`, 'group', cid);
      const kv = b.op('matmul', [kernel, state], [batch, 8], it, undefined, { iteration: k });
      const u = b.op('div', [state, kv], [batch, 8], it, undefined, { iteration: k });
      const ktu = b.op('matmul', [kernel, u], [batch, 8], it, undefined, { iteration: k });
      state = b.op('div', [u, ktu], [batch, 8], it, `v${k + 1}`, { iteration: k });
    }
    state = b.solver(
      'convex.sinkhorn',
      `sinkhorn #${s + 1}`,
      [state],
      [batch, 8],
      'unroll',
      b.info(['converged', 'converged', 'converged', 'max_iter']),
      cid,
    );
  }

  // Loss.
  const diff = b.op('sub', [state, y], [batch, 8]);
  const sq = b.op('mul', [diff, diff], [batch, 8]);
  const loss = b.op('mean', [sq], [], undefined, 'loss');
  return b.graph(options.name ?? `synthetic (${target} nodes)`, [loss], options.clusters ?? true);
}

class Builder {
  private readonly nodes: NodeData[] = [];
  private readonly values: ValueData[] = [];
  private readonly clusters: ClusterData[] = [];
  private rand: () => number;

  constructor(
    seed: number,
    private readonly batch: number,
  ) {
    // mulberry32: tiny and seeded, so a given size always yields the same graph.
    let a = seed >>> 0;
    this.rand = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  get count(): number {
    return this.nodes.length;
  }

  cluster(id: string, label: string, kind: ClusterData['kind'], parent?: string): string {
    this.clusters.push({ id, label, kind, ...(parent ? { parent } : {}) });
    return id;
  }

  leaf(kind: NodeKind, label: string, shape: number[], cluster?: string): string {
    return this.add({ kind, op: kind, label, inputs: [], attrs: {}, cluster }, shape, label);
  }

  op(op: string, inputs: string[], shape: number[], cluster?: string, label?: string, attrs: Attrs = {}): string {
    return this.add({ kind: 'op', op, label, inputs, attrs, cluster }, shape, label);
  }

  solver(op: string, label: string, inputs: string[], shape: number[], strategy: Strategy, info: SolveInfoData, cluster?: string): string {
    const attrs = { tol: 1e-8, maxIter: 100 };
    return this.add(
      { kind: 'optimization', op, label, inputs, attrs, cluster, plugin: op.split('.')[0], strategy, info },
      shape,
      `${label}*`,
    );
  }

  info(status: string[]): SolveInfoData {
    const rows = Array.from({ length: this.batch }, (_, i) => status[i % status.length]!);
    const history = rows.map((s) => {
      const n = s === 'converged' ? 8 + Math.floor(this.rand() * 14) : 30;
      const rate = s === 'converged' ? 0.25 + this.rand() * 0.3 : 0.93;
      return Array.from({ length: n }, (_, k) => Number((10 * rate ** k * (1 + 0.2 * this.rand())).toPrecision(4)));
    });
    return {
      status: rows,
      iterations: history.map((h) => h.length),
      residual: history.map((h) => h[h.length - 1]!),
      history,
    };
  }

  private add(node: Omit<NodeData, 'id' | 'outputs'> & { cluster?: string | undefined }, shape: number[], valueLabel?: string): string {
    const id = `n${this.nodes.length}`;
    const vid = `v${this.values.length}`;
    const { cluster, label, ...rest } = node;
    this.nodes.push({ id, ...rest, ...(label ? { label } : {}), ...(cluster ? { cluster } : {}), outputs: [vid] });
    this.values.push({
      id: vid,
      shape,
      producer: id,
      index: 0,
      ...(valueLabel ? { label: valueLabel } : {}),
      summary: this.summary(shape),
      gradNorm: Number((this.rand() * 2).toPrecision(4)),
    });
    return vid;
  }

  private summary(shape: readonly number[]): ValueData['summary'] {
    const size = shape.reduce((a, d) => a * d, 1);
    const data = Array.from({ length: Math.min(size, 4096) }, () => Number((this.rand() * 2 - 1).toPrecision(4)));
    const min = Math.min(...data);
    const max = Math.max(...data);
    const mean = data.reduce((a, v) => a + v, 0) / data.length;
    const norm = Math.sqrt(data.reduce((a, v) => a + v * v, 0));
    return { min, max, mean: Number(mean.toPrecision(4)), norm: Number(norm.toPrecision(4)), ...(size <= 256 ? { data } : {}) };
  }

  graph(name: string, outputs: string[], clusters: boolean): GraphJSON {
    const nodes = clusters ? this.nodes : this.nodes.map(({ cluster: _c, ...n }) => n);
    return { format: 'argmin.graph', version: 1, name, nodes, values: this.values, clusters: clusters ? this.clusters : [], outputs };
  }
}
