import { Tensor, defineOp, mul, neg, type Op } from '@argmin/autodiff';

/**
 * sin and cos as differentiable ops (the core has none yet), for the example dynamics. Each VJP
 * is written with ops, so the dynamics can be differentiated twice (the exact MPC gradient needs
 * second derivatives of the dynamics).
 */
type NoAttrs = Record<string, never>;

export const sinOp: Op<NoAttrs> = defineOp<NoAttrs>({
  name: 'control.sin',
  forward: ([x]) => new Tensor(x!.data.map(Math.sin), x!.shape),
  vjp: (cot, { inputs: [x] }) => [mul(cot, cos(x!))],
});

export const cosOp: Op<NoAttrs> = defineOp<NoAttrs>({
  name: 'control.cos',
  forward: ([x]) => new Tensor(x!.data.map(Math.cos), x!.shape),
  vjp: (cot, { inputs: [x] }) => [neg(mul(cot, sin(x!)))],
});

export const sin = (x: Tensor): Tensor => sinOp.apply([x], {});
export const cos = (x: Tensor): Tensor => cosOp.apply([x], {});
