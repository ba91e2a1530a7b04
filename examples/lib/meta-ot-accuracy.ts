/**
 * How accurate a Sinkhorn start must be (examples/meta-ot.ts --accuracy): the exact potential f*
 * of test pairs plus a known error δ = A·ε·φ, φ a cosine of k half-waves per axis (k = 0.5 is
 * the slowest, k = 8 pixel-scale on 16×16) or white noise, and the iterations to marginal error
 * 1e-4 from f* + δ. It turns "5× fewer iterations" into a required accuracy of f in units of ε.
 */
import { Rng, Tensor } from '@argmin/autodiff';
import { gridGeometry, measurePairs } from '@argmin/nodes-amortized';
import { sinkhorn } from '@argmin/nodes-convex';

export interface AccuracyRow {
  /** Half-waves per axis, or 'white'. */
  readonly mode: number | 'white';
  /** Amplitude of δ in units of ε. */
  readonly amplitude: number;
  readonly rawMarginalError: number;
  readonly iterations: number;
}

export function startAccuracy(side: number, epsilon: number, pairs = 5): { coldIterations: number; rows: AccuracyRow[] } {
  const geo = gridGeometry(side);
  const n = geo.size;
  const test = measurePairs(side, pairs, 2000 + side);
  const rng = Rng.seeded(5);
  const problems = Array.from({ length: pairs }, (_, p) => {
    const params = {
      a: new Tensor(test.a.data.slice(p * n, (p + 1) * n), [n]),
      b: new Tensor(test.b.data.slice(p * n, (p + 1) * n), [n]),
      C: geo.cost,
    };
    const cold = sinkhorn(params, { epsilon, tol: 1e-4, maxIter: 100000 });
    const exact = sinkhorn(params, { epsilon, tol: 1e-12, maxIter: 100000 });
    return { params, cold: cold.info.iterations[0]!, fStar: exact.f.data };
  });
  const rows: AccuracyRow[] = [];
  for (const mode of [0.5, 1, 2, 4, 8, 'white'] as const) {
    for (const amplitude of [0.1, 0.03, 0.01, 0.001]) {
      let iterations = 0;
      let raw = 0;
      for (const { params, fStar } of problems) {
        const px = 2 * Math.PI * rng.uniform();
        const py = 2 * Math.PI * rng.uniform();
        const f = fStar.map((v, i) => {
          const x = ((i % side) + 0.5) / side;
          const y = (Math.floor(i / side) + 0.5) / side;
          const phi = mode === 'white' ? rng.normal() : Math.cos(Math.PI * mode * x + px) * Math.cos(Math.PI * mode * y + py);
          return v + amplitude * epsilon * phi;
        });
        const start = { warmStart: { f: new Tensor(f, [n]) } };
        iterations += sinkhorn(params, { epsilon, tol: 1e-4, maxIter: 100000, ...start }).info.iterations[0]! / pairs;
        raw += sinkhorn(params, { epsilon, maxIter: 0, ...start }).info.residual[0]! / pairs;
      }
      rows.push({ mode, amplitude, rawMarginalError: raw, iterations });
    }
  }
  return { coldIterations: problems.reduce((s, p) => s + p.cold, 0) / pairs, rows };
}
