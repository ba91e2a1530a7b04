import { flatten, type Rng, type Tensor } from '@argmin/autodiff';

/**
 * An amortization model ŷ_θ(x): a differentiable map from contexts `[..., inputSize]` to
 * predictions `[..., outputSize]`, with its parameters θ kept outside it as a pytree of tensors
 * (so `valueAndGrad(loss)(θ)` returns gradients with θ's structure, and optimizers update θ
 * functionally). `apply` is written with autodiff ops (any leading axes broadcast); `predict`
 * computes the same values without recording, as fast as the kernels allow — the deployed,
 * amortized path whose time the speed-up is measured on.
 */
export interface Model<Theta> {
  /** Shown in errors, e.g. 'mlp[10,64,64,50]'. */
  readonly name: string;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Fresh parameters, drawn from `rng` (the same seed gives the same θ). */
  init(rng: Rng): Theta;
  /** ŷ_θ(x) with differentiable ops: x `[..., inputSize]` → `[..., outputSize]`. */
  apply(theta: Theta, x: Tensor): Tensor;
  /** The same values as `apply`, on raw kernels and never on a tape: x `[B, inputSize]`. */
  predict(theta: Theta, x: Tensor): Tensor;
}

/** Number of scalar parameters in a pytree of tensors. */
export function parameterCount(theta: unknown): number {
  return flatten(theta).leaves.reduce((n, t) => n + t.size, 0);
}
