import type { Tensor } from '@argmin/autodiff';
import { expect } from 'vitest';

/** Asserts that `fn` throws an error of `type` whose message contains every one of `parts`. */
export function expectError(fn: () => unknown, type: abstract new (...args: never[]) => Error, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ${type.name}`).toBeInstanceOf(type);
  for (const s of parts) expect((err as Error).message).toContain(s);
}

/** Largest absolute difference between two tensors of the same shape. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let d = 0;
  for (let i = 0; i < a.size; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
  return d;
}

/** Root mean square over contexts of ‖a_b − b_b‖ for a, b `[B, ...]`. */
export function rmsError(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += (a.data[i]! - b.data[i]!) ** 2;
  return Math.sqrt(s / a.shape[0]!);
}
