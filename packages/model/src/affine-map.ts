import { Tensor } from '@argmin/autodiff';
import { defineOp, type Op } from '@argmin/autodiff/extend';

/**
 * The compiled map from the stacked parameters to the cone program's data,
 * data = M·[θ; 1] (cvxpylayers' ASA form), kept sparse in CSR by data entry: row d of M holds the
 * coefficients of data entry d in θ (column nTheta is the constant 1). It is built once by the
 * compiler; a layer call only applies it, and the backward pass applies its transpose.
 */
export interface AffineMap {
  readonly nData: number;
  readonly nTheta: number;
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly vals: Float64Array;
}

/** A named block of the data vector (e.g. 'A' at offset 0 with shape [m, n]). */
export interface Segment {
  readonly name: string;
  readonly offset: number;
  readonly shape: readonly number[];
}

/** Sums duplicate (data, θ) entries and drops zeros. */
export function buildAffineMap(nData: number, nTheta: number, entries: readonly (readonly [number, number, number])[]): AffineMap {
  const acc = new Map<number, number>();
  const width = nTheta + 1;
  for (const [d, p, w] of entries) acc.set(d * width + p, (acc.get(d * width + p) ?? 0) + w);
  const keys = [...acc.keys()].filter((k) => acc.get(k) !== 0).sort((a, b) => a - b);
  const rowPtr = new Int32Array(nData + 1);
  const cols = new Int32Array(keys.length);
  const vals = new Float64Array(keys.length);
  keys.forEach((k, i) => {
    const d = Math.floor(k / width);
    rowPtr[d + 1]!++;
    cols[i] = k % width;
    vals[i] = acc.get(k)!;
  });
  for (let d = 0; d < nData; d++) rowPtr[d + 1]! += rowPtr[d]!;
  return { nData, nTheta, rowPtr, cols, vals };
}

/** Nonzeros of the parameter-dependent part and of the constant part. */
export function mapNnz(map: AffineMap): { linear: number; constant: number } {
  let constant = 0;
  for (const c of map.cols) if (c === map.nTheta) constant++;
  return { linear: map.cols.length - constant, constant };
}

/** out[b, d] = Σₖ M[d, k]·θ[b, k] (+ the constant column), for `batch` stacked rows θ[b] of length nTheta. */
export function applyMap(map: AffineMap, theta: Float64Array, batch: number, constant: boolean): Float64Array {
  const { nData, nTheta, rowPtr, cols, vals } = map;
  const out = new Float64Array(batch * nData);
  for (let b = 0; b < batch; b++) {
    const tb = b * nTheta;
    const ob = b * nData;
    for (let d = 0; d < nData; d++) {
      let s = 0;
      for (let k = rowPtr[d]!; k < rowPtr[d + 1]!; k++) {
        const c = cols[k]!;
        if (c !== nTheta) s += vals[k]! * theta[tb + c]!;
        else if (constant) s += vals[k]!;
      }
      out[ob + d] = s;
    }
  }
  return out;
}

/** θ̄[b, k] = Σ_d M[d, k]·ḡ[b, d] over the linear columns (the map's adjoint). */
export function applyMapT(map: AffineMap, g: Float64Array, batch: number): Float64Array {
  const { nData, nTheta, rowPtr, cols, vals } = map;
  const out = new Float64Array(batch * nTheta);
  for (let b = 0; b < batch; b++) {
    const gb = b * nData;
    const ob = b * nTheta;
    for (let d = 0; d < nData; d++) {
      const gd = g[gb + d]!;
      if (gd === 0) continue;
      for (let k = rowPtr[d]!; k < rowPtr[d + 1]!; k++) {
        const c = cols[k]!;
        if (c !== nTheta) out[ob + c]! += vals[k]! * gd;
      }
    }
  }
  return out;
}

type MapAttrs = { readonly constant: boolean };

/**
 * The map as two differentiable ops on a leading batch axis: `apply` (θ [.., nθ] → data
 * [.., nData], with or without the constant column) and `adjoint` (data cotangent → θ cotangent).
 * Each is the other's VJP, so the pair is closed under differentiation.
 */
export function affineMapOps(map: AffineMap): { apply: Op<MapAttrs>; adjoint: Op<MapAttrs> } {
  const { nData, nTheta } = map;
  const lead = (t: Tensor) => (t.ndim === 2 ? t.shape[0]! : 1);
  const apply: Op<MapAttrs> = defineOp<MapAttrs>({
    name: 'model.map',
    forward: ([t], { constant }) => new Tensor(applyMap(map, t!.data, lead(t!), constant), [...t!.shape.slice(0, -1), nData]),
    vjp: (cot) => [adjoint.apply([cot], { constant: false })],
  });
  const adjoint: Op<MapAttrs> = defineOp<MapAttrs>({
    name: 'model.mapAdjoint',
    forward: ([g]) => new Tensor(applyMapT(map, g!.data, lead(g!)), [...g!.shape.slice(0, -1), nTheta]),
    vjp: (cot) => [apply.apply([cot], { constant: false })],
  });
  return { apply, adjoint };
}
