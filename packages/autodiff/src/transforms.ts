import { backward } from './backward.js';
import { ShapeError, formatShape } from './errors.js';
import { defineOp } from './ops/define-op.js';
import { Tape, withTape } from './tape.js';
import { Tensor, ones, zeros } from './tensor.js';
import { type AnyFunction, flatten } from './tree.js';

type NoAttrs = Record<string, never>;

// A fresh tensor object sharing the data: gives each primal its own identity on the new tape,
// while any enclosing tape still sees the dependency (this op is recorded there).
export const identityOp = defineOp<NoAttrs>({
  name: 'identity',
  forward: ([x]) => new Tensor(x!.data, x!.shape),
  vjp: (cot) => [cot],
});

export const stopGradientOp = defineOp<NoAttrs>({
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
  /** Bytes of tensor data the recorded computation keeps alive for the pullback (unique buffers). */
  retainedBytes(): number;
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
      const cotLeaves = cotangentLeaves(cotangent, value, outFlat.leaves);
      const grads = backward(tape, outFlat.leaves, cotLeaves, wrt);
      let k = 0;
      return flats.map((fl) => fl.unflatten(fl.leaves.map((leaf) => grads[k++] ?? zeros(leaf.shape)))) as { [K in keyof In]: In[K] };
    },
    retainedBytes() {
      const buffers = new Set<ArrayBufferLike>();
      let bytes = 0;
      for (const e of tape.entries) {
        for (const t of [...e.inputs, ...e.outputs]) {
          if (buffers.has(t.data.buffer)) continue;
          buffers.add(t.data.buffer);
          bytes += t.data.buffer.byteLength;
        }
      }
      return bytes;
    },
  };
}

/**
 * Matches a cotangent pytree against the value: a bare tensor serves a single-leaf value, and a
 * missing, null or undefined entry where the value has a tensor is the symbolic zero.
 */
function cotangentLeaves(cotangent: unknown, value: unknown, outputs: readonly Tensor[]): (Tensor | null)[] {
  const leaves: (Tensor | null)[] = [];
  if (outputs.length === 1 && (cotangent instanceof Tensor || cotangent == null)) leaves.push((cotangent as Tensor | null) ?? null);
  else walkCotangent(value, cotangent, leaves);
  return leaves.map((c, i) => {
    const o = outputs[i]!;
    if (c && (c.shape.length !== o.shape.length || c.shape.some((d, j) => d !== o.shape[j]))) {
      throw new ShapeError(`vjp: cotangent leaf ${i} has shape ${formatShape(c.shape)} but the value has ${formatShape(o.shape)}`);
    }
    return c;
  });
}

function walkCotangent(value: unknown, cot: unknown, out: (Tensor | null)[]): void {
  if (value instanceof Tensor) {
    if (cot != null && !(cot instanceof Tensor))
      throw new ShapeError('vjp: the cotangent must have a tensor (or null) where the value has a tensor');
    out.push((cot as Tensor | null | undefined) ?? null);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walkCotangent(v, Array.isArray(cot) ? cot[i] : undefined, out));
  } else if (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const c = cot !== null && typeof cot === 'object' ? (cot as Record<string, unknown>) : {};
    for (const k of Object.keys(value)) walkCotangent((value as Record<string, unknown>)[k], c[k], out);
  }
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
export function valueAndGrad<F extends AnyFunction>(f: F, options: GradOptions = {}) {
  const { argnums = 0, hasAux = false } = options;
  const nums = typeof argnums === 'number' ? [argnums] : argnums;
  // biome-ignore lint/suspicious/noExplicitAny: the gradient mirrors the selected arguments' trees, which the signature cannot name.
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
    return [value as ReturnType<F>, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/** `grad(f)(...args)`: the gradient of a scalar-valued `f`; see {@link valueAndGrad}. */
export function grad<F extends AnyFunction>(f: F, options: GradOptions = {}) {
  const vg = valueAndGrad(f, options);
  // biome-ignore lint/suspicious/noExplicitAny: as in valueAndGrad, the gradient has the argument's tree.
  return (...args: Parameters<F>): any => vg(...args)[1];
}
