import { InvalidInputError, ShapeError, Tensor, type Rng } from '@argmin/autodiff';

/**
 * Training data: named tensors sharing a leading axis of N samples, e.g. `{ x }` (contexts only,
 * for objective-based amortization) or `{ x, z }` (contexts and solutions, for regression).
 */
export type Dataset = { readonly [name: string]: Tensor };

/**
 * Checks a dataset and returns its size N: at least one tensor, every entry a tensor with the
 * same leading axis, all values finite. Errors name `where`, the entry, and the sample and
 * feature of the first bad value — a NaN in training data otherwise shows up, many steps
 * later, as NaN parameters with no trace of where it came from.
 */
export function validateDataset(where: string, data: Dataset): number {
  const keys = Object.keys(data);
  if (keys.length === 0) throw new InvalidInputError(`${where}: the dataset is empty (expected named tensors such as { x })`);
  let n = -1;
  for (const key of keys) {
    const t = data[key];
    if (!(t instanceof Tensor)) throw new InvalidInputError(`${where}: dataset entry '${key}' must be a Tensor, got ${typeof t}`);
    if (t.ndim < 1) throw new ShapeError(`${where}: dataset entry '${key}' must have a leading sample axis, got a scalar`);
    if (n < 0) n = t.shape[0]!;
    else if (t.shape[0] !== n) {
      throw new ShapeError(
        `${where}: dataset entries have different sample counts: '${keys[0]}' has ${n} but '${key}' of shape [${t.shape.join(',')}] has ${t.shape[0]}`,
      );
    }
    const per = t.size / Math.max(1, t.shape[0]!);
    for (let i = 0; i < t.size; i++) {
      const v = t.data[i]!;
      if (!Number.isFinite(v)) {
        throw new InvalidInputError(
          `${where}: dataset entry '${key}' holds ${v} at sample ${Math.floor(i / per)}, feature ${i % per} (shape [${t.shape.join(',')}]); training data must be finite`,
        );
      }
    }
  }
  if (n === 0) throw new InvalidInputError(`${where}: the dataset has no samples`);
  return n;
}

/** The rows `indices` of every entry (a plain copy: data are constants of the loss). */
export function rows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const out: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(data)) {
    const per = t.size / t.shape[0]!;
    const d = new Float64Array(indices.length * per);
    for (let r = 0; r < indices.length; r++) d.set(t.data.subarray(indices[r]! * per, (indices[r]! + 1) * per), r * per);
    out[key] = new Tensor(d, [indices.length, ...t.shape.slice(1)]);
  }
  return out;
}

/** A random permutation of 0..n−1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Splits off the last `fraction` of the samples (after a seeded shuffle) as held-out data. */
export function split(data: Dataset, fraction: number, rng: Rng): { train: Dataset; test: Dataset } {
  const n = validateDataset('split', data);
  if (!(fraction > 0 && fraction < 1)) throw new InvalidInputError(`split: 'fraction' must be in (0, 1), got ${fraction}`);
  const order = permutation(n, rng);
  const cut = n - Math.max(1, Math.round(fraction * n));
  return { train: rows(data, order.subarray(0, cut)), test: rows(data, order.subarray(cut)) };
}
