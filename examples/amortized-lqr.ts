/**
 * Amortized box-constrained LQR (linear MPC) over initial states: an MLP trained on the control
 * cost predicts the whole control sequence; measured as the amortization tutorial does, then
 * DCEM in a learned latent space of control sequences (see examples/lib/amortized-lqr.ts). The
 * last line is one JSON object with the figures.
 *
 *   pnpm exec tsx examples/amortized-lqr.ts [--quick]
 */
import cliProgress from 'cli-progress';
import { runAmortizedLqr } from './lib/amortized-lqr.js';

const quick = process.argv.includes('--quick');
const steps = quick ? 1500 : 6000;
const latentSteps = quick ? 30 : 200;

const bar = new cliProgress.SingleBar(
  { format: '{phase} |{bar}| {value}/{total} steps | loss {loss} | {duration}s', hideCursor: true, stream: process.stderr },
  cliProgress.Presets.shades_classic,
);
let phase = '';
const result = runAmortizedLqr({
  steps,
  latentSteps,
  ...(quick ? { nTrain: 1024 } : { nTest: 200 }),
  onProgress: (p) => {
    if (p.phase !== phase) {
      if (phase) bar.stop();
      phase = p.phase;
      bar.start(p.steps, 0, { phase: phase === 'model' ? 'MLP  ' : 'DCEM ', loss: '…' });
    }
    bar.update(p.step, { loss: p.loss.toFixed(4) });
  },
});
bar.stop();

const a = result.amortized;
const w = result.warmStart;
const c = result.config;
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
console.log(
  `LQR family: chain of ${c.masses} masses (${2 * c.masses} states, ${c.masses} forces), horizon ${c.T}, |u| ≤ 1 (${pct(result.activeFraction)} of the optimal controls at a bound), x₀ ~ N(0, I)`,
);
console.log(
  `model: MLP ${[2 * c.masses, ...c.hidden, c.T * c.masses].join('→')} + linear skip, ${result.parameters} parameters, ${c.steps} steps in ${result.trainSeconds.toFixed(1)} s on the control cost`,
);
console.log(
  `held-out (${a.contexts} initial states): box-DDP ${a.solveMs.toFixed(3)} ms/context, predict ${(1000 * a.predictMs).toFixed(1)} µs/context → speed-up ${a.speedup.toFixed(0)}×`,
);
console.log(
  `  suboptimality: mean ${pct(a.gap)}, median ${pct(a.gapMedian)}, max ${pct(a.gapMax)}; bound violation ${a.violationMax.toExponential(1)} (clamped)`,
);
console.log(
  `warm start of box-DDP: ${w.cold.meanIterations.toFixed(2)} → ${w.warm.meanIterations.toFixed(2)} iterations (−${pct(w.iterationReduction)}), time ${w.cold.solveMs.toFixed(3)} → ${(w.warm.solveMs + w.warm.predictMs).toFixed(3)} ms/context (−${pct(w.timeReduction)}), same solutions to ${w.solutionDifference.toExponential(1)}`,
);
const l = result.latent;
if (l) {
  console.log(
    `latent DCEM (z ∈ R^${l.latentSize}, ${l.samples} samples × ${l.iterations} iterations): suboptimality ${pct(l.latentGap)} after training (${pct(l.untrainedLatentGap)} untrained, ${l.trainSeconds.toFixed(1)} s); CEM over all ${c.T * c.masses} controls with the same budget: ${pct(l.fullSpaceCemGap)}`,
  );
}
console.log(
  JSON.stringify({
    speedup: a.speedup,
    gap: a.gap,
    warmStartIterReduction: w.iterationReduction,
    violation: a.violationMax,
    gapMedian: a.gapMedian,
    gapMax: a.gapMax,
    warmStartTimeReduction: w.timeReduction,
    coldIterations: w.cold.meanIterations,
    warmIterations: w.warm.meanIterations,
    solveMs: a.solveMs,
    predictMs: a.predictMs,
    latentGap: l?.latentGap ?? null,
    untrainedLatentGap: l?.untrainedLatentGap ?? null,
    fullSpaceCemGap: l?.fullSpaceCemGap ?? null,
    quick,
    trainSeconds: result.trainSeconds,
  }),
);
