import { DifferentiationError, InvalidInputError, Rng, valueAndGrad, type Tensor } from '@argmin/autodiff';
import { adam, type Optimizer } from './adam.js';
import { permutation, rows, validateDataset, type Dataset } from './data.js';

/** What a training loop reports after each step. */
export interface TrainProgress {
  /** Steps done (1-based) and planned. */
  readonly step: number;
  readonly steps: number;
  /** Passes over the data started so far (1-based). */
  readonly epoch: number;
  /** The minibatch loss of this step. */
  readonly loss: number;
  readonly elapsedMs: number;
  /** The latest evaluation's metrics, when `evaluate` is given. */
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface TrainOptions<T> {
  /** Scalar loss of the parameters on a minibatch (rows of `data`), written with ops. */
  readonly loss: (params: T, batch: Dataset) => Tensor;
  readonly data: Dataset;
  readonly steps: number;
  /** Minibatch size (default min(64, N)); minibatches walk a fresh permutation each epoch. */
  readonly batchSize?: number;
  /** Default `adam()` (lr 1e-3). */
  readonly optimizer?: Optimizer<unknown>;
  /** Draws the permutations (default `Rng.seeded(0)`). */
  readonly rng?: Rng;
  /** Called after every step: a progress bar, a log line, a chart. */
  readonly onStep?: (progress: TrainProgress) => void;
  /** Metrics of the current parameters (e.g. on held-out data), every `every` steps and at the end. */
  readonly evaluate?: { readonly every: number; readonly fn: (params: T) => Record<string, number> };
  /** Checked before each step; returning true ends training early (e.g. a time budget). */
  readonly shouldStop?: (progress: TrainProgress) => boolean;
}

export interface TrainResult<T> {
  readonly params: T;
  /** Minibatch loss per step. */
  readonly losses: readonly number[];
  readonly evaluations: readonly { readonly step: number; readonly metrics: Readonly<Record<string, number>> }[];
  readonly steps: number;
  readonly seconds: number;
}

/**
 * Minibatch gradient training: for each step, the next minibatch of `data`, the loss and its
 * gradient by `valueAndGrad`, one optimizer update. The data are checked first (finite, a common
 * sample axis); a loss that turns NaN or infinite stops training with an error naming the step.
 */
export function train<T>(params: T, options: TrainOptions<T>): TrainResult<T> {
  const { loss, data, steps, onStep, evaluate, shouldStop } = options;
  const n = validateDataset('train', data);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new InvalidInputError(`train: 'steps' must be a non-negative integer, got ${steps}`);
  const batchSize = options.batchSize ?? Math.min(64, n);
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new InvalidInputError(`train: 'batchSize' must be a positive integer, got ${batchSize}`);
  if (evaluate && !(Number.isInteger(evaluate.every) && evaluate.every >= 1)) {
    throw new InvalidInputError(`train: 'evaluate.every' must be a positive integer, got ${evaluate.every}`);
  }
  const optimizer = options.optimizer ?? adam();
  if (
    optimizer === null ||
    typeof optimizer !== 'object' ||
    typeof optimizer.init !== 'function' ||
    typeof optimizer.update !== 'function'
  ) {
    throw new InvalidInputError(
      `train: 'optimizer' must be an optimizer with init and update functions (e.g. adam()), got ${optimizer === null ? 'null' : typeof optimizer === 'object' ? `an object with keys [${Object.keys(optimizer).join(', ')}]` : typeof optimizer}`,
    );
  }
  const rng = options.rng ?? Rng.seeded(0);
  const lossAndGrad = valueAndGrad(loss);
  const start = performance.now();
  const losses: number[] = [];
  const evaluations: { step: number; metrics: Record<string, number> }[] = [];
  let state = optimizer.init(params);
  let theta = params;
  let order = permutation(n, rng);
  let cursor = 0;
  let epoch = 1;
  let metrics: Record<string, number> | undefined;
  let last: TrainProgress = { step: 0, steps, epoch, loss: NaN, elapsedMs: 0 };
  let done = 0;
  for (let step = 1; step <= steps; step++) {
    if (shouldStop?.(last)) break;
    if (cursor + batchSize > n && cursor > 0) {
      order = permutation(n, rng);
      cursor = 0;
      epoch++;
    }
    const idx = order.subarray(cursor, Math.min(n, cursor + batchSize));
    cursor += idx.length;
    const [value, grads] = lossAndGrad(theta, rows(data, idx));
    const v = (value as Tensor).item();
    if (!Number.isFinite(v)) {
      throw new DifferentiationError(
        `train: the loss is ${v} at step ${step} (epoch ${epoch}); the data are finite, so check the loss, the model's outputs and the learning rate`,
      );
    }
    ({ params: theta, state } = optimizer.update(theta, grads as T, state));
    losses.push(v);
    done = step;
    if (evaluate && (step % evaluate.every === 0 || step === steps)) {
      metrics = evaluate.fn(theta);
      evaluations.push({ step, metrics });
    }
    last = { step, steps, epoch, loss: v, elapsedMs: performance.now() - start, ...(metrics ? { metrics } : {}) };
    onStep?.(last);
  }
  if (evaluate && done > 0 && evaluations[evaluations.length - 1]?.step !== done) {
    evaluations.push({ step: done, metrics: evaluate.fn(theta) });
  }
  return { params: theta, losses, evaluations, steps: done, seconds: (performance.now() - start) / 1000 };
}
