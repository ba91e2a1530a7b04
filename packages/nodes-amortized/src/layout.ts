import { InvalidInputError, ShapeError, reshape, sizeOf, slice, type Tensor } from '@argmin/autodiff';

/**
 * Where each predicted solution entry sits in the model's flat output `[B, size]`: the entries
 * in order, with their core (per-context) shapes.
 */
export interface SolutionLayout {
  readonly keys: readonly string[];
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  readonly offsets: Readonly<Record<string, number>>;
  /** Total values per context: must equal the model's output size. */
  readonly size: number;
}

const fmt = (s: readonly number[]) => `[${s.join(',')}]`;

/**
 * Builds the layout of `keys` with their core `shapes`, checking them against the node's
 * signature (the key exists, the rank is the solution's core rank) and the model's output size.
 * `where` names the amortizer in errors, e.g. "amortize(convex.qp, mlp[10,64,50])".
 */
export function solutionLayout(
  where: string,
  keys: readonly string[],
  shapes: Readonly<Record<string, readonly number[]>>,
  ranks: Readonly<Record<string, number>>,
  outputSize: number,
): SolutionLayout {
  if (keys.length === 0) throw new InvalidInputError(`${where}: 'predict' lists no solution entries`);
  const offsets: Record<string, number> = {};
  let size = 0;
  for (const key of keys) {
    if (!(key in ranks)) {
      throw new InvalidInputError(`${where}: '${key}' is not a solution entry of the node (it has ${Object.keys(ranks).join(', ')})`);
    }
    const shape = shapes[key];
    if (!shape) throw new InvalidInputError(`${where}: no shape known for the predicted entry '${key}'`);
    if (shape.length !== ranks[key]) {
      throw new ShapeError(
        `${where}: the predicted entry '${key}' has core shape ${fmt(shape)} (rank ${shape.length}) but the node's '${key}' has rank ${ranks[key]}`,
      );
    }
    offsets[key] = size;
    size += sizeOf(shape);
  }
  if (size !== outputSize) {
    const parts = keys.map((k) => `${k}: ${fmt(shapes[k]!)}`).join(', ');
    throw new ShapeError(
      `${where}: the model outputs ${outputSize} values per context, but the node's solution entries it predicts { ${parts} } hold ${size}`,
    );
  }
  return { keys, shapes, offsets, size };
}

/** The model output `[B, size]` as solution entries `[B, ...shape]` (differentiable ops). */
export function splitOutput(layout: SolutionLayout, y: Tensor): Record<string, Tensor> {
  const B = y.shape[0]!;
  if (y.ndim !== 2 || y.shape[1] !== layout.size) {
    throw new ShapeError(`model output of shape ${fmt(y.shape)} does not fit the solution layout of ${layout.size} values per context`);
  }
  const out: Record<string, Tensor> = {};
  for (const key of layout.keys) {
    const shape = layout.shapes[key]!;
    const from = layout.offsets[key]!;
    const part = layout.keys.length === 1 ? y : slice(y, [0, from], [B, from + sizeOf(shape)]);
    out[key] = shape.length === 1 ? part : reshape(part, [B, ...shape]);
  }
  return out;
}
