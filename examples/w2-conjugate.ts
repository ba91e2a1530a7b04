/**
 * W2 by the dual with an amortized conjugate (Amos, 2023): an ICNN f is trained with
 * −E_α f − E_β f*, the conjugates by batched L-BFGS started from an amortized x̂(y) and
 * differentiated by the envelope theorem; Gaussian α → Gaussian β in d = 2, 8, 32, whose map is
 * known. Reports the L2-UVP of ∇f (% of Var β), the fraction of inner solves that did not
 * converge, and the mean inner iterations from x = y (L-BFGS's γI) vs from the amortized start,
 * x̂(y) with H₀ = ∇²f(x̂)⁻¹. The last line is JSON.
 *
 *   pnpm exec tsx examples/w2-conjugate.ts [--quick] [--dims 2,8,32]
 */
import { runW2, w2Configs } from './lib/w2-conjugate.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// --dims 2,8 keeps some of the dimensions.
const at = args.indexOf('--dims');
const dims = at >= 0 ? args[at + 1]!.split(',').map(Number) : null;
const started = performance.now();
const results: ReturnType<typeof runW2>[] = [];
for (const cfg of w2Configs(quick).filter((c) => !dims || dims.includes(c.d))) {
  const r = runW2(cfg, (step, dual) => {
    if (step % 100 === 0) process.stderr.write(`  d = ${cfg.d} step ${step}: J ${dual.toFixed(4)}\n`);
  });
  console.log(
    `d = ${r.d}: L2-UVP ${r.l2uvp.toFixed(3)}%; inner L-BFGS iterations ${r.innerIterationsFromY.toFixed(2)} from x = y → ${r.innerIterationsAmortized.toFixed(2)} from x̂(y) with H₀ = ∇²f(x̂)⁻¹ (${r.innerIterReduction.toFixed(2)}×; x̂ alone ${r.innerIterationsPositionOnly.toFixed(2)}, H₀ alone ${r.innerIterationsCurvatureOnly.toFixed(2)}; x̂ RMS error ${r.amortizerRmsError.toExponential(1)}), conjugates equal to ${r.maxObjectiveDiff.toExponential(1)}; inner time ${(1000 * r.innerSeconds.fromY).toFixed(0)} → ${(1000 * r.innerSeconds.amortized).toFixed(0)} ms; unconverged in training ${(100 * r.trainUnconvergedFraction).toFixed(2)}%; ${r.trainSeconds.toFixed(0)} s`,
  );
  results.push(r);
}
console.log(
  JSON.stringify({
    example: 'w2-conjugate',
    quick,
    l2uvp: Object.fromEntries(results.map((r) => [String(r.d), r.l2uvp])),
    innerIterReduction: Math.min(...results.map((r) => r.innerIterReduction)),
    innerIterReductionByD: Object.fromEntries(results.map((r) => [String(r.d), r.innerIterReduction])),
    unconvergedFraction: Math.max(...results.map((r) => r.trainUnconvergedFraction)),
    maxObjectiveDiff: Math.max(...results.map((r) => r.maxObjectiveDiff)),
    results,
    seconds: (performance.now() - started) / 1000,
  }),
);
