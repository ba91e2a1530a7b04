/**
 * Part 4: amortized optimization of a parametric QP family, from the amortization work
 * (examples/lib/amortized-qp.ts): an MLP trained on the QP's own objective predicts solutions
 * for new contexts; we report its speed-up over the solver, its suboptimality gap, and what it
 * saves the solver as a warm start.
 */
import * as Plot from '@observablehq/plot';
import { Rng, type Tensor, maximum, minimum, randn, trace } from '@argmin/autodiff';
import { qp, qpNode, qpObjective, type QpParams } from '@argmin/nodes-convex';
import { COLORS, lineChart, plotSvg } from '../lib/plot.js';
import { amortize, mlp } from '@argmin/nodes-amortized';
import { qpFamily, runAmortizedQp } from '../lib/amortized-qp.js';
import type { DemoPart } from './part.js';

const sizes = (quick: boolean) => (quick ? { steps: 400, nTrain: 1024, nTest: 50 } : { steps: 1500, nTrain: 2048, nTest: 100 });

/**
 * The semi-amortized model's training loss on four contexts, next to the exact solve, traced.
 * (runAmortizedQp does not return its model, so the same recipe is rebuilt here at initial θ.)
 */
function amortizedGraph(n: number, dx: number) {
  const fam = qpFamily(n, dx, Rng.seeded(0));
  const clamp = (_: QpParams, s: { z?: Tensor }) => ({ z: minimum(maximum(s.z!, -1), 1) });
  const am = amortize(qpNode, mlp({ sizes: [dx, 64, 64, n], linearSkip: true }), {
    problem: fam.problem,
    loss: 'objective',
    project: clamp,
    shapes: { z: [n] },
    refine: { kind: 'gradient', steps: 2, stepSize: 0.05 },
  });
  const theta = am.init(Rng.seeded(1));
  const x = randn([4, dx], Rng.seeded(2));
  return trace(
    (th: typeof theta, ctx: Tensor) => {
      const params = fam.problem(ctx);
      const optimal = qpObjective(params, qp(params, { strategy: 'solve', label: 'QP solve (reference)' }).z);
      return { loss: am.loss(th, { x: ctx }), optimal };
    },
    [theta, x],
    { name: 'amortized QP: objective loss and the exact solve', argNames: ['θ (MLP)', 'contexts'], parameters: [0] },
  );
}

function timingFigure(rows: { what: string; ms: number }[]): string {
  return plotSvg({
    width: 560,
    height: 190,
    marginLeft: 230,
    marginRight: 70,
    style: { fontSize: '11px', background: 'white' },
    x: { type: 'log', label: 'milliseconds per context (log scale)', labelAnchor: 'center', labelArrow: 'none', grid: true },
    y: { label: null, domain: rows.map((r) => r.what) },
    marks: [
      Plot.barX(rows, { x1: 1e-3, x2: 'ms', y: 'what', fill: (_: unknown, i: number) => COLORS[i % COLORS.length], fillOpacity: 0.85 }),
      Plot.text(rows, {
        x: 'ms',
        y: 'what',
        text: (r: { ms: number }) => (r.ms < 0.1 ? `${(1000 * r.ms).toFixed(1)} µs` : `${r.ms.toFixed(2)} ms`),
        textAnchor: 'start',
        dx: 5,
      }),
    ],
  } as Plot.PlotOptions);
}

export const amortizedPart: DemoPart = {
  id: 'amortized-qp',
  title: 'Amortized optimization: predicting QP solutions',
  reference: 'Amos, Tutorial on Amortized Optimization (Foundations and Trends in ML, 2023)',
  units: (quick) => sizes(quick).steps / 40,
  async run({ quick, progress }) {
    const cfg = sizes(quick);
    const curve: { step: number; loss: number }[] = [];
    let reported = 0;
    const every = Math.max(1, Math.round(cfg.steps / 150));
    // runAmortizedQp is synchronous: the bar is advanced by the callback but redrawn only when it returns.
    const r = runAmortizedQp({
      ...cfg,
      onProgress: (p) => {
        if (p.step % every === 0 || p.step === 1) curve.push({ step: p.step, loss: p.loss });
        reported = p.step;
      },
    });
    await progress(reported / 40);
    const a = r.amortized;
    const w = r.warmStart;
    const loss = lineChart({
      series: [{ name: 'objective loss (train batch)', x: curve.map((c) => c.step), y: curve.map((c) => c.loss), color: COLORS[0] }],
      rules: [{ y: a.optimalObjective, label: 'mean optimal objective (held out)', color: COLORS[2] }],
      xLabel: 'Adam step',
      yLabel: 'mean objective ½zᵀQz + pᵀz of ẑ',
    });
    const timing = timingFigure([
      { what: 'interior-point solve, cold', ms: w.cold.solveMs },
      { what: 'solve warm-started from ẑ (+ predict)', ms: w.warm.solveMs + w.warm.predictMs },
      { what: `prediction + ${r.config.refineSteps} gradient steps`, ms: r.refined.predictMs },
      { what: 'amortized prediction ẑ', ms: a.predictMs },
    ]);
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    return {
      summary:
        `n = ${r.config.n}: prediction ${a.speedup.toFixed(0)}× faster than the solver, mean gap ${pct(a.gap)} (max ${pct(a.gapMax)}), ` +
        `${pct(r.refined.gap)} after ${r.config.refineSteps} gradient steps; as a warm start −${pct(w.iterationReduction)} interior-point iterations`,
      description:
        `A family of box-constrained QPs in R^${r.config.n} whose linear term depends on a context x ∈ R^${r.config.dx}. An MLP (${r.parameters} parameters) is trained ` +
        `for ${r.config.steps} steps on the QP's own objective at its clamped prediction, with no solver in the loop, then measured on ${r.config.nTest} held-out contexts: ` +
        `time against the interior-point solver, relative suboptimality, a few projected-gradient refinement steps, and the prediction as the solver's warm start.`,
      graph: amortizedGraph(r.config.n, r.config.dx),
      figures: [
        { name: 'loss', title: 'Training: objective of the predictions', svg: loss },
        { name: 'timing', title: 'Time per held-out context', svg: timing },
      ],
      metrics: {
        speedup: a.speedup,
        gap: a.gap,
        gapMax: a.gapMax,
        refinedGap: r.refined.gap,
        violationMax: a.violationMax,
        warmStartIterationReduction: w.iterationReduction,
        warmStartTimeReduction: w.timeReduction,
        solveMs: a.solveMs,
        predictMs: a.predictMs,
      },
    };
  },
};
