import { z } from 'zod';
import { InvalidInputError, ShapeError, formatShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { NodeLayout } from './batch.js';
import { assertFiniteValues } from './checks.js';
import type { AnyNode } from './node.js';
import { coreShapeOf, describeValue } from './signature.js';
import { isWorkerPool, type WorkerPool } from '../parallel/pool.js';

/**
 * One options schema per node: the common call options below, merged with the node's own
 * fields (`node.options`) into a strict zod object. Unknown keys and wrong types become
 * `InvalidInputError`s that name the node and the option, say what it must be, and list the
 * valid options (with a suggestion for a near miss: `maxIters` → `maxIter`).
 */

/** Field builders with the wording used in error messages. */
export const optionFields = {
  positiveInt: () => z.number().int().positive().describe('a positive integer'),
  nonNegativeInt: () => z.number().int().nonnegative().describe('an integer ≥ 0'),
  positive: () => z.number().positive().describe('a finite number > 0'),
  nonNegative: () => z.number().nonnegative().describe('a finite number ≥ 0'),
  finite: () => z.number().describe('a finite number'),
  /** A number in the open interval (lo, hi). */
  between: (lo: number, hi: number) => z.number().gt(lo).lt(hi).describe(`a number in (${lo}, ${hi})`),
  boolean: () => z.boolean().describe('true or false'),
  tensor: () => z.custom<Tensor>((v) => v instanceof Tensor).describe('a Tensor'),
  fn: <F>() => z.custom<F>((v) => typeof v === 'function').describe('a function'),
  /** Any value the predicate accepts, described for messages (e.g. 'a DynamicsModel'). */
  custom: <T>(accepts: (v: unknown) => boolean, description: string) => z.custom<T>(accepts).describe(description),
  /** One of the given strings. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values).describe(values.map((v) => `'${v}'`).join(', ')),
};

const linearSolve = z
  .strictObject({
    method: z.enum(['auto', 'dense', 'gmres', 'cg']).optional().describe("'auto', 'dense', 'gmres' or 'cg'"),
    tol: optionFields.positive().optional(),
    maxIter: optionFields.positiveInt().optional(),
    restart: optionFields.positiveInt().optional(),
    denseMax: optionFields.nonNegativeInt().optional(),
  })
  .describe('{ method?, tol?, maxIter?, restart?, denseMax? }');

const strategy = z
  .union([
    z.enum(['implicit', 'unroll', 'solve']),
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('implicit'), linearSolve: linearSolve.optional() }),
      z.strictObject({ kind: z.literal('unroll'), steps: optionFields.positiveInt().optional() }),
      z.strictObject({ kind: z.literal('solve') }),
    ]),
  ])
  .describe("'implicit', 'unroll', 'solve', { kind: 'implicit', linearSolve? }, { kind: 'unroll', steps? } or { kind: 'solve' }");

/** The options every node call accepts (see `NodeCallOptions`). */
export const commonOptions = {
  strategy: strategy.optional(),
  onUnconverged: z.enum(['error', 'zero', 'unroll-fallback']).optional().describe("'error', 'zero' or 'unroll-fallback'"),
  linearSolve: linearSolve.optional(),
  label: z.string().optional().describe('a string'),
  tol: optionFields.nonNegative().optional(),
  maxIter: optionFields.nonNegativeInt().optional(),
  warmStart: z
    .custom<object>((v) => typeof v === 'object' && v !== null && !(v instanceof Tensor) && !Array.isArray(v))
    .optional()
    .describe('an object of solution tensors'),
  workers: z
    .union([optionFields.positiveInt(), z.custom<WorkerPool>(isWorkerPool)])
    .optional()
    .describe('a positive integer (workers of the open pool) or a WorkerPool'),
} satisfies z.ZodRawShape;

const schemas = new WeakMap<object, z.ZodObject>();

function schemaOf(node: AnyNode): z.ZodObject {
  let s = schemas.get(node);
  if (!s) {
    s = node.options ? z.strictObject({ ...commonOptions, ...node.options }) : z.looseObject(commonOptions);
    schemas.set(node, s);
  }
  return s;
}

/** The option names a node accepts, its own first. */
export function optionNames(node: AnyNode): string[] {
  return [...Object.keys(node.options ?? {}), ...Object.keys(commonOptions).filter((k) => !(k in (node.options ?? {})))];
}

/**
 * Checks a call's options against the node's schema, and the warm start against the solution's
 * signature. Throws an InvalidInputError naming the node and the first wrong option.
 */
export function validateOptions(node: AnyNode, options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Tensor) {
    throw new InvalidInputError(`${node.name}: options must be an object, got ${describeValue(options)}`);
  }
  const result = schemaOf(node).safeParse(options);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const valid = optionNames(node);
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
    const key = issue.keys[0]!;
    const names = issue.path.length ? nestedKeys(node, issue.path) : valid;
    const near = nearest(key, names);
    throw new InvalidInputError(
      `${node.name}: unknown option '${prefix}${key}'${near ? ` (did you mean '${prefix}${near}'?)` : ''}; valid ${issue.path.length ? `keys of '${issue.path.join('.')}'` : 'options'}: ${names.join(', ')}`,
    );
  }
  const path = issue.path.map(String);
  const value = path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], options);
  const want = describeField(node, path) ?? issue.message;
  throw new InvalidInputError(`${node.name}: option '${path.join('.')}' must be ${want}, got ${describeValue(value)}`);
}

function fieldAt(node: AnyNode, path: readonly PropertyKey[]): z.ZodType | undefined {
  let field: z.ZodType | undefined = ({ ...commonOptions, ...(node.options ?? {}) } as z.ZodRawShape)[path[0] as string] as
    | z.ZodType
    | undefined;
  for (const key of path.slice(1)) {
    while (field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
    field = field instanceof z.ZodObject ? (field.shape[key as string] as z.ZodType | undefined) : undefined;
  }
  return field;
}

function describeField(node: AnyNode, path: readonly PropertyKey[]): string | undefined {
  let field = fieldAt(node, path);
  while (field && field.description === undefined && field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
  return field?.description;
}

function nestedKeys(node: AnyNode, path: readonly PropertyKey[]): string[] {
  let field = fieldAt(node, path);
  while (field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
  return field instanceof z.ZodObject ? Object.keys(field.shape) : [];
}

/** A valid name within edit distance 2 (or equal ignoring case), for "did you mean". */
function nearest(key: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const name of names) {
    const d = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * A warm start names solution outputs; each is a finite Tensor of the output's core shape, or
 * with a leading batch axis of the call's batch size.
 */
export function validateWarmStart(node: AnyNode, warmStart: object | undefined, layout: NodeLayout): void {
  if (warmStart === undefined) return;
  const specs = node.signature.solution as Record<string, string | number>;
  for (const [key, t] of Object.entries(warmStart)) {
    if (t === undefined) continue;
    if (!(key in specs)) {
      throw new InvalidInputError(`${node.name}: unknown warmStart entry '${key}'; the solution has ${Object.keys(specs).join(', ')}`);
    }
    if (!(t instanceof Tensor)) throw new InvalidInputError(`${node.name}: warmStart.${key} must be a Tensor, got ${describeValue(t)}`);
    assertFiniteValues(node.name, `warmStart.${key}`, t);
    const core = coreShapeOf(specs[key]!, layout.dims, node.name);
    if (core === null) continue;
    const same = (shape: readonly number[]) => shape.length === core.length && shape.every((d, i) => d === core[i]);
    const batch = layout.size ?? 1;
    if (same(t.shape) || (t.shape[0] === batch && same(t.shape.slice(1)))) continue;
    throw new ShapeError(
      `${node.name}: warmStart.${key} of shape ${formatShape(t.shape)} does not fit the problem: expected ${formatShape(core)} or ${formatShape([batch, ...core])}`,
    );
  }
}
