import { add, cos, div, maximum, minimum, mul, sin, sqrt, stack, sub, tensor, type Tensor } from '@argmin/autodiff';
import { column, param, type DynamicsModel } from './model.js';

export interface PendulumOptions {
  /** Time step (default 0.05 s). */
  readonly dt?: number;
  /** The torque is clamped to ±maxTorque inside the dynamics (default 2). */
  readonly maxTorque?: number;
}

/**
 * The simple pendulum of mpc.pytorch's `PendulumDx(simple=True)`, with the same conventions:
 * state x = (cos θ, sin θ, θ̇) (θ = 0 upright), control u = (τ), parameters (g, m, l), and
 *
 *   τ_c = clamp(τ, −maxTorque, maxTorque)
 *   θ̇' = θ̇ + dt · (3g/(2l) · sin θ + 3τ_c/(m l²))      (sin θ as given in the state)
 *   θ'  = θ + dt · θ̇',  with θ = atan2(sin θ, cos θ)
 *   x'  = (cos θ', sin θ', θ̇').
 *
 * cos θ' and sin θ' are formed from the normalized (cos θ, sin θ)/r and the rotation by dt·θ̇',
 * which equals the atan2 form without an atan2 op.
 */
export function pendulumModel({ dt = 0.05, maxTorque = 2 }: PendulumOptions = {}): DynamicsModel {
  return {
    name: 'pendulum',
    nState: 3,
    nCtrl: 1,
    nParams: 3,
    step(x, u, params) {
      const g = param(params, 0);
      const m = param(params, 1);
      const l = param(params, 2);
      const c = column(x, 0);
      const s = column(x, 1);
      const w = column(x, 2);
      const torque = minimum(maximum(column(u, 0), -maxTorque), maxTorque);
      const accel = add(div(mul(mul(g, 1.5), s), l), div(mul(torque, 3), mul(m, mul(l, l))));
      const w1 = add(w, mul(accel, dt));
      const r = sqrt(add(mul(c, c), mul(s, s)));
      const [cn, sn] = [div(c, r), div(s, r)];
      const delta = mul(w1, dt);
      const [cd, sd] = [cos(delta), sin(delta)];
      return stack([sub(mul(cn, cd), mul(sn, sd)), add(mul(sn, cd), mul(cn, sd)), w1], -1);
    },
    stepRaw(x, u, params, pStride, rows, out) {
      for (let r = 0; r < rows; r++) {
        const [g, m, l] = [params[r * pStride]!, params[r * pStride + 1]!, params[r * pStride + 2]!];
        const [c, s, w] = [x[r * 3]!, x[r * 3 + 1]!, x[r * 3 + 2]!];
        const torque = Math.min(Math.max(u[r]!, -maxTorque), maxTorque);
        const w1 = w + ((g * 1.5 * s) / l + (torque * 3) / (m * (l * l))) * dt;
        const rad = Math.sqrt(c * c + s * s);
        const [cn, sn] = [c / rad, s / rad];
        const [cd, sd] = [Math.cos(w1 * dt), Math.sin(w1 * dt)];
        out[r * 3] = cn * cd - sn * sd;
        out[r * 3 + 1] = sn * cd + cn * sd;
        out[r * 3 + 2] = w1;
      }
    },
  };
}

/** The pendulum with mpc.pytorch's defaults (dt 0.05, torque clamped to ±2). */
export const pendulum: DynamicsModel = pendulumModel();

/** Parameters (g, m, l) of the pendulum, default mpc.pytorch's (10, 1, 1). */
export function pendulumParams(g = 10, m = 1, l = 1): Tensor {
  return tensor([g, m, l]);
}
