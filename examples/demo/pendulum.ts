/**
 * Part 3: differentiable MPC imitation on the pendulum, from the control work
 * (examples/lib/pendulum-imitation.ts): the learner's pendulum parameters are fitted through
 * MPC's implicit VJP to an expert's trajectories, against system identification on the same data.
 */
import { Rng, type Tensor, add, exp, log, mean, mul, sub, tensor, trace } from '@argmin/autodiff';
import { mpc, pendulum } from '@argmin/nodes-control';
import { COLORS, lineChart } from '../lib/plot.js';
import { dampedPendulum, runPendulumImitation, swingUpCost } from '../lib/pendulum-imitation.js';
import type { DemoPart } from './part.js';

const sizes = (quick: boolean) => (quick ? { steps: 30, nTrain: 4, nTest: 4 } : { steps: 120, nTrain: 8, nTest: 8 });

/**
 * The imitation loss on two starts, traced: MPC with the learner's model (θ = exp φ) against the
 * expert's trajectories. (The library's own loss is internal to examples/lib/pendulum-imitation.ts,
 * so the same computation is rebuilt here from the public API.)
 */
function imitationGraph(theta: readonly number[], damping: number) {
  const rng = Rng.seeded(7);
  const x0 = tensor(
    [0, 1].map(() => {
      const th = Math.PI * (2 * rng.uniform() - 1);
      return [Math.cos(th), Math.sin(th), 2 * rng.uniform() - 1];
    }),
  );
  const cost = swingUpCost(2, 20);
  const expert = mpc(
    { ...cost, x0, dynamics: { model: dampedPendulum, params: tensor([10, 1, 1, damping]) }, uLower: -2, uUpper: 2 },
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
  title: 'Differentiable MPC: imitating a pendulum controller',
  reference: 'Amos, Jimenez, Sacks, Boots & Kolter, Differentiable MPC for End-to-end Planning and Control (NeurIPS 2018)',
  units: (quick) => (quick ? 3 : 12),
  async run({ quick }) {
    // runPendulumImitation is synchronous (no step callback): the bar moves when it returns.
    const r = runPendulumImitation(sizes(quick));
    const last = <T>(xs: readonly T[]): T => xs[xs.length - 1]!;
    const im = r.imitation;
    const sy = r.sysid;
    const imitationChart = lineChart({
      series: [
        { name: 'MPC imitation, held out', x: im.step, y: im.imitationTest, color: COLORS[1] },
        { name: 'MPC imitation, train', x: im.step, y: im.imitationTrain, color: COLORS[1], dashed: true },
        { name: 'system id, held out', x: sy.step, y: sy.imitationTest, color: COLORS[0] },
        { name: 'system id, train', x: sy.step, y: sy.imitationTrain, color: COLORS[0], dashed: true },
      ],
      logY: true,
      xLabel: 'Adam step',
      yLabel: 'imitation loss ‖τ − τ*‖²',
    });
    const sysidChart = lineChart({
      series: [
        { name: 'MPC imitation', x: im.step, y: im.sysid, color: COLORS[1] },
        { name: 'system id', x: sy.step, y: sy.sysid, color: COLORS[0] },
      ],
      logY: true,
      xLabel: 'Adam step',
      yLabel: 'one-step prediction error',
    });
    const fmt = (v: number) => v.toExponential(2);
    const params = (c: typeof im) =>
      `(${last(c.params)
        .map((v) => v.toFixed(2))
        .join(', ')})`;
    return {
      summary:
        `held-out imitation loss: MPC imitation ${fmt(last(im.imitationTest))} vs system id ${fmt(last(sy.imitationTest))} ` +
        `(train ${fmt(last(im.imitationTrain))} vs ${fmt(last(sy.imitationTrain))}); one-step error ${fmt(last(im.sysid))} vs ${fmt(last(sy.sysid))}; ` +
        `learned (g, m, l) ${params(im)} vs ${params(sy)}, expert (10, 1, 1) with friction ${r.expert.damping}`,
      description:
        `An expert swings up a pendulum with friction using box-constrained MPC (|u| ≤ 2). The learner's MPC uses a frictionless pendulum with ` +
        `unknown (g, m, l), fitted from ${r.config.nTrain} expert trajectories two ways: by imitation, backpropagating the trajectory error ` +
        `through MPC's implicit VJP, and by system identification (one-step prediction error, no MPC). The model cannot represent friction, ` +
        `so the best one-step predictor need not be the model whose MPC imitates best (objective mismatch); the summary compares both methods on both objectives.`,
      graph: imitationGraph(last(im.params), r.expert.damping),
      figures: [
        { name: 'loss', title: 'Imitation loss of the two methods (log scale)', svg: imitationChart },
        { name: 'sysid', title: 'One-step prediction error of the learned models (log scale)', svg: sysidChart },
      ],
      metrics: {
        imitationTest: last(im.imitationTest),
        sysidImitationTest: last(sy.imitationTest),
        imitationTrain: last(im.imitationTrain),
        sysidImitationTrain: last(sy.imitationTrain),
        imitationOneStep: last(im.sysid),
        sysidOneStep: last(sy.sysid),
        initialImitationTest: im.imitationTest[0]!,
      },
    };
  },
};
