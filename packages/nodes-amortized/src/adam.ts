import { DifferentiationError, InvalidInputError, ShapeError, Tensor, flatten } from '@argmin/autodiff';

/** A first-order optimizer over pytrees of tensors, functional: parameters are never written. */
export interface Optimizer<State = unknown> {
  init(params: unknown): State;
  /** One step: new parameters (same structure as `params`) and the new state. */
  update<T>(params: T, grads: T, state: State): { params: T; state: State };
}

export interface AdamOptions {
  /** Step size, or a schedule of the step number (1, 2, …); default 1e-3. */
  readonly lr?: number | ((step: number) => number);
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Decoupled weight decay (AdamW), per unit of lr; default 0. */
  readonly weightDecay?: number;
  /** Rescale the whole gradient to at most this 2-norm before the step (default: no clipping). */
  readonly clipNorm?: number;
}

export interface AdamState {
  readonly step: number;
  readonly m: readonly Float64Array[];
  readonly v: readonly Float64Array[];
}

/**
 * Adam (Kingma & Ba, 2015) with bias correction, optional AdamW weight decay and global-norm
 * clipping. A gradient holding NaN or ±∞ throws a DifferentiationError naming its leaf, rather
 * than silently poisoning every parameter.
 */
export function adam(options: AdamOptions = {}): Optimizer<AdamState> {
  const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, clipNorm } = options;
  const positive = (name: string, v: number, open1 = false) => {
    if (!(Number.isFinite(v) && v >= 0 && (open1 ? v < 1 : true))) {
      throw new InvalidInputError(`adam: option '${name}' must be a finite number ≥ 0${open1 ? ' and < 1' : ''}, got ${v}`);
    }
  };
  positive('beta1', beta1, true);
  positive('beta2', beta2, true);
  positive('eps', eps);
  positive('weightDecay', weightDecay);
  if (typeof lr === 'number') positive('lr', lr);
  if (clipNorm !== undefined && !(clipNorm > 0)) throw new InvalidInputError(`adam: option 'clipNorm' must be positive, got ${clipNorm}`);

  return {
    init(params) {
      const leaves = flatten(params).leaves;
      return { step: 0, m: leaves.map((t) => new Float64Array(t.size)), v: leaves.map((t) => new Float64Array(t.size)) };
    },
    update<T>(params: T, grads: T, state: AdamState) {
      const p = flatten(params);
      const g = flatten(grads);
      if (g.leaves.length !== p.leaves.length || state.m.length !== p.leaves.length) {
        throw new ShapeError(
          `adam: the gradient has ${g.leaves.length} tensor leaves and the state ${state.m.length}, but the parameters have ${p.leaves.length}`,
        );
      }
      let sq = 0;
      g.leaves.forEach((gl, i) => {
        const pl = p.leaves[i]!;
        if (gl.size !== pl.size) {
          throw new ShapeError(
            `adam: the gradient of '${p.paths[i]}' has shape [${gl.shape.join(',')}], the parameter [${pl.shape.join(',')}]`,
          );
        }
        for (let j = 0; j < gl.size; j++) {
          const v = gl.data[j]!;
          if (!Number.isFinite(v)) {
            throw new DifferentiationError(
              `adam: the gradient of parameter '${p.paths[i] || '(root)'}' holds ${v} at flat index ${j} (step ${state.step + 1}); check the loss and the training data`,
            );
          }
          sq += v * v;
        }
      });
      const scale = clipNorm !== undefined && sq > clipNorm * clipNorm ? clipNorm / Math.sqrt(sq) : 1;
      const step = state.step + 1;
      const rate = typeof lr === 'number' ? lr : lr(step);
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const m = state.m.map((a) => Float64Array.from(a));
      const v = state.v.map((a) => Float64Array.from(a));
      const next = p.leaves.map((pl, i) => {
        const gd = g.leaves[i]!.data;
        const mi = m[i]!;
        const vi = v[i]!;
        const out = new Float64Array(pl.size);
        for (let j = 0; j < pl.size; j++) {
          const gj = scale * gd[j]!;
          mi[j] = beta1 * mi[j]! + (1 - beta1) * gj;
          vi[j] = beta2 * vi[j]! + (1 - beta2) * gj * gj;
          const x = pl.data[j]!;
          out[j] = x - rate * (mi[j]! / c1 / (Math.sqrt(vi[j]! / c2) + eps) + weightDecay * x);
        }
        return new Tensor(out, pl.shape);
      });
      return { params: p.unflatten(next) as T, state: { step, m, v } };
    },
  };
}

/** A cosine schedule from `lr` down to `lr·finalFraction` over `steps` steps, for `adam({ lr })`. */
export function cosineDecay(lr: number, steps: number, finalFraction = 0.01): (step: number) => number {
  return (step) => {
    const t = Math.min(1, (step - 1) / Math.max(1, steps - 1));
    return lr * (finalFraction + (1 - finalFraction) * 0.5 * (1 + Math.cos(Math.PI * t)));
  };
}
