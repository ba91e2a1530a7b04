import { DifferentiationError, Tensor } from '@argmin/autodiff';
import { defineOp, type Op } from '@argmin/autodiff/extend';
import { applyConeDerivative, projectCone, projectConeWithDerivative } from './cones.js';
import { coneLayout, type ConeLayout, type ConeSpec } from './problem.js';

/**
 * The cone projection as a differentiable op over the last axis (leading axes are a batch), for
 * the node's optimality residual and its unrolled iteration. Its VJP applies DΠ (symmetric) by a
 * second op, linear in the cotangent; that op's own derivative in the point (second derivatives
 * of the projection) is not provided and raises a DifferentiationError if asked for.
 */
type SpecAttr = { readonly [k: string]: number | readonly number[] };
type ProjectionAttrs = { readonly cones: SpecAttr; readonly dual: boolean };

const layouts = new WeakMap<object, ConeLayout>();
function layoutOf(attrs: ProjectionAttrs): ConeLayout {
  let l = layouts.get(attrs.cones);
  if (!l) {
    l = coneLayout(attrs.cones as ConeSpec);
    layouts.set(attrs.cones, l);
  }
  return l;
}

export const coneProjectionOp: Op<ProjectionAttrs> = defineOp<ProjectionAttrs>({
  name: 'convex.coneProjection',
  forward([v], attrs) {
    const layout = layoutOf(attrs);
    const out = new Float64Array(v!.size);
    for (let o = 0; o < v!.size; o += layout.m) projectCone(layout, attrs.dual, v!.data, out, o, o);
    return new Tensor(out, v!.shape);
  },
  vjp: (cot, { inputs: [v], attrs }) => [coneProjectionDerivativeOp.apply([v!, cot], attrs)],
});

/** DΠ(v)·t, row by row. */
export const coneProjectionDerivativeOp: Op<ProjectionAttrs> = defineOp<ProjectionAttrs>({
  name: 'convex.coneProjectionDerivative',
  forward([v, t], attrs) {
    const layout = layoutOf(attrs);
    const out = new Float64Array(v!.size);
    const scratch = new Float64Array(layout.m);
    for (let o = 0; o < v!.size; o += layout.m) {
      const D = projectConeWithDerivative(layout, attrs.dual, v!.data, scratch, o, 0);
      applyConeDerivative(D, t!.data, out, o, o);
    }
    return new Tensor(out, v!.shape);
  },
  vjp: (cot, { inputs: [v], attrs, needs }) => {
    if (needs[0]) {
      throw new DifferentiationError(
        'convex.coneProjectionDerivative: second derivatives of cone projections are not implemented (differentiate the cone node once)',
      );
    }
    return [null, coneProjectionDerivativeOp.apply([v!, cot], attrs)];
  },
});

/** Π_K (or Π_K* with `dual`) of v over its last axis, differentiable. */
export function coneProjection(v: Tensor, cones: ConeSpec, dual: boolean): Tensor {
  return coneProjectionOp.apply([v], { cones: cones as SpecAttr, dual });
}
