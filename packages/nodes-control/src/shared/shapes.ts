import type { Tensor } from '@argmin/autodiff';

/**
 * Layout readers shared by the control nodes. A parameter is either at its core rank (shared by
 * the whole batch) or has one extra leading batch axis. Nothing is checked here: `applyNode`
 * checks every call against the node's signature (ranks, batch sizes, the named dimensions T,
 * n, ns and T−1, finiteness, PSD cost blocks) before solve, vjp or step read it.
 */

export const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** The batch size of a call (null when every parameter is at its core rank). */
export function batchOf(params: Readonly<Record<string, Tensor | undefined>>, ranks: Readonly<Record<string, number>>): number | null {
  for (const [name, rank] of Object.entries(ranks)) {
    const t = params[name];
    if (t && t.ndim === rank + 1) return t.shape[0]!;
  }
  return null;
}

/** Per-batch-element stride of a parameter's data: its core size if batched, 0 if shared. */
export function strideOf(t: Tensor, rank: number): number {
  if (t.ndim !== rank + 1) return 0;
  return t.shape[0] === 0 ? 0 : t.size / t.shape[0]!;
}
