/**
 * Structural validation. `validateGraph` collects every issue instead of stopping at the first,
 * so a broken file or a tracer bug is diagnosed in one pass; each message names the node by id,
 * op and label. Shape inference is the autodiff runtime's business: it passes `shapeRules`, and
 * this module only compares what the rules say with the shapes recorded in the graph.
 */
import { AttrProblem, cloneAttrs, describeNode, formatShape, own, shapeProblem } from './data.js';
import { type GraphIssue, GraphValidationError } from './errors.js';
import { isSourceKind } from './spec.js';
import { cycleIssue, kahn } from './traverse.js';
import type { Attrs, Graph, NodeData } from './types.js';

/**
 * Infers an op's output shapes from its input shapes (and attrs), or returns a message saying
 * why the inputs are incompatible (e.g. "inner dimensions 3 and 4 differ"). May throw; a throw
 * is reported as an issue too.
 */
export type ShapeRule = (inputShapes: readonly (readonly number[])[], attrs: Attrs) => readonly (readonly number[])[] | string;

/** Shape rules keyed by op name. Ops without a rule are not shape-checked. */
export type ShapeRules = { readonly [op: string]: ShapeRule };

export interface ValidateOptions {
  readonly shapeRules?: ShapeRules;
}

/** Every structural problem of `graph`; empty if it is valid. O(nodes + values + clusters). */
export function validateGraph(graph: Graph, options: ValidateOptions = {}): readonly GraphIssue[] {
  const issues: GraphIssue[] = [];
  checkKeys(graph, issues);
  checkNodes(graph, issues);
  checkClusters(graph, issues);
  graph.outputs.forEach((v, i) => {
    if (own(graph.values, v) === undefined) {
      issues.push({ code: 'graph-output-missing', value: v, message: `graph output ${i} is value '${v}', which does not exist` });
    }
  });
  const { cycle } = kahn(graph);
  if (cycle !== undefined) issues.push(cycleIssue(graph, cycle));
  if (options.shapeRules !== undefined) checkShapes(graph, options.shapeRules, issues);
  return issues;
}

/** Throws a `GraphValidationError` listing every issue if `graph` is not valid. */
export function assertValidGraph(graph: Graph, options: ValidateOptions = {}): void {
  const issues = validateGraph(graph, options);
  if (issues.length > 0) throw new GraphValidationError(issues, `graph '${graph.name}' is invalid`);
}

/** Record keys equal ids; `nodeOrder` lists every node exactly once; nodes and clusters do not share ids. */
function checkKeys(graph: Graph, issues: GraphIssue[]): void {
  for (const [table, rec] of [
    ['node', graph.nodes],
    ['value', graph.values],
    ['cluster', graph.clusters],
  ] as const) {
    for (const key of Object.keys(rec)) {
      const id = rec[key]!.id;
      if (id !== key) {
        issues.push({ code: 'key-mismatch', [table]: key, message: `${table} stored under key '${key}' has id '${id}'` });
      }
    }
  }
  const listed = new Set<string>();
  for (const id of graph.nodeOrder) {
    if (listed.has(id)) issues.push({ code: 'node-order', node: id, message: `node ${id} appears twice in nodeOrder` });
    else if (own(graph.nodes, id) === undefined) {
      issues.push({ code: 'node-order', node: id, message: `nodeOrder lists node '${id}', which does not exist` });
    }
    listed.add(id);
  }
  for (const id of Object.keys(graph.nodes)) {
    if (!listed.has(id)) {
      issues.push({ code: 'node-order', node: id, message: `${describeNode(graph.nodes[id]!)} is missing from nodeOrder` });
    }
    if (own(graph.clusters, id) !== undefined) {
      issues.push({ code: 'id-collision', node: id, cluster: id, message: `id '${id}' is used by both a node and a cluster` });
    }
  }
}

function checkNodes(graph: Graph, issues: GraphIssue[]): void {
  const listedBy = new Map<string, string>(); // value id → first node listing it as an output
  for (const id of Object.keys(graph.nodes)) {
    const node = graph.nodes[id]!;
    const who = describeNode(node);
    const issue = (code: GraphIssue['code'], what: string, value?: string): void => {
      issues.push({ code, node: id, ...(value === undefined ? {} : { value }), message: `${who}: ${what}` });
    };
    if (isSourceKind(node.kind) && node.inputs.length > 0) {
      issue('source-with-inputs', `a node of kind '${node.kind}' takes no inputs, but has ${node.inputs.length}`);
    }
    if (node.kind !== 'optimization' && (node.strategy !== undefined || node.info !== undefined)) {
      issue('optimization-fields', `kind '${node.kind}' is not 'optimization' but has a strategy or SolveInfo`);
    }
    try {
      cloneAttrs(node.attrs);
    } catch (e) {
      if (!(e instanceof AttrProblem)) throw e;
      issue('invalid-attrs', `${e.path}: ${e.reason}`);
    }
    if (node.cluster !== undefined && own(graph.clusters, node.cluster) === undefined) {
      issue('missing-cluster', `cluster '${node.cluster}' does not exist`);
    }
    node.inputs.forEach((v, i) => {
      if (own(graph.values, v) === undefined) issue('dangling-input', `input ${i} is value '${v}', which does not exist`, v);
    });
    node.outputs.forEach((v, i) => {
      const value = own(graph.values, v);
      const first = listedBy.get(v);
      if (first !== undefined) {
        issue('produced-twice', `output ${i} is value '${v}', which node ${first} also produces`, v);
        return;
      }
      listedBy.set(v, id);
      if (value === undefined) issue('missing-output-value', `output ${i} is value '${v}', which does not exist`, v);
      else if (value.producer !== id || value.index !== i) {
        issue('producer-mismatch', `output ${i} is value '${v}', which claims output ${value.index} of node '${value.producer}'`, v);
      }
    });
  }
  for (const v of Object.keys(graph.values)) {
    const value = graph.values[v]!;
    const problem = shapeProblem(value.shape);
    if (problem !== undefined) issues.push({ code: 'invalid-shape', value: v, message: `value ${v}: ${problem}` });
    if (listedBy.has(v)) continue;
    const producer = own(graph.nodes, value.producer);
    const message =
      producer === undefined
        ? `value ${v} names producer '${value.producer}', which does not exist`
        : `value ${v} claims output ${value.index} of ${describeNode(producer)}, which does not list it`;
    issues.push({ code: 'orphan-value', value: v, message });
  }
}

/** Parents exist and the parent relation has no loop (each loop reported once). */
function checkClusters(graph: Graph, issues: GraphIssue[]): void {
  const done = new Set<string>();
  for (const start of Object.keys(graph.clusters)) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let c: string | undefined = start;
    while (c !== undefined && !done.has(c)) {
      if (onPath.has(c)) {
        const loop = path.slice(path.indexOf(c));
        issues.push({ code: 'cluster-cycle', cluster: c, message: `clusters nest in a loop: ${[...loop, c].join(' → ')}` });
        break;
      }
      path.push(c);
      onPath.add(c);
      const parent: string | undefined = graph.clusters[c]!.parent;
      if (parent !== undefined && own(graph.clusters, parent) === undefined) {
        issues.push({
          code: 'cluster-parent-missing',
          cluster: c,
          message: `cluster ${c} ('${graph.clusters[c]!.label}') has parent '${parent}', which does not exist`,
        });
        break;
      }
      c = parent;
    }
    for (const p of path) done.add(p);
  }
}

function checkShapes(graph: Graph, rules: ShapeRules, issues: GraphIssue[]): void {
  for (const id of Object.keys(graph.nodes)) {
    const node = graph.nodes[id]!;
    const rule = own(rules, node.op);
    if (rule === undefined) continue;
    const inputs = node.inputs.map((v) => own(graph.values, v));
    if (inputs.some((v) => v === undefined)) continue; // already reported as dangling
    const shapes = inputs.map((v) => v!.shape);
    const context = inputShapesText(node, shapes);
    const issue = (code: GraphIssue['code'], what: string, value?: string): void => {
      issues.push({ code, node: id, ...(value === undefined ? {} : { value }), message: `${describeNode(node)}: ${what}` });
    };
    let inferred: ReturnType<ShapeRule>;
    try {
      inferred = rule(shapes, node.attrs);
    } catch (e) {
      issue('shape-rule-error', `shape rule for '${node.op}' threw: ${(e as Error).message}; ${context}`);
      continue;
    }
    if (typeof inferred === 'string') {
      issue('shape-mismatch', `${inferred}; ${context}`);
      continue;
    }
    if (inferred.length !== node.outputs.length) {
      issue('shape-mismatch', `shape rule gives ${inferred.length} outputs, the node has ${node.outputs.length}; ${context}`);
      continue;
    }
    node.outputs.forEach((v, i) => {
      const recorded = own(graph.values, v)?.shape;
      const expected = inferred[i]!;
      if (recorded !== undefined && !sameShape(recorded, expected)) {
        issue(
          'shape-mismatch',
          `output ${i} (value ${v}) has shape ${formatShape(recorded)} but the shape rule gives ${formatShape(expected)}; ${context}`,
          v,
        );
      }
    });
  }
}

function inputShapesText(node: NodeData, shapes: readonly (readonly number[])[]): string {
  if (shapes.length === 0) return 'no inputs';
  return `input shapes: ${shapes.map((s, i) => `${i} = ${node.inputs[i]} ${formatShape(s)}`).join(', ')}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
