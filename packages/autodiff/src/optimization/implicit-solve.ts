import { DifferentiationError } from '../errors.js';
import { luFactor, luSolve, type LuFactor } from '../kernels/factor.js';
import { reshape } from '../ops/shape.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { concat } from '../ops/index-ops.js';
import { record, withoutRecording, type Cotangent } from '../tape.js';
import { Tensor, scalar, zeros, type Shape } from '../tensor.js';
import { vjp } from '../transforms.js';
import { solveLinear, type LinearSolveOptions } from './linear-solve.js';
import type { TensorRecord } from './node.js';

/** Which node and batch element a linearization belongs to, for messages, and how to solve. */
export interface SolveContext {
  readonly node: string;
  readonly element: number;
  readonly linearSolve?: LinearSolveOptions;
}

type Residual = (params: TensorRecord, solution: TensorRecord) => Tensor;

/**
 * The Jacobian A = ∂R/∂s of an optimality residual at one point (p, s), as an operator for the
 * numeric solves of the differentiable implicit solve below. Aᵀx is a VJP of R; Ax (needed by the
 * solve's own VJP) is the VJP of x ↦ Aᵀx, which is linear, so no forward mode is required. The
 * dense path forms Aᵀ once and reuses its LU for both Aᵀx = b and Ax = b.
 */
export class Linearization {
  readonly n: number;
  readonly residualShape: Shape;
  readonly paramKeys: readonly string[];
  readonly solutionKeys: readonly string[];
  private readonly transposedProduct: (c: Tensor) => Tensor;
  private factor: LuFactor | null | undefined;
  private forwardProduct: ((w: Tensor) => Tensor) | undefined;

  constructor(
    readonly residual: Residual,
    readonly params: TensorRecord,
    readonly solution: TensorRecord,
    readonly context: SolveContext,
  ) {
    this.paramKeys = Object.keys(params).filter((k) => params[k] !== undefined);
    this.solutionKeys = Object.keys(solution);
    const keys = this.solutionKeys;
    const { value, pullback } = withoutRecording(() => vjp(residual, params, solution));
    this.n = keys.reduce((acc, k) => acc + solution[k]!.size, 0);
    this.residualShape = value.shape;
    this.transposedProduct = (c) => flattenRecord((pullback(reshape(c, value.shape)) as [TensorRecord, TensorRecord])[1], solution, keys);
  }

  get paramTensors(): Tensor[] {
    return this.paramKeys.map((k) => this.params[k]!);
  }

  get solutionTensors(): Tensor[] {
    return this.solutionKeys.map((k) => this.solution[k]!);
  }

  /** Solves Aᵀx = b (`transpose`) or Ax = b, numerically; a failed solve is a typed error. */
  solve(b: Float64Array, transpose: boolean): Float64Array {
    return withoutRecording(() => {
      const { method = 'auto', denseMax = 200 } = this.context.linearSolve ?? {};
      if (method === 'dense' || (method === 'auto' && this.n <= denseMax)) {
        const f = this.denseFactor();
        if (f === null) throw this.failure(transpose, 'found ∂R/∂s singular (the solution is degenerate or not isolated)');
        return luSolve(f, b, 1, !transpose);
      }
      const product = transpose ? this.transposedProduct : this.forward();
      const matvec = (x: Float64Array, out: Float64Array) => out.set(product(new Tensor(Float64Array.from(x), [this.n])).data);
      const solved = solveLinear(matvec, b, this.n, this.context.linearSolve);
      if (!solved.converged) {
        throw this.failure(
          transpose,
          `did not converge (relative residual ${solved.residual.toExponential(2)} after ${solved.iterations} iterations)`,
        );
      }
      return solved.x;
    });
  }

  /** M = Aᵀ, row-major, one VJP per column, factored once; null if singular. */
  private denseFactor(): LuFactor | null {
    if (this.factor !== undefined) return this.factor;
    const n = this.n;
    const m = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      const col = this.transposedProduct(new Tensor(e, [n])).data;
      for (let i = 0; i < n; i++) m[i * n + j] = col[i]!;
    }
    try {
      this.factor = luFactor(m, n);
    } catch {
      this.factor = null;
    }
    return this.factor;
  }

  private forward(): (w: Tensor) => Tensor {
    if (this.forwardProduct) return this.forwardProduct;
    const { pullback } = vjp((c: Tensor) => this.transposedProduct(c), zeros([this.n]));
    this.forwardProduct = (w) => pullback(w)[0] as Tensor;
    return this.forwardProduct;
  }

  private failure(transpose: boolean, what: string): DifferentiationError {
    const system = transpose ? '(∂R/∂s)ᵀu = −s̄' : '(∂R/∂s)w = ū';
    return new DifferentiationError(
      `${this.context.node}: implicit differentiation failed at batch element ${this.context.element}: the solve of ${system} ${what}`,
    );
  }
}

/** A record of tensors flattened into one vector in `keys` order; a missing entry is zeros. */
export function flattenRecord(
  record: { readonly [k: string]: Tensor | null | undefined },
  like: TensorRecord,
  keys: readonly string[],
): Tensor {
  const parts = keys.map((k) => reshape(record[k] ?? zeros(like[k]!.shape), [-1]));
  return parts.length === 1 ? reshape(parts[0]!, [-1]) : concat(parts, 0);
}

/**
 * x with Aᵀx = b (`transpose`) or Ax = b, A = ∂R/∂s at the linearization's (p, s), as a
 * differentiable op of (b, p, s), the way jaxopt differentiates its implicit solves:
 *   Aᵀx = b:  b̄ = w with Aw = x̄,   (p̄, s̄) = −∇_{p,s} ⟨Aᵀx, w⟩,
 *   Ay = b:   b̄ = z with Aᵀz = ȳ,  (p̄, s̄) = −∇_{p,s} ⟨Aᵀz, y⟩,
 * with x, w (z, y) held fixed in the gradient. The VJP is itself this op and VJPs of R, so any
 * order of derivative is recorded, as far as R's ops are differentiable.
 */
export function implicitSolve(lin: Linearization, b: Tensor, transpose: boolean): Tensor {
  const x = new Tensor(lin.solve(b.data, transpose), [lin.n]);
  const inputs = [b, ...lin.paramTensors, ...lin.solutionTensors];
  record({
    op: transpose ? 'implicitAdjointSolve' : 'implicitSolve',
    kind: 'op',
    inputs,
    outputs: [x],
    attrs: { node: lin.context.node },
    pullback: (cots: readonly Cotangent[], needs: readonly boolean[]): Cotangent[] => {
      const xBar = cots[0];
      if (!xBar) return inputs.map(() => null);
      const other = implicitSolve(lin, xBar, !transpose);
      const rest = needs.slice(1).some(Boolean) ? curvature(lin, transpose ? x : other, transpose ? other : x) : null;
      return [needs[0] ? other : null, ...(rest ?? inputs.slice(1).map(() => null))];
    },
  });
  return x;
}

/** −∇_{p,s} ⟨(∂R/∂s)ᵀc, d⟩, in the op's input order (params, then solution). */
function curvature(lin: Linearization, c: Tensor, d: Tensor): Tensor[] {
  const { residual, paramKeys, solutionKeys, solution } = lin;
  const pairing = (p: TensorRecord, s: TensorRecord): Tensor => {
    const { pullback } = vjp(residual, p, s);
    const [, sGrad] = pullback(reshape(c, lin.residualShape)) as [TensorRecord, TensorRecord];
    return sum(mul(flattenRecord(sGrad, solution, solutionKeys), d));
  };
  const [pGrad, sGrad] = vjp(pairing, lin.params, lin.solution).pullback(scalar(-1)) as [TensorRecord, TensorRecord];
  return [...paramKeys.map((k) => pGrad[k]!), ...solutionKeys.map((k) => sGrad[k]!)];
}
