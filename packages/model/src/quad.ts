import type { Canonicalizer, ConeBuilder } from './canon.js';
import { constantValues } from './canon-atoms.js';
import type { Expr } from './expr.js';
import { Lin, linConst, linSub, selectionOf, type Row } from './lin.js';

/**
 * Quadratic objective terms for the solver's quadratic term ½xᵀPx (P symmetric, keyed i·2²⁶ + j).
 *
 * w·eᵀQe with e = Fx + g is expanded in place when that keeps P free of parameter products:
 * P += w·Fᵀ(Q + Qᵀ)F and a linear term 2w·gᵀQF, for a constant Q and parameter-free F
 * (sumSquares(y − p): P = 2I on y, c = −2p). Otherwise (a parameter Q, or F with parameter
 * coefficients such as ‖Ax − b‖² with A a parameter) a variable w = e carries the term, so P is
 * linear in the parameters: P += w·(Q + Qᵀ) on w. Returns the linear part as a scalar Lin.
 */
/**
 * The variables a quadratic term puts on P's diagonal (before any auxiliary variable exists):
 * those of an expanded term; none when the term needs a variable w = e (then only w is covered).
 */
export function quadraticCover(e: Expr, canon: Canonicalizer): number[] {
  const x = canon.canon(e.args[0]!);
  const Qlin = e.data.atom === 'quadForm' ? canon.canon(e.args[1]!) : null;
  const expands = (Qlin === null || constantValues(Qlin) !== null) && paramFree(x);
  if (!expands && selectionOf(x) === null) return [];
  const vars: number[] = [];
  for (const r of x.rows) for (let t = 0; t < r.length; t += 3) if (r[t]! >= 0) vars.push(r[t]!);
  return vars;
}

function paramFree(x: Lin): boolean {
  return x.rows.every((r) => {
    for (let t = 0; t < r.length; t += 3) if (r[t]! >= 0 && r[t + 1]! >= 0) return false;
    return true;
  });
}

export function addQuadratic(e: Expr, weight: number, canon: Canonicalizer, cones: ConeBuilder, P: Map<number, Row>): Lin {
  let x = canon.canon(e.args[0]!);
  const n = x.size;
  const eye = () => Float64Array.from({ length: n * n }, (_, f) => (Math.floor(f / n) === f % n ? 1 : 0));
  const Qlin = e.data.atom === 'quadForm' ? canon.canon(e.args[1]!) : null;
  const qConst = Qlin === null ? eye() : constantValues(Qlin);
  if (qConst === null || !paramFree(x)) {
    if (selectionOf(x) === null) {
      const w = cones.newVar([n]);
      cones.addZero(linSub(w, x));
      x = w;
    }
  }
  const Q = qConst === null ? Qlin! : linConst(qConst, [n, n]);
  const add = (a: number, b: number, terms: Row) => {
    const key = a * 2 ** 26 + b;
    const prev = P.get(key);
    if (prev) prev.push(...terms);
    else P.set(key, [...terms]);
  };
  const linear: Row = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const q = Q.rows[i * n + j]!;
      if (q.length === 0) continue;
      const ri = x.rows[i]!;
      const rj = x.rows[j]!;
      for (let s = 0; s < ri.length; s += 3) {
        for (let t = 0; t < rj.length; t += 3) {
          const [va, pa, wa] = [ri[s]!, ri[s + 1]!, ri[s + 2]!];
          const [vb, pb, wb] = [rj[t]!, rj[t + 1]!, rj[t + 2]!];
          if (va >= 0 && vb >= 0) {
            // w·Qᵢⱼ·(wa·x_va)(wb·x_vb), into both P[va][vb] and P[vb][va]; q's terms carry Q's parameters.
            const terms = scaleTerms(q, weight * wa * wb, pa >= 0 ? pa : pb);
            add(va, vb, terms);
            add(vb, va, terms);
          } else if (va >= 0 || vb >= 0) {
            // A cross term with an offset: linear in x, its coefficient carries the offset's parameter.
            const v = va >= 0 ? va : vb;
            const p = va >= 0 ? pb : pa;
            for (let k = 0; k < q.length; k += 3) linear.push(v, p, weight * wa * wb * q[k + 2]!);
          }
        }
      }
    }
  }
  return new Lin([], [linear]);
}

/** Q's entry terms scaled by k; with a parameter index p given, Q must be constant there (DPP). */
function scaleTerms(q: Row, k: number, p: number): Row {
  const out: Row = [];
  for (let t = 0; t < q.length; t += 3) out.push(-1, p >= 0 ? p : q[t + 1]!, q[t + 2]! * k);
  return out;
}
