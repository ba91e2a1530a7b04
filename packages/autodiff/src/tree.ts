import { Tensor } from './tensor.js';

/**
 * Pytrees: nested arrays and plain objects whose leaves are tensors (other leaves, such as numbers,
 * strings or solver reports, are carried along but not differentiated). Transforms accept and
 * return pytrees, so `grad(loss)({ W1, b1, W2 })` gives `{ W1, b1, W2 }` of gradients.
 */
export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree } | unknown;

/** A function of any arguments (parameter types are contravariant: `unknown[]` would reject `(x: Tensor) => …`). */
// biome-ignore lint/suspicious/noExplicitAny: the one place a function of arbitrary arguments is named.
export type AnyFunction = (...args: any[]) => unknown;

export interface Flat {
  readonly leaves: Tensor[];
  /** Where each leaf sits, e.g. 'W1' or '0.b' (empty for a bare tensor). */
  readonly paths: string[];
  /** Rebuilds the tree with new tensor leaves, in the order of `leaves`. */
  // biome-ignore lint/suspicious/noExplicitAny: the rebuilt tree has the caller's structure, known only at run time.
  unflatten(leaves: readonly Tensor[]): any;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

export function flatten(tree: unknown): Flat {
  const leaves: Tensor[] = [];
  const paths: string[] = [];
  const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  const collect = (t: unknown, path: string): void => {
    if (t instanceof Tensor) {
      leaves.push(t);
      paths.push(path);
    } else if (Array.isArray(t)) t.forEach((c, i) => collect(c, join(path, i)));
    else if (isPlainObject(t)) for (const k of Object.keys(t)) collect(t[k], join(path, k));
  };
  collect(tree, '');
  return {
    leaves,
    paths,
    // biome-ignore lint/suspicious/noExplicitAny: see Flat.unflatten.
    unflatten(newLeaves: readonly Tensor[]): any {
      let i = 0;
      const rebuild = (t: unknown): unknown => {
        if (t instanceof Tensor) return newLeaves[i++];
        if (Array.isArray(t)) return t.map(rebuild);
        if (isPlainObject(t)) {
          const out: Record<string, unknown> = {};
          for (const k of Object.keys(t)) out[k] = rebuild(t[k]);
          return out;
        }
        return t;
      };
      return rebuild(tree);
    },
  };
}
