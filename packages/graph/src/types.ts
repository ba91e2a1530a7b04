/**
 * The argmin graph IR. A graph is a DAG of nodes (op applications) connected through values
 * (tensors with a shape). Nodes may belong to clusters: named, nestable subgraphs such as the
 * unrolled iterations of a solver, which a viewer folds.
 *
 * The IR knows nothing of numerics: values carry shapes and optional summaries, never kernels.
 * Every structure here is plain data and is the same in memory and in JSON (format version 1).
 */

/** JSON-compatible attribute value. */
export type AttrValue = null | boolean | number | string | readonly AttrValue[] | { readonly [key: string]: AttrValue };

export type Attrs = { readonly [key: string]: AttrValue };

/**
 * What a node is, for validation and display:
 * - `input`: a value fed by the caller and differentiated against (no inputs);
 * - `parameter`: a learnable value (no inputs);
 * - `constant`: a value that is neither (no inputs);
 * - `op`: an ordinary differentiable operation;
 * - `optimization`: an optimization node (solves a problem; carries strategy and SolveInfo).
 */
export type NodeKind = 'input' | 'parameter' | 'constant' | 'op' | 'optimization';

export type Strategy = 'implicit' | 'unroll' | 'solve';

/** Per-batch-element solver report, as stored in a graph. */
export interface SolveInfoData {
  /** One status per batch element, e.g. 'converged', 'max_iter', 'infeasible', 'unbounded'. */
  readonly status: readonly string[];
  readonly iterations: readonly number[];
  /** Final residual per batch element. */
  readonly residual: readonly number[];
  /** Optional residual per iteration, per batch element (for convergence plots). */
  readonly history?: readonly (readonly number[])[] | undefined;
}

/** Summary statistics of a tensor value, recorded when a graph is traced. */
export interface ValueSummary {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly norm: number;
  /** The values themselves, row-major, when small enough to show (e.g. as a heatmap). */
  readonly data?: readonly number[] | undefined;
}

export interface ValueData {
  readonly id: string;
  readonly shape: readonly number[];
  /** The node that produces this value. */
  readonly producer: string;
  /** Which output of the producer it is. */
  readonly index: number;
  readonly label?: string | undefined;
  readonly summary?: ValueSummary | undefined;
  /** Norm of the gradient reaching this value, if a backward pass was recorded. */
  readonly gradNorm?: number | undefined;
}

export interface NodeData {
  readonly id: string;
  readonly kind: NodeKind;
  /** Op name, namespaced by its plugin for plugin ops, e.g. 'matmul' or 'convex.qp'. */
  readonly op: string;
  readonly label?: string | undefined;
  /** Value ids consumed, in argument order. */
  readonly inputs: readonly string[];
  /** Value ids produced, in output order. */
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
  /** Innermost cluster this node belongs to. */
  readonly cluster?: string | undefined;
  /** The plugin that provides `op`, for plugin ops. */
  readonly plugin?: string | undefined;
  /** For optimization nodes: the differentiation strategy used. */
  readonly strategy?: Strategy | undefined;
  /** For optimization nodes: the solver's report. */
  readonly info?: SolveInfoData | undefined;
}

export interface ClusterData {
  readonly id: string;
  readonly label: string;
  /** 'unroll' for the iterations of a solver, 'group' for any other named scope. */
  readonly kind: 'unroll' | 'group';
  readonly parent?: string | undefined;
}

/** A graph. Immutable: edit it with the functions of this package, which return new graphs. */
export interface Graph {
  readonly name: string;
  /** Nodes keyed by id; `nodeOrder` keeps their insertion order. */
  readonly nodes: { readonly [id: string]: NodeData };
  readonly nodeOrder: readonly string[];
  readonly values: { readonly [id: string]: ValueData };
  readonly clusters: { readonly [id: string]: ClusterData };
  /** Value ids that are the graph's results. */
  readonly outputs: readonly string[];
  /** Optional: the pytree structure of the traced function's arguments and result, for running the graph. */
  readonly signature?: AttrValue | undefined;
}

/** The JSON form of a graph (format 'argmin.graph', version 1). */
export interface GraphJSON {
  readonly format: 'argmin.graph';
  readonly version: 1;
  readonly name: string;
  readonly nodes: readonly NodeData[];
  readonly values: readonly ValueData[];
  readonly clusters: readonly ClusterData[];
  readonly outputs: readonly string[];
  readonly signature?: AttrValue | undefined;
}

/** What a plugin declares it provides: used to check that a saved graph can be loaded. */
export interface PluginManifest {
  readonly name: string;
  readonly version: string;
  /** Semver range of the argmin plugin API this plugin is written against, e.g. '^1'. */
  readonly argminApi: string;
  /** Op and node names the plugin provides. */
  readonly ops: readonly string[];
}
