import { relativeKktError } from './accept.js';
import type { QpElement } from './dense.js';
import { unscalePoint, type Scaling } from './equilibrate.js';
import { polish, type Polished } from './polish.js';
import { PolishCache } from './polish-cache.js';

/** The relative residual of the first polish, and the drop between polishes. */
const FIRST = 1e-4;
const STEP = 1e-2;

/**
 * The interior point's `finish` (ipm.ts) for one element: the active-set polish, which ends the
 * solve as soon as its point passes the acceptance test on the original data (not some proxy of
 * it: no iteration is spent beyond what that test asks). It is tried at a relative residual of
 * 1e-4 and after every further 100-fold drop; the polish depends on the guess of the active set
 * {λᵢ > sᵢ} alone, so a guess already tried is not tried again. The element's PolishCache (Q's
 * factor and L⁻¹cᵢ of the rows) is shared with every other polish of the element.
 */
export function polishFinish(se: QpElement, el: QpElement, sc: Scaling, accept: number) {
  const cache = new PolishCache(se);
  const tried = new Set<string>();
  let next = FIRST;
  let polished: Polished | null = null;
  const finish = (_x: Float64Array, lam: Float64Array, _nu: Float64Array, s: Float64Array, rel: number): boolean => {
    if (!(rel <= next)) return false;
    next = rel * STEP;
    const guess = Array.from(lam, (l, i) => l > s[i]!);
    const key = guess.map(Number).join('');
    if (tried.has(key)) return false;
    tried.add(key);
    const p = polish(se, lam, s, Infinity, guess, { cache });
    if (p === null || !passes(p)) return false;
    polished = p;
    return true;
  };
  /** Whether a point of the scaled problem passes the acceptance test on the original data. */
  const passes = (p: Polished): boolean => {
    const pt = unscalePoint(sc, p);
    return relativeKktError(el, pt.z, pt.lam, pt.nu, pt.slack) <= accept;
  };
  return { finish, cache, passes, polished: (): Polished | null => polished };
}
