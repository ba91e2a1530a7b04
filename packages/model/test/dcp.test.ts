import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import {
  abs,
  analyze,
  DcpError,
  DppError,
  entr,
  exp,
  huber,
  lambdaMax,
  log,
  logSumExp,
  maximize,
  maximum,
  minimize,
  minimum,
  norm,
  parameter,
  pos,
  problem,
  quadForm,
  sumSquares,
  variable,
  type Expr,
} from '../src/index.js';
import { arbConvex } from './trees.js';

const x = variable([3], { name: 'x' });
const y = variable([3], { name: 'y' });
const p = parameter([3], { name: 'p' });
const q = parameter([], { name: 'q' });
const k = parameter([], { name: 'k', nonneg: true });

/** The DcpError / DppError a problem (or expression analysis) throws. */
function errorOf(fn: () => unknown): DcpError | DppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DcpError || e instanceof DppError) return e;
    throw e;
  }
  throw new Error('expected a DCP or DPP error');
}

describe('curvature and sign', () => {
  const cases: [string, Expr, string, string][] = [
    ['affine', x.mul(2).add(p), 'affine', 'unknown'],
    ['convex atom of affine', sumSquares(x.sub(p)), 'convex', 'nonneg'],
    ['nonneg scaling keeps convexity', norm(x, 1).mul(3), 'convex', 'nonneg'],
    ['negation flips', norm(x).neg(), 'concave', 'nonpos'],
    ['convex nondecreasing of convex', pos(norm(x).sub(1)), 'convex', 'nonneg'],
    ['maximum of convex', maximum(abs(x), exp(y)), 'convex', 'nonneg'],
    ['concave nondecreasing of concave', log(minimum(x, entr(y))), 'concave', 'unknown'],
    ['logSumExp of convex', logSumExp(exp(x)), 'convex', 'unknown'],
    ['huber of affine', huber(x.sub(p), 2), 'convex', 'nonneg'],
    ['nonneg parameter times convex', norm(x).mul(k), 'convex', 'nonneg'],
    ['parameter-only expression', p.mul(2).sum(), 'constant', 'unknown'],
  ];
  test.each(cases)('%s', (_, e, curvature, sign) => {
    expect(analyze(e).curvature).toBe(curvature);
    expect(analyze(e).sign).toBe(sign);
  });
});

describe('DCP violations name the offending subexpression and why', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['concave of convex', () => problem(minimize(log(sumSquares(x)).neg())), 'log(sumSquares(x))', /log is concave and nondecreasing/],
    ['product of variables', () => problem(minimize(sumSquares(x.mul(y)))), 'x * y', /both contain variables/],
    ['minimize concave', () => problem(minimize(entr(x).sum())), 'sum(entr(x))', /cannot minimize a concave/],
    ['maximize convex', () => problem(maximize(norm(x))), 'norm2(x)', /cannot maximize a convex/],
    ['convex >= ', () => problem(minimize(x.sum()), [norm(x).ge(1)]), '1 <= norm2(x)', /right side norm2\(x\) is convex/],
    [
      'nonaffine equality',
      () => problem(minimize(x.sum()), [sumSquares(x).eq(1)]),
      'sumSquares(x) == 1',
      /equality constraints need affine/,
    ],
    ['unknown-sign scaling', () => problem(minimize(norm(x).mul(q))), 'norm2(x) * q', /unknown sign/],
    ['non-monotone atom of convex', () => problem(maximize(entr(abs(x)).sum())), 'entr(abs(x))', /not monotone/],
    [
      'variable in quadForm matrix',
      () => problem(minimize(quadForm(x, y.reshape([3, 1]).matmul(y.reshape([1, 3]))))),
      'reshape(y, [3,1]) @ reshape(y, [1,3])',
      /both contain variables/,
    ],
  ];
  test.each(cases)('%s', (_, fn, sub, why) => {
    const e = errorOf(fn);
    expect(e).toBeInstanceOf(DcpError);
    expect(e.subexpression).toBe(sub);
    expect(e.message).toMatch(why);
    expect(e.message).toContain(sub);
  });

  const dpp: [string, () => unknown, string, RegExp][] = [
    ['parameter times parameter', () => problem(minimize(sumSquares(x.mul(p.mul(q))))), 'p * q', /not linear in them|both/],
    ['parameter inside an atom', () => problem(minimize(x.dot(exp(p)))), 'exp(p)', /appears inside the nonlinear atom exp/],
    ['parameter times parameter-dependent', () => problem(minimize(sumSquares(x.add(p).mul(q)))), '(x + p) * q', /both/],
  ];
  test.each(dpp)('DPP: %s', (_, fn, sub, why) => {
    const e = errorOf(fn);
    expect(e).toBeInstanceOf(DppError);
    expect(e.message).toContain(sub);
    expect(e.message).toMatch(why);
  });

  test('PSD constraints and lambdaMax need symmetric affine matrices', () => {
    const X = variable([2, 2], { name: 'X' });
    expect(analyze(lambdaMax(X)).curvature).toBe('convex');
    expect(() => problem(minimize(lambdaMax(X)), [X.psdGe(0)])).not.toThrow();
    expect(errorOf(() => problem(minimize(lambdaMax(exp(X))))).message).toMatch(/lambdaMax is convex and not monotone/);
  });
});

describe('random trees (fast-check)', () => {
  fcTest.prop([arbConvex(3)], { numRuns: 100 })('every generated convex tree is DCP and convex', (tree) => {
    const c = analyze(tree.expr).curvature;
    expect(c === 'convex' || c === 'affine').toBe(true);
    expect(() => problem(minimize(tree.expr))).not.toThrow();
  });

  /** Ways to break DCP around a valid convex tree T, with the subexpression that must be named. */
  const breakers: ((t: Expr) => { bad: Expr; wrap: (b: Expr) => Expr })[] = [
    (t) => ({ bad: log(t), wrap: (b) => pos(b.neg()) }),
    (t) => ({ bad: entr(t), wrap: (b) => b.neg() }),
    (t) => ({ bad: t.mul(x.sum()), wrap: (b) => b }),
    (t) => ({ bad: minimum(t, 1), wrap: (b) => maximum(b.neg(), 0) }),
    (t) => ({ bad: t.add(log(x).sum()), wrap: (b) => b.mul(2) }),
  ];
  fcTest.prop([arbConvex(3), fc.integer({ min: 0, max: breakers.length - 1 })], { numRuns: 100 })(
    'a DCP-violating tree is rejected naming its smallest offending subexpression',
    (tree, which) => {
      const { bad, wrap } = breakers[which]!(tree.expr);
      const e = errorOf(() => problem(minimize(wrap(bad).add(sumSquares(x)))));
      expect(e).toBeInstanceOf(DcpError);
      expect(e.subexpression).toBe(bad.toString());
    },
  );
});
