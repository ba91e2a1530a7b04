import { DifferentiationError, InvalidInputError } from '../errors.js';
import { Tensor, zeros } from '../tensor.js';
import { vjp } from '../transforms.js';
import { solveLinear, type LinearSolveOptions } from './linear-solve.js';
import type { Cotangents, TensorRecord } from './node.js';

/**
 * The implicit VJP of a root, once for every node (jaxopt's `root_vjp`). With R(p, s*) = 0,
 *   p̄ = (∂R/∂p)ᵀ u   where   (∂R/∂s)ᵀ u = −s̄.
 * Both products are VJPs of R, from a single trace of R: no Jacobian is formed unless the
 * dense linear solve is chosen (small problems), and then only (∂R/∂s)ᵀ, one column per VJP.
 * Works on one batch element; R must have as many entries as the solution.
 */
export function rootVjp<P extends TensorRecord, S extends TensorRecord>(
  residual: (params: P, solution: S) => Tensor,
  params: P,
  solution: S,
  cotangent: Cotangents<S>,
  context: { readonly node: string; readonly element: number; readonly linearSolve?: LinearSolveOptions },
): Cotangents<P> {
  const keys = Object.keys(solution);
  const { value: r, pullback } = vjp((p: P, s: S) => residual(p, s), params, solution);
  const n = keys.reduce((acc, k) => acc + solution[k]!.size, 0);
  if (!(r instanceof Tensor) || r.size !== n) {
    throw new InvalidInputError(
      `${context.node}: optimality must return one tensor with as many entries as the solution (${n}), got ${r instanceof Tensor ? r.size : typeof r}`,
    );
  }

  const sBar = new Float64Array(n);
  let off = 0;
  for (const k of keys) {
    const c = cotangent[k];
    if (c) sBar.set(c.data, off);
    off += solution[k]!.size;
  }
  const rhs = sBar.map((v) => -v);

  // x ↦ (∂R/∂s)ᵀ x, flattened in the solution's key order.
  const transposedJacobian = (x: Float64Array, out: Float64Array): void => {
    const [, sGrad] = pullback(new Tensor(Float64Array.from(x), r.shape)) as [P, S];
    let o = 0;
    for (const k of keys) {
      out.set(sGrad[k]!.data, o);
      o += solution[k]!.size;
    }
  };
  const solved = solveLinear(transposedJacobian, rhs, n, context.linearSolve);
  if (!solved.converged) {
    throw new DifferentiationError(
      `${context.node}: implicit differentiation failed at batch element ${context.element}: the ${solved.method} solve of (∂R/∂s)ᵀu = −s̄ ${solved.singular ? 'found ∂R/∂s singular (the solution is degenerate or not isolated)' : `did not converge (relative residual ${solved.residual.toExponential(2)} after ${solved.iterations} iterations)`}`,
    );
  }
  const [pGrad] = pullback(new Tensor(solved.x, r.shape)) as [P, S];
  const out: Record<string, Tensor> = {};
  for (const k of Object.keys(params)) out[k] = pGrad[k] ?? zeros(params[k]!.shape);
  return out as Cotangents<P>;
}
