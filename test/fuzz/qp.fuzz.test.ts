// Fuzz: the QP node on random instances with known answers (solvable, infeasible, unbounded;
// strict, weakly active, tiny multipliers, dependent active rows, huge bounds, semidefinite Q;
// data scaled by 1e-150…1e150 in several patterns) and on random bad inputs. Every case must
// end in a typed error, a verified 'converged' answer, or an honest other status.
import { Tensor, grad, sum } from '@argmin/autodiff';
import { qp } from '@argmin/nodes-convex';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { BrokenPromise, assertFinite, fuzzCase, fuzzRuns, report, snapshot, type Outcome } from './harness.js';
import { arbSpec, checkAnswer, infeasible, solvable, tensors, unbounded, type QpInstance } from './qp-reference.js';

afterAll(() => report('qp'));

/** Solves and classifies one instance; a wrong certificate or an unverified 'converged' breaks the promise. */
function classify(q: QpInstance, withGradient: boolean): Outcome {
  const params = tensors(q);
  const untouched = snapshot(params);
  const out = qp(params);
  untouched();
  const status = out.info.status[0]!;
  const where = `${q.label} (n=${q.n}, m=${q.m}, k=${q.k})`;
  if (status === 'converged') {
    if (q.kind !== 'solvable') throw new BrokenPromise(`${where}: 'converged' on an ${q.kind} problem`);
    assertFinite('z', out.z);
    const bad = checkAnswer(q, out.z.data);
    if (bad) throw new BrokenPromise(`${where}: 'converged' but ${bad}`);
    if (withGradient) {
      // The backward pass at a converged answer gives finite gradients (weakly active rows get a one-sided one).
      const g = grad((p: Tensor) => sum(qp({ ...params, p }).z))(params.p);
      assertFinite('∂Σz/∂p', g);
    }
    return 'verified';
  }
  if ((status === 'infeasible' || status === 'unbounded') && status !== q.kind) {
    throw new BrokenPromise(`${where}: reported '${status}' but the problem is ${q.kind}`);
  }
  return 'honest';
}

describe('fuzz: qp on instances with known answers', () => {
  test('solvable instances (every degeneracy and scaling)', () => {
    fc.assert(
      fc.property(arbSpec, fc.boolean(), (spec, withGradient) => {
        fuzzCase(`qp/solvable/${spec.degeneracy}`, () => classify(solvable(spec), withGradient && spec.n <= 4));
      }),
      { numRuns: fuzzRuns(400) },
    );
  });

  test('infeasible instances', () => {
    fc.assert(
      fc.property(arbSpec, (spec) => fuzzCase('qp/infeasible', () => classify(infeasible(spec), false))),
      { numRuns: fuzzRuns(100) },
    );
  });

  test('unbounded instances', () => {
    fc.assert(
      fc.property(arbSpec, (spec) => fuzzCase('qp/unbounded', () => classify(unbounded(spec), false))),
      { numRuns: fuzzRuns(100) },
    );
  });

  test('a batch of mixed instances reports each element as its own solve does', () => {
    fc.assert(
      fc.property(fc.array(arbSpec, { minLength: 2, maxLength: 4 }), (specs) => {
        // One size for the whole batch: the first spec's, the rest keep their degeneracy/scaling.
        const first = specs[0]!;
        const items = specs.map((s, i) =>
          i % 3 === 2
            ? infeasible({ ...s, n: first.n, m: Math.max(2, first.m), k: 0 })
            : solvable({ ...s, n: first.n, m: first.m, k: first.k, degeneracy: s.degeneracy === 'huge-bounds' ? 'strict' : s.degeneracy }),
        );
        const m = Math.max(...items.map((q) => q.m));
        const k = Math.min(...items.map((q) => q.k));
        if (items.some((q) => q.m !== m || q.k !== k)) return; // sizes differ: not a batch
        fuzzCase('qp/batch', () => {
          const stack = (key: 'Q' | 'p' | 'G' | 'h' | 'A' | 'b', shape: number[]) =>
            new Tensor(Float64Array.from(items.flatMap((q) => Array.from(q[key]))), [items.length, ...shape]);
          const { n } = items[0]!;
          const out = qp({
            Q: stack('Q', [n, n]),
            p: stack('p', [n]),
            ...(m > 0 ? { G: stack('G', [m, n]), h: stack('h', [m]) } : {}),
            ...(k > 0 ? { A: stack('A', [k, n]), b: stack('b', [k]) } : {}),
          });
          items.forEach((q, e) => {
            const status = out.info.status[e]!;
            if (status === 'converged') {
              const bad =
                q.kind === 'solvable' ? checkAnswer(q, out.z.data.subarray(e * n, (e + 1) * n)) : `'converged' on an ${q.kind} problem`;
              if (bad) throw new BrokenPromise(`batch element ${e} (${q.label}): ${bad}`);
            } else if ((status === 'infeasible' || status === 'unbounded') && status !== q.kind) {
              throw new BrokenPromise(`batch element ${e} (${q.label}): '${status}' but the problem is ${q.kind}`);
            }
          });
          return 'verified';
        });
      }),
      { numRuns: fuzzRuns(40) },
    );
  });
});

/** Random corruptions of a valid QP: each must be a typed error, never a crash or a silent answer. */
const corruptions = ['nan', 'inf', 'rank', 'size', 'pair', 'non-tensor', 'asymmetric', 'indefinite', 'batch', 'unknown-key'] as const;

describe('fuzz: qp on bad inputs', () => {
  test('shapes, non-finite values, non-tensors, non-convex Q', () => {
    fc.assert(
      fc.property(
        arbSpec,
        fc.constantFrom(...corruptions),
        fc.constantFrom('Q', 'p', 'G', 'h', 'A', 'b'),
        fc.nat(),
        (spec, corruption, key, at) => {
          const q = solvable({
            ...spec,
            m: Math.max(1, spec.m),
            k: Math.max(1, Math.min(spec.k, spec.n - 1)),
            n: Math.max(2, spec.n),
            degeneracy: 'strict',
          });
          const params: Record<string, unknown> = tensors(q);
          const t = params[key] as Tensor | undefined;
          if (!t) return;
          const data = Float64Array.from(t.data);
          switch (corruption) {
            case 'nan':
              data[at % data.length] = Number.NaN;
              params[key] = new Tensor(data, t.shape);
              break;
            case 'inf':
              data[at % data.length] = at % 2 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
              params[key] = new Tensor(data, t.shape);
              break;
            case 'rank':
              params[key] = new Tensor(data, [1, 1, ...t.shape]);
              break;
            case 'size':
              params[key] = new Tensor(new Float64Array(t.size + 1), [t.size + 1]);
              break;
            case 'pair':
              delete params[key === 'Q' || key === 'p' ? 'h' : key];
              break;
            case 'non-tensor':
              params[key] = [Array.from(t.data)][at % 1] ?? null;
              break;
            case 'asymmetric':
              if (q.n < 2) return;
              params.Q = new Tensor(
                Float64Array.from(q.Q, (v, i) => (i === 1 ? v + 1e-3 * Math.max(...Array.from(q.Q, Math.abs)) : v)),
                [q.n, q.n],
              );
              break;
            case 'indefinite':
              params.Q = new Tensor(
                Float64Array.from(q.Q, (v, i) => (i === 0 ? -Math.max(...Array.from(q.Q, Math.abs)) : v)),
                [q.n, q.n],
              );
              break;
            case 'batch':
              params[key] = new Tensor(Float64Array.from([...data, ...data, ...data]), [3, ...t.shape]);
              params.Q = new Tensor(Float64Array.from([...q.Q, ...q.Q]), [2, q.n, q.n]);
              if (key === 'Q') params.p = new Tensor(Float64Array.from([...q.p, ...q.p, ...q.p]), [3, q.n]);
              break;
            case 'unknown-key':
              params.R = t;
              break;
          }
          fuzzCase(`qp/bad-input/${corruption}`, () => {
            qp(params as never);
            throw new BrokenPromise(`qp accepted a ${corruption} corruption of '${key}' without a typed error`);
          });
        },
      ),
      { numRuns: fuzzRuns(300) },
    );
  });
});
