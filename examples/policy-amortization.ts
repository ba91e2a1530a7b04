/**
 * A policy as an amortized controller: π_θ(x) trained by the model-based value gradient SVG(H)
 * with a learned terminal value, against the box-MPC node re-solved at every control step, on
 * the same held-out start states (examples/lib/policy-amortization.ts).
 *
 *   pnpm exec tsx examples/policy-amortization.ts [--quick]
 *
 * The last line is a JSON object with `returnRatio` (the policy's mean held-out return over
 * MPC's), `computeRatio` (MPC's compute per control step over the policy's) and the gap.
 */
import { cartpole, cartpoleParams, pendulum, pendulumParams } from '@argmin/nodes-control';
import { cartpoleTask, defaults, type PolicyReport, pendulumTask, runPolicyAmortization } from './lib/policy-amortization.js';

import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    H: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    hidden: { type: 'string' },
    valueHorizon: { type: 'string' },
    seed: { type: 'string' },
    lr: { type: 'string' },
    fresh: { type: 'string' },
    valueSteps: { type: 'string' },
    task: { type: 'string', default: 'both' },
  },
});
const num = (v: string | undefined) => (v === undefined ? {} : Number(v));
const config = defaults({
  ...(args.quick ? { steps: 120, nTest: 8, episode: 60 } : {}),
  ...(args.H ? { H: num(args.H) as number } : {}),
  ...(args.steps ? { steps: num(args.steps) as number } : {}),
  ...(args.batch ? { batch: num(args.batch) as number } : {}),
  ...(args.valueHorizon ? { valueHorizon: num(args.valueHorizon) as number } : {}),
  ...(args.seed ? { seed: num(args.seed) as number } : {}),
  ...(args.lr ? { lr: num(args.lr) as number } : {}),
  ...(args.fresh ? { fresh: num(args.fresh) as number } : {}),
  ...(args.valueSteps ? { valueSteps: num(args.valueSteps) as number } : {}),
  ...(args.hidden ? { hidden: args.hidden.split(',').map(Number) } : {}),
});
const f = (v: number, d = 3) => v.toFixed(d);
function show(report: PolicyReport): void {
  console.log(
    `${report.task}: SVG(${config.H}) policy, ${config.steps} steps (${f(report.trainSeconds, 1)} s of training), validation checkpoint kept: step ${report.checkpoint}`,
  );
  console.log(
    `  held-out return over ${config.episode} steps: policy ${f(report.policyReturn)} vs MPC(T=${config.mpcHorizon}) ${f(report.mpcReturn)} → ${f(100 * report.returnRatio, 1)}%`,
  );
  console.log(
    `  compute per control step: policy ${report.policyMsPerStep.toExponential(2)} ms vs MPC ${report.mpcMsPerStep.toExponential(2)} ms → ${f(report.computeRatio, 0)}×`,
  );
  console.log(
    `  amortization gap on MPC's ${config.mpcHorizon}-step objective, per step: mean ${f(report.gap.mean, 4)}, median ${f(report.gap.median, 4)}`,
  );
}
const summary = (r: PolicyReport) => {
  const { curve, ...rest } = r;
  return rest;
};
const result: Record<string, unknown> = {};
if (args.task !== 'cartpole') {
  const r = runPolicyAmortization(pendulumTask(pendulum, pendulumParams()), config);
  show(r);
  Object.assign(result, summary(r));
}
if (args.task !== 'pendulum') {
  const r = runPolicyAmortization(cartpoleTask(cartpole, cartpoleParams()), config);
  show(r);
  result.cartpole = summary(r);
}
console.log(JSON.stringify(result));
