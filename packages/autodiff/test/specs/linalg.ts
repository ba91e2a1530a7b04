import fc from 'fast-check';
import { Tensor } from '@argmin/autodiff';
import { arbSpd, arbTensor, type OpGradSpec } from '@argmin/autodiff/testing';
import { cholesky, matmul, matmulT, quadForm, solve, triangularSolve } from '../../src/ops/linalg.js';

const dim = fc.integer({ min: 1, max: 4 });
const batchDim = fc.integer({ min: 1, max: 3 });

/** A batch `[...batch, n, n]` of diagonally dominant (so well-conditioned, nonsymmetric) matrices. */
function arbDominant(n: number, batch: readonly number[] = []): fc.Arbitrary<Tensor> {
  return fc
    .tuple(arbTensor([...batch, n, n], { min: -1, max: 1 }), fc.array(fc.boolean(), { minLength: n, maxLength: n }))
    .map(([t, signs]) => {
      const d = Float64Array.from(t.data);
      for (let o = 0; o < d.length; o += n * n) {
        for (let i = 0; i < n; i++) d[o + i * n + i] = (signs[i] ? 1 : -1) * (n + 0.5 + Math.abs(d[o + i * n + i]!));
      }
      return new Tensor(d, t.shape);
    });
}

/** A batch of triangular matrices with diagonal entries of magnitude in [1, 2]. */
function arbTriangular(n: number, lower: boolean, batch: readonly number[] = []): fc.Arbitrary<Tensor> {
  return arbDominant(n, batch).map((t) => {
    const d = Float64Array.from(t.data);
    for (let o = 0; o < d.length; o += n * n) {
      for (let i = 0; i < n; i++) {
        d[o + i * n + i] = Math.sign(d[o + i * n + i]!) * (1 + (Math.abs(d[o + i * n + i]!) % 1));
        for (let j = 0; j < n; j++) if (lower ? j > i : j < i) d[o + i * n + j] = 0;
      }
    }
    return new Tensor(d, t.shape);
  });
}

/** Symmetric part of each trailing n×n block: tangents of functions defined on symmetric matrices. */
function symmetricTangent(t: Tensor): Tensor {
  const n = t.shape[t.ndim - 1]!;
  const d = new Float64Array(t.size);
  for (let o = 0; o < d.length; o += n * n) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[o + i * n + j] = 0.5 * (t.data[o + i * n + j]! + t.data[o + j * n + i]!);
  }
  return new Tensor(d, t.shape);
}

const pair = (a: fc.Arbitrary<Tensor>, b: fc.Arbitrary<Tensor>) => fc.tuple(a, b).map(([x, y]) => [x, y] as const);

export const linalgSpecs: OpGradSpec[] = [
  // matmul
  { name: 'matmul 2-D', fn: matmul, args: fc.tuple(dim, dim, dim).chain(([m, k, n]) => pair(arbTensor([m, k]), arbTensor([k, n]))) },
  {
    name: 'matmul batched',
    fn: matmul,
    args: fc.tuple(batchDim, dim, dim, dim).chain(([b, m, k, n]) => pair(arbTensor([b, m, k]), arbTensor([b, k, n]))),
  },
  {
    name: 'matmul shared weight [B,m,k]@[k,n]',
    fn: matmul,
    args: fc.tuple(batchDim, dim, dim, dim).chain(([b, m, k, n]) => pair(arbTensor([b, m, k]), arbTensor([k, n]))),
  },
  {
    name: 'matmul broadcast batch [B,1,m,k]@[C,k,n]',
    fn: matmul,
    args: fc.tuple(batchDim, batchDim, dim, dim, dim).chain(([b, c, m, k, n]) => pair(arbTensor([b, 1, m, k]), arbTensor([c, k, n]))),
  },
  { name: 'matmul vector·matrix', fn: matmul, args: fc.tuple(dim, dim).chain(([k, n]) => pair(arbTensor([k]), arbTensor([k, n]))) },
  { name: 'matmul matrix·vector', fn: matmul, args: fc.tuple(dim, dim).chain(([m, k]) => pair(arbTensor([m, k]), arbTensor([k]))) },
  { name: 'matmul vector·vector', fn: matmul, args: dim.chain((k) => pair(arbTensor([k]), arbTensor([k]))) },
  {
    name: 'matmul batch·vector',
    fn: matmul,
    args: fc.tuple(batchDim, dim, dim).chain(([b, m, k]) => pair(arbTensor([b, m, k]), arbTensor([k]))),
  },
  {
    name: 'matmulT (all transpose flags, broadcast batch)',
    fn: (a: Tensor, b: Tensor, ta: boolean, tb: boolean) => matmulT(a, b, ta, tb),
    args: fc
      .tuple(batchDim, dim, dim, dim, fc.boolean(), fc.boolean())
      .chain(([bt, m, k, n, ta, tb]) =>
        fc.tuple(arbTensor(ta ? [bt, k, m] : [bt, m, k]), arbTensor(tb ? [n, k] : [k, n]), fc.constant(ta), fc.constant(tb)),
      ),
    check: { wrt: [0, 1] },
  },
  // solve
  { name: 'solve SPD, vector rhs', fn: solve, args: dim.chain((n) => pair(arbSpd(n), arbTensor([n]))) },
  {
    name: 'solve nonsymmetric, matrix rhs',
    fn: solve,
    args: fc.tuple(dim, dim).chain(([n, k]) => pair(arbDominant(n), arbTensor([n, k]))),
  },
  {
    name: 'solve batched A, batch of vectors',
    fn: solve,
    args: fc.tuple(batchDim, dim).chain(([b, n]) => pair(arbDominant(n, [b]), arbTensor([b, n]))),
  },
  {
    name: 'solve shared A, broadcast matrix rhs',
    fn: solve,
    args: fc.tuple(batchDim, dim, dim).chain(([b, n, k]) => pair(arbSpd(n), arbTensor([b, 1, n, k]))),
  },
  {
    name: 'solve transposed',
    fn: (a: Tensor, b: Tensor) => solve(a, b, { transpose: true }),
    args: fc.tuple(batchDim, dim, dim).chain(([b, n, k]) => pair(arbDominant(n, [b]), arbTensor([n, k]))),
  },
  // triangular solve
  {
    name: 'triangularSolve (lower/upper, transposed, unit diagonal)',
    fn: (t: Tensor, b: Tensor, lower: boolean, transpose: boolean, unitDiagonal: boolean) =>
      triangularSolve(t, b, { lower, transpose, unitDiagonal }),
    args: fc
      .tuple(batchDim, dim, dim, fc.boolean(), fc.boolean(), fc.boolean())
      .chain(([bt, n, k, lower, transpose, unit]) =>
        fc.tuple(arbTriangular(n, lower, [bt]), arbTensor([n, k]), fc.constant(lower), fc.constant(transpose), fc.constant(unit)),
      ),
    check: { wrt: [0, 1] },
  },
  // cholesky: defined on symmetric matrices, so perturb symmetrically.
  {
    name: 'cholesky',
    fn: cholesky,
    args: dim
      .map((n) => n + 1)
      .chain((n) => arbSpd(n))
      .map((a) => [a] as const),
    check: { tangent: symmetricTangent },
  },
  {
    name: 'cholesky batched',
    fn: cholesky,
    args: fc
      .tuple(batchDim, dim)
      .chain(([b, n]) => arbSpd(n, { batch: b }))
      .map((a) => [a] as const),
    check: { tangent: symmetricTangent },
  },
  {
    name: 'cholesky then triangular solves (whitening)',
    fn: (a: Tensor, b: Tensor) => triangularSolve(cholesky(a), b),
    args: dim.chain((n) => pair(arbSpd(n), arbTensor([n]))),
    check: { tangent: (t, arg) => (arg === 0 ? symmetricTangent(t) : t) },
  },
  // quadratic form
  { name: 'quadForm', fn: quadForm, args: dim.chain((n) => pair(arbTensor([n]), arbTensor([n, n]))) },
  {
    name: 'quadForm batch of x, shared A',
    fn: quadForm,
    args: fc.tuple(batchDim, dim).chain(([b, n]) => pair(arbTensor([b, n]), arbTensor([n, n]))),
  },
  {
    name: 'quadForm shared x, batch of A',
    fn: quadForm,
    args: fc.tuple(batchDim, dim).chain(([b, n]) => pair(arbTensor([n]), arbTensor([b, n, n]))),
  },
];
