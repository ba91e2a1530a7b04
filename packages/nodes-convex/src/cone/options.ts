import { optionFields } from '@argmin/autodiff/extend';

/**
 * The cone node's own options as schema fields (merged by applyNode with the common ones —
 * tol, maxIter, warmStart, strategy, onUnconverged, linearSolve, label — into one strict object).
 * The shape of each field is checked here; what depends on the parameters (the cones taking A's
 * rows, a CSC pattern's indices) is checked by the node's `check` (problem.ts).
 */
const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const isPattern = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && 'colPtr' in v && 'rowIdx' in v && 'nrows' in v && 'ncols' in v;

export const coneOptionFields = {
  cones: optionFields.custom(
    isRecord,
    'a cone specification such as { zero?, nonneg?, soc?: [sizes], psd?: [orders], exp?, power?: [exponents] } (required)',
  ),
  sparsity: optionFields
    .custom(
      (v) => isRecord(v) && Object.keys(v).every((k) => (k === 'A' || k === 'P') && (v[k] === undefined || isPattern(v[k]))),
      '{ A?: CscPattern, P?: CscPattern }',
    )
    .optional(),
  unroll: optionFields.oneOf(['refine', 'admm']).optional(),
  /** Over-relaxation of the unrolled ADMM: α ∈ (0, 2) keeps the iteration a contraction. */
  alpha: optionFields.between(0, 2).optional(),
  tolInfeasible: optionFields.positive().optional(),
  kkt: optionFields.oneOf(['auto', 'dense', 'sparse']).optional(),
  polish: optionFields.custom((v) => typeof v === 'boolean' || v === 'auto', "true, false or 'auto'").optional(),
  denseMax: optionFields.nonNegativeInt().optional(),
};
