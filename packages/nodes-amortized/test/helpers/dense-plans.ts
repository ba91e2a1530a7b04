import type { Rng } from '@argmin/autodiff';
import { expect } from 'vitest';
import type { Activation, DensePlan } from '../../src/dense-infer.js';

export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softplus', 'softsign', 'identity'];

const SIGMA: Record<Activation, (v: number) => number> = {
  identity: (v) => v,
  relu: (v) => Math.max(v, 0),
  softsign: (v) => v / (1 + Math.abs(v)),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
};

/** The network as plain triple loops, row by row: an independent reference. */
export function reference(plan: DensePlan, x: Float64Array, rows: number): Float64Array {
  const { layers, skip, bounds } = plan;
  const dx = layers[0]!.k;
  const mOut = layers[layers.length - 1]!.m;
  const out = new Float64Array(rows * mOut);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * dx, (r + 1) * dx);
    let h: Float64Array = xr;
    layers.forEach(({ W, b, k, m, activation }, i) => {
      const next = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += h[p]! * W[p * m + j]!;
        if (i === layers.length - 1 && skip) for (let p = 0; p < dx; p++) s += xr[p]! * skip[p * m + j]!;
        next[j] = SIGMA[activation](s + b[j]!);
      }
      h = next;
    });
    for (let j = 0; j < mOut; j++) out[r * mOut + j] = bounds ? Math.min(Math.max(h[j]!, bounds[0]), bounds[1]) : h[j]!;
  }
  return out;
}

export function randomPlan(
  sizes: readonly number[],
  activation: Activation,
  skip: boolean,
  bounds: [number, number] | null,
  rng: Rng,
): DensePlan {
  const L = sizes.length - 1;
  const normal = (n: number, s: number) => Float64Array.from({ length: n }, () => s * rng.normal());
  return {
    layers: Array.from({ length: L }, (_, i) => ({
      W: normal(sizes[i]! * sizes[i + 1]!, 1 / Math.sqrt(sizes[i]!)),
      b: normal(sizes[i + 1]!, 0.5),
      k: sizes[i]!,
      m: sizes[i + 1]!,
      activation: i === L - 1 ? (skip ? 'identity' : activation) : activation,
    })),
    skip: skip ? normal(sizes[0]! * sizes[L]!, 0.5) : null,
    bounds,
  };
}

export const maxDiff = (a: Float64Array, b: Float64Array): number => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};
