/**
 * Objective mismatch, in the unrealizable setting: the expert's pendulum has friction and a
 * constant wind that the learner's model class lacks. The model is learned two ways from the
 * same expert trajectories — by the task loss (imitation through the MPC node's implicit VJP)
 * and by system identification — and both are scored by the task loss on held-out start states,
 * over several seeds (examples/lib/objective-mismatch.ts).
 *
 *   pnpm exec tsx examples/objective-mismatch.ts [--quick]
 *
 * The last line is a JSON object: { taskLoss: {mean, std, …}, sysid: {mean, std, …}, seeds, … }.
 */
import { runObjectiveMismatch } from './lib/objective-mismatch.js';

const quick = process.argv.includes('--quick');
const r = runObjectiveMismatch(quick ? { seeds: 3, steps: 40, nTrain: 6, nTest: 8 } : {});
const fmt = (s: { mean: number; std: number; min: number; max: number }) =>
  `${s.mean.toExponential(3)} ± ${s.std.toExponential(2)} (min ${s.min.toExponential(2)}, max ${s.max.toExponential(2)})`;
console.log(
  `expert: pendulum with friction ${r.config.damping} and wind ${r.config.wind} rad/s²; learner: frictionless, windless pendulum (g, m, l)`,
);
console.log(`held-out task loss over ${r.seeds} seeds (${r.config.nTrain} training and ${r.config.nTest} held-out starts each):`);
console.log(`  learned through MPC (task loss): ${fmt(r.taskLoss)}`);
console.log(`  system identification:          ${fmt(r.sysid)}`);
console.log(
  `  the task-loss model is better on ${r.taskLossWins} of ${r.seeds} seeds; one-step error ${fmt(r.oneStep.taskLoss)} vs ${fmt(r.oneStep.sysid)}`,
);
console.log(`  (${r.seconds.toFixed(1)} s)`);
console.log(
  JSON.stringify({
    taskLoss: { mean: r.taskLoss.mean, std: r.taskLoss.std, values: r.taskLoss.values },
    sysid: { mean: r.sysid.mean, std: r.sysid.std, values: r.sysid.values },
    seeds: r.seeds,
    taskLossWins: r.taskLossWins,
    config: r.config,
    seconds: r.seconds,
  }),
);
