import { InvalidInputError, ShapeError, Tensor } from '@argmin/autodiff';

/**
 * Shape checks shared by the control nodes. A parameter is either at its core rank (shared by
 * the whole batch) or has one extra leading batch axis; these helpers read the core shape and
 * give errors that name the node, the parameter and what is wrong.
 */

export const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/** The core shape of `t` (its shape without a leading batch axis), checking the rank. */
export function coreShape(node: string, name: string, t: unknown, rank: number, expected: string): readonly number[] {
  if (!(t instanceof Tensor)) throw new InvalidInputError(`${node}: parameter '${name}' must be a Tensor of shape ${expected}`);
  if (t.ndim !== rank && t.ndim !== rank + 1) {
    throw new ShapeError(`${node}: parameter '${name}' must have shape ${expected} (or with a leading batch axis), got ${fmt(t.shape)}`);
  }
  return t.shape.slice(t.ndim - rank);
}

/** Throws unless the core shape of `name` equals `want`; `what` explains the expected layout. */
export function expectCore(node: string, name: string, got: readonly number[], want: readonly number[], what: string): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${node}: parameter '${name}' must have core shape ${fmt(want)} (${what}), got ${fmt(got)}`);
  }
}

/** The batch size of a call (null when every parameter is at its core rank), checking agreement. */
export function batchOf(
  node: string,
  params: Readonly<Record<string, Tensor | undefined>>,
  ranks: Readonly<Record<string, number>>,
): number | null {
  let size: number | null = null;
  let from = '';
  for (const [name, rank] of Object.entries(ranks)) {
    const t = params[name];
    if (!t || t.ndim !== rank + 1) continue;
    if (size === null) {
      size = t.shape[0]!;
      from = name;
    } else if (t.shape[0] !== size) {
      throw new ShapeError(`${node}: parameter '${name}' has batch size ${t.shape[0]} (shape ${fmt(t.shape)}) but '${from}' has ${size}`);
    }
  }
  return size;
}

/** Per-batch-element stride of a parameter's data: its core size if batched, 0 if shared. */
export function strideOf(t: Tensor, rank: number): number {
  if (t.ndim !== rank + 1) return 0;
  return t.shape[0] === 0 ? 0 : t.size / t.shape[0]!;
}
