import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { Tensor } from '../tensor.js';

/**
 * The core shape of a parameter or solution output, in the style of jax's `vectorize`
 * signatures: `'(n,n)'` for a square matrix, `'(m,n)'`, `'(n)'`, `'()'` for a scalar. A
 * dimension is a name, an integer, or a sum of them (`'(T-1,ns,n)'`, `'(T,n-ns)'`). A plain
 * number is the core rank alone, with no sizes checked (the older form, still accepted).
 */
export type CoreSpec = number | string;

/** One axis of a core shape: Σ sign·name + constant, or null when only the rank is known. */
type Axis = { readonly terms: readonly { readonly name: string; readonly sign: 1 | -1 }[]; readonly constant: number } | null;

export interface ParsedSpec {
  readonly rank: number;
  readonly axes: readonly Axis[];
}

const parsed = new Map<CoreSpec, ParsedSpec>();

/** Parses a core spec (memoized); a malformed one is the node author's error, named here. */
export function parseSpec(spec: CoreSpec, where: string): ParsedSpec {
  const hit = parsed.get(spec);
  if (hit) return hit;
  let out: ParsedSpec;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0) throw new InvalidInputError(`${where}: core rank must be a non-negative integer, got ${spec}`);
    out = { rank: spec, axes: new Array<Axis>(spec).fill(null) };
  } else {
    const m = /^\s*\((.*)\)\s*$/.exec(spec);
    if (!m) throw new InvalidInputError(`${where}: core shape '${spec}' must look like '(n,n)', '(n)' or '()'`);
    const body = m[1]!.trim();
    const axes = body === '' ? [] : body.split(',').map((a) => parseAxis(a, spec, where));
    out = { rank: axes.length, axes };
  }
  parsed.set(spec, out);
  return out;
}

function parseAxis(text: string, spec: string, where: string): Axis {
  const tokens = text.replace(/\s+/g, '').match(/[+-]?[^+-]+/g);
  if (!tokens) throw new InvalidInputError(`${where}: empty dimension in core shape '${spec}'`);
  const terms: { name: string; sign: 1 | -1 }[] = [];
  let constant = 0;
  for (const tok of tokens) {
    const sign = tok.startsWith('-') ? -1 : 1;
    const body = tok.replace(/^[+-]/, '');
    if (/^\d+$/.test(body)) constant += sign * Number(body);
    else if (/^[A-Za-z_]\w*$/.test(body)) terms.push({ name: body, sign });
    else throw new InvalidInputError(`${where}: dimension '${text}' in core shape '${spec}' is not a name, an integer or a sum of them`);
  }
  return { terms, constant };
}

/** A dimension that binds a size: a single name with a plus sign and no constant. */
function bindingName(axis: Axis): string | null {
  return axis && axis.terms.length === 1 && axis.terms[0]!.sign === 1 && axis.constant === 0 ? axis.terms[0]!.name : null;
}

function axisText(axis: Axis): string {
  if (!axis) return '?';
  const parts = axis.terms.map((t, i) => (t.sign < 0 ? '-' : i > 0 ? '+' : '') + t.name);
  if (axis.constant !== 0 || parts.length === 0) parts.push((axis.constant < 0 ? '-' : parts.length ? '+' : '') + Math.abs(axis.constant));
  return parts.join('');
}

export function specText(spec: CoreSpec): string {
  return typeof spec === 'number' ? `rank ${spec}` : `(${parseSpec(spec, '').axes.map(axisText).join(',')})`;
}

/** The core shape a spec gives under resolved dimension sizes (a name no parameter bound is 0). */
export function coreShapeOf(spec: CoreSpec, dims: Readonly<Record<string, number>>, where: string): number[] | null {
  const p = parseSpec(spec, where);
  if (p.axes.some((a) => a === null)) return null;
  return p.axes.map((a) => a!.terms.reduce((s, t) => s + t.sign * (dims[t.name] ?? 0), a!.constant));
}

/** Where a dimension got its size: the parameter, its shape and the core axis. */
interface Binding {
  readonly size: number;
  readonly param: string;
  readonly shape: readonly number[];
  readonly axis: number;
}

/**
 * Binds the named dimensions of the given parameters' core shapes and checks that every
 * parameter agrees with them. Returns the dimension sizes. Errors name the node, both
 * parameters, both shapes and the dimension.
 */
export function resolveDims(
  node: string,
  specs: Readonly<Record<string, CoreSpec>>,
  params: Readonly<Record<string, Tensor | undefined>>,
  labels: Readonly<Record<string, string>> = {},
): Record<string, number> {
  const bound = new Map<string, Binding>();
  const label = (name: string) => (labels[name] ? `${name} (${labels[name]})` : name);
  const entries = Object.entries(specs).flatMap(([key, spec]) => {
    const t = params[key];
    return t === undefined ? [] : [{ key, t, spec: parseSpec(spec, `${node} signature of '${key}'`), text: specText(spec) }];
  });
  // First pass: dimensions that are a single name take their size from the first parameter that has them.
  for (const { key, t, spec, text } of entries) {
    const core = t.shape.slice(t.ndim - spec.rank);
    spec.axes.forEach((axis, i) => {
      const name = bindingName(axis);
      if (name === null) return;
      const size = core[i]!;
      const prev = bound.get(name);
      if (!prev) {
        bound.set(name, { size, param: key, shape: t.shape, axis: i });
      } else if (prev.size !== size && prev.param === key) {
        const square = spec.rank >= 2 && bindingName(spec.axes[spec.rank - 1]!) === name && bindingName(spec.axes[spec.rank - 2]!) === name;
        throw new ShapeError(
          `${node}: parameter '${key}' of shape ${formatShape(t.shape)} (core shape ${text}) must have ${square ? 'square matrices' : 'equal core axes'}: dimension ${label(name)} is ${prev.size} at core axis ${prev.axis} but ${size} at core axis ${i}`,
        );
      } else if (prev.size !== size) {
        const other = `'${prev.param}' of shape ${formatShape(prev.shape)} (core shape ${specText(specs[prev.param]!)})`;
        throw new ShapeError(
          `${node}: parameter '${key}' of shape ${formatShape(t.shape)} (core shape ${text}) does not fit ${other}: dimension ${label(name)} is ${size} at its core axis ${i} but ${prev.size} in '${prev.param}'`,
        );
      }
    });
  }
  // Second pass: dimensions that are sums, once every name in them is bound.
  for (const { key, t, spec, text } of entries) {
    const core = t.shape.slice(t.ndim - spec.rank);
    spec.axes.forEach((axis, i) => {
      if (axis === null || bindingName(axis) !== null) return;
      if (!axis.terms.every((term) => bound.has(term.name))) return;
      const want = axis.terms.reduce((s, term) => s + term.sign * bound.get(term.name)!.size, axis.constant);
      if (core[i] === want) return;
      const from = [...new Set(axis.terms.map((term) => term.name))]
        .map((n) => {
          const b = bound.get(n)!;
          return `${label(n)} = ${b.size} from '${b.param}' of shape ${formatShape(b.shape)}`;
        })
        .join(', ');
      throw new ShapeError(
        `${node}: parameter '${key}' of shape ${formatShape(t.shape)} (core shape ${text}) must have ${axisText(axis)} = ${want} entries on its core axis ${i} (${from}), got ${core[i]}`,
      );
    });
  }
  return Object.fromEntries([...bound].map(([name, b]) => [name, b.size]));
}

/** The core rank of a spec. */
export function rankOf(spec: CoreSpec): number {
  return parseSpec(spec, 'signature').rank;
}

/** A value's kind for messages: 'a number', 'an array', 'undefined', 'a Tensor of shape [2]'. */
export function describeValue(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${formatShape(v.shape)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
