/**
 * Amortized optimization of a parametric QP family (n = 50): an MLP trained on the QP's own
 * objective predicts the solution for new contexts; measured as the amortization tutorial does
 * (see examples/lib/amortized-qp.ts). The last line is one JSON object with the figures.
 *
 *   pnpm exec tsx examples/amortized-qp.ts [--quick] [--n 50]
 */
import cliProgress from 'cli-progress';
import { runAmortizedQp } from './lib/amortized-qp.js';

const quick = process.argv.includes('--quick');
const nArg = process.argv.indexOf('--n');
const n = nArg >= 0 ? Number(process.argv[nArg + 1]) : 50;
const steps = quick ? 1000 : 5000;

const bar = new cliProgress.SingleBar(
  {
    format: 'training |{bar}| {value}/{total} steps | loss {loss} | {duration}s',
    hideCursor: true,
    noTTYOutput: false,
    stream: process.stderr,
  },
  cliProgress.Presets.shades_classic,
);
bar.start(steps, 0, { loss: '…' });
const result = runAmortizedQp({
  n,
  steps,
  nTest: quick ? 100 : 200,
  ...(quick ? { nTrain: 2048 } : {}),
  onProgress: (p) => bar.update(p.step, { loss: p.loss.toFixed(4) }),
});
bar.stop();

const a = result.amortized;
const r = result.refined;
const w = result.warmStart;
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
console.log(
  `QP family: n = ${n}, box −1 ≤ z ≤ 1 (${pct(result.activeFraction)} of bounds active at the solutions), contexts in R^${result.config.dx}`,
);
console.log(
  `model: MLP ${[result.config.dx, ...result.config.hidden, n].join('→')} (${result.config.activation}) + linear skip, clamped onto the box, ${result.parameters} parameters, trained ${result.config.steps} steps in ${result.trainSeconds.toFixed(1)} s on the objective loss`,
);
console.log(
  `held-out (${a.contexts} contexts, one batch, medians): solve ${a.solveMs.toFixed(3)} ms/context, predict ${(1000 * a.predictMs).toFixed(2)} µs/context → speed-up ${a.speedup.toFixed(0)}×`,
);
console.log(
  `  suboptimality: mean ${pct(a.gap)}, median ${pct(a.gapMedian)}, max ${pct(a.gapMax)}; constraint violation ${a.violationMax.toExponential(1)} (clamped onto the box)`,
);
console.log(
  `  + ${result.config.refineSteps} projected-gradient steps: mean ${pct(r.gap)} at ${(1000 * r.predictMs).toFixed(1)} µs/context (speed-up ${r.speedup.toFixed(0)}×)`,
);
console.log(
  `warm start of the interior-point solver (centred start from ẑ): ${w.cold.meanIterations.toFixed(2)} → ${w.warm.meanIterations.toFixed(2)} iterations (−${pct(w.iterationReduction)}), time ${w.cold.solveMs.toFixed(3)} → ${(w.warm.solveMs + w.warm.predictMs).toFixed(3)} ms/context (−${pct(w.timeReduction)}), same solutions to ${w.solutionDifference.toExponential(1)}`,
);
console.log(
  `  from ẑ alone (multipliers left to the solver): ${result.warmStartZOnly.warm.meanIterations.toFixed(2)} iterations (${pct(-result.warmStartZOnly.iterationReduction)} change)`,
);
console.log(
  JSON.stringify({
    speedup: a.speedup,
    gap: a.gap,
    warmStartIterReduction: w.iterationReduction,
    violation: a.violationMax,
    gapMedian: a.gapMedian,
    gapMax: a.gapMax,
    refinedGap: r.gap,
    refinedSpeedup: r.speedup,
    warmStartTimeReduction: w.timeReduction,
    coldIterations: w.cold.meanIterations,
    warmIterations: w.warm.meanIterations,
    warmStartZOnlyIterReduction: result.warmStartZOnly.iterationReduction,
    solveMs: a.solveMs,
    predictMs: a.predictMs,
    n,
    quick,
    trainSeconds: result.trainSeconds,
  }),
);
