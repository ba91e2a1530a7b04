/**
 * Dense factorizations for the linear-algebra ops and the implicit VJPs of optimization nodes:
 * Cholesky, LDLᵀ, pivoted LU and triangular solves, all batched over back-to-back n×n blocks. A factor
 * is a plain object made once and solved against many times (forward passes keep theirs for the
 * backward pass). Each family lives in its own file; this module is the single import point.
 */
export { trsm, solveRightLowerTransposed, findZeroDiagonal, type TriangularOptions } from './factor-triangular.js';
export {
  choleskyFactor,
  choleskyInto,
  choleskySolve,
  choleskySolveInto,
  choleskyLogDet,
  batchLabel,
  type CholeskyFactor,
  type FactorContext,
} from './factor-cholesky.js';
export { luFactor, luInto, luSolve, luSolveInto, luDet, luLogAbsDet, type LuFactor } from './factor-lu.js';
export { ldltFactor, ldltInto, ldltSolve, ldltSolveInto, ldltNegativePivots, type LdltFactor } from './factor-ldlt.js';
