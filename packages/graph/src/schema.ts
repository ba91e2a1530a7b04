/**
 * The zod schema of the graph file, format 'argmin.graph' version 1: the single source of truth
 * for what a file may contain. It gives runtime validation with paths (`nodes.3.inputs`), the
 * published JSON Schema, and (through `fromJSON`) the `GraphJSON` type is checked against it.
 *
 * Limits that are part of the format (ids, label lengths) are in `limits.ts`; resource limits
 * that a reader chooses (node counts, nesting depth) are options of `fromJSON`.
 */
import { z } from 'zod';
import { MAX_ATTR_STRING_LENGTH, MAX_ID_LENGTH, MAX_RANK, MAX_STATUS_LENGTH, MAX_TEXT_LENGTH } from './limits.js';
import type { AttrValue } from './types.js';

const id = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  // `__proto__` would be a dangerous key for any reader that indexes plain objects by id.
  .regex(/^(?!__proto__$)/, { message: "'__proto__' is not a valid id" });

const text = z.string().max(MAX_TEXT_LENGTH);

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A statistic (summary, residual, gradient norm). JSON has no NaN or ±Infinity, yet a diverging
 * solve is exactly what a viewer must show: `serializeGraph` writes them as the strings 'NaN',
 * 'Infinity', '-Infinity', and plain `JSON.stringify` writes `null`, read back as NaN. Any other
 * string is an error.
 */
// z.literal, not z.enum: an enum's declaration emits `[-Infinity]: "-Infinity"` (TS1170 for any
// consumer type-checking our .d.ts with skipLibCheck false).
const stat = z
  .union([z.number(), z.literal(['NaN', 'Infinity', '-Infinity']), z.null()])
  .transform((v): number => (v === null ? Number.NaN : Number(v)));

const attrValue: z.ZodType<AttrValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number(),
    z.string().max(MAX_ATTR_STRING_LENGTH),
    z.array(attrValue),
    z.record(z.string().max(MAX_ID_LENGTH), attrValue),
  ]),
);

const solveInfo = z.object({
  status: z.array(z.string().max(MAX_STATUS_LENGTH)),
  iterations: z.array(count),
  residual: z.array(stat),
  history: z.array(z.array(stat)).optional(),
});

const summary = z.object({
  min: stat,
  max: stat,
  mean: stat,
  norm: stat,
  data: z.array(stat).optional(),
});

const node = z.object({
  id,
  kind: z.enum(['input', 'parameter', 'constant', 'op', 'optimization']),
  op: text.min(1),
  label: text.optional(),
  inputs: z.array(id),
  outputs: z.array(id),
  attrs: z.record(z.string().max(MAX_ID_LENGTH), attrValue),
  cluster: id.optional(),
  plugin: text.optional(),
  strategy: z.enum(['implicit', 'unroll', 'solve']).optional(),
  info: solveInfo.optional(),
});

const value = z.object({
  id,
  shape: z.array(count).max(MAX_RANK),
  producer: id,
  index: count,
  label: text.optional(),
  summary: summary.optional(),
  gradNorm: stat.optional(),
});

const cluster = z.object({
  id,
  label: text,
  kind: z.enum(['unroll', 'group']),
  parent: id.optional(),
});

/**
 * A graph file, version 1. Unknown properties are ignored (and dropped), so a later 1.x writer
 * may add optional fields.
 */
export const graphJsonSchema = z.object({
  format: z.literal('argmin.graph'),
  version: z.literal(1),
  name: text,
  nodes: z.array(node),
  values: z.array(value),
  clusters: z.array(cluster),
  outputs: z.array(id),
  /** How the traced function's arguments and result map to inputs and outputs (see `Graph.signature`). */
  signature: attrValue.optional(),
});

/** The JSON Schema (draft 2020-12) of a graph file, generated from `graphJsonSchema`. */
export function graphJsonSchemaAsJSONSchema(): Record<string, unknown> {
  // io 'input' describes the file as written (statistics may be the strings 'NaN', …).
  return z.toJSONSchema(graphJsonSchema, { io: 'input' }) as Record<string, unknown>;
}
