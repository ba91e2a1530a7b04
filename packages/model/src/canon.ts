import { canonAtom } from './canon-atoms.js';
import { DcpError } from './errors.js';
import { format, type Expr, type Shape } from './expr.js';
import { Lin, linAdd, linConcat, linConst, linGather, linLeaf, linMatmul, linMul, linScale, linSum, type Row } from './lin.js';

/**
 * Canonicalization (Smith form): every atom becomes a fresh variable t with cone constraints
 * that make t an upper bound (convex atoms) or a lower bound (concave atoms) of the atom, and
 * affine operations act on the rows of {@link Lin}. DCP guarantees the bounds are tight at the
 * optimum. Constraints are kept as affine rows s = Fx + g with s in a cone; the compiler turns
 * them into b − Ax = s (A = −F, b = g) in the cone node's order.
 */
export const ONE: Row = [-1, -1, 1];

/** Where a group of rows sits inside its cone kind (zero / nonneg row index, or block index). */
export interface RowRange {
  readonly kind: 'zero' | 'nonneg' | 'psd';
  readonly start: number;
  readonly count: number;
  /** PSD: the matrix order. */
  readonly order?: number;
}

export class ConeBuilder {
  nVars: number;
  readonly zero: Row[] = [];
  readonly nonneg: Row[] = [];
  readonly soc: Row[][] = [];
  readonly psd: { readonly order: number; readonly rows: Row[] }[] = [];
  readonly exp: Row[][] = [];
  /** Power cones (after the exponential cones in the node's order), each with its exponent α. */
  readonly power: { readonly rows: Row[]; readonly alpha: number }[] = [];

  constructor(nVars: number) {
    this.nVars = nVars;
  }

  /** A fresh auxiliary variable. */
  newVar(shape: Shape): Lin {
    const l = linLeaf('variable', this.nVars, shape);
    this.nVars += l.size;
    return l;
  }

  addZero(l: Lin): RowRange {
    const start = this.zero.length;
    this.zero.push(...l.rows);
    return { kind: 'zero', start, count: l.size };
  }

  addNonneg(l: Lin): RowRange {
    const start = this.nonneg.length;
    this.nonneg.push(...l.rows);
    return { kind: 'nonneg', start, count: l.size };
  }

  /** ‖(r₁, …)‖ ≤ r₀. */
  addSoc(rows: readonly Row[]): void {
    this.soc.push([...rows]);
  }

  /** (x, y, z) in the exponential cone: y·exp(x/y) ≤ z. */
  addExp(x: Row, y: Row, z: Row): void {
    this.exp.push([x, y, z]);
  }

  /** (x, y, z) in the power cone K_α: x^α·y^(1−α) ≥ |z|, x, y ≥ 0 (α ∈ (0, 1)). */
  addPower(x: Row, y: Row, z: Row, alpha: number): void {
    this.power.push({ rows: [x, y, z], alpha });
  }

  /**
   * M ⪰ 0 for a square M, stored like the cone node: the lower triangle column by column,
   * off-diagonals scaled by √2, as (Mᵢⱼ + Mⱼᵢ)/2 so a nonsymmetric expression is read symmetrically.
   */
  addPsd(M: Lin): RowRange {
    const k = M.shape[0]!;
    const rows: Row[] = [];
    for (let j = 0; j < k; j++) {
      for (let i = j; i < k; i++) {
        if (i === j) rows.push(M.rows[i * k + i]!);
        else rows.push(linScale(new Lin([], [M.rows[i * k + j]!.concat(M.rows[j * k + i]!)]), Math.SQRT1_2).rows[0]!);
      }
    }
    this.psd.push({ order: k, rows });
    return { kind: 'psd', start: this.psd.length - 1, count: rows.length, order: k };
  }
}

/** Canonicalizes expression trees against fixed variable and parameter offsets, sharing subtrees. */
export class Canonicalizer {
  private readonly memo = new Map<Expr, Lin>();
  constructor(
    readonly cones: ConeBuilder,
    private readonly variableOffset: ReadonlyMap<Expr, number>,
    private readonly parameterOffset: ReadonlyMap<Expr, number>,
  ) {}

  canon(e: Expr): Lin {
    const known = this.memo.get(e);
    if (known) return known;
    const l = this.compute(e);
    this.memo.set(e, l);
    return l;
  }

  private compute(e: Expr): Lin {
    switch (e.op) {
      case 'variable':
        return linLeaf('variable', this.variableOffset.get(e)!, e.shape);
      case 'parameter':
        return linLeaf('parameter', this.parameterOffset.get(e)!, e.shape);
      case 'constant':
        return linConst(e.data.values!, e.shape);
      case 'add':
        return linAdd(this.canon(e.args[0]!), this.canon(e.args[1]!));
      case 'neg':
        return linScale(this.canon(e.args[0]!), -1);
      case 'mul':
        return linMul(this.canon(e.args[0]!), this.canon(e.args[1]!));
      case 'matmul':
        return linMatmul(this.canon(e.args[0]!), this.canon(e.args[1]!), e.shape);
      case 'sum':
        return linSum(this.canon(e.args[0]!), e.data.axis);
      case 'gather':
        return linGather(this.canon(e.args[0]!), e.data.indices!, e.shape);
      case 'concat':
        return linConcat(
          e.args.map((a) => this.canon(a)),
          e.data.axis ?? 0,
          e.shape,
        );
      case 'atom': {
        if (e.args.every((a) => a.op === 'constant')) {
          throw new DcpError(format(e), 'an atom of constants only; compute its value and pass it as a constant');
        }
        return canonAtom(e, (a) => this.canon(a), this.cones);
      }
    }
  }
}
