import { Tensor } from '@argmin/autodiff';
import { applyMap, applyMapT, buildAffineMap, type AffineMap, type Segment } from './affine-map.js';

/**
 * How a layer call fills each data segment of the node (A, b, c, Q, …), decided once at compile
 * time from the affine map, so that a call does only the work the map really needs:
 * - 'copy': the segment is one parameter entry for entry (G, h, an LP's A, b, c): the caller's
 *   tensor is passed to the node as is, and the node's gradient for it is the parameter's;
 * - 'symmetric': s·½(Θ + Θᵀ) of one square parameter Θ (a parametric quadForm's Q): computed
 *   densely, and for s = 1 and an exactly symmetric Θ (where it equals Θ bit for bit) passed as is;
 *   its adjoint is s·½(Ḡ + Ḡᵀ);
 * - 'constant': no parameter enters (e.g. the 2I of a sumSquares objective): one tensor, built
 *   once and shared by every call and every batch element;
 * - 'map': the segment's own rows of the map, over the few parameters it reads, applied per call
 *   (batched only when one of those parameters is batched), its adjoint in the backward pass.
 * A segment left unbatched while others are batched is a shared input of the node, which sums
 * its gradient over the batch, as the layer promises for shared parameters.
 */
export type SegmentSource =
  | { readonly kind: 'copy'; readonly segment: Segment; readonly param: number }
  | { readonly kind: 'symmetric'; readonly segment: Segment; readonly param: number; readonly order: number; readonly scale: number }
  | { readonly kind: 'constant'; readonly segment: Segment; readonly value: Tensor }
  | {
      readonly kind: 'map';
      readonly segment: Segment;
      /** The parameters the segment reads (indices into θ's list) and where each sits locally. */
      readonly params: readonly { readonly index: number; readonly offset: number; readonly size: number }[];
      readonly map: AffineMap;
    };

interface ThetaEntry {
  readonly param: { readonly size: number };
  readonly offset: number;
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function dataPlan(map: AffineMap, segments: readonly Segment[], theta: readonly ThetaEntry[]): SegmentSource[] {
  const owner = new Int32Array(map.nTheta);
  theta.forEach(({ param, offset }, i) => owner.fill(i, offset, offset + param.size));
  return segments.map((segment): SegmentSource => {
    const size = sizeOf(segment.shape);
    const { rowPtr, cols, vals } = map;
    const lo = rowPtr[segment.offset]!;
    const hi = rowPtr[segment.offset + size]!;
    let constantOnly = true;
    for (let k = lo; k < hi; k++) if (cols[k] !== map.nTheta) constantOnly = false;
    if (constantOnly) {
      const value = new Float64Array(size);
      for (let d = 0; d < size; d++)
        for (let k = rowPtr[segment.offset + d]!; k < rowPtr[segment.offset + d + 1]!; k++) value[d]! += vals[k]!;
      return { kind: 'constant', segment, value: new Tensor(value, segment.shape) };
    }
    const firstParam = cols[lo]! === map.nTheta ? -1 : owner[cols[lo]!]!;
    const first = theta[firstParam];
    let copy = first !== undefined && hi - lo === size && first.param.size === size;
    for (let d = 0; copy && d < size; d++) {
      const k = rowPtr[segment.offset + d]!;
      copy = rowPtr[segment.offset + d + 1]! === k + 1 && cols[k] === first!.offset + d && vals[k] === 1;
    }
    if (copy) return { kind: 'copy', segment, param: firstParam };
    const scale = first === undefined ? null : symmetricScale(map, segment, first.offset, first.param.size);
    if (scale !== null) return { kind: 'symmetric', segment, param: firstParam, order: segment.shape[0]!, scale };
    // The segment's rows over a local θ: the parameters it reads, stacked in θ order.
    const used = [
      ...new Set(
        Array.from(cols.subarray(lo, hi))
          .filter((c) => c !== map.nTheta)
          .map((c) => owner[c]!),
      ),
    ].sort((a, b) => a - b);
    const local = new Map<number, number>();
    let nLocal = 0;
    const params = used.map((index) => {
      const p = { index, offset: nLocal, size: theta[index]!.param.size };
      local.set(index, nLocal);
      nLocal += p.size;
      return p;
    });
    const entries: [number, number, number][] = [];
    for (let d = 0; d < size; d++) {
      for (let k = rowPtr[segment.offset + d]!; k < rowPtr[segment.offset + d + 1]!; k++) {
        const c = cols[k]!;
        const col = c === map.nTheta ? nLocal : local.get(owner[c]!)! + c - theta[owner[c]!]!.offset;
        entries.push([d, col, vals[k]!]);
      }
    }
    return { kind: 'map', segment, params, map: buildAffineMap(size, nLocal, entries) };
  });
}

/**
 * The node's data tensors for one call. `batched[i]` says whether tensor i carries the leading
 * batch axis (of size B). When B > 1 but no segment ends up batched (a batched parameter whose
 * coefficients are all zero), the first segment is broadcast so the node still solves B elements.
 */
export function applyData(
  plan: readonly SegmentSource[],
  tensors: readonly Tensor[],
  batched: readonly boolean[],
  batch: number | null,
): Record<string, Tensor> {
  const seg: Record<string, Tensor> = {};
  let anyBatched = false;
  for (const src of plan) {
    const { name, shape } = src.segment;
    if (src.kind === 'constant') {
      seg[name] = src.value;
    } else if (src.kind === 'symmetric') {
      const t = tensors[src.param]!;
      const b = batched[src.param]!;
      anyBatched ||= b;
      const full = b ? [batch!, ...shape] : shape;
      seg[name] =
        src.scale === 1 && isSymmetric(t.data, src.order)
          ? sameShape(t.shape, full)
            ? t
            : new Tensor(t.data, full)
          : new Tensor(symmetrized(t.data, src.order, src.scale), full);
    } else if (src.kind === 'copy') {
      const t = tensors[src.param]!;
      const b = batched[src.param]!;
      anyBatched ||= b;
      seg[name] = sameShape(t.shape, b ? [batch!, ...shape] : shape) ? t : new Tensor(t.data, b ? [batch!, ...shape] : shape);
    } else {
      const b = src.params.some((p) => batched[p.index]);
      anyBatched ||= b;
      const B = b ? batch! : 1;
      seg[name] = new Tensor(
        applyMap(src.map, localTheta(src.params, src.map.nTheta, tensors, batched, B), B, true),
        b ? [B, ...shape] : shape,
      );
    }
  }
  if (batch !== null && !anyBatched && plan.length > 0) {
    const { name, shape } = plan[0]!.segment;
    const one = seg[name]!.data;
    const data = new Float64Array(batch * one.length);
    for (let e = 0; e < batch; e++) data.set(one, e * one.length);
    seg[name] = new Tensor(data, [batch, ...shape]);
  }
  return seg;
}

/**
 * The gradients of the parameter tensors from the node's gradients of its data tensors: copies
 * pass through (summed over the batch for a shared parameter), map segments go through the map's
 * adjoint, constant segments have none.
 */
export function pullData(
  plan: readonly SegmentSource[],
  grads: Readonly<Record<string, Tensor>>,
  tensors: readonly Tensor[],
  batched: readonly boolean[],
  batch: number | null,
): Tensor[] {
  const out: (Float64Array | null)[] = tensors.map(() => null);
  // A gradient taken over from the node without copying; copied before a second addition.
  const borrowed = new Set<number>();
  /** Adds src ([B, size] when srcBatched, else [size]) into tensor i's gradient. */
  const addInto = (i: number, src: Float64Array, srcBatched: boolean, size: number) => {
    const target = tensors[i]!;
    if (out[i] === null && srcBatched === batched[i] && src.length === target.size) {
      out[i] = src;
      borrowed.add(i);
      return;
    }
    if (out[i] === null) out[i] = new Float64Array(target.size);
    else if (borrowed.has(i)) {
      out[i] = Float64Array.from(out[i]!);
      borrowed.delete(i);
    }
    const dst = out[i]!;
    const B = srcBatched ? batch! : 1;
    for (let e = 0; e < B; e++) {
      const so = e * size;
      const dOff = batched[i] ? e * size : 0;
      for (let j = 0; j < size; j++) dst[dOff + j]! += src[so + j]!;
    }
  };
  for (const src of plan) {
    if (src.kind === 'constant') continue;
    const g = grads[src.segment.name]!;
    const gBatched = batch !== null && g.ndim === src.segment.shape.length + 1;
    if (src.kind === 'symmetric') {
      addInto(src.param, symmetrized(g.data, src.order, src.scale), gBatched, src.order * src.order);
      continue;
    }
    if (src.kind === 'copy') {
      addInto(src.param, g.data, gBatched, tensors[src.param]!.size / (batched[src.param] ? batch! : 1));
      continue;
    }
    const B = gBatched ? batch! : 1;
    const local = applyMapT(src.map, g.data, B);
    const nLocal = src.map.nTheta;
    if (src.params.length === 1) {
      addInto(src.params[0]!.index, local, gBatched, nLocal);
      continue;
    }
    for (const p of src.params) {
      const part = new Float64Array(B * p.size);
      for (let e = 0; e < B; e++) part.set(local.subarray(e * nLocal + p.offset, e * nLocal + p.offset + p.size), e * p.size);
      addInto(p.index, part, gBatched, p.size);
    }
  }
  return tensors.map((t, i) => new Tensor(out[i] ?? new Float64Array(t.size), t.shape));
}

/** The segment's local θ [B, nLocal]: one parameter's own data when it reads just one (no copy). */
function localTheta(
  params: readonly { readonly index: number; readonly offset: number; readonly size: number }[],
  nLocal: number,
  tensors: readonly Tensor[],
  batched: readonly boolean[],
  B: number,
): Float64Array {
  if (params.length === 1 && (B === 1 || batched[params[0]!.index])) return tensors[params[0]!.index]!.data;
  const theta = new Float64Array(B * nLocal);
  for (const p of params) {
    const d = tensors[p.index]!.data;
    for (let e = 0; e < B; e++) theta.set(batched[p.index] ? d.subarray(e * p.size, (e + 1) * p.size) : d, e * nLocal + p.offset);
  }
  return theta;
}

/** s when the segment's rows are s·½(Θ + Θᵀ) of the k×k parameter at θ offset `off`, else null. */
function symmetricScale(map: AffineMap, segment: Segment, off: number, paramSize: number): number | null {
  const k = segment.shape[0] ?? 0;
  if (segment.shape.length !== 2 || segment.shape[1] !== k || paramSize !== k * k) return null;
  const { rowPtr, cols, vals } = map;
  const s = vals[rowPtr[segment.offset]!]!;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const lo = rowPtr[segment.offset + i * k + j]!;
      const count = rowPtr[segment.offset + i * k + j + 1]! - lo;
      if (i === j) {
        if (count !== 1 || cols[lo] !== off + i * k + i || vals[lo] !== s) return null;
        continue;
      }
      // Columns are sorted within a row: the lower flat index first.
      const [a, b] = [off + Math.min(i * k + j, j * k + i), off + Math.max(i * k + j, j * k + i)];
      if (count !== 2 || cols[lo] !== a || cols[lo + 1] !== b || vals[lo] !== s / 2 || vals[lo + 1] !== s / 2) return null;
    }
  }
  return s;
}

/** Whether every k×k block of d is exactly symmetric. */
function isSymmetric(d: Float64Array, k: number): boolean {
  for (let o = 0; o < d.length; o += k * k)
    for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) if (d[o + i * k + j] !== d[o + j * k + i]) return false;
  return true;
}

/** s·½(M + Mᵀ) of every k×k block of d. */
function symmetrized(d: Float64Array, k: number, s: number): Float64Array {
  const out = new Float64Array(d.length);
  const h = s / 2;
  for (let o = 0; o < d.length; o += k * k) {
    for (let i = 0; i < k; i++) {
      out[o + i * k + i] = s * d[o + i * k + i]!;
      for (let j = 0; j < i; j++) out[o + i * k + j] = out[o + j * k + i] = h * (d[o + i * k + j]! + d[o + j * k + i]!);
    }
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
