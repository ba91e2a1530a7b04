/**
 * Per-feature ridge penalties learned on validation loss by implicit differentiation of the
 * inner ridge solve (a QP node), against the best single penalty (see examples/lib/bilevel-ridge.ts).
 * The last line is one JSON object with the figures.
 *
 *   pnpm exec tsx --conditions=source examples/bilevel-ridge.ts [--steps 150] [--seed 0]
 */
import { runBilevelRidge } from './lib/bilevel-ridge.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg('--steps', 150);
const seed = arg('--seed', 0);

const r = runBilevelRidge({ steps, seed });
const { d, relevant } = r.data;
console.log(
  `ridge regression: ${d} features (${relevant.length} relevant), ${r.data.train.X.shape[0]} training / ${r.data.val.X.shape[0]} validation / ${r.data.test.X.shape[0]} test points`,
);
console.log(
  `best uniform penalty on validation: log λ = ${r.uniform.logLambda}, validation MSE ${r.uniform.validation.toFixed(4)}, test MSE ${r.uniform.test.toFixed(4)}`,
);
console.log(
  `${d} penalties learned by ${steps} Adam steps on the implicit hypergradient: validation MSE ${r.learned.validation.toFixed(4)}, test MSE ${r.learned.test.toFixed(4)} (${r.seconds.toFixed(1)} s)`,
);
console.log(
  `mean learned log λ: relevant features ${r.meanLogLambda.relevant.toFixed(2)}, irrelevant ${r.meanLogLambda.irrelevant.toFixed(2)}`,
);
console.log(
  JSON.stringify({
    uniformTest: r.uniform.test,
    learnedTest: r.learned.test,
    uniformValidation: r.uniform.validation,
    learnedValidation: r.learned.validation,
    meanLogLambda: r.meanLogLambda,
    seconds: r.seconds,
  }),
);
