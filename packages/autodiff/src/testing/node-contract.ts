import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyNode, solveNode } from '../optimization/apply.js';
import { batchElement, stackBatch } from '../optimization/batch.js';
import type { OptimizationNode, TensorRecord } from '../optimization/node.js';
import { supportedStrategies, type NodeCallOptions, type Strategy } from '../optimization/strategy.js';
import { Rng, randn } from '../random.js';
import { Tensor } from '../tensor.js';
import { vjp } from '../transforms.js';
import { FULL_TIER_RUNS, numRuns as tierRuns } from './arbitraries.js';
import { checkVjp } from './check-vjp.js';
import { recordCase } from './report.js';

export interface NodeContractOptions<P extends TensorRecord, O extends object> {
  /** Random well-posed instances, unbatched (every parameter at its core rank). */
  readonly params: fc.Arbitrary<P>;
  /** Options passed to every call (beside the strategy). */
  readonly options?: O & NodeCallOptions;
  /** Strategies to check (default: every one the node supports). */
  readonly strategies?: readonly Strategy[];
  /** Largest ∞-norm of the optimality residual at the solution (default 1e-8). */
  readonly residualTol?: number;
  /** Relative tolerance of the gradient checks (default 1e-5). */
  readonly gradientTol?: number;
  /** Tolerance of the unrolled gradient vs the others (default: gradientTol). */
  readonly unrollTol?: number;
  /** Maps a random tangent of a parameter into its domain (e.g. symmetric for a PSD matrix). */
  readonly tangent?: (t: Tensor, param: string) => Tensor;
  /** A parameter to share across a batch in the summed-gradient check (default: the first). */
  readonly sharedParam?: keyof P & string;
  /**
   * Valid but degenerate instances (ties, zero inputs, active bounds): solved and differentiated
   * without NaN under random cotangents (not all-ones, which is orthogonal to a simplex output's
   * every variation and so would test nothing there).
   */
  readonly degenerate?: readonly P[];
  /** Instances of one shape for the batch checks (default: same-shaped draws of `params`). */
  readonly batch?: fc.Arbitrary<P[]>;
  /** Runs per property in the fast tier (default 20; the batch properties run half as many). */
  readonly numRuns?: number;
  /**
   * Cases of this contract in the full tier, FULL=1, shared evenly by its random properties
   * (default 10⁴; the cheap nodes ask for 10⁵). A node run under several contracts sums them.
   */
  readonly fullRuns?: number;
}

/** One property of the contract: a name and a check that throws when the node breaks it. */
export interface ContractProperty {
  readonly name: string;
  readonly run: () => void;
}

function solutionLeaves(out: TensorRecord, keys: readonly string[]): Tensor[] {
  return keys.map((k) => out[k]!);
}

function sumTensors(ts: readonly Tensor[]): Tensor {
  const out = new Float64Array(ts[0]!.size);
  for (const t of ts) for (let i = 0; i < out.length; i++) out[i]! += t.data[i]!;
  return new Tensor(out, ts[0]!.shape);
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  let scale = 1e-12;
  let diff = 0;
  for (let i = 0; i < a.size; i++) {
    scale = Math.max(scale, Math.abs(a.data[i]!), Math.abs(b.data[i]!));
    diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!));
  }
  return diff / Math.max(scale, 1);
}

/** What every group of contract properties shares: the node, the options and the helpers. */
interface ContractContext<P extends TensorRecord, S extends TensorRecord, O extends object> {
  readonly node: OptimizationNode<P, S, O>;
  readonly contract: NodeContractOptions<P, O>;
  /** Runs per property, set once the contract's random properties are counted. */
  readonly tier: { runs: number; batchRuns: number };
  readonly base: O & NodeCallOptions<S>;
  readonly solutionKeys: readonly string[];
  readonly frozen: ReadonlySet<string>;
  readonly strategies: readonly Strategy[];
  readonly gradTol: number;
  readonly call: (p: P, strategy: Strategy) => TensorRecord;
  readonly diffKeys: (p: P) => string[];
  readonly prop: (name: string, predicate: (p: P, seed: number) => void) => ContractProperty;
}

/**
 * The contract every optimization node passes (run it from the node's test file):
 * the residual vanishes at the solution; implicit ≈ unroll ≈ central differences on random
 * instances; the same input gives the same output; a batch equals a loop over its elements;
 * a parameter shared across the batch receives the sum of the per-element gradients; the
 * 'solve' strategy passes no gradient back; degenerate valid inputs give no NaN.
 */
export function describeOptimizationNode<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  contract: NodeContractOptions<P, O>,
): void {
  describe(`${node.name} — optimization node contract`, () => {
    for (const property of nodeContract(node, contract)) test(property.name, property.run);
  });
}

/** The contract's properties as values, to run outside `describe` (e.g. to show one fails). */
export function nodeContract<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  contract: NodeContractOptions<P, O>,
): ContractProperty[] {
  const ctx = contractContext(node, contract);
  const random = [...solutionProperties(ctx), ...gradientProperties(ctx), ...batchProperties(ctx)];
  // The full tier's cases are the contract's, not each property's: an even share of each.
  const fast = contract.numRuns ?? 20;
  const share = Math.ceil((contract.fullRuns ?? FULL_TIER_RUNS) / random.length);
  ctx.tier.runs = tierRuns(fast, share);
  ctx.tier.batchRuns = tierRuns(Math.max(5, Math.floor(fast / 2)), share);
  return [...random, ...degenerateInputs(ctx)];
}

function contractContext<P extends TensorRecord, S extends TensorRecord, O extends object>(
  node: OptimizationNode<P, S, O>,
  contract: NodeContractOptions<P, O>,
): ContractContext<P, S, O> {
  const tier = { runs: 0, batchRuns: 0 };
  const base = (contract.options ?? {}) as O & NodeCallOptions<S>;
  const frozen = new Set<string>(node.signature.nondifferentiable ?? []);
  const available = supportedStrategies(node);
  return {
    node,
    contract,
    tier,
    base,
    solutionKeys: Object.keys(node.signature.solution),
    frozen,
    strategies: (contract.strategies ?? available).filter((s) => available.includes(s)),
    gradTol: contract.gradientTol ?? 1e-5,
    call: (p, strategy) => applyNode(node, p, { ...base, strategy }),
    diffKeys: (p) => Object.keys(p).filter((k) => !frozen.has(k)),
    prop: (name, predicate) => ({
      name,
      run: () => fc.assert(fc.property(contract.params, fc.integer({ min: 0, max: 2 ** 30 }), predicate), { numRuns: tier.runs }),
    }),
  };
}

/** The residual vanishes at the solution; the same input gives the same output. */
function solutionProperties<P extends TensorRecord, S extends TensorRecord, O extends object>(
  ctx: ContractContext<P, S, O>,
): ContractProperty[] {
  const { node, contract, base, call, prop, solutionKeys } = ctx;
  const out: ContractProperty[] = [];
  if (node.optimality) {
    const tol = contract.residualTol ?? 1e-8;
    out.push(
      prop('the optimality residual vanishes at the solution', (p) => {
        const { solution } = solveNode(node, p, base);
        const r = node.optimality!(p, solution, base);
        const worst = Math.max(...Array.from(r.data, Math.abs));
        recordCase(worst, tol);
        expect(worst).toBeLessThanOrEqual(tol);
      }),
    );
  }
  out.push(
    prop('the same input gives the same output', (p) => {
      const a = solutionLeaves(call(p, 'solve'), solutionKeys);
      const b = solutionLeaves(call(p, 'solve'), solutionKeys);
      recordCase();
      a.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(b[i]!.data)));
    }),
  );
  return out;
}

/** Each strategy's gradients against central differences and against each other; 'solve' gives none. */
function gradientProperties<P extends TensorRecord, S extends TensorRecord, O extends object>(
  ctx: ContractContext<P, S, O>,
): ContractProperty[] {
  const { contract, strategies, gradTol, call, prop, solutionKeys, diffKeys } = ctx;
  const out: ContractProperty[] = [];
  for (const strategy of strategies.filter((s) => s !== 'solve')) {
    out.push(
      prop(`'${strategy}' gradients match central differences`, (p, seed) => {
        const keys = diffKeys(p);
        const f = (...xs: Tensor[]) => {
          const q = { ...p, ...Object.fromEntries(keys.map((k, i) => [k, xs[i]!])) } as P;
          return solutionLeaves(call(q, strategy), solutionKeys);
        };
        const tangent = contract.tangent ? (t: Tensor, arg: number) => contract.tangent!(t, keys[arg]!) : undefined;
        const tol = strategy === 'unroll' ? (contract.unrollTol ?? gradTol) : gradTol;
        checkVjp(
          f,
          keys.map((k) => p[k]!),
          { seed, rtol: tol, atol: tol * 1e-2, ...(tangent ? { tangent } : {}) },
        );
      }),
    );
  }

  if (strategies.includes('implicit') && strategies.includes('unroll')) {
    const tol = contract.unrollTol ?? gradTol;
    out.push(
      prop('implicit and unrolled gradients agree', (p, seed) => {
        const cot = randomCotangents(call(p, 'solve'), solutionKeys, Rng.seeded(seed));
        const g = (strategy: Strategy) => vjp((q: P) => solutionLeaves(call(q, strategy), solutionKeys), p).pullback(cot)[0] as P;
        const gi = g('implicit');
        const gu = g('unroll');
        const worst = Math.max(0, ...diffKeys(p).map((k) => maxRelDiff(gi[k]!, gu[k]!)));
        recordCase(worst, tol);
        expect(worst).toBeLessThanOrEqual(tol);
      }),
    );
  }

  // A random cotangent, pulled back: a null one would give zeros whatever the node did. Every
  // parameter (nondifferentiable ones too) must get exactly nothing back.
  if (strategies.includes('solve')) {
    out.push(
      prop("'solve' passes no gradient back", (p, seed) => {
        const { value, pullback } = vjp((q: P) => solutionLeaves(call(q, 'solve'), solutionKeys), p);
        const rng = Rng.seeded(seed);
        const [g] = pullback(value.map((t) => randn(t.shape, rng))) as [Partial<Record<string, Tensor | null>>];
        recordCase();
        for (const k of Object.keys(p)) {
          const leak = g[k] ? Math.max(0, ...Array.from(g[k].data, Math.abs)) : 0;
          expect(leak, `'solve' leaked a gradient into '${k}'`).toBe(0);
        }
      }),
    );
  }
  return out;
}

/** A batch against a loop over its elements, and a shared parameter's summed gradient. */
function batchProperties<P extends TensorRecord, S extends TensorRecord, O extends object>(
  ctx: ContractContext<P, S, O>,
): ContractProperty[] {
  const { contract, strategies, tier, frozen, gradTol, call, solutionKeys } = ctx;
  const gradientStrategy: Strategy = strategies.includes('implicit') ? 'implicit' : strategies.includes('unroll') ? 'unroll' : 'solve';
  const tol = Math.max(gradTol, 1e-7);
  // Instances of one shape: the given batch arbitrary, or same-shaped draws of `params`.
  const sameShapes = (a: P, b: P) => Object.keys(a).every((k) => a[k]!.shape.join() === b[k]?.shape.join());
  const arbInstances =
    contract.batch ??
    fc
      .array(contract.params, { minLength: 8, maxLength: 16 })
      .map((all) => all.filter((q) => sameShapes(q, all[0]!)).slice(0, 3))
      .filter((g) => g.length >= 2);
  const arbBatch = fc.tuple(arbInstances, fc.integer({ min: 0, max: 2 ** 30 }));
  const solutionOf = (x: P) => solutionLeaves(call(x, gradientStrategy), solutionKeys);
  // One case per run, however many tensors it compares: its worst check, over that check's tolerance.
  let worst = 0;
  const expectClose = (a: Tensor, b: Tensor, tolerance: number, what: string) => {
    const d = maxRelDiff(a, b);
    worst = Math.max(worst, d / tolerance);
    expect(d, what).toBeLessThanOrEqual(tolerance);
  };
  const oneCase = (check: () => void) => {
    worst = 0;
    check();
    recordCase(worst, 1);
  };

  // Solutions and gradients of a batch against a loop over its elements; `shared` (if any) is
  // given once, without the batch axis, and must receive the sum of the per-element gradients.
  const checkBatch = (instances: P[], seed: number, shared: string | null) => {
    const keys = Object.keys(instances[0]!);
    const elements = shared === null ? instances : instances.map((q) => ({ ...q, [shared]: instances[0]![shared]! }) as P);
    const batched = Object.fromEntries(
      keys.map((k) => [k, k === shared ? instances[0]![k]! : stackBatch(elements.map((q) => q[k]!))]),
    ) as P;
    const rng = Rng.seeded(seed);
    const single = elements.map((q) => call(q, 'solve'));
    const cots = single.map((o) => randomCotangents(o, solutionKeys, rng));
    const perElement = elements.map((q, b) => vjp(solutionOf, q).pullback(cots[b])[0] as P);
    const batchOut = call(batched, gradientStrategy);
    for (const k of solutionKeys) expectClose(batchOut[k]!, stackBatch(single.map((o) => o[k]!)), 1e-8, `solution '${k}'`);
    const batchCot = solutionKeys.map((_, j) => stackBatch(cots.map((c) => c[j]!)));
    const [gBatch] = vjp(solutionOf, batched).pullback(batchCot) as [P];
    for (const k of keys.filter((key) => !frozen.has(key))) {
      const expected = k === shared ? sumTensors(perElement.map((g) => g[k]!)) : stackBatch(perElement.map((g) => g[k]!));
      expectClose(gBatch[k]!, expected, tol, `gradient of '${k}'`);
    }
  };

  // With a single parameter, sharing it leaves nothing batched: the batch is then the same
  // instance repeated, given once — its gradient must still be the sum.
  const checkSharedAlone = (p: P, seed: number, shared: string) => {
    const rng = Rng.seeded(seed);
    const out = call(p, 'solve');
    const cots = [0, 1].map(() => randomCotangents(out, solutionKeys, rng));
    const g = cots.map((c) => (vjp(solutionOf, p).pullback(c)[0] as P)[shared]!);
    const stacked = { [shared]: stackBatch([p[shared]!, p[shared]!]) } as P;
    const [gb] = vjp(solutionOf, stacked).pullback(solutionKeys.map((_, j) => stackBatch(cots.map((c) => c[j]!)))) as [P];
    const parts = [0, 1].map((b) => batchElement(gb[shared]!, b));
    expectClose(sumTensors(parts), sumTensors(g), tol, `gradient of '${shared}'`);
  };

  return [
    {
      name: 'a batch equals a loop over its elements',
      run: () =>
        fc.assert(
          fc.property(arbBatch, ([instances, seed]) => oneCase(() => checkBatch(instances, seed, null))),
          { numRuns: tier.batchRuns },
        ),
    },
    {
      name: 'a parameter shared across the batch receives the sum of the per-element gradients',
      run: () =>
        fc.assert(
          fc.property(arbBatch, ([instances, seed]) => {
            const keys = Object.keys(instances[0]!);
            const shared = contract.sharedParam ?? keys.find((k) => !frozen.has(k))!;
            oneCase(() => (keys.length === 1 ? checkSharedAlone(instances[0]!, seed, shared) : checkBatch(instances, seed, shared)));
          }),
          { numRuns: tier.batchRuns },
        ),
    },
  ];
}

/**
 * Degenerate valid inputs: finite solutions and gradients under every strategy, pulled back
 * along a few seeded random cotangents (an all-ones one is exactly orthogonal to the variations
 * of a simplex output, so its gradient is zero by construction and tests nothing).
 */
function degenerateInputs<P extends TensorRecord, S extends TensorRecord, O extends object>(
  ctx: ContractContext<P, S, O>,
): ContractProperty[] {
  const { contract, strategies, call, solutionKeys } = ctx;
  if (!contract.degenerate?.length) return [];
  const run = () => {
    const rng = Rng.seeded(7);
    contract.degenerate!.forEach((p, i) => {
      for (const strategy of strategies) {
        const { value, pullback } = vjp((q: P) => solutionLeaves(call(q, strategy), solutionKeys), p);
        value.forEach((t, j) =>
          expect(t.data.every(Number.isFinite), `instance ${i}: ${strategy} solution '${solutionKeys[j]}'`).toBe(true),
        );
        for (let draw = 0; draw < 3; draw++) {
          const [g] = pullback(value.map((t) => randn(t.shape, rng))) as [P];
          recordCase();
          for (const k of Object.keys(p)) {
            expect(g[k]!.data.every(Number.isFinite), `instance ${i}: ${strategy} gradient of '${k}'`).toBe(true);
          }
        }
      }
    });
  };
  return [{ name: 'degenerate valid inputs give finite solutions and gradients under random cotangents', run }];
}

/** A standard normal cotangent for each solution output, in `keys` order. */
function randomCotangents(out: TensorRecord, keys: readonly string[], rng: Rng): Tensor[] {
  return keys.map((k) => randn(out[k]!.shape, rng));
}
