import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { PluginError, Tensor, createRuntime, grad, sum, trace } from '@argmin/autodiff';
import { definePlugin } from '@argmin/autodiff/extend';
import { arbTensor, describeOptimizationNode } from '@argmin/autodiff/testing';
import { serializeGraph } from '@argmin/graph';
import { ridge, ridgeNode, ridgePlugin } from '../examples/plugins/ridge.js';

const params = fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 4 })).chain(([m, n]) =>
  // Conditioning kept moderate so 500 unrolled gradient steps converge far below the tolerance.
  fc.record({
    A: arbTensor([m, n], { min: -0.5, max: 0.5 }),
    b: arbTensor([m], { min: -1, max: 1 }),
    lambda: arbTensor([], { min: 1, max: 2 }),
  }),
);

// The example plugin passes the same contract as the built-in nodes.
describeOptimizationNode(ridgeNode, { params, unrollTol: 1e-4 });

describe('the example plugin in a runtime', () => {
  test('a runtime built with it loads graphs that use it, and one without it refuses them by name', () => {
    const A = new Tensor(Float64Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
    const b = new Tensor(Float64Array.of(1, 2, 3), [3]);
    const graph = trace((lambda: Tensor) => sum(ridge({ A, b, lambda }).w), [new Tensor(Float64Array.of(0.5), [])], { name: 'ridge' });
    const json = serializeGraph(graph);
    expect(createRuntime({ plugins: [ridgePlugin] }).loadGraph(json).name).toBe('ridge');
    expect(() => createRuntime().loadGraph(json)).toThrow(/example\.ridge/);
  });

  test('the closed form agrees: dw/dλ = −(AᵀA + λI)⁻¹w', () => {
    const A = new Tensor(Float64Array.of(2, 0, 0, 1), [2, 2]);
    const b = new Tensor(Float64Array.of(2, 1), [2]);
    // w = (AᵀA + λ)⁻¹Aᵀb = (4/(4+λ), 1/(1+λ)); d/dλ Σw = −4/(4+λ)² − 1/(1+λ)².
    const g = grad((l: Tensor) => sum(ridge({ A, b, lambda: l }).w))(new Tensor(Float64Array.of(1), []));
    expect(g.item()).toBeCloseTo(-4 / 25 - 1 / 4, 10);
  });

  test('a plugin whose argminApi the runtime does not satisfy is refused, naming both versions', () => {
    const future = definePlugin({ ...ridgePlugin, name: 'future-plugin', argminApi: '^2' });
    expect(() => createRuntime({ plugins: [future] })).toThrow(PluginError);
    expect(() => createRuntime({ plugins: [future] })).toThrow(/future-plugin.*\^2.*1\.0\.0/);
  });

  test('two plugins providing the same node are refused', () => {
    expect(() => createRuntime({ plugins: [ridgePlugin, { ...ridgePlugin, name: 'copy' }] })).toThrow(/example\.ridge.*provided by both/);
  });
});
