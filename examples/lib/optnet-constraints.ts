/**
 * Learning hard constraints with a QP layer (Amos & Kolter, "OptNet: Differentiable
 * Optimization as a Layer in Neural Networks", 2017): the layer
 *
 *   ŷ(x) = argmin_z ½‖z − x‖²  s.t.  G z ≤ h
 *
 * has learnable G and h, and is fitted to pairs (x, y) where y is the projection of x onto an
 * unknown polytope P* = {z : G* z ≤ h*}. The gradients with respect to G and h come from the QP's
 * implicit (KKT) VJP. Once G, h describe P*, the layer is exact everywhere, including far from
 * the training points; an unconstrained network (an MLP trained on the same data for the same
 * number of steps) only approximates the projection, and the identity map (no constraints) is the
 * trivial baseline.
 */
import { Rng, Tensor, add, matmul, mean, mul, randn, relu, sub, sum, tensor, valueAndGrad, zeros } from '@argmin/autodiff';
import { qp } from '@argmin/nodes-convex';
import { adam } from '@argmin/nodes-amortized';

export type Halfspaces = { G: Tensor; h: Tensor };
export type Mlp = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor; W3: Tensor; b3: Tensor };

const I2 = tensor([
  [1, 0],
  [0, 1],
]);

/** The projection layer: ŷ = argmin ½‖z − x‖² s.t. Gz ≤ h, for a batch x [B, 2]. */
export function project(c: Halfspaces, x: Tensor, strategy: 'implicit' | 'solve' = 'implicit'): Tensor {
  return qp({ Q: I2, p: mul(x, -1), G: c.G, h: c.h }, { strategy, label: 'projection QP' }).z;
}

export const meanSquaredError = (pred: Tensor, y: Tensor): Tensor => {
  const r = sub(pred, y);
  return mean(sum(mul(r, r), -1));
};

/** A random polygon: `sides` vertices at spread-out angles and radii, around `center`. */
export function randomPolygon(sides: number, rng: Rng, center: readonly [number, number] = [0.2, -0.1]): Halfspaces {
  const angles = Array.from({ length: sides }, (_, i) => (2 * Math.PI * (i + 0.15 + 0.7 * rng.uniform())) / sides);
  const vertices = angles.map((a) => {
    const r = 0.9 + 0.6 * rng.uniform();
    return [center[0] + r * Math.cos(a), center[1] + r * Math.sin(a)] as const;
  });
  const G: number[][] = [];
  const h: number[] = [];
  vertices.forEach((v, i) => {
    const w = vertices[(i + 1) % sides]!;
    // Outward normal of the edge v → w (vertices run counter-clockwise), normalized.
    const [nx, ny] = [w[1] - v[1], v[0] - w[0]];
    const len = Math.hypot(nx, ny);
    G.push([nx / len, ny / len]);
    h.push((nx * v[0] + ny * v[1]) / len);
  });
  return { G: tensor(G), h: tensor(h) };
}

/** A regular m-gon of inradius r around the origin: the learner's starting constraints. */
export function regularPolygon(m: number, r: number): Halfspaces {
  const G = Array.from({ length: m }, (_, i) => [Math.cos((2 * Math.PI * i) / m), Math.sin((2 * Math.PI * i) / m)]);
  return { G: tensor(G), h: tensor(new Array<number>(m).fill(r)) };
}

/**
 * The vertices of {z : Gz ≤ h} in 2-D, in counter-clockwise order (for plotting): every pairwise
 * intersection of the boundary lines that satisfies all constraints.
 */
export function polygonVertices({ G, h }: Halfspaces): [number, number][] {
  const m = h.size;
  const g = G.data;
  const pts: [number, number][] = [];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const det = g[2 * i]! * g[2 * j + 1]! - g[2 * i + 1]! * g[2 * j]!;
      if (Math.abs(det) < 1e-12) continue;
      const x = (h.data[i]! * g[2 * j + 1]! - g[2 * i + 1]! * h.data[j]!) / det;
      const y = (g[2 * i]! * h.data[j]! - h.data[i]! * g[2 * j]!) / det;
      let inside = true;
      for (let k = 0; k < m && inside; k++) inside = g[2 * k]! * x + g[2 * k + 1]! * y <= h.data[k]! + 1e-9;
      if (inside) pts.push([x, y]);
    }
  }
  const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  return pts.sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx));
}

export function initMlp(rng: Rng, hidden = 32): Mlp {
  return {
    W1: randn([2, hidden], rng, 1 / Math.sqrt(2)),
    b1: zeros([hidden]),
    W2: randn([hidden, hidden], rng, 1 / Math.sqrt(hidden)),
    b2: zeros([hidden]),
    W3: randn([hidden, 2], rng, 0.01),
    b3: zeros([2]), // starts near the identity map
  };
}

/** A residual MLP, ŷ = x + f(x), so that it starts from the identity baseline. */
export function mlp(p: Mlp, x: Tensor): Tensor {
  const h1 = relu(add(matmul(x, p.W1), p.b1));
  const h2 = relu(add(matmul(h1, p.W2), p.b2));
  return add(x, add(matmul(h2, p.W3), p.b3));
}

export interface ConstraintsConfig {
  /** Sides of the unknown polygon and halfspaces of the learned one (default 6 and 8). */
  readonly sides?: number;
  readonly learnedSides?: number;
  readonly trainPoints?: number;
  readonly testPoints?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly evalEvery?: number;
  readonly seed?: number;
  readonly onStep?: (step: number) => void | Promise<void>;
}

export interface ConstraintsResult {
  readonly config: Required<Omit<ConstraintsConfig, 'onStep'>>;
  /** Held-out mean squared error along training. */
  readonly curve: { step: number; optnet: number; mlp: number }[];
  /** Final held-out errors, and the identity map's (no constraints). */
  readonly test: { optnet: number; mlp: number; identity: number; initial: number };
  readonly truth: Halfspaces;
  readonly initial: Halfspaces;
  readonly learned: Halfspaces;
  readonly mlpParams: Mlp;
  readonly samples: { x: Tensor; y: Tensor };
  readonly seconds: number;
}

function pointsAndProjections(n: number, truth: Halfspaces, rng: Rng): { x: Tensor; y: Tensor } {
  const x = randn([n, 2], rng, 1.4);
  return { x, y: project(truth, x, 'solve') };
}

function batchOf(data: { x: Tensor; y: Tensor }, rows: readonly number[]): { x: Tensor; y: Tensor } {
  const pick = (t: Tensor) => new Tensor(Float64Array.from(rows.flatMap((r) => [t.data[2 * r]!, t.data[2 * r + 1]!])), [rows.length, 2]);
  return { x: pick(data.x), y: pick(data.y) };
}

export async function runConstraintLearning(config: ConstraintsConfig = {}): Promise<ConstraintsResult> {
  const started = performance.now();
  const cfg = {
    sides: config.sides ?? 6,
    learnedSides: config.learnedSides ?? 8,
    trainPoints: config.trainPoints ?? 512,
    testPoints: config.testPoints ?? 1000,
    steps: config.steps ?? 200,
    batch: config.batch ?? 64,
    lr: config.lr ?? 0.03,
    evalEvery: config.evalEvery ?? 10,
    seed: config.seed ?? 0,
  };
  const rng = Rng.seeded(cfg.seed);
  const truth = randomPolygon(cfg.sides, rng);
  const train = pointsAndProjections(cfg.trainPoints, truth, rng);
  const test = pointsAndProjections(cfg.testPoints, truth, rng);
  const initial = regularPolygon(cfg.learnedSides, 1);

  let constraints: Halfspaces = initial;
  let net = initMlp(rng);
  const optA = adam({ lr: cfg.lr });
  const optB = adam({ lr: 0.01 });
  let [stateA, stateB] = [optA.init(constraints), optB.init(net)];
  const gradA = valueAndGrad((c: Halfspaces, x: Tensor, y: Tensor) => meanSquaredError(project(c, x), y));
  const gradB = valueAndGrad((p: Mlp, x: Tensor, y: Tensor) => meanSquaredError(mlp(p, x), y));
  const testError = () => ({
    optnet: meanSquaredError(project(constraints, test.x, 'solve'), test.y).item(),
    mlp: meanSquaredError(mlp(net, test.x), test.y).item(),
  });
  const curve: ConstraintsResult['curve'] = [{ step: 0, ...testError() }];
  for (let s = 1; s <= cfg.steps; s++) {
    const rows = Array.from({ length: cfg.batch }, () => Math.floor(rng.uniform() * cfg.trainPoints));
    const { x, y } = batchOf(train, rows);
    ({ params: constraints, state: stateA } = optA.update(constraints, gradA(constraints, x, y)[1] as Halfspaces, stateA));
    ({ params: net, state: stateB } = optB.update(net, gradB(net, x, y)[1] as Mlp, stateB));
    if (s % cfg.evalEvery === 0 || s === cfg.steps) curve.push({ step: s, ...testError() });
    await config.onStep?.(s);
  }
  const final = curve[curve.length - 1]!;
  return {
    config: cfg,
    curve,
    test: { optnet: final.optnet, mlp: final.mlp, identity: meanSquaredError(test.x, test.y).item(), initial: curve[0]!.optnet },
    truth,
    initial,
    learned: constraints,
    mlpParams: net,
    samples: batchOf(
      test,
      Array.from({ length: 60 }, (_, i) => i),
    ),
    seconds: (performance.now() - started) / 1000,
  };
}
