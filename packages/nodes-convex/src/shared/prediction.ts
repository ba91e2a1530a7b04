import { InvalidInputError, expandDims, matmul, mul, squeeze, sum, type Tensor } from '@argmin/autodiff';

/** The predicted solution output `key`, or a typed error saying which output amortization must predict. */
export function predicted(node: string, prediction: { readonly [key: string]: Tensor | undefined }, key: string): Tensor {
  const t = prediction[key];
  if (!t) throw new InvalidInputError(`${node}: the objective needs the prediction of '${key}'; add it to amortize's 'predict' list`);
  return t;
}

/** M·v for M `[..., r, c]`, v `[..., c]` (batch axes broadcast). */
export const matvec = (M: Tensor, v: Tensor): Tensor => squeeze(matmul(M, expandDims(v, -1)), -1);

/** Σ t² over `axes` (default the last). */
export const sumSquares = (t: Tensor, axes: number | number[] = -1): Tensor => sum(mul(t, t), axes);
