import { InvalidInputError, Rng, Tensor } from '@argmin/autodiff';

/**
 * Discrete measures for Meta OT, made in code: images on an s×s grid of [0, 1]² (pixel centres),
 * the squared-distance cost between pixels scaled to max 1 (so ε is relative to the cost's
 * maximum), and random pairs of images (blobs, strokes and mixtures of both) as marginals.
 */
export interface GridGeometry {
  readonly side: number;
  /** Number of pixels, side². */
  readonly size: number;
  /** Pixel centres [size, 2]. */
  readonly points: Tensor;
  /** ‖xᵢ − xⱼ‖² / max, [size, size]. */
  readonly cost: Tensor;
}

export function gridGeometry(side: number): GridGeometry {
  if (!(Number.isInteger(side) && side >= 2)) throw new InvalidInputError(`gridGeometry: 'side' must be an integer ≥ 2, got ${side}`);
  const size = side * side;
  const points = new Float64Array(2 * size);
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++) {
      points[2 * (r * side + c)] = (c + 0.5) / side;
      points[2 * (r * side + c) + 1] = (r + 0.5) / side;
    }
  const cost = new Float64Array(size * size);
  const max = 2 * ((side - 1) / side) ** 2;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const dx = points[2 * i]! - points[2 * j]!;
      const dy = points[2 * i + 1]! - points[2 * j + 1]!;
      cost[i * size + j] = (dx * dx + dy * dy) / max;
    }
  return { side, size, points: new Tensor(points, [size, 2]), cost: new Tensor(cost, [size, size]) };
}

export type ImageKind = 'blobs' | 'strokes' | 'mixture';

export interface ImageOptions {
  /** Background level relative to the image's peak (default 0.01): marginals must be positive. */
  readonly floor?: number;
}

/** Adds Gaussian bumps: 1–3 of them, widths 0.04–0.14, random weights. */
function blobs(img: Float64Array, side: number, rng: Rng): void {
  const k = 1 + Math.floor(3 * rng.uniform());
  for (let b = 0; b < k; b++) {
    const cx = 0.15 + 0.7 * rng.uniform();
    const cy = 0.15 + 0.7 * rng.uniform();
    const s = 0.04 + 0.1 * rng.uniform();
    const w = 0.3 + 0.7 * rng.uniform();
    paint(img, side, (x, y) => w * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s)));
  }
}

/** Adds 1–2 pen strokes: quadratic Bézier curves of width 0.025–0.05, like handwriting. */
function strokes(img: Float64Array, side: number, rng: Rng): void {
  const k = 1 + Math.floor(2 * rng.uniform());
  for (let q = 0; q < k; q++) {
    const p = Array.from({ length: 6 }, () => 0.12 + 0.76 * rng.uniform());
    const width = 0.025 + 0.025 * rng.uniform();
    const samples = 40;
    const pts: [number, number][] = [];
    for (let t = 0; t <= samples; t++) {
      const u = t / samples;
      const x = (1 - u) ** 2 * p[0]! + 2 * u * (1 - u) * p[2]! + u * u * p[4]!;
      const y = (1 - u) ** 2 * p[1]! + 2 * u * (1 - u) * p[3]! + u * u * p[5]!;
      pts.push([x, y]);
    }
    paint(img, side, (x, y) => {
      let d2 = Infinity;
      for (const [px, py] of pts) d2 = Math.min(d2, (x - px) ** 2 + (y - py) ** 2);
      return Math.exp(-d2 / (2 * width * width));
    });
  }
}

function paint(img: Float64Array, side: number, f: (x: number, y: number) => number): void {
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) img[r * side + c]! += f((c + 0.5) / side, (r + 0.5) / side);
}

/** One random image of the given kind as a probability vector [side²] (positive, sums to 1). */
export function randomImage(side: number, kind: ImageKind, rng: Rng, options: ImageOptions = {}): Float64Array {
  const floor = options.floor ?? 0.01;
  if (!(floor > 0 && Number.isFinite(floor))) throw new InvalidInputError(`randomImage: 'floor' must be a positive number, got ${floor}`);
  const img = new Float64Array(side * side);
  if (kind === 'blobs' || kind === 'mixture') blobs(img, side, rng);
  if (kind === 'strokes' || kind === 'mixture') strokes(img, side, rng);
  let peak = 0;
  for (const v of img) peak = Math.max(peak, v);
  let total = 0;
  for (let i = 0; i < img.length; i++) {
    img[i] = img[i]! / peak + floor;
    total += img[i]!;
  }
  for (let i = 0; i < img.length; i++) img[i]! /= total;
  return img;
}

export interface MeasurePairs {
  /** Source marginals [N, side²] and targets [N, side²]. */
  readonly a: Tensor;
  readonly b: Tensor;
  /** The kinds of (a, b) per pair. */
  readonly kinds: readonly (readonly [ImageKind, ImageKind])[];
}

const KINDS: readonly ImageKind[] = ['blobs', 'strokes', 'mixture'];

/**
 * N random pairs of images, each of a kind drawn uniformly. A train and a test split come from
 * different seeds, so no test pair (nor any of its images) is ever trained on.
 */
export function measurePairs(side: number, count: number, seed: number, options: ImageOptions = {}): MeasurePairs {
  if (!(Number.isInteger(count) && count >= 1))
    throw new InvalidInputError(`measurePairs: 'count' must be a positive integer, got ${count}`);
  const rng = Rng.seeded(seed);
  const size = side * side;
  const a = new Float64Array(count * size);
  const b = new Float64Array(count * size);
  const kinds: [ImageKind, ImageKind][] = [];
  for (let k = 0; k < count; k++) {
    const ka = KINDS[Math.floor(3 * rng.uniform())]!;
    const kb = KINDS[Math.floor(3 * rng.uniform())]!;
    a.set(randomImage(side, ka, rng, options), k * size);
    b.set(randomImage(side, kb, rng, options), k * size);
    kinds.push([ka, kb]);
  }
  return { a: new Tensor(a, [count, size]), b: new Tensor(b, [count, size]), kinds };
}
