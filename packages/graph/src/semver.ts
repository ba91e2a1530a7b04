/**
 * The small part of semver that plugin API checks need, hand-rolled to avoid a dependency.
 * Versions are `MAJOR.MINOR.PATCH` (no prerelease or build tags). Ranges are `||`-separated
 * alternatives of space-separated comparators, each of:
 *   `*`, `x` or empty  any version
 *   `1.2.3`, `=1.2.3`  exactly; a partial `1.2` or `1` means `1.2.x` or `1.x`
 *   `^1.2.3`           same leftmost non-zero part: ^1.2.3 is >=1.2.3 <2.0.0, ^0.2.3 is >=0.2.3 <0.3.0
 *   `~1.2.3`           same minor: >=1.2.3 <1.3.0 (`~1` is >=1.0.0 <2.0.0)
 *   `>=`, `>`, `<=`, `<` with full or partial versions, as npm reads them (`<2` is <2.0.0, `>1` is >=2.0.0)
 */
import { GraphError } from './errors.js';

type Version = readonly [number, number, number];

/** A parsed partial version: missing parts are `undefined` (`1.x` has only a major). */
type Partial = readonly [number | undefined, number | undefined, number | undefined];

interface Bound {
  readonly version: Version;
  readonly inclusive: boolean;
}

/** A comparator as an interval; `undefined` ends are open. */
interface Interval {
  readonly lower?: Bound;
  readonly upper?: Bound;
}

const NUMBER = /^(0|[1-9]\d*)$/;
const WILDCARD = /^[xX*]$/;

function parseVersion(text: string): Version {
  const parts = text.trim().replace(/^v/, '').split('.');
  if (parts.length !== 3 || !parts.every((p) => NUMBER.test(p))) {
    throw new GraphError(`invalid version '${text}': expected MAJOR.MINOR.PATCH, e.g. 1.4.0`);
  }
  return [Number(parts[0]), Number(parts[1]), Number(parts[2])];
}

function parsePartial(text: string, range: string): Partial {
  const parts = text.replace(/^v/, '').split('.');
  if (parts.length > 3) throw invalidRange(range);
  const out: (number | undefined)[] = [];
  let wild = false;
  for (const p of parts) {
    if (WILDCARD.test(p)) wild = true;
    else if (NUMBER.test(p) && !wild) out.push(Number(p));
    else throw invalidRange(range);
  }
  return [out[0], out[1], out[2]];
}

function invalidRange(range: string): GraphError {
  return new GraphError(`invalid version range '${range}'`);
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

const at = (major: number, minor = 0, patch = 0): Version => [major, minor, patch];
const gte = (v: Version): Bound => ({ version: v, inclusive: true });
const lt = (v: Version): Bound => ({ version: v, inclusive: false });

/** The first version after every version matching the partial `p` (p has at least a major). */
function after(p: Partial): Version {
  const [major, minor, patch] = p;
  if (minor === undefined) return at(major! + 1);
  if (patch === undefined) return at(major!, minor + 1);
  return at(major!, minor, patch + 1);
}

function comparator(token: string, range: string): Interval {
  const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(token)!;
  const op = m[1] ?? '';
  const p = parsePartial(m[2]!, range);
  const [major, minor = 0, patch = 0] = p;
  if (major === undefined) {
    // `*`, `>=*`, `^*`: anything; `<*` and `>*`: nothing.
    return op === '<' || op === '>' ? { upper: lt(at(0)) } : {};
  }
  const low = at(major, minor, patch);
  switch (op) {
    case '^': {
      const upper =
        major > 0 || p[1] === undefined ? at(major + 1) : minor > 0 || p[2] === undefined ? at(0, minor + 1) : at(0, 0, patch + 1);
      return { lower: gte(low), upper: lt(upper) };
    }
    case '~':
      return { lower: gte(low), upper: lt(p[1] === undefined ? at(major + 1) : at(major, minor + 1)) };
    case '>=':
      return { lower: gte(low) };
    case '>':
      return { lower: p[2] === undefined ? gte(after(p)) : { version: low, inclusive: false } };
    case '<':
      return { upper: lt(low) };
    case '<=':
      return { upper: p[2] === undefined ? lt(after(p)) : { version: low, inclusive: true } };
    default:
      return { lower: gte(low), upper: p[2] === undefined ? lt(after(p)) : { version: low, inclusive: true } };
  }
}

function within(v: Version, { lower, upper }: Interval): boolean {
  if (lower !== undefined) {
    const c = compare(v, lower.version);
    if (c < 0 || (c === 0 && !lower.inclusive)) return false;
  }
  if (upper !== undefined) {
    const c = compare(v, upper.version);
    if (c > 0 || (c === 0 && !upper.inclusive)) return false;
  }
  return true;
}

/**
 * Whether `version` (MAJOR.MINOR.PATCH) satisfies `range` (see the module comment for the
 * supported syntax). Throws a `GraphError` for a malformed version or range.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parseVersion(version);
  return range.split('||').some((alternative) => {
    // Allow a space between an operator and its version: `>= 1.0.0`.
    const tokens = alternative
      .trim()
      .replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/)
      .filter((t) => t !== '');
    const intervals = tokens.length === 0 ? [{}] : tokens.map((t) => comparator(t, range));
    return intervals.every((interval) => within(v, interval));
  });
}
