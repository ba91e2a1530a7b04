import { isMainThread } from 'node:worker_threads';
import { InvalidInputError } from '../../src/errors.js';
import { defineNode, definePlugin, optionFields } from '../../src/extend.js';
import { mul, sub } from '../../src/index.js';
import { Tensor } from '../../src/tensor.js';

/**
 * A node for the worker tests: y = c·x per element, whose solve can fail in ways only the solve
 * sees (`failOn`: a typed error naming the element; `exitOn`: the worker thread exits). Its
 * gradient is the generic implicit one, which reads the parameters again at the backward.
 */
export const scaleNode = defineNode<
  { x: Tensor; c: Tensor },
  { y: Tensor },
  { failOn?: number; exitOn?: number; map?: () => void; weights?: Tensor }
>({
  name: 'test.scale',
  signature: { params: { x: '(n)', c: '()' }, solution: { y: '(n)' } },
  options: {
    failOn: optionFields.finite().optional(),
    exitOn: optionFields.finite().optional(),
    map: optionFields.fn<() => void>().optional(),
    weights: optionFields.tensor().optional(),
  },
  optimality: ({ x, c }, { y }) => sub(y, mul(x, c)),
  solve({ x, c }, options) {
    const y = new Float64Array(x.size);
    const n = x.shape[x.ndim - 1]!;
    for (let i = 0; i < x.size; i++) {
      const v = x.data[i]!;
      if (v === options.failOn) throw new InvalidInputError(`test.scale: x of element ${Math.floor(i / n)} holds ${v}`);
      if (v === options.exitOn && !isMainThread) process.exit(3);
      y[i] = v * c.data[c.ndim === 0 ? 0 : Math.floor(i / n)]!;
    }
    const batch = x.ndim === 2 ? x.shape[0]! : 1;
    const each = <T>(v: T) => Array.from({ length: batch }, () => v);
    return {
      solution: { y: new Tensor(y, x.shape) },
      info: { status: each('converged' as const), iterations: each(0), residual: each(0) },
    };
  },
});

export const fixturePlugin = definePlugin({ name: 'test-fixture', version: '1.0.0', argminApi: '^1', ops: [], nodes: [scaleNode] });
