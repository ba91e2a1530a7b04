import { add, cos, div, maximum, minimum, mul, sin, sqrt, stack, sub, tensor, type Tensor } from '@argmin/autodiff';
import { column, param, type DynamicsModel } from './model.js';

export interface CartpoleOptions {
  /** Time step (default 0.05 s). */
  readonly dt?: number;
  /** The force is clamped to ±maxForce inside the dynamics (default 100). */
  readonly maxForce?: number;
}

/**
 * The cart-pole of mpc.pytorch's `CartpoleDx`: state x = (p, ṗ, cos θ, sin θ, θ̇), control
 * u = (force), parameters (gravity, cart mass m_c, pole mass m_p, half-length l), and with
 * M = m_c + m_p, F = clamp(force, ±maxForce) and (cos θ, sin θ) as given in the state,
 *
 *   a   = (F + m_p l θ̇² sin θ) / M
 *   θ̈  = (g sin θ − cos θ · a) / (l (4/3 − m_p cos² θ / M))
 *   p̈  = a − m_p l θ̈ cos θ / M
 *   p' = p + dt ṗ,  ṗ' = ṗ + dt p̈,  θ' = θ + dt θ̇ (θ = atan2(sin θ, cos θ)),  θ̇' = θ̇ + dt θ̈
 *   x' = (p', ṗ', cos θ', sin θ', θ̇').
 */
export function cartpoleModel({ dt = 0.05, maxForce = 100 }: CartpoleOptions = {}): DynamicsModel {
  return {
    name: 'cartpole',
    nState: 5,
    nCtrl: 1,
    nParams: 4,
    step(x, u, params) {
      const [g, mc, mp, l] = [0, 1, 2, 3].map((i) => param(params, i)) as [Tensor, Tensor, Tensor, Tensor];
      const [p, dp, c, s, w] = [0, 1, 2, 3, 4].map((i) => column(x, i)) as [Tensor, Tensor, Tensor, Tensor, Tensor];
      const force = minimum(maximum(column(u, 0), -maxForce), maxForce);
      const total = add(mc, mp);
      const poleMassLength = mul(mp, l);
      const cartIn = div(add(force, mul(mul(poleMassLength, mul(w, w)), s)), total);
      const thetaAcc = div(sub(mul(g, s), mul(c, cartIn)), mul(l, sub(4 / 3, div(mul(mp, mul(c, c)), total))));
      const xAcc = sub(cartIn, div(mul(mul(poleMassLength, thetaAcc), c), total));
      const r = sqrt(add(mul(c, c), mul(s, s)));
      const [cn, sn] = [div(c, r), div(s, r)];
      const delta = mul(w, dt);
      const [cd, sd] = [cos(delta), sin(delta)];
      return stack(
        [
          add(p, mul(dp, dt)),
          add(dp, mul(xAcc, dt)),
          sub(mul(cn, cd), mul(sn, sd)),
          add(mul(sn, cd), mul(cn, sd)),
          add(w, mul(thetaAcc, dt)),
        ],
        -1,
      );
    },
    stepRaw(x, u, params, pStride, rows, out) {
      for (let r = 0; r < rows; r++) {
        const o = r * pStride;
        const [g, mc, mp, l] = [params[o]!, params[o + 1]!, params[o + 2]!, params[o + 3]!];
        const [p, dp, c, s, w] = [x[r * 5]!, x[r * 5 + 1]!, x[r * 5 + 2]!, x[r * 5 + 3]!, x[r * 5 + 4]!];
        const force = Math.min(Math.max(u[r]!, -maxForce), maxForce);
        const total = mc + mp;
        const cartIn = (force + mp * l * (w * w) * s) / total;
        const thetaAcc = (g * s - c * cartIn) / (l * (4 / 3 - (mp * (c * c)) / total));
        const xAcc = cartIn - (mp * l * thetaAcc * c) / total;
        const rad = Math.sqrt(c * c + s * s);
        const [cn, sn] = [c / rad, s / rad];
        const [cd, sd] = [Math.cos(w * dt), Math.sin(w * dt)];
        out[r * 5] = p + dp * dt;
        out[r * 5 + 1] = dp + xAcc * dt;
        out[r * 5 + 2] = cn * cd - sn * sd;
        out[r * 5 + 3] = sn * cd + cn * sd;
        out[r * 5 + 4] = w + thetaAcc * dt;
      }
    },
  };
}

/** The cart-pole with mpc.pytorch's defaults (dt 0.05, force clamped to ±100). */
export const cartpole: DynamicsModel = cartpoleModel();

/** Parameters (gravity, cart mass, pole mass, pole half-length), default mpc.pytorch's (9.8, 1, 0.1, 0.5). */
export function cartpoleParams(gravity = 9.8, massCart = 1, massPole = 0.1, length = 0.5): Tensor {
  return tensor([gravity, massCart, massPole, length]);
}
