/**
 * Saving and loading graphs (format 'argmin.graph', version 1; see `schema.ts`).
 *
 * Loading treats its input as hostile: a cheap iterative pre-scan rejects `__proto__` keys and
 * deep nesting (before zod, whose recursive attrs schema would overflow the stack), the format
 * tag and version are checked for a clear message, counts are capped, then zod checks types,
 * then ids must be unique, and finally `validateGraph` checks the structure. Every failure is a
 * `GraphFormatError` (or a `GraphValidationError` for a well-formed but inconsistent graph).
 */
import type { z } from 'zod';
import { deepFreeze, record } from './data.js';
import { GraphFormatError, GraphValidationError } from './errors.js';
import { graphJsonSchema } from './schema.js';
import type { ClusterData, Graph, GraphJSON, NodeData, ValueData } from './types.js';
import { type ValidateOptions, validateGraph } from './validate.js';

/** The format version this library writes and reads. */
export const GRAPH_FORMAT_VERSION = 1;

export interface LoadOptions extends ValidateOptions {
  /** Most nodes (and clusters) a file may hold. Default 1,000,000. */
  readonly maxNodes?: number;
  /** Most values (and graph outputs) a file may hold. Default 4 × maxNodes. */
  readonly maxValues?: number;
  /** Deepest nesting of arrays and objects anywhere in the document. Default 64. */
  readonly maxDepth?: number;
  /** Run `validateGraph` after parsing (default true). Turn off only to inspect broken files. */
  readonly validate?: boolean;
}

/** The JSON form of a graph. Nodes in `nodeOrder`; values by producer, then output index. */
export function toJSON(graph: Graph): GraphJSON {
  const listed = new Set<string>();
  const values: ValueData[] = [];
  const nodes = graph.nodeOrder.map((id) => graph.nodes[id]!);
  for (const node of nodes) {
    for (const v of node.outputs) {
      const value = Object.hasOwn(graph.values, v) ? graph.values[v] : undefined;
      if (value !== undefined && !listed.has(v)) values.push(value);
      listed.add(v);
    }
  }
  for (const v of Object.keys(graph.values)) if (!listed.has(v)) values.push(graph.values[v]!);
  return {
    format: 'argmin.graph',
    version: GRAPH_FORMAT_VERSION,
    name: graph.name,
    nodes,
    values,
    clusters: Object.values(graph.clusters),
    outputs: graph.outputs,
    ...(graph.signature !== undefined ? { signature: graph.signature } : {}),
  };
}

/** The graph as JSON text. Non-finite statistics are written as 'NaN', 'Infinity', '-Infinity'. */
export function serializeGraph(graph: Graph, space?: number): string {
  return JSON.stringify(toJSON(graph), encodeNonFinite, space);
}

function encodeNonFinite(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** Parses graph JSON text; see `fromJSON`. */
export function parseGraph(text: string, options: LoadOptions = {}): Graph {
  if (typeof text !== 'string') throw new GraphFormatError(`expected JSON text, got ${typeof text}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new GraphFormatError(`not valid JSON: ${(e as Error).message}`);
  }
  return fromJSON(data, options);
}

/** Checks an untrusted value (e.g. from `JSON.parse`) and makes a frozen graph of it. */
export function fromJSON(input: unknown, options: LoadOptions = {}): Graph {
  const maxNodes = options.maxNodes ?? 1_000_000;
  const maxValues = options.maxValues ?? 4 * maxNodes;
  const maxDepth = options.maxDepth ?? 64;
  // A NaN or non-integer depth would disable the prescan and let zod recurse until the stack overflows.
  if (!(Number.isInteger(maxDepth) && maxDepth >= 1))
    throw new GraphFormatError(`option maxDepth must be a positive integer, got ${maxDepth}`);
  prescan(input, maxDepth);
  checkHeader(input);
  const doc = input as { readonly [k: string]: unknown };
  for (const [key, max] of [
    ['nodes', maxNodes],
    ['clusters', maxNodes],
    ['values', maxValues],
    ['outputs', maxValues],
  ] as const) {
    const list = doc[key];
    if (Array.isArray(list) && list.length > max) {
      throw new GraphFormatError(
        `${list.length} entries exceed the limit of ${max} (option ${key === 'nodes' || key === 'clusters' ? 'maxNodes' : 'maxValues'})`,
        key,
      );
    }
  }

  const parsed = graphJsonSchema.safeParse(input);
  if (!parsed.success) throw zodError(parsed.error);
  const json: GraphJSON = parsed.data; // also checks, at compile time, that the schema fits GraphJSON

  const graph = deepFreeze<Graph>({
    name: json.name,
    nodes: byId<NodeData>(json.nodes, 'nodes', 'node'),
    nodeOrder: json.nodes.map((n) => n.id),
    values: byId<ValueData>(json.values, 'values', 'value'),
    clusters: byId<ClusterData>(json.clusters, 'clusters', 'cluster'),
    outputs: json.outputs,
    ...(json.signature !== undefined ? { signature: json.signature } : {}),
  });
  if (options.validate !== false) {
    const issues = validateGraph(graph, options);
    if (issues.length > 0) throw new GraphValidationError(issues, `graph file '${graph.name}' is invalid`);
  }
  return graph;
}

function checkHeader(input: unknown): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new GraphFormatError(
      `expected a JSON object with format 'argmin.graph', got ${Array.isArray(input) ? 'an array' : typeof input}`,
    );
  }
  const { format, version } = input as { readonly format?: unknown; readonly version?: unknown };
  if (format !== 'argmin.graph') {
    throw new GraphFormatError(`not an argmin graph: format is ${JSON.stringify(format) ?? 'missing'}, expected "argmin.graph"`, 'format');
  }
  if (typeof version !== 'number') {
    throw new GraphFormatError(`version must be a number, got ${JSON.stringify(version) ?? 'nothing'}`, 'version');
  }
  if (version !== GRAPH_FORMAT_VERSION) {
    throw new GraphFormatError(`unsupported version ${version}, this library reads version ${GRAPH_FORMAT_VERSION}`, 'version');
  }
}

/** A null-prototype record of the items by id; a repeated id is a format error. */
function byId<T extends { readonly id: string }>(items: readonly T[], path: string, what: string): Record<string, T> {
  const rec = record<T>();
  const firstAt = new Map<string, number>();
  items.forEach((item, i) => {
    const first = firstAt.get(item.id);
    if (first !== undefined) {
      throw new GraphFormatError(`duplicate ${what} id '${item.id}' (first at ${path}.${first}.id)`, `${path}.${i}.id`);
    }
    firstAt.set(item.id, i);
    rec[item.id] = item;
  });
  return rec;
}

interface ScanEntry {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: ScanEntry | undefined;
  readonly key: string;
}

/**
 * Walks the document iteratively: rejects nesting deeper than `maxDepth` (which also stops
 * cyclic objects) and `__proto__` keys anywhere. Paths are built only on failure.
 */
function prescan(root: unknown, maxDepth: number): void {
  const stack: ScanEntry[] = [{ value: root, depth: 0, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const v = entry.value;
    if (typeof v !== 'object' || v === null) continue;
    if (entry.depth >= maxDepth) {
      throw new GraphFormatError(`nested deeper than ${maxDepth} levels (option maxDepth)`, pathOf(entry));
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: entry.depth + 1, parent: entry, key: String(i) });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') throw new GraphFormatError("key '__proto__' is not allowed", pathOf(entry));
      stack.push({ value: (v as { [k: string]: unknown })[key], depth: entry.depth + 1, parent: entry, key });
    }
  }
}

function pathOf(entry: ScanEntry): string {
  const keys: string[] = [];
  for (let e: ScanEntry | undefined = entry; e?.parent !== undefined; e = e.parent) keys.push(e.key);
  return keys.reverse().join('.');
}

function zodError(error: z.ZodError): GraphFormatError {
  const shown = error.issues.slice(0, 3).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const [first, ...rest] = shown;
  const more = error.issues.length - 1;
  const also = more > 0 ? `; ${more} more issue${more === 1 ? '' : 's'}: ${rest.map((r) => `${r.path}: ${r.message}`).join('; ')}` : '';
  return new GraphFormatError(`${first!.message}${also}`, first!.path);
}
