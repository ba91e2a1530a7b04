import { projectExp } from './exp-cone.js';
import { projectPower } from './power-cone.js';
import type { ConeBlock, ConeLayout } from './problem.js';
import { applyPsdDerivative, projectPsd, type PsdDerivative } from './psd.js';

/**
 * Euclidean projections onto a product cone K (or its dual K*) and their derivatives, block by
 * block. Zero cone: Π_K = 0 and Π_K* = identity (K* is the whole space). Nonnegative, second-order
 * and PSD cones are self-dual. The exponential and power cones' dual projections come from
 * Moreau's decomposition, Π_K*(v) = v + Π_K(−v), with DΠ_K*(v) = I − DΠ_K(−v).
 *
 * Every DΠ here is symmetric (a projection onto a convex set is the gradient of a convex
 * function), so the same `apply` serves the derivative and its adjoint.
 */

type BlockDerivative =
  | { readonly kind: 'identity' | 'zero' }
  | { readonly kind: 'diag'; readonly d: Float64Array }
  /** SOC boundary case: [[½, ½x̂ᵀ], [½x̂, αI + βx̂x̂ᵀ]]. */
  | { readonly kind: 'soc'; readonly xhat: Float64Array; readonly alpha: number; readonly beta: number }
  | { readonly kind: 'psd'; readonly D: PsdDerivative }
  | { readonly kind: 'dense'; readonly J: Float64Array };

/** DΠ at one point, for a whole product cone. */
export interface ConeDerivative {
  readonly layout: ConeLayout;
  readonly blocks: readonly BlockDerivative[];
}

function projectSoc(
  v: Float64Array,
  off: number,
  size: number,
  out: Float64Array,
  outOff: number,
  withDerivative: boolean,
  rescaled = false,
): BlockDerivative | null {
  const t = v[off]!;
  let r2 = 0;
  for (let i = 1; i < size; i++) r2 += v[off + i]! * v[off + i]!;
  const r = Math.sqrt(r2);
  if (!rescaled && (r2 < 1e-280 || r2 > 1e280)) {
    // The squares under- or overflow: project the block brought to unit size by a power of two
    // (exact; Π is positively homogeneous and DΠ scale-invariant), so x̂ = v/r has unit norm.
    // Once: a tail still tiny next to t then leaves v inside K or −K, where r's digits do not matter.
    let big = 0;
    for (let i = 0; i < size; i++) big = Math.max(big, Math.abs(v[off + i]!));
    if (big > 0 && Number.isFinite(big)) {
      const scale = 2 ** Math.round(Math.log2(big));
      const w = new Float64Array(size);
      for (let i = 0; i < size; i++) w[i] = v[off + i]! / scale;
      const D = projectSoc(w, 0, size, out, outOff, withDerivative, true);
      for (let i = 0; i < size; i++) out[outOff + i]! *= scale;
      return D;
    }
  }
  if (r <= t) {
    for (let i = 0; i < size; i++) out[outOff + i] = v[off + i]!;
    return withDerivative ? { kind: 'identity' } : null;
  }
  if (r <= -t) {
    out.fill(0, outOff, outOff + size);
    return withDerivative ? { kind: 'zero' } : null;
  }
  const scale = 0.5 * (t + r);
  out[outOff] = scale;
  for (let i = 1; i < size; i++) out[outOff + i] = (scale * v[off + i]!) / r;
  if (!withDerivative) return null;
  const xhat = new Float64Array(size - 1);
  for (let i = 1; i < size; i++) xhat[i - 1] = v[off + i]! / r;
  return { kind: 'soc', xhat, alpha: (t + r) / (2 * r), beta: -t / (2 * r) };
}

/** Projects one block of v onto its cone (or the dual cone), optionally keeping DΠ. */
function projectBlock(
  block: ConeBlock,
  dual: boolean,
  v: Float64Array,
  vOff: number,
  out: Float64Array,
  outOff: number,
  withDerivative: boolean,
): BlockDerivative | null {
  const { kind, size } = block;
  const off = vOff + block.offset;
  const o = outOff + block.offset;
  switch (kind) {
    case 'zero':
      if (dual) for (let i = 0; i < size; i++) out[o + i] = v[off + i]!;
      else out.fill(0, o, o + size);
      return withDerivative ? { kind: dual ? 'identity' : 'zero' } : null;
    case 'nonneg': {
      const d = withDerivative ? new Float64Array(size) : null;
      for (let i = 0; i < size; i++) {
        const x = v[off + i]!;
        out[o + i] = Math.max(x, 0);
        if (d) d[i] = x > 0 ? 1 : 0;
      }
      return d ? { kind: 'diag', d } : null;
    }
    case 'soc':
      return projectSoc(v, off, size, out, o, withDerivative);
    case 'psd': {
      const D = projectPsd(v, off, block.order!, out, o, withDerivative);
      return D ? { kind: 'psd', D } : null;
    }
    case 'exp':
    case 'power': {
      const J = withDerivative ? new Float64Array(9) : undefined;
      const alpha = block.alpha!;
      // Both cones are cones: Π(t·v) = t·Π(v) and DΠ(t·v) = DΠ(v). The point is brought to unit
      // size by a power of two (exact) first, so squares in the solvers neither underflow nor overflow.
      const size = Math.max(Math.abs(v[off]!), Math.abs(v[off + 1]!), Math.abs(v[off + 2]!));
      const t = size > 0 && Number.isFinite(size) ? 2 ** Math.round(Math.log2(size)) : 1;
      const sign = dual ? -1 : 1;
      const w = Float64Array.of((sign * v[off]!) / t, (sign * v[off + 1]!) / t, (sign * v[off + 2]!) / t);
      if (kind === 'exp') projectExp(w, 0, out, o, J);
      else projectPower(w, 0, alpha, out, o, J);
      for (let i = 0; i < 3; i++) out[o + i]! *= t;
      if (!dual) return J ? { kind: 'dense', J } : null;
      for (let i = 0; i < 3; i++) out[o + i] = v[off + i]! + out[o + i]!;
      if (J) for (let i = 0; i < 9; i++) J[i] = (i % 4 === 0 ? 1 : 0) - J[i]!;
      return J ? { kind: 'dense', J } : null;
    }
  }
}

/** out[outOff…] = Π_K(v[vOff…]) (or Π_K* with `dual`); m entries. `out` may not alias `v`. */
export function projectCone(layout: ConeLayout, dual: boolean, v: Float64Array, out: Float64Array, vOff = 0, outOff = 0): void {
  for (const block of layout.blocks) projectBlock(block, dual, v, vOff, out, outOff, false);
}

/** Projects like {@link projectCone} and returns DΠ at v. */
export function projectConeWithDerivative(
  layout: ConeLayout,
  dual: boolean,
  v: Float64Array,
  out: Float64Array,
  vOff = 0,
  outOff = 0,
): ConeDerivative {
  const blocks = layout.blocks.map((block) => projectBlock(block, dual, v, vOff, out, outOff, true)!);
  return { layout, blocks };
}

/** out[outOff…] = DΠ · x[xOff…] (m entries). `out` may not alias `x`. */
export function applyConeDerivative(D: ConeDerivative, x: Float64Array, out: Float64Array, xOff = 0, outOff = 0): void {
  D.layout.blocks.forEach((block, bi) => applyBlock(D.blocks[bi]!, block.size, x, xOff + block.offset, out, outOff + block.offset));
}

function applyBlock(bd: BlockDerivative, size: number, x: Float64Array, xo: number, out: Float64Array, oo: number): void {
  switch (bd.kind) {
    case 'identity':
      for (let i = 0; i < size; i++) out[oo + i] = x[xo + i]!;
      return;
    case 'zero':
      out.fill(0, oo, oo + size);
      return;
    case 'diag':
      for (let i = 0; i < size; i++) out[oo + i] = bd.d[i]! * x[xo + i]!;
      return;
    case 'soc': {
      const { xhat, alpha, beta } = bd;
      const t = x[xo]!;
      let proj = 0;
      for (let i = 1; i < size; i++) proj += xhat[i - 1]! * x[xo + i]!;
      out[oo] = 0.5 * t + 0.5 * proj;
      for (let i = 1; i < size; i++) out[oo + i] = 0.5 * t * xhat[i - 1]! + alpha * x[xo + i]! + beta * proj * xhat[i - 1]!;
      return;
    }
    case 'psd':
      applyPsdDerivative(bd.D, x, xo, out, oo);
      return;
    case 'dense': {
      const J = bd.J;
      for (let i = 0; i < 3; i++) out[oo + i] = J[3 * i]! * x[xo]! + J[3 * i + 1]! * x[xo + 1]! + J[3 * i + 2]! * x[xo + 2]!;
      return;
    }
  }
}

/** DΠ as a dense row-major m×m matrix (block diagonal). */
export function denseConeDerivative(D: ConeDerivative): Float64Array {
  const m = D.layout.m;
  const out = new Float64Array(m * m);
  const e = new Float64Array(m);
  const col = new Float64Array(m);
  D.layout.blocks.forEach((block, bi) => {
    const { offset, size } = block;
    for (let j = offset; j < offset + size; j++) {
      e[j] = 1;
      applyBlock(D.blocks[bi]!, size, e, offset, col, offset);
      for (let i = offset; i < offset + size; i++) out[i * m + j] = col[i]!;
      e[j] = 0;
    }
  });
  return out;
}
