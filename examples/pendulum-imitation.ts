/**
 * Learning a pendulum's parameters by differentiating through MPC from expert trajectories,
 * against system identification on the same data: the objective-mismatch experiment (see
 * examples/lib/pendulum-imitation.ts). Writes the loss curves to ./out/pendulum-imitation.json.
 *
 *   pnpm exec tsx examples/pendulum-imitation.ts [--quick] [--well-specified]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { runPendulumImitation } from './lib/pendulum-imitation.js';

const quick = process.argv.includes('--quick');
const result = runPendulumImitation({
  steps: quick ? 30 : 120,
  nTrain: quick ? 4 : 8,
  nTest: quick ? 4 : 8,
  ...(process.argv.includes('--well-specified') ? { damping: 0 } : {}),
});

const last = <T>(xs: T[]): T => xs[xs.length - 1]!;
const fmt = (v: number) => v.toExponential(3);
console.log(
  `expert: pendulum (g, m, l) = (${result.expert.params.join(', ')}) with friction ${result.expert.damping}; learner: frictionless pendulum from (${result.config.init.join(', ')})`,
);
console.log(
  `${'method'.padEnd(10)} ${'imitation (train)'.padEnd(18)} ${'imitation (test)'.padEnd(18)} ${'one-step error'.padEnd(16)} learned (g, m, l)`,
);
for (const method of ['imitation', 'sysid'] as const) {
  const c = result[method];
  console.log(
    `${method.padEnd(10)} ${fmt(last(c.imitationTrain)).padEnd(18)} ${fmt(last(c.imitationTest)).padEnd(18)} ${fmt(last(c.sysid)).padEnd(16)} (${last(
      c.params,
    )
      .map((v: number) => v.toFixed(3))
      .join(', ')})`,
  );
}
mkdirSync('out', { recursive: true });
writeFileSync('out/pendulum-imitation.json', JSON.stringify(result, null, 1));
console.log(`loss curves written to out/pendulum-imitation.json (${result.seconds.toFixed(1)} s)`);
