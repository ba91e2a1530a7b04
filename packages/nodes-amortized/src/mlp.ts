import {
  InvalidInputError,
  ShapeError,
  Tensor,
  abs,
  add,
  div,
  matmul,
  maximum,
  minimum,
  randn,
  relu,
  sigmoid,
  softplus,
  tanh,
  zeros,
  type Rng,
} from '@argmin/autodiff';
import { type Activation, type DensePlan, DenseScratch, denseForward } from './dense-infer.js';
import type { Model } from './model.js';

export type { Activation };

export interface MlpOptions {
  /** Layer widths [input, hidden..., output], e.g. [10, 64, 64, 50]. */
  readonly sizes: readonly number[];
  /** Hidden activation (default 'relu'). */
  readonly activation?: Activation;
  /** Output activation (default 'identity'). */
  readonly outputActivation?: Activation;
  /** Multiplies the last layer's initial weights (default 1); small values start near ŷ = 0. */
  readonly outputScale?: number;
  /**
   * Adds a linear path from input to output, ŷ = MLP(x) + W_skip·x (parameter `Wskip`, zero at
   * start): the affine part of a solution map is then learned at once and the hidden layers fit
   * the rest (solution maps of parametric QPs are piecewise affine). Default false.
   */
  readonly linearSkip?: boolean;
  /**
   * Clips the output onto the box [lower, upper] (after the skip path): the projection onto
   * box constraints as part of the model, so the deployed `predict` does it in the same pass.
   */
  readonly outputBounds?: readonly [number, number];
}

/** The MLP's parameters: weights `W<i>` `[in, out]` and biases `b<i>` `[out]`, layer by layer (and `Wskip`). */
export type MlpParams = { readonly [key: string]: Tensor };

/** softsign v/(1 + |v|): saturating like tanh at a division's cost instead of a transcendental's. */
const softsign = (x: Tensor): Tensor => div(x, add(abs(x), 1));
const OPS: Record<Activation, (x: Tensor) => Tensor> = { relu, tanh, sigmoid, softplus, softsign, identity: (x) => x };

/**
 * A multilayer perceptron x ↦ W_L·σ(… σ(W_1 x + b_1) …) + b_L. Weights start Gaussian with
 * variance gain/fan-in (He's gain 2 for relu, LeCun's 1 otherwise), biases at zero, from a
 * seeded `Rng`: `const net = mlp({ sizes: [10, 64, 50] }); const θ = net.init(Rng.seeded(0))`.
 */
export function mlp(options: MlpOptions): Model<MlpParams> {
  const { sizes, activation = 'relu', outputActivation = 'identity', outputScale = 1, linearSkip = false, outputBounds } = options;
  const name = `mlp[${sizes.join(',')}]`;
  if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new InvalidInputError(
      `mlp: 'sizes' must list at least an input and an output width, all positive integers; got [${sizes.join(',')}]`,
    );
  }
  for (const [key, act] of [
    ['activation', activation],
    ['outputActivation', outputActivation],
  ] as const) {
    if (!(act in OPS)) throw new InvalidInputError(`mlp: unknown ${key} '${String(act)}' (expected ${Object.keys(OPS).join(', ')})`);
  }
  if (!(Number.isFinite(outputScale) && outputScale > 0))
    throw new InvalidInputError(`mlp: 'outputScale' must be a positive number, got ${outputScale}`);
  if (outputBounds !== undefined) {
    const [lo, hi] = outputBounds;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
      throw new InvalidInputError(
        `mlp: 'outputBounds' must be finite numbers [lower, upper] with lower < upper, got [${outputBounds.join(', ')}]`,
      );
  }
  const layers = sizes.length - 1;
  const act = (i: number): Activation => (i === layers - 1 ? outputActivation : activation);
  const inputSize = sizes[0]!;
  const outputSize = sizes[layers]!;
  const expected: [string, number[]][] = [];
  for (let i = 0; i < layers; i++) expected.push([`W${i}`, [sizes[i]!, sizes[i + 1]!]], [`b${i}`, [sizes[i + 1]!]]);
  if (linearSkip) expected.push(['Wskip', [inputSize, outputSize]]);
  if (linearSkip && outputActivation !== 'identity') throw new InvalidInputError(`${name}: 'linearSkip' needs outputActivation 'identity'`);
  const checkTheta = (theta: MlpParams): void => {
    for (const [key, shape] of expected) {
      const t = theta[key];
      if (!(t instanceof Tensor))
        throw new InvalidInputError(`${name}: parameter '${key}' is missing (got keys ${Object.keys(theta).join(', ')})`);
      if (t.shape.length !== shape.length || t.shape.some((d, j) => d !== shape[j])) {
        throw new ShapeError(`${name}: parameter '${key}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
      }
    }
  };
  const checkInput = (x: Tensor): void => {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== inputSize) {
      throw new ShapeError(
        `${name}: input of shape [${x.shape.join(',')}] has ${x.shape[x.ndim - 1] ?? 0} features on its last axis; the model takes ${inputSize}`,
      );
    }
  };

  const scratch = new DenseScratch();
  return {
    name,
    inputSize,
    outputSize,
    init(rng: Rng): MlpParams {
      const theta: Record<string, Tensor> = {};
      for (let i = 0; i < layers; i++) {
        const gain = activation === 'relu' && i > 0 ? 2 : 1;
        const scale = Math.sqrt(gain / sizes[i]!) * (i === layers - 1 ? outputScale : 1);
        theta[`W${i}`] = randn([sizes[i]!, sizes[i + 1]!], rng, scale);
        theta[`b${i}`] = zeros([sizes[i + 1]!]);
      }
      if (linearSkip) theta.Wskip = zeros([inputSize, outputSize]);
      return theta;
    },
    apply(theta: MlpParams, x: Tensor): Tensor {
      checkTheta(theta);
      checkInput(x);
      let h = x;
      for (let i = 0; i < layers; i++) h = OPS[act(i)](add(matmul(h, theta[`W${i}`]!), theta[`b${i}`]!));
      if (linearSkip) h = add(h, matmul(x, theta.Wskip!));
      return outputBounds ? minimum(maximum(h, outputBounds[0]), outputBounds[1]) : h;
    },
    predict(theta: MlpParams, x: Tensor): Tensor {
      checkTheta(theta);
      checkInput(x);
      const plan: DensePlan = {
        layers: Array.from({ length: layers }, (_, i) => ({
          W: theta[`W${i}`]!.data,
          b: theta[`b${i}`]!.data,
          k: sizes[i]!,
          m: sizes[i + 1]!,
          activation: act(i),
        })),
        skip: linearSkip ? theta.Wskip!.data : null,
        bounds: outputBounds ?? null,
      };
      const y = denseForward(plan, x.data, x.size / inputSize, scratch);
      return new Tensor(y, [...x.shape.slice(0, -1), outputSize]);
    },
  };
}
