import { InvalidInputError, formatShape } from '../errors.js';
import { choleskyInto } from '../kernels/factor-cholesky.js';
import type { Tensor } from '../tensor.js';

/**
 * The value checks every node shares, with one tolerance each: finiteness, and symmetry and
 * positive semidefiniteness of matrices. Node signatures ask for them (`psd`, `infinite`); node
 * authors may call them directly for data that is not a parameter.
 */

/** Largest |Mᵢⱼ − Mⱼᵢ| tolerated, relative to max |Mᵢⱼ| of the block. */
export const SYMMETRY_RTOL = 1e-10;
/**
 * PSD-ness is tested by a Cholesky factorization of M + δI with δ = n·PSD_RTOL·max|Mᵢⱼ|: a few
 * ulps of slack for matrices that are singular in exact arithmetic (a zero control cost, a
 * rank-deficient Q), so a negative eigenvalue below about −δ is reported.
 */
export const PSD_RTOL = 1e-12;

/** 'symmetric': M itself must be symmetric PSD; 'symmetric-part': only ½(M + Mᵀ) must be PSD. */
export type PsdMode = 'symmetric' | 'symmetric-part';

/**
 * Throws unless every value of `t` is finite (or, with `allowInfinite`, not NaN). The message
 * names the node, the parameter, the value, its position and the shape.
 */
export function assertFiniteValues(node: string, name: string, t: Tensor, allowInfinite = false): void {
  const d = t.data;
  if (allowInfinite ? !hasNaN(d) : firstNonFinite(d) < 0) return;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (allowInfinite ? Number.isNaN(v) : !Number.isFinite(v)) {
      throw new InvalidInputError(
        `${node}: parameter '${name}' holds ${v} at flat index ${i} (shape ${formatShape(t.shape)}); ${allowInfinite ? 'values must not be NaN' : 'finite values are required'}`,
      );
    }
  }
}

/**
 * The index of the first NaN or ±∞ of d, or −1. Blocks of entries are summed as v − v (0 for a
 * finite v, NaN otherwise) with no branch per entry; only a block whose sum is not 0 is searched.
 * Batched calls check megabytes of parameters on the calling thread, where a branch per entry
 * cost ~3 ns.
 */
export function firstNonFinite(d: Float64Array): number {
  const BLOCK = 1024;
  for (let at = 0; at < d.length; at += BLOCK) {
    const end = Math.min(d.length, at + BLOCK);
    let s0 = 0;
    let s1 = 0;
    let i = at;
    for (; i + 1 < end; i += 2) {
      s0 += d[i]! - d[i]!;
      s1 += d[i + 1]! - d[i + 1]!;
    }
    if (i < end) s0 += d[i]! - d[i]!;
    if (s0 + s1 !== 0) for (let k = at; k < end; k++) if (!Number.isFinite(d[k]!)) return k;
  }
  return -1;
}

function hasNaN(d: Float64Array): boolean {
  for (let i = 0; i < d.length; i++) if (Number.isNaN(d[i])) return true;
  return false;
}

/**
 * Throws unless every n×n block of the trailing two axes of `t` is positive semidefinite (and,
 * in 'symmetric' mode, symmetric). `lead` names the leading axes for the message, outermost
 * first (e.g. ['batch element', 'time step']); the failing block is located by them.
 */
export function assertPsdBlocks(node: string, name: string, t: Tensor, mode: PsdMode, lead: readonly string[] = []): void {
  const n = t.shape[t.ndim - 1]!;
  const blocks = n === 0 ? 0 : t.size / (n * n);
  const a = new Float64Array(n * n);
  const l = new Float64Array(n * n);
  const where = (k: number) => {
    const axes = t.shape.slice(0, -2);
    if (axes.length === 0) return '';
    const idx: number[] = [];
    for (let i = axes.length - 1, r = k; i >= 0; i--) {
      idx.unshift(r % axes[i]!);
      r = Math.floor(r / axes[i]!);
    }
    const labels = idx.map((v, i) => `${lead[i + lead.length - idx.length] ?? `index ${i}:`} ${v}`);
    return ` at ${labels.join(', ')}`;
  };
  for (let k = 0; k < blocks; k++) {
    const o = k * n * n;
    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(t.data[o + i]!));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const u = t.data[o + i * n + j]!;
        const v = t.data[o + j * n + i]!;
        if (mode === 'symmetric' && Math.abs(u - v) > SYMMETRY_RTOL * scale) {
          throw new InvalidInputError(
            `${node}: parameter '${name}'${where(k)} is not symmetric: ${name}[${i},${j}] = ${u} but ${name}[${j},${i}] = ${v} (tolerance ${SYMMETRY_RTOL} relative to max |${name}ᵢⱼ|)`,
          );
        }
        a[i * n + j] = a[j * n + i] = 0.5 * (u + v);
      }
    }
    const delta = Math.max(n * PSD_RTOL * scale, Number.MIN_VALUE);
    for (let i = 0; i < n; i++) a[i * n + i]! += delta;
    if (choleskyInto(a, n, l) >= 0) {
      throw new InvalidInputError(
        `${node}: parameter '${name}'${where(k)} is not positive semidefinite (${mode === 'symmetric' ? 'it has' : 'its symmetric part has'} a negative eigenvalue); the problem is not convex`,
      );
    }
  }
}
