import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { gemm, gemmBatched } from '../kernels/blas.js';
import { broadcastOffsets, broadcastShapes } from '../kernels/broadcast.js';
import { batchLabel, choleskyFactor, findZeroDiagonal, luFactor, luSolveInto, trsm, type LuFactor } from '../kernels/factor.js';
import { Tensor, assertFinite, sizeOf } from '../tensor.js';
import { unbroadcast } from './broadcast.js';
import { defineOp, type Op } from './define-op.js';
import { add, mul, neg } from './elementwise.js';
import { matrixTranspose, reshape } from './shape.js';
import { asColumn, dropLastAxis, isUnbatched, isVectorRhs, matrixOffsets, splitMatrix, squareMatrix } from './matrix-layout.js';

/**
 * Linear algebra on batches of matrices `[..., r, c]`, forward and VJP side by side. Leading
 * (batch) dimensions broadcast as in NumPy, and every VJP sums its cotangent back over the batch
 * dimensions an input was broadcast along (the adjoint of broadcasting is a sum), so a matrix
 * shared by a whole batch gets the summed gradient. All VJPs are written with differentiable
 * ops, so every op here can be differentiated again.
 */

type NoAttrs = Record<string, never>;
type MatmulAttrs = { readonly transA: boolean; readonly transB: boolean };
type SolveAttrs = { readonly transpose: boolean };
type TriangularAttrs = { readonly lower: boolean; readonly transpose: boolean; readonly unitDiagonal: boolean };
type TriangleAttrs = { readonly lower: boolean; readonly diagonalScale: number };

// --- matmul ------------------------------------------------------------------------------------

/**
 * op(A)·op(B) on batches, with op(X) = X or Xᵀ chosen by `transA` / `transB`. The flags let the
 * VJP multiply by transposes without materialising them: for C = A·B, Ā = C̄·Bᵀ and B̄ = Aᵀ·C̄.
 */
export const matmulOp: Op<MatmulAttrs> = defineOp<MatmulAttrs>({
  name: 'matmul',
  forward([a, b], { transA, transB }) {
    const sa = splitMatrix('matmul', 'a', a!);
    const sb = splitMatrix('matmul', 'b', b!);
    const [m, k] = transA ? [sa.cols, sa.rows] : [sa.rows, sa.cols];
    const [kb, n] = transB ? [sb.cols, sb.rows] : [sb.rows, sb.cols];
    if (k !== kb) {
      throw new ShapeError(
        `matmul: inner dimensions differ: op(a) of input 'a' (shape ${formatShape(a!.shape)}${transA ? ', transposed' : ''}) has ${k} columns ` +
          `but op(b) of input 'b' (shape ${formatShape(b!.shape)}${transB ? ', transposed' : ''}) has ${kb} rows`,
      );
    }
    const batch = broadcastShapes(sa.batch, sb.batch, 'matmul');
    const count = sizeOf(batch);
    const out = new Float64Array(count * m * n);
    const lda = sa.cols;
    const ldb = sb.cols;
    if (!transA && isUnbatched(sb.batch) && sizeOf(sa.batch) === count) {
      // A batch against one shared matrix is a single tall product: [count·m, k] · op(B).
      gemm(false, transB, count * m, n, k, 1, a!.data, 0, lda, b!.data, 0, ldb, 0, out, 0, n);
    } else {
      const cOffsets = Int32Array.from({ length: count }, (_, i) => i * m * n);
      gemmBatched(
        count,
        transA,
        transB,
        m,
        n,
        k,
        1,
        a!.data,
        matrixOffsets(sa.batch, batch, sa.rows * sa.cols),
        lda,
        b!.data,
        matrixOffsets(sb.batch, batch, sb.rows * sb.cols),
        ldb,
        0,
        out,
        cOffsets,
        n,
      );
    }
    return new Tensor(out, [...batch, m, n]);
  },
  vjp(cot, { inputs: [a, b], attrs: { transA, transB }, needs }) {
    let db: Tensor | null = null;
    // Ā = C̄·op(B)ᵀ, or op(B)·C̄ᵀ when A is stored transposed (k×m).
    const da = needs[0] ? unbroadcast(transA ? matmulT(b!, cot, transB, true) : matmulT(cot, b!, false, !transB), a!.shape) : null;
    if (needs[1]) {
      const bBatch = b!.shape.slice(0, -2);
      if (!transA && isUnbatched(bBatch) && a!.ndim > 2) {
        // Shared B: fold the batch into rows so B̄ is one product, not a batch summed afterwards.
        const k = a!.shape[a!.ndim - 1]!;
        const aFlat = reshape(a!, [-1, k]);
        const cFlat = reshape(cot, [-1, cot.shape[cot.ndim - 1]!]);
        db = transB ? matmulT(cFlat, aFlat, true, false) : matmulT(aFlat, cFlat, true, false);
        db = reshape(db, b!.shape);
      } else {
        db = transB
          ? matmulT(cot, a!, true, transA) // B is n×k: B̄ = C̄ᵀ·op(A)
          : matmulT(a!, cot, !transA, false); // B̄ = op(A)ᵀ·C̄
        db = unbroadcast(db, b!.shape);
      }
    }
    return [da, db];
  },
});

/** op(a)·op(b) on batches of matrices (both at least 2-D). */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return matmulOp.apply([a, b], { transA, transB });
}

/**
 * Matrix product with NumPy semantics: `[..., m, k] @ [..., k, n] → [..., m, n]`, batch
 * dimensions broadcast; a 1-D `a` is a row vector and a 1-D `b` a column vector, and the
 * promoted axis is removed from the result.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: inputs must be at least 1-D, got 'a' of shape ${formatShape(a.shape)} and 'b' of shape ${formatShape(b.shape)}`,
    );
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const c = matmulT(a2, b2, false, false);
  if (a.ndim > 1 && b.ndim > 1) return c;
  const shape = c.shape.slice();
  if (b.ndim === 1) shape.pop();
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return reshape(c, shape);
}

// --- solve -------------------------------------------------------------------------------------

// LU factors keyed by the matrix tensor they factor. Tensors are immutable, so a factor stays
// valid for its key's lifetime; the VJP's transposed solve (and any further solve with the same
// matrix) reuses the forward factorization instead of refactoring. Weak keys: no leak.
const luCache = new WeakMap<Tensor, LuFactor>();

function luOf(a: Tensor, n: number): LuFactor {
  const f = luCache.get(a) ?? luFactor(a.data, n, a.size / (n * n), { op: 'solve', input: 'A' });
  luCache.set(a, f);
  return f;
}

/** Batch shape, batch offsets of A and B, and the output shape of a batched `[..., n, k]` solve. */
function solveLayout(op: string, names: [string, string], a: Tensor, b: Tensor) {
  const { batch: aBatch, n } = squareMatrix(op, names[0], a);
  const sb = splitMatrix(op, names[1], b);
  if (sb.rows !== n) {
    throw new ShapeError(
      `${op}: input '${names[1]}' of shape ${formatShape(b.shape)} has ${sb.rows} rows but input '${names[0]}' of shape ${formatShape(a.shape)} is ${n}×${n}`,
    );
  }
  const batch = broadcastShapes(aBatch, sb.batch, op);
  const k = sb.cols;
  return { n, k, aIndex: broadcastOffsets(aBatch, batch), bOffsets: matrixOffsets(sb.batch, batch, n * k), shape: [...batch, n, k] };
}

/** X = A⁻¹B (or A⁻ᵀB) for A `[..., n, n]` and B `[..., n, k]`, by pivoted LU. */
export const solveOp: Op<SolveAttrs> = defineOp<SolveAttrs>({
  name: 'solve',
  forward([a, b], { transpose }) {
    assertFinite(a!, 'solve', 'A');
    assertFinite(b!, 'solve', 'b');
    const { n, k, aIndex, bOffsets, shape } = solveLayout('solve', ['A', 'b'], a!, b!);
    const f = luOf(a!, n);
    const out = new Float64Array(sizeOf(shape));
    for (let t = 0; t < aIndex.length; t++) {
      out.set(b!.data.subarray(bOffsets[t]!, bOffsets[t]! + n * k), t * n * k);
      luSolveInto(f, aIndex[t]!, out, t * n * k, k, transpose);
    }
    return new Tensor(out, shape);
  },
  vjp(cot, { inputs: [a, b], output: x, attrs: { transpose }, needs }) {
    // AX = B ⇒ B̄ = A⁻ᵀX̄ and Ā = −B̄Xᵀ; for AᵀX = B, B̄ = A⁻¹X̄ and Ā = −XB̄ᵀ.
    const g = solveOp.apply([a!, cot], { transpose: !transpose });
    const da = needs[0] ? unbroadcast(neg(transpose ? matmulT(x, g, false, true) : matmulT(g, x, false, true)), a!.shape) : null;
    return [da, needs[1] ? unbroadcast(g, b!.shape) : null];
  },
});

/**
 * x = A⁻¹b (A⁻ᵀb with `transpose`) for A `[..., n, n]` and b either a vector `[n]` or batch of
 * vectors shaped exactly `[...A's batch, n]` (PyTorch's rule), or `[..., n, k]`: k right-hand
 * sides, batch dimensions broadcast. NaN/Infinity in A or b, and a singular A, throw an InvalidInputError.
 * The LU factor of A is cached on A (tensors are immutable), so the backward pass, and other
 * solves with the same A, reuse it.
 */
export function solve(a: Tensor, b: Tensor, { transpose = false }: { transpose?: boolean } = {}): Tensor {
  if (!isVectorRhs(a, b)) return solveOp.apply([a, b], { transpose });
  return dropLastAxis(solveOp.apply([a, asColumn(b)], { transpose }));
}

/** PyTorch's rule: b is a (batch of) vector(s) if it is 1-D or its shape is exactly A's without the last axis. */
// --- triangular solve --------------------------------------------------------------------------

/** Keeps one triangle of each matrix, its diagonal scaled by `diagonalScale`; self-adjoint. */
export const triangleOp: Op<TriangleAttrs> = defineOp<TriangleAttrs>({
  name: 'triangle',
  forward([x], { lower, diagonalScale }) {
    const { rows, cols } = splitMatrix('triangle', 'x', x!);
    const out = new Float64Array(x!.size);
    const src = x!.data;
    for (let o = 0; o < out.length; o += rows * cols) {
      for (let i = 0; i < rows; i++) {
        const [from, to] = lower ? [0, Math.min(i + 1, cols)] : [i, cols];
        for (let j = from; j < to; j++) out[o + i * cols + j] = (i === j ? diagonalScale : 1) * src[o + i * cols + j]!;
      }
    }
    return new Tensor(out, x!.shape);
  },
  vjp: (cot, { attrs }) => [triangleOp.apply([cot], attrs)],
});

/** The lower (or upper) triangle of each matrix, the diagonal scaled by `diagonalScale` (default 1). */
export function triangle(x: Tensor, { lower = true, diagonalScale = 1 }: { lower?: boolean; diagonalScale?: number } = {}): Tensor {
  return triangleOp.apply([x], { lower, diagonalScale });
}

/** X = op(T)⁻¹B for triangular T `[..., n, n]` (only its triangle is read) and B `[..., n, k]`. */
export const triangularSolveOp: Op<TriangularAttrs> = defineOp<TriangularAttrs>({
  name: 'triangularSolve',
  forward([t, b], attrs) {
    const { n, k, aIndex, bOffsets, shape } = solveLayout('triangularSolve', ['T', 'b'], t!, b!);
    assertFinite(t!, 'triangularSolve', 'T');
    assertFinite(b!, 'triangularSolve', 'b');
    const count = attrs.unitDiagonal ? 0 : t!.size / (n * n);
    for (let e = 0, i = -1; e < count; e++) {
      if ((i = findZeroDiagonal(n, t!.data, e * n * n, n)) >= 0) {
        throw new InvalidInputError(
          `triangularSolve: input 'T'${batchLabel(count, e)} is singular: diagonal entry ${i} is ${t!.data[e * n * n + i * n + i]}`,
        );
      }
    }
    const out = new Float64Array(sizeOf(shape));
    for (let e = 0; e < aIndex.length; e++) {
      out.set(b!.data.subarray(bOffsets[e]!, bOffsets[e]! + n * k), e * n * k);
      trsm(attrs, n, k, t!.data, aIndex[e]! * n * n, n, out, e * n * k, k);
    }
    return new Tensor(out, shape);
  },
  vjp(cot, { inputs: [t, b], output: x, attrs, needs }) {
    // Same algebra as solve, with T̄ restricted to the triangle the forward read.
    const g = triangularSolveOp.apply([t!, cot], { ...attrs, transpose: !attrs.transpose });
    let dt: Tensor | null = null;
    if (needs[0]) {
      const outer = attrs.transpose ? matmulT(x, g, false, true) : matmulT(g, x, false, true);
      dt = unbroadcast(neg(triangle(outer, { lower: attrs.lower, diagonalScale: attrs.unitDiagonal ? 0 : 1 })), t!.shape);
    }
    return [dt, needs[1] ? unbroadcast(g, b!.shape) : null];
  },
});

/**
 * x = op(T)⁻¹b for a lower (default) or upper triangular T `[..., n, n]`, op(T) = Tᵀ with
 * `transpose`; b is `[..., n]` or `[..., n, k]` as for {@link solve}. Only T's triangle is read,
 * and the gradient with respect to T lies in that triangle. A zero on T's diagonal throws.
 */
export function triangularSolve(
  t: Tensor,
  b: Tensor,
  { lower = true, transpose = false, unitDiagonal = false }: { lower?: boolean; transpose?: boolean; unitDiagonal?: boolean } = {},
): Tensor {
  const attrs = { lower, transpose, unitDiagonal };
  if (!isVectorRhs(t, b)) return triangularSolveOp.apply([t, b], attrs);
  return dropLastAxis(triangularSolveOp.apply([t, asColumn(b)], attrs));
}

// --- cholesky ----------------------------------------------------------------------------------

/** ½(X + Xᵀ) for each matrix; self-adjoint. */
export const symmetrizeOp: Op<NoAttrs> = defineOp<NoAttrs>({
  name: 'symmetrize',
  forward([x]) {
    const { n } = squareMatrix('symmetrize', 'x', x!);
    const src = x!.data;
    const out = new Float64Array(x!.size);
    for (let o = 0; o < out.length; o += n * n) {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[o + i * n + j] = 0.5 * (src[o + i * n + j]! + src[o + j * n + i]!);
    }
    return new Tensor(out, x!.shape);
  },
  vjp: (cot) => [symmetrizeOp.apply([cot], {})],
});

/** ½(X + Xᵀ) for each matrix of a batch `[..., n, n]`. */
export function symmetrize(x: Tensor): Tensor {
  return symmetrizeOp.apply([x], {});
}

/** Largest |A_ij − A_ji| tolerated, relative to max |A_ij|, before A counts as not symmetric. */
const SYMMETRY_RTOL = 1e-8;

function assertSymmetric(a: Tensor, n: number): void {
  const d = a.data;
  const count = a.size / (n * n);
  for (let e = 0; e < count; e++) {
    const o = e * n * n;
    let scale = 0;
    for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(d[o + i]!));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const u = d[o + i * n + j]!;
        const v = d[o + j * n + i]!;
        if (Math.abs(u - v) > SYMMETRY_RTOL * scale) {
          throw new InvalidInputError(
            `cholesky: input 'A'${batchLabel(count, e)} is not symmetric: A[${i},${j}] = ${u} but A[${j},${i}] = ${v}`,
          );
        }
      }
    }
  }
}

/**
 * The lower Cholesky factor L (A = LLᵀ) of each symmetric positive definite matrix of a batch
 * `[..., n, n]`. Throws an InvalidInputError naming 'cholesky', the input and the batch element
 * if A holds NaN/Infinity, is not symmetric (beyond a relative 1e-8), or is not positive definite.
 *
 * Gradient convention: cholesky is a function on symmetric matrices, so its gradient is the
 * symmetric matrix Ā with ⟨Ā, Ȧ⟩ = ⟨L̄, L̇⟩ for every symmetric tangent Ȧ:
 * Ā = sym(L⁻ᵀ Φ(LᵀL̄) L⁻¹), with Φ the lower triangle with halved diagonal (Murray 2016).
 */
export const choleskyOp: Op<NoAttrs> = defineOp<NoAttrs>({
  name: 'cholesky',
  forward([a]) {
    assertFinite(a!, 'cholesky', 'A');
    const { n } = squareMatrix('cholesky', 'A', a!);
    assertSymmetric(a!, n);
    const f = choleskyFactor(a!.data, n, a!.size / (n * n), { op: 'cholesky', input: 'A' });
    return new Tensor(f.l, a!.shape);
  },
  vjp(cot, { output: l }) {
    const p = triangle(matmulT(l, cot, true, false), { lower: true, diagonalScale: 0.5 });
    const y = triangularSolve(l, p, { lower: true, transpose: true }); // L⁻ᵀP
    const z = triangularSolve(l, matrixTranspose(y), { lower: true, transpose: true }); // L⁻ᵀYᵀ = (L⁻ᵀPL⁻¹)ᵀ
    return [symmetrize(z)];
  },
});

/** See {@link choleskyOp}. */
export function cholesky(a: Tensor): Tensor {
  return choleskyOp.apply([a], {});
}

// --- quadratic form ----------------------------------------------------------------------------

/** xᵀAx for x `[..., n]` and A `[..., n, n]`, batch dimensions broadcast; the result is `[...]`. */
export const quadFormOp: Op<NoAttrs> = defineOp<NoAttrs>({
  name: 'quadForm',
  forward([x, a]) {
    const { batch: aBatch, n } = squareMatrix('quadForm', 'A', a!);
    if (x!.ndim < 1 || x!.shape[x!.ndim - 1] !== n) {
      throw new ShapeError(
        `quadForm: input 'x' of shape ${formatShape(x!.shape)} must end in ${n} to match input 'A' of shape ${formatShape(a!.shape)}`,
      );
    }
    const batch = broadcastShapes(x!.shape.slice(0, -1), aBatch, 'quadForm');
    const xOff = matrixOffsets(x!.shape.slice(0, -1), batch, n);
    const aOff = matrixOffsets(aBatch, batch, n * n);
    const xs = x!.data;
    const as = a!.data;
    const out = new Float64Array(xOff.length);
    for (let t = 0; t < out.length; t++) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let row = 0;
        for (let j = 0; j < n; j++) row += as[aOff[t]! + i * n + j]! * xs[xOff[t]! + j]!;
        s += xs[xOff[t]! + i]! * row;
      }
      out[t] = s;
    }
    return new Tensor(out, batch);
  },
  vjp(cot, { inputs: [x, a], needs }) {
    // d(xᵀAx) = xᵀ(A + Aᵀ)dx + ⟨xxᵀ, dA⟩, so x̄ = c·(Ax + Aᵀx) and Ā = c·xxᵀ.
    const c = reshape(cot, [...cot.shape, 1, 1]);
    const col = asColumn(x!);
    let dx: Tensor | null = null;
    if (needs[0]) {
      const sym = add(matmulT(a!, col, false, false), matmulT(a!, col, true, false));
      dx = unbroadcast(dropLastAxis(mul(c, sym)), x!.shape);
    }
    const da = needs[1] ? unbroadcast(mul(c, matmulT(col, col, false, true)), a!.shape) : null;
    return [dx, da];
  },
});

/** xᵀAx for x `[..., n]` and A `[..., n, n]` (batch dimensions broadcast). */
export function quadForm(x: Tensor, a: Tensor): Tensor {
  return quadFormOp.apply([x, a], {});
}
