import { ArgminError } from '../errors.js';
import { Rng, randn } from '../random.js';
import { Tensor } from '../tensor.js';
import { type AnyFunction, flatten } from '../tree.js';
import { vjp } from '../transforms.js';
import { recordCase } from './report.js';

export interface CheckVjpOptions {
  /** Seed of the random tangent and cotangent. */
  readonly seed?: number;
  /** Central-difference step, relative to the inputs' scale (default 1e-6). */
  readonly eps?: number;
  readonly rtol?: number;
  readonly atol?: number;
  /** Indices of the arguments to differentiate (default: all); the others are held fixed. */
  readonly wrt?: readonly number[];
  /**
   * Maps a random tangent of argument `arg` (leaf `leaf`) into the input's domain, e.g. makes it
   * symmetric for an SPD matrix or sum-zero on the simplex. Default: unchanged.
   */
  readonly tangent?: (t: Tensor, arg: number, leaf: number) => Tensor;
}

export interface CheckVjpResult {
  /** ⟨t, VJP(c)⟩. */
  readonly analytic: number;
  /** ⟨(f(x + εt) − f(x − εt)) / 2ε, c⟩. */
  readonly numeric: number;
  readonly error: number;
  readonly tolerance: number;
}

function dot(a: Tensor, b: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s;
}

function axpy(x: Tensor, t: Tensor, h: number): Tensor {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! + h * t.data[i]!;
  return new Tensor(out, x.shape);
}

/**
 * The dot-product (adjoint) test: draws a seeded random tangent t and cotangent c and checks
 * ⟨t, vjp(c)⟩ against central differences of ⟨f, c⟩ along t. One check covers every entry of
 * the Jacobian in expectation, and a wrong transpose, a missing term or a broadcast reduced by
 * mean instead of sum all fail it. Throws with both numbers when they disagree.
 */
export function checkVjp(f: AnyFunction, args: readonly unknown[], options: CheckVjpOptions = {}): CheckVjpResult {
  const { seed = 0, eps = 1e-6, rtol = 1e-6, atol = 1e-9 } = options;
  const rng = Rng.seeded(seed);
  const wrt = options.wrt ?? args.map((_, i) => i);
  const flats = args.map((a) => flatten(a));
  const tangents = flats.map((fl, i) =>
    fl.leaves.map((leaf, j) => {
      if (!wrt.includes(i)) return null;
      const t = randn(leaf.shape, rng);
      return options.tangent ? options.tangent(t, i, j) : t;
    }),
  );

  const wrtArgs = wrt.map((i) => args[i]);
  const call = (...xs: unknown[]) => {
    const full = args.slice();
    wrt.forEach((i, k) => (full[i] = xs[k]));
    return f(...full);
  };
  const { value, pullback } = vjp(call, ...wrtArgs);
  const outLeaves = flatten(value).leaves;
  const cots = outLeaves.map((o) => randn(o.shape, rng));
  const grads = pullback(outLeaves.length === 1 && value instanceof Tensor ? cots[0] : flatten(value).unflatten(cots));

  let analytic = 0;
  wrt.forEach((i, k) => {
    const gl = flatten(grads[k]).leaves;
    tangents[i]!.forEach((t, j) => (analytic += dot(t!, gl[j]!)));
  });

  // Step relative to the size of the inputs, so badly scaled inputs still get a sensible step.
  let scale = 1;
  for (const i of wrt) for (const leaf of flats[i]!.leaves) for (const v of leaf.data) scale = Math.max(scale, Math.abs(v));
  const h = eps * scale;
  const shifted = (step: number) => {
    const moved = args.map((a, i) => {
      if (!wrt.includes(i)) return a;
      const fl = flats[i]!;
      return fl.unflatten(fl.leaves.map((leaf, j) => axpy(leaf, tangents[i]![j]!, step)));
    });
    return flatten(f(...moved)).leaves;
  };
  // ⟨(f(x + st) − f(x − st)) / 2s, c⟩, and the magnitude Σ|f·c| that sets its rounding floor.
  const centralDifference = (step: number) => {
    const plus = shifted(step);
    const minus = shifted(-step);
    let value = 0;
    let magnitude = 0;
    cots.forEach((c, k) => {
      const p = plus[k]!.data;
      const m = minus[k]!.data;
      for (let i = 0; i < p.length; i++) {
        value += ((p[i]! - m[i]!) / (2 * step)) * c.data[i]!;
        magnitude += (Math.abs(p[i]!) + Math.abs(m[i]!)) * Math.abs(c.data[i]!);
      }
    });
    return { value, magnitude };
  };
  // Richardson extrapolation cancels the h²·f‴/6 truncation term of the central difference,
  // so cubic and higher terms (e.g. xᵀAx moved along both x and A) do not pass for errors.
  const coarse = centralDifference(h);
  const fine = centralDifference(h / 2);
  const numeric = (4 * fine.value - coarse.value) / 3;

  // Central differences cannot resolve below their rounding floor, about ε·Σ|f·c|/h (a few
  // ulps of each evaluated output, amplified by 1/h): the tolerance includes that floor, so a
  // small ⟨t, vjp(c)⟩ is not failed on noise. The factor 16 covers the ulps lost inside f.
  const noiseFloor = (16 * Number.EPSILON * (4 * fine.magnitude + coarse.magnitude)) / (3 * h);
  const error = Math.abs(analytic - numeric);
  const tolerance = atol + noiseFloor + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
  recordCase(error, tolerance);
  if (!(error <= tolerance)) {
    throw new ArgminError(
      `checkVjp: the VJP disagrees with central differences (seed ${seed}): ⟨t, vjp(c)⟩ = ${analytic}, finite differences give ${numeric}, error ${error.toExponential(3)} > tolerance ${tolerance.toExponential(3)}`,
    );
  }
  return { analytic, numeric, error, tolerance };
}
