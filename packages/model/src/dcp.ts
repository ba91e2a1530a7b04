import { ATOMS, type Sign } from './atoms.js';
import { DcpError, DppError } from './errors.js';
import { format, type Constraint, type Expr } from './expr.js';

/**
 * DCP and DPP analysis. Curvature follows the composition rule: f(g₁, …, gₖ) is convex when f
 * is convex and each gᵢ is affine, or convex with f nondecreasing in it, or concave with f
 * nonincreasing in it (concave: the mirror image). Parameters count as constants for curvature;
 * DPP then asks that they enter only affinely: never inside a nonlinear atom (quadForm's matrix
 * aside, which becomes the solver's quadratic term), and in a product only against a side free
 * of parameters, so that every coefficient of the cone program is linear in the parameters.
 * The first rule broken throws, naming that subexpression.
 */
export type Curvature = 'constant' | 'affine' | 'convex' | 'concave';

export interface ExprInfo {
  readonly curvature: Curvature;
  readonly sign: Sign;
  readonly hasVariable: boolean;
  readonly hasParameter: boolean;
}

const cache = new WeakMap<Expr, ExprInfo>();

const flip = (c: Curvature): Curvature => (c === 'convex' ? 'concave' : c === 'concave' ? 'convex' : c);
const negSign = (s: Sign): Sign => (s === 'nonneg' ? 'nonpos' : s === 'nonpos' ? 'nonneg' : s);

function addCurv(a: Curvature, b: Curvature, e: Expr): Curvature {
  if (a === 'constant') return b;
  if (b === 'constant') return a;
  if (a === 'affine') return b;
  if (b === 'affine') return a;
  if (a === b) return a;
  throw new DcpError(
    format(e),
    `the sum of a convex and a concave expression has unknown curvature (${format(e.args[0]!)} is ${a}, ${format(e.args[1]!)} is ${b})`,
  );
}

function addSign(a: Sign, b: Sign): Sign {
  if (a === 'zero') return b;
  if (b === 'zero') return a;
  return a === b ? a : 'unknown';
}

function mulSign(a: Sign, b: Sign): Sign {
  if (a === 'zero' || b === 'zero') return 'zero';
  if (a === 'unknown' || b === 'unknown') return 'unknown';
  return a === b ? 'nonneg' : 'nonpos';
}

function valuesSign(v: Float64Array): Sign {
  let pos = false;
  let negv = false;
  for (const x of v) {
    if (x > 0) pos = true;
    else if (x < 0) negv = true;
  }
  return pos && negv ? 'unknown' : pos ? 'nonneg' : negv ? 'nonpos' : 'zero';
}

function leafSign(e: Expr): Sign {
  const o = e.data.leaf ?? {};
  return o.nonneg ? 'nonneg' : o.nonpos ? 'nonpos' : 'unknown';
}

/** A parameter appears only affinely (as a leaf combined by affine ops). */
const paramAffine = new WeakMap<Expr, boolean>();
function isParamAffine(e: Expr): boolean {
  const known = paramAffine.get(e);
  if (known !== undefined) return known;
  let r: boolean;
  if (e.op === 'atom') r = !analyze(e).hasParameter;
  else if (e.op === 'mul' || e.op === 'matmul') {
    const [a, b] = e.args as [Expr, Expr];
    r = isParamAffine(a) && isParamAffine(b) && !(analyze(a).hasParameter && analyze(b).hasParameter);
  } else r = e.args.every(isParamAffine);
  paramAffine.set(e, r);
  return r;
}

/** Curvature, sign and what a subexpression contains; throws DcpError / DppError at the first violation. */
export function analyze(e: Expr): ExprInfo {
  const known = cache.get(e);
  if (known) return known;
  const info = compute(e);
  cache.set(e, info);
  return info;
}

function compute(e: Expr): ExprInfo {
  switch (e.op) {
    case 'variable':
      return { curvature: 'affine', sign: leafSign(e), hasVariable: true, hasParameter: false };
    case 'parameter':
      return { curvature: 'constant', sign: leafSign(e), hasVariable: false, hasParameter: true };
    case 'constant':
      return { curvature: 'constant', sign: valuesSign(e.data.values!), hasVariable: false, hasParameter: false };
    default:
      break;
  }
  const args = e.args.map(analyze);
  const hasVariable = args.some((a) => a.hasVariable);
  const hasParameter = args.some((a) => a.hasParameter);
  const base = { hasVariable, hasParameter };
  switch (e.op) {
    case 'add':
      return { ...base, curvature: addCurv(args[0]!.curvature, args[1]!.curvature, e), sign: addSign(args[0]!.sign, args[1]!.sign) };
    case 'neg':
      return { ...base, curvature: flip(args[0]!.curvature), sign: negSign(args[0]!.sign) };
    case 'sum':
    case 'gather':
    case 'concat': {
      let c: Curvature = 'constant';
      for (const a of args) c = addCurv(c, a.curvature, e);
      const sign = args.reduce<Sign>((s, a) => (s === 'zero' ? a.sign : a.sign === 'zero' || a.sign === s ? s : 'unknown'), args[0]!.sign);
      return { ...base, curvature: c, sign };
    }
    case 'mul':
    case 'matmul':
      return { ...base, ...product(e, args[0]!, args[1]!) };
    case 'atom':
      return { ...base, ...atomInfo(e, args) };
  }
  throw new DcpError(format(e), `unknown expression kind '${e.op}'`);
}

function product(e: Expr, a: ExprInfo, b: ExprInfo): { curvature: Curvature; sign: Sign } {
  const [ea, eb] = e.args as [Expr, Expr];
  const sign = e.op === 'mul' ? mulSign(a.sign, b.sign) : a.sign === 'zero' || b.sign === 'zero' ? 'zero' : mulSign(a.sign, b.sign);
  if (a.hasVariable && b.hasVariable) {
    throw new DcpError(
      format(e),
      `a product of two expressions that both contain variables (${format(ea)} and ${format(eb)}); one side must be a constant or parameter`,
    );
  }
  const [cst, other, eCst, eOther] = a.hasVariable ? [b, a, eb, ea] : [a, b, ea, eb];
  if (cst.hasParameter && (other.hasParameter || !isParamAffine(eCst))) {
    const why = !isParamAffine(eCst)
      ? `${format(eCst)} is not an affine function of the parameters`
      : `both ${format(eCst)} and ${format(eOther)} depend on parameters, so the product is not linear in them`;
    throw new DppError(format(e), why);
  }
  if (other.curvature === 'constant' || other.curvature === 'affine') return { curvature: other.curvature, sign };
  // A convex or concave expression scaled by a constant: its sign decides the curvature.
  if (cst.sign === 'nonneg' || cst.sign === 'zero') return { curvature: other.curvature, sign };
  if (cst.sign === 'nonpos') return { curvature: flip(other.curvature), sign };
  throw new DcpError(
    format(e),
    `${format(eOther)} is ${other.curvature} and is multiplied by ${format(eCst)} of unknown sign; declare the parameter { nonneg: true } or use a constant of known sign`,
  );
}

function atomInfo(e: Expr, args: readonly ExprInfo[]): { curvature: Curvature; sign: Sign } {
  const name = e.data.atom!;
  const spec = ATOMS[name];
  if (!spec) throw new DcpError(format(e), `unknown atom '${name}'`);
  const signs = args.map((a) => a.sign);
  const sign = spec.sign(signs);
  const dataArgs = spec.data ?? [];
  args.forEach((a, i) => {
    const arg = e.args[i]!;
    if (dataArgs.includes(i)) {
      if (a.hasVariable)
        throw new DcpError(
          format(e),
          `argument ${i + 1} of ${name} (${format(arg)}) must be a constant or parameter, it contains a variable`,
        );
      if (a.hasParameter && !isParamAffine(arg))
        throw new DppError(format(e), `${format(arg)} is not an affine function of the parameters`);
      return;
    }
    if (a.hasParameter && !a.hasVariable) {
      throw new DppError(
        format(e),
        `the parameter expression ${format(arg)} appears inside the nonlinear atom ${name}; only affine functions of parameters can become cone program data`,
      );
    }
  });
  if (!args.some((a) => a.hasVariable)) return { curvature: 'constant', sign };
  args.forEach((a, i) => {
    if (dataArgs.includes(i) || a.curvature === 'constant' || a.curvature === 'affine') return;
    const m = spec.mono(i, signs);
    const want = spec.curvature === 'convex' ? (a.curvature === 'convex' ? 'inc' : 'dec') : a.curvature === 'concave' ? 'inc' : 'dec';
    if (m !== want) {
      const monoText = m === 'none' ? 'not monotone' : m === 'inc' ? 'nondecreasing' : 'nonincreasing';
      throw new DcpError(
        format(e),
        `${name} is ${spec.curvature} and ${monoText} in argument ${i + 1}${m === 'none' ? '' : ` (for its sign)`}, but ${format(e.args[i]!)} is ${a.curvature}; a ${spec.curvature} atom accepts a ${a.curvature} argument only where it is ${want === 'inc' ? 'nondecreasing' : 'nonincreasing'}`,
      );
    }
  });
  return { curvature: spec.curvature, sign };
}

/** Checks an objective: convex to minimize, concave to maximize. */
export function checkObjective(sense: 'minimize' | 'maximize', e: Expr): void {
  if (e.size !== 1) throw new DcpError(format(e), `the objective must be a scalar, got shape [${e.shape}]`);
  const c = analyze(e).curvature;
  if (sense === 'minimize' && c === 'concave')
    throw new DcpError(format(e), 'cannot minimize a concave expression (DCP: minimize a convex one)');
  if (sense === 'maximize' && c === 'convex')
    throw new DcpError(format(e), 'cannot maximize a convex expression (DCP: maximize a concave one)');
}

/** Checks a constraint: convex ≤ concave, affine == affine, affine ⪯ affine. */
export function checkConstraint(c: Constraint): void {
  const l = analyze(c.lhs).curvature;
  const r = analyze(c.rhs).curvature;
  const text = c.toString();
  if (c.kind === 'le') {
    if (l === 'concave') throw new DcpError(text, `the left side ${format(c.lhs)} is concave; DCP allows convex <= concave`);
    if (r === 'convex') throw new DcpError(text, `the right side ${format(c.rhs)} is convex; DCP allows convex <= concave`);
    return;
  }
  for (const [side, curv] of [
    [c.lhs, l],
    [c.rhs, r],
  ] as const) {
    if (curv === 'convex' || curv === 'concave') {
      throw new DcpError(text, `${format(side)} is ${curv}; ${c.kind === 'eq' ? 'equality' : 'PSD'} constraints need affine sides`);
    }
  }
}
