import { Tensor } from '@argmin/autodiff';
import type { Program } from './compile.js';
import type { Constraint, Expr, Shape } from './expr.js';

/**
 * Reading the layer's outputs out of the node's solution, and back: each output entry is one
 * entry of a solution vector (x, or the dual rows of its constraint; a PSD dual entry is an svec
 * entry unscaled by √2 off the diagonal), so both directions are plain gathers and scatters on
 * arrays, planned once per layer.
 */
export interface ReadItem {
  /** The solution tensor it reads: 'z' / 'nu' / 'lam' of the QP node, 'x' / 'y' of the cone node. */
  readonly key: string;
  readonly idx: Int32Array;
  readonly scale: Float64Array | null;
  readonly shape: Shape;
  /** The whole solution vector in order, unscaled: read (and its cotangent passed) without copying. */
  readonly whole: boolean;
}

/** Lengths of the solution vectors per batch element, by key. */
function solutionLengths(program: Program): Record<string, number> {
  const { n, rows } = program;
  return { z: n, x: n, nu: rows.zero, lam: rows.nonneg, y: rows.total };
}

const isRange = (idx: Int32Array, len: number) => idx.length === len && idx.every((v, j) => v === j);

export function readPlan(program: Program, variables: readonly Expr[], duals: readonly Constraint[]): ReadItem[] {
  const qp = program.target === 'qp';
  const plan: Omit<ReadItem, 'whole'>[] = variables.map((v) => {
    const off = program.variableOffset.get(v)!;
    return { key: qp ? 'z' : 'x', idx: Int32Array.from({ length: v.size }, (_, j) => off + j), scale: null, shape: v.shape };
  });
  for (const c of duals) {
    const r = program.constraintRows.get(c)!;
    const key = !qp ? 'y' : r.kind === 'zero' ? 'nu' : 'lam';
    if (r.kind !== 'psd') {
      plan.push({ key, idx: Int32Array.from({ length: r.count }, (_, j) => r.offset + j), scale: null, shape: c.shape });
      continue;
    }
    const k = r.order!;
    const idx = new Int32Array(k * k);
    const scale = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const [row, col] = i >= j ? [i, j] : [j, i];
        idx[i * k + j] = r.offset + col * k - (col * (col - 1)) / 2 + (row - col);
        scale[i * k + j] = i === j ? 1 : Math.SQRT1_2;
      }
    }
    plan.push({ key, idx, scale, shape: [k, k] });
  }
  const lengths = solutionLengths(program);
  return plan.map((item) => ({ ...item, whole: item.scale === null && isRange(item.idx, lengths[item.key]!) }));
}

/** The outputs, [B, …shape] (or …shape unbatched), from the solution record. */
export function readOutputs(
  plan: readonly ReadItem[],
  sol: Readonly<Record<string, Tensor>>,
  B: number,
  lead: readonly number[],
): Tensor[] {
  return plan.map(({ key, idx, scale, shape, whole }) => {
    const src = sol[key]!.data;
    if (whole) return new Tensor(src, [...lead, ...shape]);
    const N = src.length / B;
    const len = idx.length;
    const out = new Float64Array(B * len);
    for (let b = 0; b < B; b++) for (let j = 0; j < len; j++) out[b * len + j] = src[b * N + idx[j]!]! * (scale ? scale[j]! : 1);
    return new Tensor(out, [...lead, ...shape]);
  });
}

/** The outputs' cotangents scattered into cotangents of the solution record (null where none). */
export function scatterCotangents(
  plan: readonly ReadItem[],
  cots: readonly (Tensor | null)[],
  sol: Readonly<Record<string, Tensor>>,
  B: number,
): Record<string, Tensor | null> {
  const out: Record<string, Tensor | null> = Object.fromEntries(Object.keys(sol).map((k) => [k, null]));
  const readers = new Map<string, number>();
  for (const { key } of plan) readers.set(key, (readers.get(key) ?? 0) + 1);
  plan.forEach(({ key, idx, scale, whole }, o) => {
    const c = cots[o];
    if (!c) return;
    const ref = sol[key]!;
    if (whole && readers.get(key) === 1) {
      out[key] = new Tensor(c.data, ref.shape);
      return;
    }
    const N = ref.size / B;
    let dst = out[key];
    if (!dst) {
      dst = new Tensor(new Float64Array(ref.size), ref.shape);
      out[key] = dst;
    }
    const len = idx.length;
    for (let b = 0; b < B; b++) for (let j = 0; j < len; j++) dst.data[b * N + idx[j]!]! += c.data[b * len + j]! * (scale ? scale[j]! : 1);
  });
  return out;
}
