/**
 * Meta OT (Amos et al., 2023): an MLP maps a pair of images (a, b) on a 16×16 and a 28×28 grid
 * to the Sinkhorn potential f, trained by the entropic semi-dual only (no solver in the loop),
 * then used as the `sinkhorn` node's warm start on a test split never trained on. Reports, at
 * ε = 0.01 (and 0.001, same model) of the cost's maximum, the iterations and the wall time
 * (prediction included) to a marginal error 1e-4 against zero potentials, the agreement of the
 * final plans and the raw prediction's dual gap. The last line is one JSON object.
 *
 * With --accuracy it first prints how accurate a start must be: the iterations from the exact
 * potential plus an error of known amplitude (in units of ε) and frequency, on 16×16.
 *
 *   pnpm exec tsx examples/meta-ot.ts [--quick] [--sides 16,28] [--steps N] [--budget SECONDS] [--accuracy]
 */
import { startAccuracy } from './lib/meta-ot-accuracy.js';
import { metaOtConfigs, runMetaOtGrid, summarize } from './lib/meta-ot.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
// --sides 16 keeps one grid; --steps N and --budget S (seconds) override the training length.
const sides = option('--sides')?.split(',').map(Number);
const steps = option('--steps');
const budget = option('--budget');
const configs = metaOtConfigs(quick)
  .filter((c) => !sides || sides.includes(c.side))
  .map((c) => ({ ...c, ...(steps ? { steps: Number(steps) } : {}), ...(budget ? { budgetSeconds: Number(budget) } : {}) }));
const started = performance.now();
const accuracy = args.includes('--accuracy') ? startAccuracy(16, 0.01) : null;
if (accuracy) {
  console.log(`16×16, ε = 0.01: from zero ${accuracy.coldIterations.toFixed(1)} iterations; from f* + A·ε·φ:`);
  for (const r of accuracy.rows) {
    const mode = r.mode === 'white' ? 'white noise' : `${r.mode} half-waves`;
    console.log(
      `  ${mode.padEnd(14)} A = ${String(r.amplitude).padEnd(5)}: raw marginal error ${r.rawMarginalError.toExponential(1)}, ${r.iterations.toFixed(1)} iterations`,
    );
  }
}
const grids: ReturnType<typeof summarize>[] = [];
for (const cfg of configs) {
  const result = runMetaOtGrid(cfg, (step, loss) => {
    if (step % 50 === 0) process.stderr.write(`  ${cfg.side}×${cfg.side} step ${step}: −D ${loss.toFixed(5)}\n`);
  });
  const s = summarize(result);
  const r = s.eps001;
  const t = s.eps0001;
  console.log(
    `${cfg.side}×${cfg.side}: ${s.stepsDone} steps in ${s.trainSeconds.toFixed(0)} s; test split (${r.testPairs} pairs), ε = 0.01, to marginal error 1e-4:`,
  );
  console.log(
    `  iterations ${r.meanColdIterations.toFixed(1)} (zero) → ${r.meanWarmIterations.toFixed(1)} (Meta OT): ${r.iterReduction.toFixed(2)}×; time ${r.timeSpeedup.toFixed(2)}× (prediction ${r.predictMsTotal.toFixed(1)} of ${r.warmMsTotal.toFixed(1)} ms)`,
  );
  console.log(
    `  raw prediction: f off by ${r.meanPotentialError.toFixed(3)}ε (a-weighted RMS), marginal error ${r.meanRawMarginalError.toExponential(2)}, dual gap ${r.meanDualGap.toExponential(2)} (${(100 * r.meanRelativeDualGap).toFixed(3)}% of the value); plans of both starts agree to ${r.maxPlanDiff.toExponential(1)}`,
  );
  if (r.coarseStart) {
    const c = r.coarseStart;
    console.log(
      `  unlearned reference, exact solve on the 2× coarser grid: iterations ${r.meanColdIterations.toFixed(1)} → ${c.meanIterations.toFixed(1)} (${c.iterReduction.toFixed(2)}×), time ${c.timeSpeedup.toFixed(2)}× (coarse solve included), f off by ${c.meanPotentialError.toFixed(3)}ε, raw marginal error ${c.meanRawMarginalError.toExponential(2)}`,
    );
  }
  console.log(
    `  ε = 0.001 (${t.testPairs} pairs, same model): iterations ${t.meanColdIterations.toFixed(0)} → ${t.meanWarmIterations.toFixed(0)} (${t.iterReduction.toFixed(2)}×), time ${t.timeSpeedup.toFixed(2)}×${t.coarseStart ? `; coarse reference ${t.coarseStart.meanIterations.toFixed(0)} (${t.coarseStart.iterReduction.toFixed(2)}×, time ${t.coarseStart.timeSpeedup.toFixed(2)}×)` : ''}`,
  );
  grids.push(s);
}
const worst = (key: 'iterReduction' | 'timeSpeedup') => Math.min(...grids.map((g) => g.eps001[key]));
console.log(
  JSON.stringify({
    example: 'meta-ot',
    quick,
    epsilon: 0.01,
    tol: 1e-4,
    split: 'test',
    iterReduction: worst('iterReduction'),
    timeSpeedup: worst('timeSpeedup'),
    maxPlanDiff: Math.max(...grids.map((g) => g.eps001.maxPlanDiff)),
    ...(accuracy ? { startAccuracy: accuracy } : {}),
    grids: Object.fromEntries(grids.map((g) => [String(g.side), g])),
    seconds: (performance.now() - started) / 1000,
  }),
);
