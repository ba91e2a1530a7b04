/**
 * Part 3: objective mismatch with differentiable MPC (examples/lib/objective-mismatch.ts): the
 * expert's pendulum has friction and wind that the learner's model class lacks; the learner's
 * parameters are fitted through MPC's implicit VJP to the expert's trajectories (the task loss)
 * and by system identification, over several seeds, and scored on held-out starts.
 */
import { Rng, type Tensor, add, exp, log, mean, mul, sub, tensor, trace } from '@argmin/autodiff';
import { mpc, pendulum } from '@argmin/nodes-control';
import { COLORS, lineChart } from '../lib/plot.js';
import { runObjectiveMismatch } from '../lib/objective-mismatch.js';
import { swingUpCost, windyPendulum } from '../lib/pendulum-imitation.js';
import type { DemoPart } from './part.js';

const sizes = (quick: boolean) => (quick ? { seeds: 2, steps: 30, nTrain: 4, nTest: 4 } : { seeds: 5, steps: 120, nTrain: 8, nTest: 16 });

/**
 * The imitation loss on two starts, traced: MPC with the learner's model (θ = exp φ) against the
 * expert's trajectories. (The library's own loss is internal to examples/lib/pendulum-imitation.ts,
 * so the same computation is rebuilt here from the public API.)
 */
function imitationGraph(theta: readonly number[], damping: number, wind: number) {
  const rng = Rng.seeded(7);
  const x0 = tensor(
    [0, 1].map(() => {
      const th = Math.PI * (2 * rng.uniform() - 1);
      return [Math.cos(th), Math.sin(th), 2 * rng.uniform() - 1];
    }),
  );
  const cost = swingUpCost(2, 20);
  const expert = mpc(
    { ...cost, x0, dynamics: { model: windyPendulum, params: tensor([10, 1, 1, damping, wind]) }, uLower: -2, uUpper: 2 },
    { strategy: 'solve' },
  );
  const loss = (phi: Tensor, start: Tensor, C: Tensor, c: Tensor, xStar: Tensor, uStar: Tensor) => {
    const out = mpc(
      { C, c, x0: start, dynamics: { model: pendulum, params: exp(phi) }, uLower: -2, uUpper: 2 },
      { strategy: 'implicit', onUnconverged: 'zero', label: 'MPC (learner)' },
    );
    const dx = sub(out.x, xStar);
    const du = sub(out.u, uStar);
    return add(mean(mul(dx, dx)), mean(mul(du, du)));
  };
  return trace(loss, [log(tensor([...theta])), x0, cost.C, cost.c, expert.x, expert.u], {
    name: 'MPC imitation loss',
    argNames: ['log (g, m, l)', 'start states', 'cost C', 'cost c', 'expert states', 'expert controls'],
    parameters: [0],
  });
}

export const pendulumPart: DemoPart = {
  id: 'pendulum-imitation',
  title: 'Differentiable MPC: objective mismatch on a windy pendulum',
  reference: 'Amos, Jimenez, Sacks, Boots & Kolter, Differentiable MPC for End-to-end Planning and Control (NeurIPS 2018)',
  units: (quick) => (quick ? 3 : 20),
  async run({ quick }) {
    // runObjectiveMismatch is synchronous (no step callback): the bar moves when it returns.
    const r = runObjectiveMismatch(sizes(quick));
    const last = <T>(xs: readonly T[]): T => xs[xs.length - 1]!;
    const first = r.runs[0]!;
    const im = first.imitation;
    const sy = first.sysid;
    const imitationChart = lineChart({
      series: [
        { name: 'task loss (through MPC), held out', x: im.step, y: im.imitationTest, color: COLORS[1] },
        { name: 'task loss (through MPC), train', x: im.step, y: im.imitationTrain, color: COLORS[1], dashed: true },
        { name: 'system id, held out', x: sy.step, y: sy.imitationTest, color: COLORS[0] },
        { name: 'system id, train', x: sy.step, y: sy.imitationTrain, color: COLORS[0], dashed: true },
      ],
      logY: true,
      xLabel: 'Adam step (first seed)',
      yLabel: 'imitation loss ‖τ − τ*‖²',
    });
    const seeds = r.runs.map((_, i) => i + 1);
    const seedChart = lineChart({
      series: [
        { name: 'learned through MPC (task loss)', x: seeds, y: [...r.taskLoss.values], color: COLORS[1] },
        { name: 'system identification', x: seeds, y: [...r.sysid.values], color: COLORS[0] },
      ],
      xLabel: 'seed',
      yLabel: 'held-out imitation loss',
    });
    const dropped = r.runs.reduce((d, run) => ({ solves: d.solves + run.dropped.solves, of: d.of + run.dropped.of }), { solves: 0, of: 0 });
    const fmt = (v: number) => v.toExponential(2);
    const spread = (s: typeof r.taskLoss) => `${fmt(s.mean)} ± ${fmt(s.std)}`;
    return {
      summary:
        `held-out task loss over ${r.seeds} seeds: learned through MPC ${spread(r.taskLoss)} vs system id ${spread(r.sysid)} ` +
        `(the task-loss model is better on ${r.taskLossWins} of ${r.seeds}); one-step error ${spread(r.oneStep.taskLoss)} vs ${spread(r.oneStep.sysid)}; ` +
        `${dropped.solves} of ${dropped.of} training MPC solves' gradients dropped (unconverged)`,
      description:
        `An expert swings up a pendulum with friction ${r.config.damping} and a constant wind of ${r.config.wind} rad/s² using box-constrained MPC (|u| ≤ 2). ` +
        `The learner's MPC uses a frictionless, windless pendulum with unknown (g, m, l) — a model class that cannot represent the truth — fitted from ` +
        `${r.config.nTrain} expert trajectories two ways: by the task loss, backpropagating the imitation error through MPC's implicit VJP, and by ` +
        `system identification (one-step prediction error, no MPC). Both are scored on ${r.config.nTest} held-out start states per seed.`,
      graph: imitationGraph(last(im.params), r.config.damping, r.config.wind),
      figures: [
        { name: 'loss', title: 'Imitation loss of the two methods, first seed (log scale)', svg: imitationChart },
        { name: 'seeds', title: 'Held-out task loss per seed', svg: seedChart },
      ],
      metrics: {
        taskLossMean: r.taskLoss.mean,
        taskLossStd: r.taskLoss.std,
        sysidMean: r.sysid.mean,
        sysidStd: r.sysid.std,
        taskLossWins: r.taskLossWins,
        seeds: r.seeds,
        initialImitationTest: im.imitationTest[0]!,
        imitationTest: last(im.imitationTest),
      },
    };
  },
};
