import { InvalidInputError, ShapeError, Tensor, expandDims, matmul, mul, reshape, sum } from '@argmin/autodiff';
import { defineOp, type Op } from '@argmin/autodiff/extend';

/**
 * The entropic semi-dual of discrete OT, in the Sinkhorn node's convention (P = exp((f ⊕ g − C)/ε),
 * optimal value ⟨a, f⟩ + ⟨b, g⟩):
 *   D(f) = ⟨a, f⟩ + ⟨b, g(f)⟩,   gⱼ(f) = ε log bⱼ − ε logsumexpᵢ((fᵢ − Cᵢⱼ)/ε),
 * the dual with g at its exact c-transform (one Sinkhorn half-step), so the plan's columns are
 * exact and ΣP = Σb. It is concave in f, invariant to f + κ, and its maximum is the optimal
 * value: value* − D(f̂) ≥ 0 is the dual gap of a prediction f̂, and −D is Meta OT's training loss
 * (objective-based amortization: no solver in the loop). The gradients are
 *   ∂D/∂f = a − P1,   ∂D/∂a = f,   ∂D/∂b = g + ε,   ∂D/∂C = P.
 */
export interface SemiDualAttrs {
  readonly epsilon: number;
  [key: string]: number;
}

/** Per output, what the VJP reuses: a − P1 [B, n] and g [B, m] (one pass of n·m exps each). */
const residuals = new WeakMap<Tensor, { readonly rowGap: Float64Array; readonly g: Float64Array }>();

interface Sizes {
  readonly B: number;
  readonly n: number;
  readonly m: number;
}

function sizesOf(f: Tensor, a: Tensor, b: Tensor, C: Tensor): Sizes {
  const n = C.shape[0]!;
  const m = C.shape[1]!;
  if (C.ndim !== 2) throw new ShapeError(`metaOt.semiDual: cost 'C' must be [n, m] (one geometry), got [${C.shape.join(',')}]`);
  const B = f.ndim === 2 ? f.shape[0]! : 1;
  const ok = (t: Tensor, len: number) =>
    (t.ndim === 1 && B === 1 && t.size === len) || (t.ndim === 2 && t.shape[0] === B && t.shape[1] === len);
  if (!ok(f, n) || !ok(a, n) || !ok(b, m)) {
    throw new ShapeError(
      `metaOt.semiDual: expected f and a [B, ${n}] and b [B, ${m}] for a cost [${n}, ${m}], got f [${f.shape.join(',')}], a [${a.shape.join(',')}], b [${b.shape.join(',')}]`,
    );
  }
  return { B, n, m };
}

/**
 * One element: fills E (scratch n×m) with exp((fᵢ − Cᵢⱼ − maxᵢ)/ε), returns D and writes g and
 * a − P1. Column reductions sweep the rows of the row-major cost into per-column accumulators.
 */
function element(
  f: Float64Array,
  a: Float64Array,
  b: Float64Array,
  C: Float64Array,
  eps: number,
  n: number,
  m: number,
  E: Float64Array,
  g: Float64Array,
  rowGap: Float64Array,
  colMax: Float64Array,
  colSum: Float64Array,
): number {
  const inv = 1 / eps;
  colMax.fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const fi = f[i]!;
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const z = fi - C[row + j]!;
      if (z > colMax[j]!) colMax[j] = z;
    }
  }
  colSum.fill(0);
  for (let i = 0; i < n; i++) {
    const fi = f[i]!;
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const e = Math.exp((fi - C[row + j]! - colMax[j]!) * inv);
      E[row + j] = e;
      colSum[j]! += e;
    }
  }
  let value = 0;
  for (let j = 0; j < m; j++) {
    g[j] = eps * Math.log(b[j]!) - colMax[j]! - eps * Math.log(colSum[j]!);
    value += b[j]! * g[j]!;
    colSum[j] = b[j]! / colSum[j]!; // now the column scaling: P = E diag(b / colSum)
  }
  for (let i = 0; i < n; i++) {
    const row = i * m;
    let r = 0;
    for (let j = 0; j < m; j++) r += E[row + j]! * colSum[j]!;
    rowGap[i] = a[i]! - r;
    value += a[i]! * f[i]!;
  }
  return value;
}

/** Offsets of element e in a batched [B, len] or a shared [len] tensor. */
const at = (t: Tensor, e: number, len: number): Float64Array => (t.ndim === 2 ? t.data.subarray(e * len, (e + 1) * len) : t.data);

export const semiDualOp: Op<SemiDualAttrs> = defineOp<SemiDualAttrs>({
  name: 'amortized.otSemiDual',
  forward([f, a, b, C], { epsilon }) {
    const { B, n, m } = sizesOf(f!, a!, b!, C!);
    const E = new Float64Array(n * m);
    const g = new Float64Array(B * m);
    const rowGap = new Float64Array(B * n);
    const colMax = new Float64Array(m);
    const colSum = new Float64Array(m);
    const out = new Float64Array(B);
    for (let e = 0; e < B; e++) {
      out[e] = element(
        at(f!, e, n),
        at(a!, e, n),
        at(b!, e, m),
        C!.data,
        epsilon,
        n,
        m,
        E,
        g.subarray(e * m, (e + 1) * m),
        rowGap.subarray(e * n, (e + 1) * n),
        colMax,
        colSum,
      );
    }
    const output = new Tensor(out, f!.ndim === 2 ? [B] : []);
    residuals.set(output, { rowGap, g });
    return output;
  },
  // First order: the residuals a − P1, g + ε and P enter as constants (no grad-of-grad through f).
  vjp(cot, { inputs: [f, a, b, C], output, attrs: { epsilon }, needs }) {
    const { B, n, m } = sizesOf(f!, a!, b!, C!);
    const saved = residuals.get(output)!;
    const c = f!.ndim === 2 ? expandDims(cot, -1) : cot;
    const shaped = (data: Float64Array, t: Tensor) => new Tensor(data, t.ndim === 2 ? [B, t.shape[1]!] : [t.size]);
    const gradF = needs[0] ? mul(c, shaped(saved.rowGap, f!)) : null;
    const gradA = needs[1] ? mul(c, f!) : null;
    const gradB = needs[2]
      ? mul(
          c,
          shaped(
            saved.g.map((v) => v + epsilon),
            b!,
          ),
        )
      : null;
    let gradC: Tensor | null = null;
    if (needs[3]) {
      // Σₑ cotₑ Pₑ, the plans recomputed (one more pass of exps; training never asks for it).
      const plans = new Float64Array(B * n * m);
      const E = new Float64Array(n * m);
      const g = new Float64Array(m);
      const gap = new Float64Array(n);
      const colMax = new Float64Array(m);
      const colSum = new Float64Array(m);
      for (let e = 0; e < B; e++) {
        element(at(f!, e, n), at(a!, e, n), at(b!, e, m), C!.data, epsilon, n, m, E, g, gap, colMax, colSum);
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) plans[e * n * m + i * m + j] = E[i * m + j]! * colSum[j]!;
      }
      gradC =
        f!.ndim === 2 ? reshape(matmul(expandDims(cot, 0), new Tensor(plans, [B, n * m])), [n, m]) : mul(cot, new Tensor(plans, [n, m]));
    }
    return [gradF, gradA, gradB, gradC];
  },
});

/** D(f) per batch element ([B] for f [B, n], a scalar for f [n]); see `semiDualOp`. */
export function otSemiDual(f: Tensor, a: Tensor, b: Tensor, C: Tensor, epsilon: number): Tensor {
  if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) {
    throw new InvalidInputError(`metaOt.semiDual: 'epsilon' must be a finite number > 0, got ${epsilon}`);
  }
  return semiDualOp.apply([f, a, b, C], { epsilon });
}

/** Mean of −D over a batch: Meta OT's training loss. */
export function otSemiDualLoss(f: Tensor, a: Tensor, b: Tensor, C: Tensor, epsilon: number): Tensor {
  const d = otSemiDual(f, a, b, C, epsilon);
  return mul(sum(d), -1 / (d.ndim === 1 ? d.shape[0]! : 1));
}
