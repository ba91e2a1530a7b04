import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { InvalidInputError, ShapeError, Tensor, add, mul, sub, tensor, vjp, zeros } from '../../src/index.js';
import { applyNode, defineNode, optionFields, resolvePlan, supportedStrategies } from '../../src/extend.js';

/** y = argmin ½(y − x)², by damped steps y ← y + ½(x − y): every strategy is available. */
const node = defineNode<{ x: Tensor }, { y: Tensor }, { damping?: number; polish?: boolean }>({
  name: 'test.fixed',
  signature: { params: { x: '(n)' }, solution: { y: '(n)' } },
  options: { damping: optionFields.between(0, 1).optional(), polish: optionFields.boolean().optional() },
  solve: ({ x }) => ({
    solution: { y: new Tensor(Float64Array.from(x.data), x.shape) },
    info: { status: ['converged'], iterations: [1], residual: [0] },
  }),
  optimality: ({ x }, { y }) => sub(y, x),
  step: {
    defaultSteps: 7,
    init: ({ x }, { warmStart }) => ({ y: warmStart?.y ?? zeros(x.shape) }),
    update: ({ x }, { y }, { damping = 0.5 }) => ({ y: add(y, mul(sub(x, y), damping)) }),
  },
});
const x = tensor([1, 2]);
const run = (options: object) => () => applyNode(node, { x }, options as never);
const rejects = (options: object, message: string) => {
  expect(run(options)).toThrow(InvalidInputError);
  expect(run(options)).toThrow(message);
};

describe('one options schema per node: the common call options merged with the node’s own', () => {
  test('misspelled keys name the node and the option, suggest the near miss and list the valid ones', () => {
    rejects({ maxIters: 10 }, "test.fixed: unknown option 'maxIters' (did you mean 'maxIter'?); valid options: damping, polish, strategy,");
    rejects(
      { tolerance: 1e-6 },
      "test.fixed: unknown option 'tolerance'; valid options: damping, polish, strategy, onUnconverged, linearSolve, label, tol, maxIter, warmStart, workers",
    );
    rejects({ warmstart: { y: x } }, "unknown option 'warmstart' (did you mean 'warmStart'?)");
    rejects({ dampign: 0.5 }, "unknown option 'dampign' (did you mean 'damping'?)");
    rejects(
      { linearSolve: { methd: 'cg' } },
      "test.fixed: unknown option 'linearSolve.methd' (did you mean 'linearSolve.method'?); valid keys of 'linearSolve': method, tol, maxIter, restart, denseMax",
    );
  });

  test('ill-typed values say what the option must be and what it got', () => {
    rejects({ maxIter: '10' }, "test.fixed: option 'maxIter' must be an integer ≥ 0, got the string '10'");
    rejects({ maxIter: 2.5 }, "option 'maxIter' must be an integer ≥ 0, got number 2.5");
    rejects({ tol: -1 }, "test.fixed: option 'tol' must be a finite number ≥ 0, got number -1");
    rejects({ tol: Number.NaN }, "option 'tol' must be a finite number ≥ 0, got number NaN");
    rejects({ polish: 'no' }, "test.fixed: option 'polish' must be true or false, got the string 'no'");
    rejects({ damping: 1.5 }, "option 'damping' must be a number in (0, 1), got number 1.5");
    rejects({ onUnconverged: 'ignore' }, "option 'onUnconverged' must be 'error', 'zero' or 'unroll-fallback', got the string 'ignore'");
    rejects({ label: 3 }, "option 'label' must be a string, got number 3");
    rejects({ linearSolve: { method: 'qr' } }, "option 'linearSolve.method' must be 'auto', 'dense', 'gmres' or 'cg', got the string 'qr'");
    rejects({ warmStart: x }, "option 'warmStart' must be an object of solution tensors, got a Tensor of shape [2]");
  });

  test('the options themselves must be an object', () => {
    rejects(3 as never, 'test.fixed: options must be an object, got number 3');
  });

  test('a node without a schema gets the common options checked and its own keys passed through', () => {
    const plain = defineNode<{ x: Tensor }, { y: Tensor }, { extra?: number }>({
      name: 'test.loose',
      signature: node.signature,
      solve: node.solve,
    });
    expect(() => applyNode(plain, { x }, { extra: 3, strategy: 'solve' })).not.toThrow();
    expect(() => applyNode(plain, { x }, { maxIter: '3' } as never)).toThrow("test.loose: option 'maxIter' must be an integer ≥ 0");
  });

  test('warm starts: known outputs, Tensors of the output’s core shape (or batched), finite', () => {
    expect(run({ warmStart: { y: tensor([0, 0]) } })).not.toThrow();
    expect(run({ warmStart: { z: x } })).toThrow("test.fixed: unknown warmStart entry 'z'; the solution has y");
    expect(run({ warmStart: { y: [0, 0] } })).toThrow('test.fixed: warmStart.y must be a Tensor, got an array');
    expect(run({ warmStart: { y: tensor([0, 0, 0]) } })).toThrow(ShapeError);
    expect(run({ warmStart: { y: tensor([0, 0, 0]) } })).toThrow(
      'test.fixed: warmStart.y of shape [3] does not fit the problem: expected [2] or [1,2]',
    );
    expect(run({ warmStart: { y: tensor([0, Number.NaN]) } })).toThrow("parameter 'warmStart.y' holds NaN");
  });

  test('zod schemas of any kind can be a node’s option', () => {
    const withEnum = defineNode<{ x: Tensor }, { y: Tensor }, { mode?: 'a' | 'b' }>({
      name: 'test.enum',
      signature: node.signature,
      options: { mode: z.enum(['a', 'b']).optional().describe("'a' or 'b'") },
      solve: node.solve,
    });
    expect(() => applyNode(withEnum, { x }, { mode: 'c', strategy: 'solve' } as never)).toThrow(
      "test.enum: option 'mode' must be 'a' or 'b', got the string 'c'",
    );
  });
});

describe('the strategy as a value, resolved into one plan', () => {
  test('strings are shorthands for the objects', () => {
    expect(resolvePlan(node, {})).toEqual({ kind: 'implicit', policy: 'error', fallbackSteps: 7 });
    expect(resolvePlan(node, { strategy: 'unroll' })).toEqual({ kind: 'unroll', policy: 'error', steps: 7 });
    expect(resolvePlan(node, { strategy: { kind: 'unroll' } })).toEqual({ kind: 'unroll', policy: 'error', steps: 7 });
    expect(resolvePlan(node, { strategy: 'solve', onUnconverged: 'zero' })).toEqual({ kind: 'solve', policy: 'zero' });
  });

  test("the unroll length is the strategy's steps, not the forward's maxIter", () => {
    expect(resolvePlan(node, { strategy: { kind: 'unroll', steps: 3 }, maxIter: 100 })).toMatchObject({ steps: 3 });
    // Unrolled y after k damped steps from 0 is (1 − 2⁻ᵏ)x: the value shows how many ran.
    const y = applyNode(node, { x }, { strategy: { kind: 'unroll', steps: 3 }, maxIter: 100 }).y;
    expect(Array.from(y.data)).toEqual([0.875, 1.75]);
    // The string shorthand with maxIter keeps its earlier meaning while callers move over.
    expect(resolvePlan(node, { strategy: 'unroll', maxIter: 2 })).toMatchObject({ steps: 2 });
  });

  test('linearSolve travels with the implicit strategy (or as the common option, not both)', () => {
    const linearSolve = { method: 'dense' } as const;
    expect(resolvePlan(node, { strategy: { kind: 'implicit', linearSolve } })).toMatchObject({ linearSolve });
    expect(resolvePlan(node, { linearSolve })).toMatchObject({ linearSolve });
    expect(() => resolvePlan(node, { strategy: { kind: 'implicit', linearSolve }, linearSolve: { method: 'cg' } })).toThrow(
      'test.fixed: linearSolve is given twice',
    );
    const g = vjp((t: Tensor) => applyNode(node, { x: t }, { strategy: { kind: 'implicit', linearSolve } }).y, x).pullback(
      tensor([1, 1]),
    )[0];
    expect(Array.from((g as Tensor).data)).toEqual([1, 1]);
  });

  test('bad strategy values are typed errors listing the forms', () => {
    rejects(
      { strategy: 'backprop' },
      "test.fixed: option 'strategy' must be 'implicit', 'unroll', 'solve', { kind: 'implicit', linearSolve? }, { kind: 'unroll', steps? } or { kind: 'solve' }, got the string 'backprop'",
    );
    rejects({ strategy: { kind: 'unroll', steps: -1 } }, "test.fixed: option 'strategy.steps'");
    rejects({ strategy: { kind: 'unroll', step: 3 } }, "unknown option 'strategy.step'");
  });

  test('a strategy the node cannot run names what it needs; supportedStrategies lists what it can', () => {
    const solveOnly = defineNode<{ x: Tensor }, { y: Tensor }>({
      name: 'test.solveOnly',
      signature: node.signature,
      solve: node.solve,
    });
    expect(supportedStrategies(node)).toEqual(['implicit', 'unroll', 'solve']);
    expect(supportedStrategies(solveOnly)).toEqual(['solve']);
    expect(() => applyNode(solveOnly, { x })).toThrow(
      "test.solveOnly: strategy 'implicit' needs the node to define optimality or vjp (it supports solve)",
    );
    expect(() => applyNode(solveOnly, { x }, { strategy: { kind: 'unroll' } })).toThrow("strategy 'unroll' needs the node to define step");
    expect(() => applyNode(solveOnly, { x }, { strategy: 'solve', onUnconverged: 'unroll-fallback' })).toThrow(
      "onUnconverged 'unroll-fallback' needs the node to define step",
    );
  });
});
