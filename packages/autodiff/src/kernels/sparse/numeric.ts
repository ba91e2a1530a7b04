import { DENSE_PANEL, denseBackward, denseForward, denseLdl, denseStride, denseWorkspace, syrkLower } from './dense-ldl.js';
import type { LdlSymbolic } from './symbolic.js';

/** The numeric buffers of one factorization of a symbolic pattern; reused by every refactorization. */
export interface LdlBuffers {
  /** L's strict lower values on the sparse columns (symbolic.lColPtr/lRowIdx). */
  readonly lx: Float64Array;
  /** D in pivot order (tail included). */
  readonly d: Float64Array;
  /** The dense tail: t×t row-major at stride denseStride(t), L below the diagonal (empty without a tail). */
  readonly tail: Float64Array;
  /** Scatter vector of the up-looking phase (kept zero between rows) and the solve's pivot-order vector. */
  readonly y: Float64Array;
  readonly w: Float64Array;
  /** Per-tail-pivot signs; panels of the grouped Schur updates (wp is also the dense kernel's work). */
  readonly tailSigns: Int8Array;
  readonly lp: Float64Array;
  readonly wp: Float64Array;
  /** A grouped Schur update before it is scattered into the tail (at least schurMaxRows²). */
  readonly update: Float64Array;
}

export function allocateBuffers(sym: LdlSymbolic): LdlBuffers {
  const t = sym.n - sym.tailStart;
  const ld = t > 0 ? denseStride(t) : 0;
  return {
    lx: new Float64Array(sym.lColPtr[sym.n]!),
    d: new Float64Array(sym.n),
    tail: new Float64Array(ld * ld),
    y: new Float64Array(sym.n),
    w: new Float64Array(sym.n),
    tailSigns: new Int8Array(t),
    lp: new Float64Array(ld * DENSE_PANEL),
    wp: new Float64Array(ld * DENSE_PANEL),
    update: new Float64Array(denseStride(sym.schurMaxRows) ** 2),
  };
}

/**
 * P(K + R)Pᵀ = LDLᵀ into `buf`; returns the number of dynamically regularized pivots.
 *
 * Sparse pivots (k < s = tailStart) are factored up-looking: row k of L solves L·D·l = c_k along
 * its precomputed row pattern. Tail rows get only their sparse part that way; their Schur
 * complement S = C₂₂ − L₂₁D₁L₂₁ᵀ is accumulated into the dense block (lone columns row by row as
 * each tail row is assembled, grouped columns by panels after), which the blocked kernel then factors.
 */
export function factorNumeric(
  sym: LdlSymbolic,
  values: Float64Array,
  signs: Int8Array,
  eps0: number,
  dynEps: number,
  dynDelta: number,
  buf: LdlBuffers,
): number {
  const { n, tailStart: s, cColPtr, cRowIdx, cSource, lColPtr, lRowIdx, rRowPtr, rColIdx, rPos, tailSplit, perm } = sym;
  const { lx, d, y } = buf;
  const t = n - s;
  const ld = t > 0 ? denseStride(t) : 0;
  // The Schur complement is assembled where it will be factored (dense-simd.ts's memory, or buf.tail).
  const { m: tail, o: at } = denseWorkspace(buf.tail, t);
  let regularized = 0;
  for (let k = 0; k < n; k++) {
    const inTail = k >= s;
    // A tail row is zeroed, assembled and given its lone-column Schur terms in one visit, while it is in cache.
    if (inTail) tail.fill(0, at + (k - s) * ld, at + (k - s) * ld + (k - s) + 1);
    let dk = 0;
    for (let p = cColPtr[k]!; p < cColPtr[k + 1]!; p++) {
      const i = cRowIdx[p]!;
      const v = values[cSource[p]!]!;
      if (i === k) dk = v;
      else if (i < s) y[i] = v;
      else tail[at + (k - s) * ld + (i - s)] = v;
    }
    for (let q = rRowPtr[k]!; q < rRowPtr[k + 1]!; q++) {
      const i = rColIdx[q]!;
      const yi = y[i]!;
      y[i] = 0;
      const pos = rPos[q]!;
      // Column i's rows above k (for a tail row: its rows above the tail only; the rest is Schur work).
      const end = inTail ? tailSplit[i]! : pos;
      for (let p = lColPtr[i]!; p < end; p++) y[lRowIdx[p]!]! -= lx[p]! * yi;
      const lki = yi / d[i]!;
      lx[pos] = lki;
      if (!inTail) dk -= lki * yi;
    }
    const sign = signs[perm[k]!]!;
    dk += sign * eps0;
    if (inTail) {
      tail[at + (k - s) * ld + (k - s)] = dk;
      buf.tailSigns[k - s] = sign;
      scatterLoneColumns(sym, buf, tail, at + (k - s) * ld - s, k);
      continue;
    }
    if (!(sign * dk > dynEps)) {
      dk = sign * dynDelta;
      regularized++;
    }
    d[k] = dk;
  }
  if (t === 0) return regularized;
  groupedSchurUpdate(sym, buf, tail, at, ld);
  return regularized + denseLdl(buf.tail, t, d, s, buf.tailSigns, dynEps, dynDelta, buf.wp, true, tail !== buf.tail);
}

/** x = P⁻¹(LDLᵀ)⁻¹P·b in the caller's order, through buf.w (pivot order). b and x may alias. */
export function applyInverse(sym: LdlSymbolic, buf: LdlBuffers, b: Float64Array, x: Float64Array): void {
  const { n, tailStart: s, lColPtr, lRowIdx, perm } = sym;
  const { lx, d, w, tail } = buf;
  const t = n - s;
  for (let k = 0; k < n; k++) w[k] = b[perm[k]!]!;
  for (let j = 0; j < s; j++) {
    const wj = w[j]!;
    if (wj === 0) continue;
    for (let p = lColPtr[j]!; p < lColPtr[j + 1]!; p++) w[lRowIdx[p]!]! -= lx[p]! * wj;
  }
  if (t > 0) denseForward(tail, t, w, s);
  for (let k = 0; k < n; k++) w[k]! /= d[k]!;
  if (t > 0) denseBackward(tail, t, w, s);
  for (let j = s - 1; j >= 0; j--) {
    let v = w[j]!;
    for (let p = lColPtr[j]!; p < lColPtr[j + 1]!; p++) v -= lx[p]! * w[lRowIdx[p]!]!;
    w[j] = v;
  }
  for (let k = 0; k < n; k++) x[perm[k]!] = w[k]!;
}

/**
 * Tail row k's share of S −= L₂₁·D₁·L₂₁ᵀ from the lone columns (a random sparse LP's constraint
 * rows: most of the update), through L's row pattern, right after row k is assembled: every term
 * lands on the one row that is in cache. Scattering column by column put each of a column's
 * q(q+1)/2 terms on another row; zeroing and assembling the whole tail first evicted each row again
 * before its terms came (n = 2000 LP, assembly and Schur update: ~41 → ~19 ms a factorization).
 */
function scatterLoneColumns(sym: LdlSymbolic, buf: LdlBuffers, tail: Float64Array, row: number, k: number): void {
  const { lRowIdx, tailSplit, rRowPtr, rColIdx, rPos, schurLone: lone } = sym;
  const { lx, d } = buf;
  for (let q = rRowPtr[k]!; q < rRowPtr[k + 1]!; q++) {
    const j = rColIdx[q]!;
    if (lone[j] === 0) continue;
    const a = rPos[q]!;
    const v = lx[a]! * d[j]!;
    for (let b = tailSplit[j]!; b <= a; b++) tail[row + lRowIdx[b]!]! -= v * lx[b]!;
  }
}

/**
 * The rest of S −= L₂₁·D₁·L₂₁ᵀ: a run of columns sharing their tail rows is packed into panels and
 * multiplied by gemm (syrkLower), then scattered once.
 */
function groupedSchurUpdate(sym: LdlSymbolic, buf: LdlBuffers, tail: Float64Array, at: number, ld: number): void {
  const { tailStart: s, lColPtr, lRowIdx, tailSplit, schurGroups, schurLone: lone } = sym;
  const { lx, d, lp, wp, update } = buf;
  for (let g = 0; g + 1 < schurGroups.length; g++) {
    const j0 = schurGroups[g]!;
    const j1 = schurGroups[g + 1]!;
    const lo0 = tailSplit[j0]!;
    const q = lColPtr[j0 + 1]! - lo0;
    if (lone[j0] === 1) continue;
    update.fill(0, 0, q * q);
    for (let c0 = j0; c0 < j1; c0 += DENSE_PANEL) {
      const nb = Math.min(DENSE_PANEL, j1 - c0);
      // Column c's tail rows as row c of lp (and times d in wp): the panels syrkLower reads.
      for (let c = 0; c < nb; c++) {
        const lo = tailSplit[c0 + c]!;
        const dj = d[c0 + c]!;
        for (let a = 0, at = c * q; a < q; a++, at++) {
          const l = lx[lo + a]!;
          lp[at] = l;
          wp[at] = l * dj;
        }
      }
      syrkLower(q, nb, lp, wp, update, q);
    }
    for (let a = 0; a < q; a++) {
      const row = at + (lRowIdx[lo0 + a]! - s) * ld - s;
      const ua = a * q;
      for (let b = 0; b <= a; b++) tail[row + lRowIdx[lo0 + b]!]! += update[ua + b]!;
    }
  }
}
