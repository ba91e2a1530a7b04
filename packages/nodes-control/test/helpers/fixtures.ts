import { readFileSync } from 'node:fs';
import { Tensor, tensor, type NestedArray } from '@argmin/autodiff';

/** Reads a fixture copied into test/fixtures (see its README for the source). */
// biome-ignore lint/suspicious/noExplicitAny: fixture JSON is read as the shape each test declares.
export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** The fixtures are time-major [T, B, …]; the library is batch-leading [B, T, …]. */
export function timeMajorToBatch(values: NestedArray): Tensor {
  const t = tensor(values);
  const [T, B] = t.shape as [number, number];
  const inner = t.size / (T * B);
  const out = new Float64Array(t.size);
  for (let s = 0; s < T; s++)
    for (let b = 0; b < B; b++) out.set(t.data.subarray((s * B + b) * inner, (s * B + b + 1) * inner), (b * T + s) * inner);
  return new Tensor(out, [B, T, ...t.shape.slice(2)]);
}

/** max |a − b| / max(1, max |b|). */
export function relErr(a: Tensor, b: Tensor): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.size; i++) {
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
    scale = Math.max(scale, Math.abs(b.data[i]!));
  }
  return diff / scale;
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  let diff = 0;
  for (let i = 0; i < b.size; i++) diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
  return diff;
}
