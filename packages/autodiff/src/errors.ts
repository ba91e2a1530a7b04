/**
 * Typed errors. Every message names the op or node, the offending input and what is wrong, so a
 * user can find the mistake without a debugger.
 */
export class ArgminError extends Error {
  override name = 'ArgminError';
}

/** Shapes that do not fit together: names the op, the input(s) and both shapes. */
export class ShapeError extends ArgminError {
  override name = 'ShapeError';
}

/** A value an op cannot take: NaN/Infinity, out of domain, not positive definite, bad options. */
export class InvalidInputError extends ArgminError {
  override name = 'InvalidInputError';
}

/** A solver or linear solve that did not converge, where the caller asked for an error. */
export class ConvergenceError extends ArgminError {
  override name = 'ConvergenceError';
}

/** A plugin that is missing or incompatible with this runtime. */
export class PluginError extends ArgminError {
  override name = 'PluginError';
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** A gradient that cannot be computed correctly (singular system, unconverged linear solve, …). */
export class DifferentiationError extends ArgminError {
  override name = 'DifferentiationError';
}
