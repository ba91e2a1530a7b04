import { InvalidInputError } from '../../errors.js';
import { amdOrder } from './amd.js';
import { type CscPattern, cscSymmetricMultiply, nnzOf, validateCsc } from './csc.js';
import { allocateBuffers, applyInverse, factorNumeric, type LdlBuffers } from './numeric.js';
import { type LdlSymbolic, invertPermutation, symbolicFactor } from './symbolic.js';

export type { LdlBuffers } from './numeric.js';
export type { LdlSymbolic } from './symbolic.js';

/** Ordering of the symbolic analysis: approximate minimum degree (default), none, or the caller's (perm[k] = index eliminated k-th). */
export type LdlOrdering = 'amd' | 'natural' | Int32Array;

/** Shared default for omitted option bags (no allocation per call). */
const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

export interface LdlAnalyzeOptions {
  readonly ordering?: LdlOrdering;
  /** Factor a trailing block that fill has made dense with the blocked dense kernel (default true). */
  readonly denseTail?: boolean;
  /**
   * With denseTail: factor a small matrix whose sparse factor costs at least 1/2.5 of a dense one
   * as one dense block (default true; false keeps the sparse columns and their Schur updates).
   */
  readonly wholeDense?: boolean;
}

/**
 * Regularization of a quasi-definite factorization. Static: signs[i]·static is added to every
 * pivot. Dynamic: a pivot of the wrong sign or with |d| < dynamicEps becomes signs[i]·dynamicDelta.
 * Defaults follow Clarabel: 1e-8, 1e-13, 2e-7.
 */
export interface LdlRegularization {
  readonly static?: number;
  readonly dynamicEps?: number;
  readonly dynamicDelta?: number;
}

/**
 * A numeric LDLᵀ factorization P(K + R)Pᵀ = LDLᵀ, R the regularization. Its buffers are reused when
 * passed back to factorLdl as `into`: refactoring the same pattern allocates nothing.
 */
export interface LdlFactor {
  readonly symbolic: LdlSymbolic;
  /** L's strict lower values on symbolic.lColPtr/lRowIdx (the sparse columns; the dense tail is in buffers.tail). */
  readonly lx: Float64Array;
  /** D in pivot order. */
  readonly d: Float64Array;
  /** The unregularized values K was given with (a reference, not a copy): refinement targets them. */
  values: Float64Array;
  /** Pivots replaced by dynamic regularization in the last factorization. */
  regularizedPivots: number;
  /** nnz of L's strict lower triangle. */
  readonly nnzL: number;
  /** perm[k] = the caller's index eliminated k-th. */
  readonly perm: Int32Array;
  /** Refinement steps taken and the final ‖b − Kx‖∞ of the last solveLdl (NaN when called with steps 0: not computed). */
  lastSolve: { steps: number; residual: number };
  /** The numeric phase's buffers (L, D, the dense tail, scatter vectors). */
  readonly buffers: LdlBuffers;
  /** Refinement work vectors (length n each). */
  readonly work: { r: Float64Array; dx: Float64Array; rhs: Float64Array };
}

/**
 * Symbolic analysis of the symmetric matrix whose upper triangle incl. the full diagonal is
 * `upper` (square CSC): fill-reducing ordering, permuted pattern, elimination tree, column counts
 * and L's pattern. Done once per pattern; the result is immutable and shared.
 */
export function analyzeLdl(upper: CscPattern, options: LdlAnalyzeOptions = {}): LdlSymbolic {
  validateCsc(upper, 'analyzeLdl: upper');
  const n = upper.ncols;
  if (upper.nrows !== n) throw new InvalidInputError(`analyzeLdl: upper must be square, got ${upper.nrows}×${n}`);
  for (let j = 0; j < n; j++) {
    const hi = upper.colPtr[j + 1]!;
    if (hi === upper.colPtr[j]! || upper.rowIdx[hi - 1] !== j) {
      throw new InvalidInputError(
        `analyzeLdl: upper must hold the upper triangle with every diagonal entry; column ${j} does not end at row ${j}`,
      );
    }
  }
  const ordering = options.ordering ?? 'amd';
  let perm: Int32Array;
  if (ordering instanceof Int32Array) perm = ordering.slice();
  else if (ordering === 'amd') perm = amdOrder(upper);
  else if (ordering === 'natural') perm = Int32Array.from({ length: n }, (_, k) => k);
  else
    throw new InvalidInputError(`analyzeLdl: unknown ordering '${String(ordering)}' (use 'amd', 'natural' or an Int32Array permutation)`);
  const denseTail = options.denseTail ?? true;
  const sym = symbolicFactor(upper, perm, iperm(perm, n), denseTail, undefined, options.wholeDense ?? true);
  if (ordering !== 'amd' || !denseTail) return sym;
  const delayed = delayIntoTail(sym);
  // The delayed columns join the tail (a dense block need not be an elimination-tree chain).
  return delayed ? symbolicFactor(upper, delayed.perm, iperm(delayed.perm, n), true, delayed.tailFrom, options.wholeDense ?? true) : sym;
}

const iperm = (perm: Int32Array, n: number) => invertPermutation(perm, n, 'analyzeLdl');

/**
 * A lone sparse column (not in a run of columns sharing their tail rows) whose Schur update
 * covers more than this fraction of the dense tail's rows is cheaper inside the tail: its
 * update is a q(q+1)/2 indexed scatter, ~15× slower per
 * multiply–add than the tail's gemm, while growing the tail by one costs ~t²/2 of those
 * (q > t/√15). AMD leaves a few such columns on a random sparse LP (42 of them with q ≈ t/2 at
 * n = 2000, ~15% of each factorization).
 */
const DELAY_FRACTION = 0.25;

/** AMD's order with the sparse columns that feed most of the tail moved to its front, or null if there are none. */
function delayIntoTail(sym: LdlSymbolic): { perm: Int32Array; tailFrom: number } | null {
  const { n, tailStart: s, lColPtr, tailSplit, perm, schurGroups } = sym;
  const t = n - s;
  if (t === 0) return null;
  const late: number[] = [];
  // Only lone columns: a run sharing its tail rows is already one gemm (numeric.ts).
  for (let g = 0; g + 1 < schurGroups.length; g++) {
    const j = schurGroups[g]!;
    if (schurGroups[g + 1]! - j === 1 && lColPtr[j + 1]! - tailSplit[j]! > DELAY_FRACTION * t) late.push(j);
  }
  if (late.length === 0) return null;
  const out = new Int32Array(n);
  let k = 0;
  let next = 0;
  for (let j = 0; j < s; j++) {
    if (late[next] === j) next++;
    else out[k++] = perm[j]!;
  }
  for (const j of late) out[k++] = perm[j]!;
  for (let j = s; j < n; j++) out[k++] = perm[j]!;
  return { perm: out, tailFrom: s - late.length };
}

function newFactor(sym: LdlSymbolic, values: Float64Array): LdlFactor {
  const n = sym.n;
  const buffers = allocateBuffers(sym);
  return {
    symbolic: sym,
    lx: buffers.lx,
    d: buffers.d,
    values,
    regularizedPivots: 0,
    nnzL: sym.nnzL,
    perm: sym.perm,
    lastSolve: { steps: 0, residual: Number.NaN },
    buffers,
    work: { r: new Float64Array(n), dx: new Float64Array(n), rhs: new Float64Array(n) },
  };
}

/**
 * Numeric LDLᵀ of the quasi-definite K (values in `sym.upper`'s entry order). signs[i] = +1 where a
 * positive pivot is expected, −1 where a negative one is (the caller's order). Reuses `into`'s
 * buffers when it was made for `sym` (refactor in place, no allocation). Throws InvalidInputError
 * on bad lengths, signs other than ±1, or non-finite values.
 */
export function factorLdl(
  sym: LdlSymbolic,
  values: Float64Array,
  signs: Int8Array,
  reg: LdlRegularization = NO_OPTIONS,
  into?: LdlFactor,
): LdlFactor {
  const n = sym.n;
  const nnz = nnzOf(sym.upper);
  if (values.length !== nnz) throw new InvalidInputError(`factorLdl: values must have length nnz = ${nnz}, got ${values.length}`);
  if (signs.length !== n) throw new InvalidInputError(`factorLdl: signs must have length ${n}, got ${signs.length}`);
  for (let i = 0; i < n; i++) {
    if (signs[i] !== 1 && signs[i] !== -1) throw new InvalidInputError(`factorLdl: signs[${i}] is ${signs[i]} (must be +1 or −1)`);
  }
  for (let p = 0; p < nnz; p++) {
    if (!Number.isFinite(values[p]!)) throw new InvalidInputError(`factorLdl: values[${p}] is ${values[p]} (must be finite)`);
  }
  const eps0 = reg.static ?? 1e-8;
  const dynEps = reg.dynamicEps ?? 1e-13;
  const dynDelta = reg.dynamicDelta ?? 2e-7;
  if (!(eps0 >= 0 && dynEps >= 0 && dynDelta > 0)) {
    throw new InvalidInputError(
      `factorLdl: regularization must have static ≥ 0, dynamicEps ≥ 0, dynamicDelta > 0 (got ${eps0}, ${dynEps}, ${dynDelta})`,
    );
  }
  const f = into !== undefined && into.symbolic === sym ? into : newFactor(sym, values);
  f.values = values;
  const regularized = factorNumeric(sym, values, signs, eps0, dynEps, dynDelta, f.buffers);
  f.regularizedPivots = regularized;
  return f;
}

/** max |vᵢ|, or Infinity if any entry is not finite (a NaN must not read as a zero residual). */
function maxAbs(v: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i]!);
    if (!(a <= m)) m = a;
  }
  return Number.isNaN(m) ? Infinity : m;
}

/**
 * Solves K x = b (the caller's order) with the factorization, then refines against the
 * UNregularized K (f.values): up to `steps` (default 3) corrections, stopping once
 * ‖b − Kx‖∞ ≤ tol·(1 + ‖b‖∞) (default tol 1e-12), or when a correction made the residual larger
 * (it is then taken back: where the regularized factor is too far from K, refinement diverges,
 * and ten unchecked steps overflow). `out` may alias `b`. Returns `out`.
 */
export function solveLdl(
  f: LdlFactor,
  b: Float64Array,
  out: Float64Array,
  refine: { readonly steps?: number; readonly tol?: number } = NO_OPTIONS,
): Float64Array {
  const n = f.symbolic.n;
  if (b.length < n || out.length < n)
    throw new InvalidInputError(`solveLdl: b and out must have length ≥ ${n}, got ${b.length} and ${out.length}`);
  const steps = refine.steps ?? 3;
  const tol = refine.tol ?? 1e-12;
  const { r, dx } = f.work;
  // Keep b: `out` may alias it.
  const rhs = f.work.rhs;
  for (let i = 0; i < n; i++) rhs[i] = b[i]!;
  applyInverse(f.symbolic, f.buffers, rhs, out);
  const bound = tol * (1 + maxAbs(rhs, n));
  let taken = 0;
  let res = Number.NaN;
  let previous = Infinity;
  for (;;) {
    if (steps === 0) break;
    cscSymmetricMultiply(f.symbolic.upper, f.values, out, r);
    for (let i = 0; i < n; i++) r[i] = rhs[i]! - r[i]!;
    res = maxAbs(r, n);
    if (taken > 0 && !(res <= previous)) {
      for (let i = 0; i < n; i++) out[i]! -= dx[i]!;
      taken--;
      res = previous;
      break;
    }
    if (res <= bound || taken === steps) break;
    previous = res;
    applyInverse(f.symbolic, f.buffers, r, dx);
    for (let i = 0; i < n; i++) out[i]! += dx[i]!;
    taken++;
  }
  f.lastSolve.steps = taken;
  f.lastSolve.residual = res;
  return out;
}
