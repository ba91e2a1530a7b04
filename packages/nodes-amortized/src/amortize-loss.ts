// The amortization losses: the weights of 'regression' and 'objective', and the regression term.
import { InvalidInputError, ShapeError, type Tensor, add, mean, mul, sub, sum } from '@argmin/autodiff';
import type { AmortizationLoss } from './amortize.js';
import type { Dataset } from './data.js';
import type { SolutionLayout } from './layout.js';

/** The weights of the two loss terms, checked. */
export function lossWeights(where: string, loss: AmortizationLoss): { regression: number; objective: number } {
  if (loss === 'regression') return { regression: 1, objective: 0 };
  if (loss === 'objective') return { regression: 0, objective: 1 };
  if (loss !== null && typeof loss === 'object') {
    const w = { regression: loss.regression ?? 0, objective: loss.objective ?? 0 };
    if (!(w.regression >= 0 && w.objective >= 0 && w.regression + w.objective > 0 && Number.isFinite(w.regression + w.objective))) {
      throw new InvalidInputError(
        `${where}: loss weights must be finite, ≥ 0 and not both 0, got regression ${w.regression}, objective ${w.objective}`,
      );
    }
    return w;
  }
  throw new InvalidInputError(
    `${where}: unknown loss '${String(loss)}' (expected 'regression', 'objective' or { regression, objective } weights)`,
  );
}

/** Mean squared error of each predicted entry against its solution in the batch, summed over entries. */
export function regression(where: string, layout: SolutionLayout, y: Record<string, Tensor>, batch: Dataset): Tensor {
  let total: Tensor | null = null;
  for (const key of layout.keys) {
    const target = batch[key];
    if (!target) {
      throw new InvalidInputError(
        `${where}: the regression loss needs the solutions '${key}' in the training data; build it with amortized.dataset(x)`,
      );
    }
    const pred = y[key]!;
    if (target.shape.length !== pred.shape.length || target.shape.some((d, i) => d !== pred.shape[i])) {
      throw new ShapeError(
        `${where}: training targets '${key}' of shape [${target.shape.join(',')}] do not match the prediction's [${pred.shape.join(',')}]`,
      );
    }
    const d = sub(pred, target);
    const term = mean(
      sum(
        mul(d, d),
        Array.from({ length: d.ndim - 1 }, (_, i) => i + 1),
      ),
    );
    total = total === null ? term : add(total, term);
  }
  return total!;
}
