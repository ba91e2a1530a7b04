/**
 * What callers pass to add a node or a cluster, and the one place a spec is checked and turned
 * into frozen `NodeData` / `ValueData`. Shared by `GraphBuilder` (fast, mutable) and the
 * immutable edits, so both enforce the same invariants at the moment a node is added.
 */
import { AttrProblem, cloneAttrs, cloneInfo, describeNode, shapeProblem } from './data.js';
import { GraphError } from './errors.js';
import { MAX_TEXT_LENGTH } from './limits.js';
import type { Attrs, ClusterData, NodeData, NodeKind, SolveInfoData, Strategy, ValueData } from './types.js';

/** A node to add. Output values get fresh ids, one per entry of `outputShapes`. */
export interface NodeSpec {
  readonly kind: NodeKind;
  readonly op: string;
  /** Value ids consumed, in argument order; they must already exist. */
  readonly inputs: readonly string[];
  /** One shape per output value. */
  readonly outputShapes: readonly (readonly number[])[];
  /** JSON-compatible attributes (finite numbers, no typed arrays); copied. Defaults to `{}`. */
  readonly attrs?: Attrs;
  readonly label?: string;
  /** Id of an existing cluster. */
  readonly cluster?: string;
  readonly plugin?: string;
  /** Optimization nodes only. */
  readonly strategy?: Strategy;
  /** Optimization nodes only. */
  readonly info?: SolveInfoData;
}

/** A cluster to add: a named, nestable group of nodes, such as a solver's unrolled iterations. */
export interface ClusterSpec {
  readonly label: string;
  readonly kind: 'unroll' | 'group';
  /** Id of an existing cluster. */
  readonly parent?: string;
}

/** Existence checks against the graph being extended. */
export interface Lookup {
  hasValue(id: string): boolean;
  hasCluster(id: string): boolean;
}

const KINDS: ReadonlySet<string> = new Set<NodeKind>(['input', 'parameter', 'constant', 'op', 'optimization']);
const SOURCE_KINDS: ReadonlySet<string> = new Set<NodeKind>(['input', 'parameter', 'constant']);

/** Whether a node of this kind is a source (takes no inputs). */
export function isSourceKind(kind: NodeKind): boolean {
  return SOURCE_KINDS.has(kind);
}

/**
 * Checks `spec` and returns the frozen node and its output values. Throws a `GraphError` naming
 * the node (id, op, label) on the first problem. O(inputs + outputs + size of attrs).
 */
export function materializeNode(
  spec: NodeSpec,
  nodeId: string,
  outputIds: readonly string[],
  lookup: Lookup,
): { node: NodeData; values: ValueData[] } {
  const who = describeNode({ id: nodeId, op: String(spec.op), ...(spec.label !== undefined ? { label: spec.label } : {}) });
  const fail = (what: string): never => {
    throw new GraphError(`${who}: ${what}`);
  };
  if (!KINDS.has(spec.kind)) fail(`unknown kind '${String(spec.kind)}'`);
  if (typeof spec.op !== 'string' || spec.op === '') fail('op must be a non-empty string');
  if (isSourceKind(spec.kind) && spec.inputs.length > 0) {
    fail(`a node of kind '${spec.kind}' takes no inputs, got ${spec.inputs.length}`);
  }
  spec.inputs.forEach((v, i) => {
    if (!lookup.hasValue(v)) fail(`input ${i} is value '${v}', which does not exist`);
  });
  spec.outputShapes.forEach((shape, i) => {
    const problem = shapeProblem(shape);
    if (problem !== undefined) fail(`output ${i}: ${problem}`);
  });
  if (spec.cluster !== undefined && !lookup.hasCluster(spec.cluster)) {
    fail(`cluster '${spec.cluster}' does not exist`);
  }
  if (spec.kind !== 'optimization' && (spec.strategy !== undefined || spec.info !== undefined)) {
    fail('only optimization nodes carry a strategy or SolveInfo');
  }

  checkText(who, 'label', spec.label);
  checkText(who, 'op', spec.op);
  checkText(who, 'plugin', spec.plugin);
  const attrs = guard(who, () => cloneAttrs(spec.attrs ?? {}));
  const info = spec.info === undefined ? undefined : guard(who, () => cloneInfo(spec.info!));

  const node: NodeData = Object.freeze({
    id: nodeId,
    kind: spec.kind,
    op: spec.op,
    ...(spec.label === undefined ? {} : { label: spec.label }),
    inputs: Object.freeze(spec.inputs.slice()),
    outputs: Object.freeze(outputIds.slice()),
    attrs,
    ...(spec.cluster === undefined ? {} : { cluster: spec.cluster }),
    ...(spec.plugin === undefined ? {} : { plugin: spec.plugin }),
    ...(spec.strategy === undefined ? {} : { strategy: spec.strategy }),
    ...(info === undefined ? {} : { info }),
  });
  const values = outputIds.map(
    (id, index): ValueData => Object.freeze({ id, shape: Object.freeze(spec.outputShapes[index]!.slice()), producer: nodeId, index }),
  );
  return { node, values };
}

/** Runs a clone helper, turning its complaint into a `GraphError` that names `who`. */
export function guard<T>(who: string, clone: () => T): T {
  try {
    return clone();
  } catch (e) {
    if (e instanceof AttrProblem) throw new GraphError(`${who}: ${e.path}: ${e.reason}`);
    throw e;
  }
}

/** Throws unless `text` is undefined or a string within the format's length limit. */
export function checkText(who: string, field: string, text: unknown): void {
  if (text === undefined) return;
  if (typeof text !== 'string') throw new GraphError(`${who}: ${field} must be a string`);
  if (text.length > MAX_TEXT_LENGTH) throw new GraphError(`${who}: ${field} is longer than ${MAX_TEXT_LENGTH} characters`);
}

/** Checks a cluster spec and returns the frozen cluster. */
export function materializeCluster(spec: ClusterSpec, clusterId: string, lookup: Lookup): ClusterData {
  checkText(`cluster ${clusterId}`, 'label', spec.label);
  if (spec.kind !== 'unroll' && spec.kind !== 'group') {
    throw new GraphError(`cluster ${clusterId} ('${spec.label}'): unknown kind '${String(spec.kind)}'`);
  }
  if (spec.parent !== undefined && !lookup.hasCluster(spec.parent)) {
    throw new GraphError(`cluster ${clusterId} ('${spec.label}'): parent cluster '${spec.parent}' does not exist`);
  }
  return Object.freeze({
    id: clusterId,
    label: spec.label,
    kind: spec.kind,
    ...(spec.parent === undefined ? {} : { parent: spec.parent }),
  });
}
