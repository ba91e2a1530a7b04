import type { Attrs } from '@argmin/graph';
import { ArgminError } from '../errors.js';
import { isRecording, record, type Cotangent } from '../tape.js';
import type { Tensor } from '../tensor.js';

export interface VjpContext<A> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
  /** Whether each input needs a cotangent; return null where it does not. */
  readonly needs: readonly boolean[];
}

/**
 * A differentiable op: its forward (on raw kernels) and its VJP side by side. The VJP must be
 * written with differentiable ops, so that it can be differentiated again (grad-of-grad).
 */
export interface OpDefinition<A extends Attrs> {
  /** Display and serialization name, e.g. 'exp'. */
  readonly name: string;
  forward(inputs: readonly Tensor[], attrs: A): Tensor;
  vjp(cotangent: Tensor, ctx: VjpContext<A>): readonly Cotangent[];
}

/** A handle to a defined op; call `apply` to run it (and record it when a transform is active). */
/** Any op, for tables that hold ops of different attribute types. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table's element type.
export type AnyOp = Op<any>;

export interface Op<A extends Attrs> {
  readonly name: string;
  readonly definition: OpDefinition<A>;
  apply(inputs: readonly Tensor[], attrs: A): Tensor;
}

export function defineOp<A extends Attrs = Record<string, never>>(definition: OpDefinition<A>): Op<A> {
  const { name, forward, vjp } = definition;
  return {
    name,
    definition,
    apply(inputs: readonly Tensor[], attrs: A): Tensor {
      const output = forward(inputs, attrs);
      if (!isRecording()) return output;
      if (inputs.includes(output)) {
        // Tensor identity is how tapes track values, so an op must always return a new tensor.
        throw new ArgminError(`op '${name}' returned one of its inputs; ops must return a new Tensor`);
      }
      record({
        op: name,
        kind: 'op',
        inputs,
        outputs: [output],
        attrs,
        pullback: (cots, needs) => {
          const c = cots[0];
          if (!c) return inputs.map(() => null);
          return vjp(c, { inputs, output, attrs, needs });
        },
      });
      return output;
    },
  };
}
