import { InvalidInputError } from '@argmin/autodiff';

/**
 * A problem that breaks the disciplined convex programming rules. The message names the
 * smallest offending subexpression, the rule it breaks and the curvatures / signs involved, e.g.
 * "model: not DCP: sqrt-free product x * y … both sides contain variables".
 */
export class DcpError extends InvalidInputError {
  override name = 'DcpError';
  constructor(
    readonly subexpression: string,
    readonly reason: string,
  ) {
    super(`model: not DCP: ${subexpression}\n  why: ${reason}`);
  }
}

/**
 * A problem that is DCP but not DPP: a parameter enters non-affinely (inside a nonlinear atom,
 * multiplied by another parameter, or by an expression that already depends on a parameter),
 * so the cone program's data would not be an affine function of the parameters.
 */
export class DppError extends InvalidInputError {
  override name = 'DppError';
  constructor(
    readonly subexpression: string,
    readonly reason: string,
  ) {
    super(`model: not DPP: ${subexpression}\n  why: ${reason}`);
  }
}
