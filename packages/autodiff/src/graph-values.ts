import type { AttrValue } from '@argmin/graph';
import { InvalidInputError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Tensor values and pytree skeletons as graph-file data. Values are the float64 bytes
 * (little-endian) in base64, so a saved graph reproduces them bit for bit (-0, NaN payloads and
 * ±∞ included, which JSON numbers cannot carry). Strings are chunked under the format's attr
 * string limit.
 */

const CHUNK = 65_536; // base64 characters per string (a multiple of 4), under MAX_ATTR_STRING_LENGTH
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Stored form of a tensor's values: `{ dtype: 'f64le', size, base64: [chunks] }`. */
export function encodeValues(data: Float64Array): AttrValue {
  const bytes = new Uint8Array(data.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i]!, true);
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    s += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | (b >> 4)]!;
    s += i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : '=';
    s += i + 2 < bytes.length ? ALPHABET[c & 63]! : '=';
  }
  const chunks: string[] = [];
  for (let i = 0; i < s.length; i += CHUNK) chunks.push(s.slice(i, i + CHUNK));
  return { dtype: 'f64le', size: data.length, base64: chunks };
}

/** Decodes `encodeValues` output for a value of `shape`; anything malformed is a typed error naming `where`. */
export function decodeValues(stored: AttrValue | undefined, shape: readonly number[], where: string): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const bad = (what: string) => new InvalidInputError(`${where}: stored value ${what}`);
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) throw bad('is missing or not an object');
  const rec = stored as { readonly [k: string]: AttrValue };
  if (rec.dtype !== 'f64le') throw bad(`has dtype ${JSON.stringify(rec.dtype)}, expected "f64le"`);
  if (rec.size !== size) throw bad(`has ${JSON.stringify(rec.size)} elements, the value's shape [${shape.join(', ')}] has ${size}`);
  const chunks = rec.base64;
  if (!Array.isArray(chunks) || !chunks.every((c) => typeof c === 'string')) throw bad('base64 must be a list of strings');
  const text = (chunks as string[]).join('');
  if (text.length !== Math.ceil((size * 8) / 3) * 4)
    throw bad(`has ${text.length} base64 characters, expected ${Math.ceil((size * 8) / 3) * 4}`);
  const bytes = new Uint8Array(size * 8);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const q = [0, 1, 2, 3].map((k) => {
      const ch = text.charCodeAt(i + k);
      if (ch === 61 /* = */ && i + 4 === text.length && k >= 2) return 0;
      const v = ch < 128 ? DECODE[ch]! : -1;
      if (v < 0) throw bad(`has an invalid base64 character at ${i + k}`);
      return v;
    }) as [number, number, number, number];
    const n = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    if (o < bytes.length) bytes[o++] = (n >> 16) & 255;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  const view = new DataView(bytes.buffer);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = view.getFloat64(i * 8, true);
  return new Tensor(data, shape);
}

/**
 * A pytree's skeleton: `{ t: i }` for the i-th tensor leaf, `{ a: [...] }` for arrays,
 * `{ o: { key: ... } }` for plain objects, `{ v: x }` for other JSON leaves (numbers, strings,
 * booleans; anything else, e.g. a function, becomes `{ v: null }`).
 */
export function encodeTree(tree: unknown, leafIndex: (t: Tensor) => number): AttrValue {
  if (tree instanceof Tensor) return { t: leafIndex(tree) };
  if (Array.isArray(tree)) return { a: tree.map((c) => encodeTree(c, leafIndex)) };
  if (tree !== null && typeof tree === 'object') {
    const proto = Object.getPrototypeOf(tree);
    if (proto === Object.prototype || proto === null) {
      const o: Record<string, AttrValue> = {};
      for (const [k, v] of Object.entries(tree)) o[k] = encodeTree(v, leafIndex);
      return { o };
    }
    return { v: null };
  }
  if (typeof tree === 'number') return { v: Number.isFinite(tree) ? tree : String(tree) };
  if (typeof tree === 'string' || typeof tree === 'boolean' || tree === null) return { v: tree };
  return { v: null };
}

/** Rebuilds a tree from its skeleton with the given leaves; a malformed skeleton is a typed error. */
export function decodeTree(skeleton: AttrValue, leaves: readonly Tensor[]): unknown {
  const bad = (what: string) => new InvalidInputError(`graph signature: ${what}`);
  const walk = (s: AttrValue): unknown => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw bad('a tree node must be an object');
    const n = s as { readonly [k: string]: AttrValue };
    if (Object.hasOwn(n, 't')) {
      const i = n.t;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= leaves.length)
        throw bad(`leaf index ${JSON.stringify(i)} is out of range`);
      return leaves[i];
    }
    if (Object.hasOwn(n, 'a')) {
      if (!Array.isArray(n.a)) throw bad("'a' must be a list");
      return (n.a as AttrValue[]).map(walk);
    }
    if (Object.hasOwn(n, 'o')) {
      const o = n.o;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad("'o' must be an object");
      // fromEntries defines own properties, so no key can reach a prototype.
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v as AttrValue)]));
    }
    if (Object.hasOwn(n, 'v')) return n.v;
    throw bad("a tree node needs one of 't', 'a', 'o', 'v'");
  };
  return walk(skeleton);
}
