import type { Tensor } from '../src/index.js';

/** Largest |a−b| / max(|a|, |b|) over two tensors' data (0 where they are equal). */
export function relErr(a: Tensor, b: Tensor): number {
  let worst = 0;
  for (let i = 0; i < a.size; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    if (Object.is(x, y)) continue;
    const d = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-300);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

/** Same shape and the same float64 bit patterns. */
export function sameBits(a: Tensor, b: Tensor): boolean {
  return a.shape.join() === b.shape.join() && a.data.every((v, i) => Object.is(v, b.data[i]));
}
