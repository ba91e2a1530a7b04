/**
 * The control tasks of the policy-amortization example: dynamics with parameters, a quadratic
 * stage cost in the MPC node's convention, control bounds and the distribution of start states.
 */
import { type Rng, type Tensor, add, concat, mul, sum, tensor } from '@argmin/autodiff';
import type { DynamicsModel } from '@argmin/nodes-control';

/** A control task: dynamics with parameters, a quadratic stage cost, bounds and start states. */
export interface ControlTask {
  readonly name: string;
  readonly model: DynamicsModel;
  readonly params: Tensor;
  /** Stage cost ½τᵀCτ + cᵀτ on τ = (x, u), the MPC node's convention: C [n+m, n+m] (diagonal), c [n+m]. */
  readonly C: readonly number[][];
  readonly c: readonly number[];
  readonly uMax: number;
  /**
   * The stage cost of the state the task starts from when nothing is done (the pendulum hanging
   * still): the reward of a step is restCost − c(x, u), so a return is positive when the
   * controller does better than doing nothing, and two returns can be compared as a ratio.
   */
  readonly restCost: number;
  /**
   * The task's reflection symmetry, as signs on the state: dynamics and cost are unchanged under
   * x → m ⊙ x, u → −u (the pendulum mirrored about the vertical). A policy can be made odd under
   * it, so that what it learns swinging one way holds the other way.
   */
  readonly mirror?: readonly number[];
  /** Draws a start state. */
  sampleStart(rng: Rng): number[];
}

/** Stage cost on raw numbers (τ = (x, u)). */
export function stageCost(task: ControlTask, x: ArrayLike<number>, u: number): number {
  const n = task.model.nState;
  const tau = [...Array.from({ length: n }, (_, i) => x[i]!), u];
  let v = 0;
  for (let i = 0; i <= n; i++) {
    v += task.c[i]! * tau[i]!;
    for (let j = 0; j <= n; j++) v += 0.5 * tau[i]! * task.C[i]![j]! * tau[j]!;
  }
  return v;
}

/** Stage cost with ops, per row: x [R, n], u [R, m] → [R] (C is diagonal for every task here). */
export function stageCostOps(task: ControlTask, x: Tensor, u: Tensor): Tensor {
  const tau = concat([x, u], -1);
  const halfDiag = tensor(task.C.map((row, i) => 0.5 * row[i]!));
  return sum(add(mul(mul(tau, tau), halfDiag), mul(tau, tensor([...task.c]))), -1);
}

/** Pendulum swing-up (mpc.pytorch's cost C = diag(1, 1, 0.1, 0.001), c = (−1, 0, 0, 0); |u| ≤ 2). */
export function pendulumTask(model: DynamicsModel, params: Tensor): ControlTask {
  return {
    name: 'pendulum swing-up',
    model,
    params,
    C: [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0.1, 0],
      [0, 0, 0, 0.001],
    ],
    c: [-1, 0, 0, 0],
    uMax: 2,
    restCost: 1.5,
    mirror: [1, -1, -1],
    sampleStart(rng) {
      const th = Math.PI * (2 * rng.uniform() - 1);
      return [Math.cos(th), Math.sin(th), 2 * rng.uniform() - 1];
    },
  };
}

/**
 * Cart-pole balancing from tilted starts (|θ| ≤ 0.6 rad, θ = 0 upright), |force| ≤ 10, with
 * C = diag(0.1, 0.1, 1, 1, 0.1, 0.001) on (p, ṗ, cos θ, sin θ, θ̇, u) and c = −1 on cos θ.
 */
export function cartpoleTask(model: DynamicsModel, params: Tensor): ControlTask {
  const diag = [0.1, 0.1, 1, 1, 0.1, 0.001];
  return {
    name: 'cart-pole balancing',
    model,
    params,
    C: diag.map((d, i) => diag.map((_, j) => (i === j ? d : 0))),
    c: [0, 0, -1, 0, 0, 0],
    uMax: 10,
    restCost: 1.5,
    mirror: [-1, -1, 1, -1, -1],
    sampleStart(rng) {
      const th = 0.6 * (2 * rng.uniform() - 1);
      const r = () => 0.5 * (2 * rng.uniform() - 1);
      return [r(), r(), Math.cos(th), Math.sin(th), r()];
    },
  };
}
