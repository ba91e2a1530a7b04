import type fc from 'fast-check';
import type { Tensor } from '../tensor.js';
import type { AnyFunction } from '../tree.js';
import type { CheckVjpOptions } from './check-vjp.js';

/**
 * One row of the table that drives the op property tests: the function under test, an arbitrary
 * of its arguments (inside the domain where it is differentiable), and check options.
 */
export interface OpGradSpec {
  readonly name: string;
  readonly fn: (...args: Parameters<AnyFunction>) => Tensor;
  readonly args: fc.Arbitrary<readonly unknown[]>;
  readonly check?: CheckVjpOptions;
}
