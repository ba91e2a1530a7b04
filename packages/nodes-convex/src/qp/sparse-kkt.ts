import { analyzeLdl, factorLdl, solveLdl, type CscPattern, type LdlFactor, type LdlSymbolic } from '@argmin/autodiff/kernels';
import type { SparseQp } from './sparse-data.js';

/**
 * The KKT matrix of a routed QP element on the cone engine's equilibrated data
 * (Ã = D·C·E, P̃ = σ·E·Q·E, cone/ipm/equilibrate.ts), as a quasi-definite sparse LDLᵀ:
 *
 *   [ P̃    Ãᵀ ]      one column per variable, then one per row r of C = [A; G]:
 *   [ Ã   −Δ̃  ]      coupled rows keep Ã's row and −Δ̃ᵣ on the diagonal, decoupled ones
 *                     have their row zeroed and −1 on the diagonal (so their unknown is 0).
 *
 * With the equalities and the active set 𝒜 coupled and Δ̃ = 0 this is the polish's system (the
 * equality-constrained KKT system on 𝒜) and the exact derivative's at a strictly complementary
 * solution; with every row coupled and Δ̃ = s̃/λ̃ it is OptNet's system at an interior iterate.
 * Both reuse one pattern (the full one), so its AMD ordering and symbolic analysis are built once
 * per (P, C) pattern pair and shared by every active set, element and call.
 */
interface QpKktPattern {
  readonly sym: LdlSymbolic;
  readonly signs: Int8Array;
  /** Position in K of each stored entry of P (P's order) and of C (C's order). */
  readonly pMap: Int32Array;
  readonly cMap: Int32Array;
  /** Position of the diagonal of the column of C's row r. */
  readonly diag: Int32Array;
}

const patterns = new WeakMap<CscPattern, WeakMap<CscPattern, QpKktPattern>>();

function kktPattern(sq: SparseQp): QpKktPattern {
  let byP = patterns.get(sq.C.pattern);
  if (!byP) patterns.set(sq.C.pattern, (byP = new WeakMap()));
  let hit = byP.get(sq.P.pattern);
  if (!hit) byP.set(sq.P.pattern, (hit = buildPattern(sq.P.pattern, sq.C.pattern)));
  return hit;
}

function buildPattern(P: CscPattern, C: CscPattern): QpKktPattern {
  const n = P.ncols;
  const R = C.nrows;
  const N = n + R;
  const colPtr = new Int32Array(N + 1);
  for (let j = 0; j < n; j++) colPtr[j + 1] = P.colPtr[j + 1]! - P.colPtr[j]!;
  const cnz = C.colPtr[n]!;
  for (let q = 0; q < cnz; q++) colPtr[n + C.rowIdx[q]! + 1]!++;
  for (let r = 0; r < R; r++) colPtr[n + r + 1]!++; // the diagonal
  for (let c = 0; c < N; c++) colPtr[c + 1]! += colPtr[c]!;
  const rowIdx = new Int32Array(colPtr[N]!);
  const pMap = new Int32Array(P.colPtr[n]!);
  for (let q = 0; q < pMap.length; q++) {
    pMap[q] = q; // P's columns come first, unchanged
    rowIdx[q] = P.rowIdx[q]!;
  }
  // Row r of C becomes column n + r; walking C by columns keeps each new column's rows sorted.
  const next = colPtr.slice(n, N);
  const cMap = new Int32Array(cnz);
  for (let j = 0; j < n; j++)
    for (let q = C.colPtr[j]!; q < C.colPtr[j + 1]!; q++) {
      const at = next[C.rowIdx[q]!]!++;
      rowIdx[at] = j;
      cMap[q] = at;
    }
  const diag = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    diag[r] = next[r]!;
    rowIdx[next[r]!] = n + r;
  }
  const upper: CscPattern = { nrows: N, ncols: N, colPtr, rowIdx };
  const signs = new Int8Array(N).fill(1);
  signs.fill(-1, n);
  return { sym: analyzeLdl(upper, { ordering: 'amd' }), signs, pMap, cMap, diag };
}

/** The engine's scaled program: values on the element's patterns, and the scaling. */
export interface ScaledQp {
  readonly P: Float64Array;
  readonly C: Float64Array;
  readonly scaling: { readonly D: Float64Array; readonly E: Float64Array; readonly cost: number };
}

/** Static regularization of the pivots, as the engine's (kkt-sparse.ts); refinement removes it. */
const REG = { static: 1e-8, dynamicEps: 1e-13, dynamicDelta: 2e-7 } as const;
const REFINE = { steps: 10, tol: 1e-14 } as const;
/** A solve whose refinement ends above this relative residual is of a singular matrix. */
const SINGULAR = 1e-9;

/**
 * A factored KKT system of one routed element, solved in the caller's units: the solve takes
 * the full system's right-hand side (rx: n, rl: one per original inequality, rn: k) and returns
 * (x, l, nu) with l = 0 on rows that are decoupled or were dropped before the solve (huge bounds).
 */
export class SparseKkt {
  readonly kind = 'sparse';
  private readonly rhs: Float64Array;
  private readonly sol: Float64Array;

  private constructor(
    private readonly sq: SparseQp,
    private readonly scaled: ScaledQp,
    private readonly factor: LdlFactor,
    private readonly coupled: Uint8Array,
    /** The original rows the element kept (null: all) and the original inequality count. */
    private readonly original: { readonly rows: Int32Array | null; readonly m: number },
  ) {
    this.rhs = new Float64Array(sq.n + sq.k + sq.m);
    this.sol = new Float64Array(sq.n + sq.k + sq.m);
  }

  /**
   * Factors K for the coupled rows (C's order: equalities, then inequalities) with diagonal −Δ̃
   * (`delta` in the scaled units; null: 0, the exact system). Null when K is singular, which a
   * probe solve detects: refinement against the unregularized K cannot converge then.
   */
  static factor(
    sq: SparseQp,
    scaled: ScaledQp,
    coupled: Uint8Array,
    delta: Float64Array | null,
    original: { readonly rows: Int32Array | null; readonly m: number },
  ): SparseKkt | null {
    const pat = kktPattern(sq);
    const values = new Float64Array(pat.sym.upper.colPtr[pat.sym.n]!);
    for (let q = 0; q < pat.pMap.length; q++) values[pat.pMap[q]!] = scaled.P[q]!;
    const { rowIdx, colPtr } = sq.C.pattern;
    for (let j = 0; j < sq.n; j++)
      for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) if (coupled[rowIdx[q]!]) values[pat.cMap[q]!] = scaled.C[q]!;
    for (let r = 0; r < coupled.length; r++) values[pat.diag[r]!] = coupled[r] ? -(delta ? delta[r]! : 0) : -1;
    let f: LdlFactor;
    try {
      f = factorLdl(pat.sym, values, pat.signs, REG);
    } catch {
      return null;
    }
    const kkt = new SparseKkt(sq, scaled, f, coupled, original);
    // OptNet's system at an iterate is regularized by Δ̃ > 0 on every inequality; its entries
    // up to 1/μ make the probe's absolute test meaningless, and it is nonsingular as on the dense path.
    return delta !== null || kkt.probe() ? kkt : null;
  }

  /** Whether a solve with a fixed right-hand side of full support reaches rounding. */
  private probe(): boolean {
    const N = this.rhs.length;
    for (let i = 0; i < N; i++) this.rhs[i] = Math.sin(1 + 7 * i);
    solveLdl(this.factor, this.rhs, this.sol, REFINE);
    return this.factor.lastSolve.residual <= SINGULAR * (1 + 1);
  }

  /** (x, l, nu) = K⁻¹(rx, rl, rn) in the caller's units; returns the relative residual of the scaled solve. */
  solve(rx: Float64Array, rl: Float64Array, rn: Float64Array, x: Float64Array, l: Float64Array, nu: Float64Array): number {
    const { n, k, m } = this.sq;
    const { D, E, cost } = this.scaled.scaling;
    const { rows } = this.original;
    const { rhs, sol, coupled } = this;
    // x = E·x̃, y = D·ỹ/σ: the rows of K scale by σE (stationarity) and D (constraints).
    for (let j = 0; j < n; j++) rhs[j] = cost * E[j]! * rx[j]!;
    for (let r = 0; r < k + m; r++) {
      const v = r < k ? rn[r]! : rl[rows ? rows[r - k]! : r - k]!;
      rhs[n + r] = coupled[r] ? D[r]! * v : 0;
    }
    let big = 0;
    for (let i = 0; i < rhs.length; i++) big = Math.max(big, Math.abs(rhs[i]!));
    solveLdl(this.factor, rhs, sol, REFINE);
    for (let j = 0; j < n; j++) x[j] = E[j]! * sol[j]!;
    for (let r = 0; r < k; r++) nu[r] = (D[r]! * sol[n + r]!) / cost;
    l.fill(0);
    for (let i = 0; i < m; i++) if (coupled[k + i]) l[rows ? rows[i]! : i] = (D[k + i]! * sol[n + k + i]!) / cost;
    return this.factor.lastSolve.residual / (1 + big);
  }
}

/**
 * Multiply–adds of one numeric LDLᵀ of the element's KKT matrix (the engine's has the same
 * pattern), split into the sparse columns' (indexed scatters) and the dense tail's (a blocked
 * kernel, several times faster per multiply–add).
 */
export function kktFlops(sq: SparseQp): { sparse: number; tail: number } {
  const { flops, colCounts, tailStart, n } = kktPattern(sq).sym;
  const t = n - tailStart;
  let sparse = 0;
  for (let j = 0; j < tailStart; j++) sparse += (colCounts[j]! * (colCounts[j]! + 3)) / 2;
  return { sparse, tail: Math.max(0, flops - sparse, t > 0 ? (t * t * t) / 3 : 0) };
}
