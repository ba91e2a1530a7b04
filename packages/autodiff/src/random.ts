import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { Tensor, sizeOf, type Shape } from './tensor.js';

/**
 * A seeded random generator, passed explicitly to whatever samples (CEM, Gumbel noise, model
 * initialisation, gradient checks): the same seed gives the same numbers, and nothing random
 * hides in module state.
 */
export class Rng {
  private spare: number | null = null;

  private constructor(private readonly gen: JumpableRandomGenerator) {}

  static seeded(seed: number): Rng {
    return new Rng(xoroshiro128plus(seed | 0));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Standard normal (Box–Muller, using both values). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An independent stream (the generator jumped ahead by 2⁶⁴ steps), leaving this one as is. */
  split(): Rng {
    const g = this.gen.clone();
    g.jump();
    this.gen.jump();
    this.gen.jump();
    return new Rng(g);
  }
}

export function randn(shape: Shape, rng: Rng, scale = 1): Tensor {
  const d = new Float64Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = scale * rng.normal();
  return new Tensor(d, shape);
}

export function randu(shape: Shape, rng: Rng, low = 0, high = 1): Tensor {
  const d = new Float64Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return new Tensor(d, shape);
}
