/**
 * W2 between Gaussians by the Kantorovich dual with an amortized conjugate (shared by
 * examples/w2-conjugate.ts): per dimension, an ICNN f trained with L-BFGS conjugates started
 * from x̂(y), then measured on fresh samples: L2-UVP of ∇f against the closed-form map, and the
 * inner iterations with the final f, to the same tolerance, from the plain start (x = y, L-BFGS's
 * γI) against the amortized one (x̂(y) and H₀ = ∇²f(x̂)⁻¹). The two mixed starts (x̂ with γI,
 * y with ∇²f(y)⁻¹) say how much of the saving is the position and how much the curvature.
 */
import { Rng } from '@argmin/autodiff';
import {
  amortizedStart,
  gaussianPair,
  icnn,
  l2Uvp,
  sampleGaussian,
  solveConjugate,
  trainW2Dual,
  transportMap,
} from '@argmin/nodes-amortized';

export interface W2Config {
  readonly d: number;
  readonly steps: number;
  readonly polishSteps: number;
  readonly batchSize: number;
  readonly hidden: readonly number[];
}

export function w2Configs(quick: boolean): W2Config[] {
  return quick
    ? [
        { d: 2, steps: 60, polishSteps: 1500, batchSize: 128, hidden: [16, 16] },
        { d: 8, steps: 60, polishSteps: 1000, batchSize: 128, hidden: [32, 32] },
        { d: 32, steps: 40, polishSteps: 600, batchSize: 128, hidden: [32, 32] },
      ]
    : [
        // d = 2 has the fewest plain iterations to save, so its x̂ must be the most accurate.
        { d: 2, steps: 250, polishSteps: 10000, batchSize: 256, hidden: [32, 32] },
        { d: 8, steps: 300, polishSteps: 3000, batchSize: 256, hidden: [64, 64] },
        { d: 32, steps: 300, polishSteps: 3000, batchSize: 128, hidden: [64, 64] },
      ];
}

export const INNER_TOL = 1e-6;

export function runW2(cfg: W2Config, onStep?: (step: number, dual: number) => void) {
  const pair = gaussianPair(cfg.d, cfg.d);
  const potential = icnn({ input: cfg.d, hidden: cfg.hidden });
  const result = trainW2Dual({
    potential,
    steps: cfg.steps,
    polishSteps: cfg.polishSteps,
    polishSamples: 16384,
    batchSize: cfg.batchSize,
    inner: { tol: INNER_TOL },
    sampleSource: (n, rng) => sampleGaussian(pair.mean0, pair.sqrt0, n, rng),
    sampleTarget: (n, rng) => sampleGaussian(pair.mean1, pair.sqrt1, n, rng),
    rng: Rng.seeded(cfg.d),
    ...(onStep ? { onStep: (s: { step: number; dual: number }) => onStep(s.step, s.dual) } : {}),
  });
  const rng = Rng.seeded(1000 + cfg.d);
  const x = sampleGaussian(pair.mean0, pair.sqrt0, 4096, rng);
  const uvp = l2Uvp(pair, x, transportMap(potential, result.theta, x));
  const y = sampleGaussian(pair.mean1, pair.sqrt1, 1024, rng);
  const inner = { tol: INNER_TOL };
  const newton = { ...inner, newtonStart: true };
  const timed = <T>(run: () => T): [T, number] => {
    const t0 = performance.now();
    const out = run();
    return [out, (performance.now() - t0) / 1000];
  };
  const [fromY, secondsFromY] = timed(() => solveConjugate(potential, result.theta, y, y, inner));
  // Prediction and Hessians included in the amortized start's time.
  const [fromHat, secondsAmortized] = timed(() => solveConjugate(potential, result.theta, y, amortizedStart(result, y, cfg.d), newton));
  const hatOnly = solveConjugate(potential, result.theta, y, amortizedStart(result, y, cfg.d), inner);
  const curvatureOnly = solveConjugate(potential, result.theta, y, y, newton);
  const xHat = amortizedStart(result, y, cfg.d);
  let sq = 0;
  for (let k = 0; k < xHat.length; k++) sq += (xHat[k]! - fromY.x[k]!) ** 2;
  const mean = (v: Int32Array) => v.reduce((s, k) => s + k, 0) / v.length;
  let maxObjectiveDiff = 0;
  let meanObjective = 0;
  fromY.value.forEach((v, i) => {
    maxObjectiveDiff = Math.max(maxObjectiveDiff, Math.abs(v - fromHat.value[i]!));
    meanObjective += v / fromY.value.length;
  });
  const unconverged = (c: Uint8Array) => c.reduce((s, k) => s + (k ? 0 : 1), 0) / c.length;
  return {
    d: cfg.d,
    l2uvp: uvp,
    trainSeconds: result.seconds,
    trainUnconvergedFraction: result.unconvergedFraction,
    trainMeanInnerIterations: result.meanInnerIterations,
    innerIterationsFromY: mean(fromY.iterations),
    innerIterationsAmortized: mean(fromHat.iterations),
    innerIterReduction: mean(fromY.iterations) / Math.max(mean(fromHat.iterations), 1e-12),
    innerIterationsPositionOnly: mean(hatOnly.iterations),
    innerIterationsCurvatureOnly: mean(curvatureOnly.iterations),
    amortizerRmsError: Math.sqrt(sq / (xHat.length / cfg.d)),
    innerSeconds: { fromY: secondsFromY, amortized: secondsAmortized },
    evalUnconverged: {
      fromY: unconverged(fromY.converged),
      amortized: unconverged(fromHat.converged),
      positionOnly: unconverged(hatOnly.converged),
      curvatureOnly: unconverged(curvatureOnly.converged),
    },
    meanConjugate: meanObjective,
    maxObjectiveDiff,
  };
}
