import { backward } from './backward.js';
import { ShapeError, formatShape } from './errors.js';
import { defineOp } from './ops/define-op.js';
import { Tape, withTape } from './tape.js';
import { Tensor, ones, zeros } from './tensor.js';
import { flatten } from './tree.js';

type NoAttrs = Record<string, never>;

// A fresh tensor object sharing the data: gives each primal its own identity on the new tape,
// while any enclosing tape still sees the dependency (this op is recorded there).
const identityOp = defineOp<NoAttrs>({
  name: 'identity',
  forward: ([x]) => new Tensor(x!.data, x!.shape),
  vjp: (cot) => [cot],
});

const stopGradientOp = defineOp<NoAttrs>({
  name: 'stopGradient',
  forward: ([x]) => new Tensor(x!.data, x!.shape),
  vjp: () => [null],
});

/** The same values, with no gradient flowing back through them. */
export function stopGradient(x: Tensor): Tensor {
  return stopGradientOp.apply([x], {});
}

export interface VjpResult<Out, In extends unknown[]> {
  readonly value: Out;
  /**
   * Given a cotangent with the structure of `value` (tensor leaves; a missing or null leaf is
   * zero), returns one gradient per primal, each with the structure of that primal.
   */
  pullback(cotangent: unknown): { [K in keyof In]: In[K] };
}

/**
 * Evaluates `f(...primals)` and returns its value with a pullback, as JAX's `vjp`. Primals and
 * the value are pytrees of tensors. The pullback may be called several times.
 */
export function vjp<In extends unknown[], Out>(f: (...args: In) => Out, ...primals: In): VjpResult<Out, In> {
  const tape = new Tape();
  const flats = primals.map((p) => flatten(p));
  const aliased = flats.map((fl) => fl.leaves.map((leaf) => identityOp.apply([leaf], {})));
  for (const leaves of aliased) for (const t of leaves) tape.track(t);
  const args = flats.map((fl, i) => fl.unflatten(aliased[i]!)) as In;
  const value = withTape(tape, () => f(...args));
  const outFlat = flatten(value);
  const wrt = aliased.flat();
  return {
    value,
    pullback(cotangent: unknown) {
      const cotLeaves = cotangentLeaves(cotangent, outFlat.leaves);
      const grads = backward(tape, outFlat.leaves, cotLeaves, wrt);
      let k = 0;
      return flats.map((fl) => fl.unflatten(fl.leaves.map((leaf) => grads[k++] ?? zeros(leaf.shape)))) as { [K in keyof In]: In[K] };
    },
  };
}

/** Matches a cotangent pytree against the output leaves; a bare tensor serves a single output. */
function cotangentLeaves(cotangent: unknown, outputs: readonly Tensor[]): (Tensor | null)[] {
  const leaves = cotangent instanceof Tensor ? [cotangent] : flattenWithNulls(cotangent, outputs.length);
  if (leaves.length !== outputs.length) {
    throw new ShapeError(`vjp: the cotangent has ${leaves.length} tensor leaves but the value has ${outputs.length}`);
  }
  return leaves.map((c, i) => {
    if (c && (c.shape.length !== outputs[i]!.shape.length || c.shape.some((d, j) => d !== outputs[i]!.shape[j]))) {
      throw new ShapeError(`vjp: cotangent leaf ${i} has shape ${formatShape(c.shape)} but the value has ${formatShape(outputs[i]!.shape)}`);
    }
    return c;
  });
}

function flattenWithNulls(tree: unknown, expected: number): (Tensor | null)[] {
  if (tree === null || tree === undefined) return new Array(expected).fill(null);
  return flatten(tree).leaves;
}

export interface GradOptions {
  /** Which argument(s) to differentiate (default 0). */
  readonly argnums?: number | readonly number[];
  /** If true, `f` returns `[loss, aux]` and the aux is passed through. */
  readonly hasAux?: boolean;
}

/**
 * `valueAndGrad(f)(...args)` returns `[value, gradient]` for a scalar-valued `f` (with
 * `hasAux`, `[[value, aux], gradient]`). The gradient has the structure of the argument, or is
 * an array of those when `argnums` is an array.
 */
export function valueAndGrad<F extends (...args: any[]) => any>(f: F, options: GradOptions = {}) {
  const { argnums = 0, hasAux = false } = options;
  const nums = typeof argnums === 'number' ? [argnums] : argnums;
  return (...args: Parameters<F>): [ReturnType<F>, any] => {
    const selected = nums.map((i) => args[i]);
    const call = (...xs: unknown[]) => {
      const full = args.slice();
      nums.forEach((n, j) => (full[n] = xs[j]));
      return f(...full);
    };
    const { value, pullback } = vjp(call, ...selected);
    const loss: unknown = hasAux ? (value as [unknown, unknown])[0] : value;
    if (!(loss instanceof Tensor) || loss.size !== 1) {
      const shape = loss instanceof Tensor ? formatShape(loss.shape) : typeof loss;
      throw new ShapeError(`grad: f must return a scalar tensor${hasAux ? ' as the first element of [loss, aux]' : ''}, got ${shape}`);
    }
    const grads = pullback(hasAux ? [ones(loss.shape), null] : ones(loss.shape));
    return [value, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/** `grad(f)(...args)`: the gradient of a scalar-valued `f`; see {@link valueAndGrad}. */
export function grad<F extends (...args: any[]) => any>(f: F, options: GradOptions = {}) {
  const vg = valueAndGrad(f, options);
  return (...args: Parameters<F>): any => vg(...args)[1];
}
