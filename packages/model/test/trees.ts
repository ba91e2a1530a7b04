import { fc } from '@fast-check/vitest';
import {
  abs,
  concat,
  constant,
  exp,
  huber,
  logSumExp,
  max,
  maximum,
  norm,
  parameter,
  pos,
  power,
  quadForm,
  sum,
  sumSquares,
  variable,
  type Expr,
} from '../src/index.js';

/**
 * Random DCP-convex scalar expression trees over a variable x [n] and a parameter p [n]: convex
 * atoms of random affine leaves (x − p, p ∘ x, Cx + p, …), composed by the rules that keep
 * convexity (sums, positive scaling, nondecreasing convex atoms of convex arguments). Every tree
 * is strictly convex-by-DCP (never merely affine) and contains x.
 */
export interface Leaves {
  readonly n: number;
  readonly x: Expr;
  readonly p: Expr;
}

export function defaultLeaves(n: number): Leaves {
  return { n, x: variable([n], { name: 'x' }), p: parameter([n], { name: 'p' }) };
}

const small = fc.double({ min: -1.5, max: 1.5, noNaN: true }).map((v) => Math.round(v * 4) / 4);

function arbAffine({ n, x, p }: Leaves): fc.Arbitrary<Expr> {
  return fc.oneof(
    fc.constant(x),
    fc.constant(x.sub(p)),
    fc.constant(p.mul(x).add(x)),
    fc.array(small, { minLength: n * n, maxLength: n * n }).map((c) => {
      const C = constant(Array.from({ length: n }, (_, i) => c.slice(i * n, i * n + n)));
      return C.matmul(x).add(p);
    }),
    small.map((k) => x.mul(k === 0 ? 1 : k).add(p.mul(0.5))),
  );
}

/** A PSD constant matrix LLᵀ for quadForm. */
const arbPsd = (n: number) =>
  fc.array(small, { minLength: n * n, maxLength: n * n }).map((l) =>
    constant(
      Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => {
          let s = i === j ? 0.1 : 0;
          for (let r = 0; r < n; r++) s += l[i * n + r]! * l[j * n + r]!;
          return s;
        }),
      ),
    ),
  );

function arbBase(leaves: Leaves): fc.Arbitrary<Expr> {
  const a = arbAffine(leaves);
  return fc.oneof(
    a.map((e) => sumSquares(e)),
    a.map((e) => norm(e, 1)),
    a.map((e) => norm(e)),
    a.map((e) => norm(e, Infinity)),
    a.map((e) => sum(abs(e))),
    a.map((e) => sum(pos(e))),
    a.map((e) => logSumExp(e)),
    a.map((e) => max(e)),
    a.map((e) => sum(huber(e, 0.5))),
    a.map((e) => sum(exp(e.mul(0.3)))),
    a.map((e) => sum(power(e, 1.5))),
    a.map((e) => norm(e, 3)),
    fc.tuple(a, arbPsd(leaves.n)).map(([e, Q]) => quadForm(e, Q)),
  );
}

/**
 * With `strict`, compositions are only those strictly increasing in every argument (sums, positive
 * scalings, logSumExp): pos(·) or maximum(·, ·) would leave an inner atom's epigraph variable
 * free wherever that branch is inactive, so the cone program's solution is not unique there and
 * its derivative is singular (the Smith form's known degeneracy; see docs/modeling.md).
 */
export function arbConvex(
  n: number,
  leaves: Leaves = defaultLeaves(n),
  { depth = 2, strict = false } = {},
): fc.Arbitrary<{ readonly expr: Expr }> {
  const tree: fc.Arbitrary<Expr> = fc.letrec<{ node: Expr }>((tie) => {
    const strictly = [
      arbBase(leaves),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => a.add(b)),
      fc.tuple(tie('node'), fc.constantFrom(0.5, 2)).map(([a, k]) => a.mul(k)),
      fc.tuple(tie('node'), tie('node')).map(([a, b]) => logSumExp(concat([a, b]))),
    ];
    const flat = [tie('node').map((a) => pos(a.sub(1))), fc.tuple(tie('node'), tie('node')).map(([a, b]) => maximum(a, b))];
    return { node: fc.oneof({ depthSize: 'small', maxDepth: depth, depthIdentifier: 'convex' }, ...strictly, ...(strict ? [] : flat)) };
  }).node;
  return tree.map((expr) => ({ expr, toString: () => expr.toString() }));
}
