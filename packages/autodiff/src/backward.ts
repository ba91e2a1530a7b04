import { ArgminError, formatShape } from './errors.js';
import { add } from './ops/elementwise.js';
import type { Cotangent, Tape } from './tape.js';
import { sameShape, type Tensor } from './tensor.js';

/**
 * Reverse sweep over a tape: the cotangents of `wrt` given cotangents of `outputs`.
 * Visits only entries on a path from `wrt` to the outputs, skips symbolic-zero (null) edges,
 * and accumulates with the differentiable `add`, so an enclosing tape records the sweep itself.
 */
export function backward(tape: Tape, outputs: readonly Tensor[], cotangents: readonly Cotangent[], wrt: readonly Tensor[]): Cotangent[] {
  const entries = tape.entries;
  // Forward: which tensors depend on wrt, and which entries lie downstream of it.
  const live = new Set<Tensor>(wrt);
  const relevant = new Uint8Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.inputs.some((x) => live.has(x))) {
      relevant[i] = 1;
      for (const o of e.outputs) live.add(o);
    }
  }
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, prev ? add(prev, g) : g);
  };
  outputs.forEach((o, i) => {
    const c = cotangents[i];
    if (c) accumulate(o, c);
  });
  for (let i = entries.length - 1; i >= 0; i--) {
    if (!relevant[i]) continue;
    const e = entries[i]!;
    const outCots = e.outputs.map((o) => grads.get(o) ?? null);
    if (outCots.every((c) => c === null)) continue;
    const needs = e.inputs.map((x) => live.has(x));
    const inCots = e.pullback(outCots, needs);
    for (let j = 0; j < e.inputs.length; j++) {
      const g = inCots[j];
      if (!g || !needs[j]) continue;
      const x = e.inputs[j]!;
      if (!sameShape(g.shape, x.shape)) {
        throw new ArgminError(
          `backward: the VJP of '${e.op}' returned a cotangent of shape ${formatShape(g.shape)} for input ${j} of shape ${formatShape(x.shape)}`,
        );
      }
      accumulate(x, g);
    }
  }
  return wrt.map((w) => grads.get(w) ?? null);
}
