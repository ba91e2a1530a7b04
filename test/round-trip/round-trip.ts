import { type CompileOptions, Rng, type Runtime, type Tensor, flatten, randn, trace, vjp } from '@argmin/autodiff';
import { serializeGraph } from '@argmin/graph';
import { expect } from 'vitest';

export interface RoundTripOptions {
  /** Arguments stored in the file as trained parameters (trace's `parameters`). */
  readonly parameters?: readonly number[];
  /** Inputs to trace at, when they differ from those it is run at (nothing is replayed then). */
  readonly traceArgs?: readonly unknown[];
  /** Seed of the random output cotangent. */
  readonly seed?: number;
  /** Options the file cannot hold, given to compile (see CompileOptions.bind). */
  readonly bind?: CompileOptions['bind'];
}

/** ‖a − b‖∞ / max(‖a‖∞, ‖b‖∞), 0 when both are zero. */
export function relativeError(a: Tensor, b: Tensor): number {
  let diff = 0;
  let scale = 0;
  a.data.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - b.data[i]!));
    scale = Math.max(scale, Math.abs(v), Math.abs(b.data[i]!));
  });
  return scale === 0 ? diff : diff / scale;
}

/** Same shape and the same float64 bit patterns (NaN and −0 included). */
export function sameBits(a: Tensor, b: Tensor): boolean {
  return a.shape.join() === b.shape.join() && a.data.every((v, i) => Object.is(v, b.data[i]));
}

/**
 * trace (values stored) → serialize → load → compile → run, then: every output equals the
 * original's to the bit, and the VJP of a random cotangent on every output, for every argument
 * (trained parameters included), equals the original's to 1e-12 relative (largest entry).
 * Returns the compiled function.
 */
export function expectRoundTrip(
  runtime: Runtime,
  f: (...args: never[]) => unknown,
  args: readonly unknown[],
  options: RoundTripOptions = {},
) {
  const parameters = options.parameters ?? [];
  const graph = trace(f as never, options.traceArgs ?? args, { storeValues: true, parameters });
  const text = serializeGraph(graph);
  const loaded = runtime.loadGraph(text);
  // With the trained parameters read from the file: the function of the other arguments.
  const bind = options.bind ? { bind: options.bind } : {};
  const stored = runtime.compile(loaded, bind);
  const inputs = args.filter((_, i) => !parameters.includes(i));
  const call = (...xs: unknown[]) => {
    const full = args.slice();
    let k = 0;
    args.forEach((_, i) => !parameters.includes(i) && (full[i] = xs[k++]));
    return (f as (...a: unknown[]) => unknown)(...full);
  };
  compare(call, stored, inputs, options.seed ?? 0);
  // With every argument passed (parameters too), for the gradient in the weights.
  if (parameters.length > 0)
    compare(
      f as (...a: unknown[]) => unknown,
      runtime.compile(loaded, { parameters: 'arguments', ...bind }),
      args,
      (options.seed ?? 0) + 1,
    );
  return { run: stored, graph, text };
}

function compare(f: (...a: unknown[]) => unknown, run: (...a: unknown[]) => unknown, args: readonly unknown[], seed: number): void {
  const original = vjp(f, ...args);
  const loaded = vjp(run, ...args);
  const outA = flatten(original.value).leaves;
  const outB = flatten(loaded.value).leaves;
  expect(outB.length).toBe(outA.length);
  outA.forEach((t, i) => expect(sameBits(outB[i]!, t), `output ${i} differs`).toBe(true));
  const rng = Rng.seeded(seed);
  const cot = outA.map((t) => randn(t.shape, rng));
  const gA = flatten(original.pullback(flatten(original.value).unflatten(cot))).leaves;
  const gB = flatten(loaded.pullback(flatten(loaded.value).unflatten(cot))).leaves;
  expect(gB.length).toBe(gA.length);
  gA.forEach((t, i) => expect(relativeError(gB[i]!, t), `gradient leaf ${i}`).toBeLessThanOrEqual(1e-12));
}
