/**
 * @argmin/graph: the graph IR of argmin. Only what this file exports is public.
 * @packageDocumentation
 */

// Data model (plain, immutable data; the same in memory and in JSON).
export type {
  AttrValue,
  Attrs,
  ClusterData,
  Graph,
  GraphJSON,
  NodeData,
  NodeKind,
  PluginManifest,
  SolveInfoData,
  Strategy,
  ValueData,
  ValueSummary,
} from './types.js';

// Errors.
export {
  type AvailablePlugin,
  GraphError,
  GraphFormatError,
  type GraphIssue,
  type GraphIssueCode,
  GraphValidationError,
  IncompatiblePluginError,
  type MissingOp,
  MissingPluginError,
} from './errors.js';

// Building (fast, mutable) and editing (immutable).
export type { ClusterSpec, NodeSpec } from './spec.js';
export { type AddedNode, GraphBuilder } from './build.js';
export {
  addCluster,
  addNode,
  assignCluster,
  emptyGraph,
  relabel,
  relabelValue,
  type RemoveOptions,
  removeNode,
  setAttrs,
  setGradNorm,
  setInfo,
  setOutputs,
  setValueSummary,
} from './edit.js';

// Traversal and structure.
export { ancestors, descendants, pathBetween, reverseTopologicalOrder, topologicalOrder } from './traverse.js';
export { type StructureEdgeLabel, type StructureGraph, type StructureNodeLabel, toGraphlib } from './structure.js';

// Validation.
export { assertValidGraph, type ShapeRule, type ShapeRules, type ValidateOptions, validateGraph } from './validate.js';

// JSON format.
export { fromJSON, GRAPH_FORMAT_VERSION, type LoadOptions, parseGraph, serializeGraph, toJSON } from './json.js';
export { graphJsonSchema, graphJsonSchemaAsJSONSchema } from './schema.js';
export {
  MAX_ATTR_DEPTH,
  MAX_ATTR_STRING_LENGTH,
  MAX_ID_LENGTH,
  MAX_RANK,
  MAX_STATUS_LENGTH,
  MAX_TEXT_LENGTH,
} from './limits.js';

// Plugins.
export { type CheckPluginsOptions, checkPlugins, type RequiredOps, requiredOps } from './plugins.js';
export { satisfiesRange } from './semver.js';
