/**
 * Typed errors of the graph package. Every error is a `GraphError`, so callers can catch the
 * package's failures with one `instanceof` and tell them apart by subclass.
 */

/** Base class of every error thrown by `@argmin/graph`. */
export class GraphError extends Error {
  override name = 'GraphError';
}

/** What a validation issue is about; stable strings that tests and tools may switch on. */
export type GraphIssueCode =
  | 'cycle'
  | 'key-mismatch'
  | 'node-order'
  | 'id-collision'
  | 'dangling-input'
  | 'missing-output-value'
  | 'producer-mismatch'
  | 'produced-twice'
  | 'orphan-value'
  | 'source-with-inputs'
  | 'optimization-fields'
  | 'invalid-shape'
  | 'invalid-attrs'
  | 'missing-cluster'
  | 'cluster-parent-missing'
  | 'cluster-cycle'
  | 'graph-output-missing'
  | 'shape-mismatch'
  | 'shape-rule-error';

/**
 * One problem found in a graph. `message` is complete on its own (it names the node id, op and
 * label); the id fields let tools point at the culprit without parsing the message.
 */
export interface GraphIssue {
  readonly code: GraphIssueCode;
  readonly message: string;
  readonly node?: string;
  readonly value?: string;
  readonly cluster?: string;
}

const SHOWN_ISSUES = 5;

/** A graph breaks one or more structural invariants; `issues` lists all of them. */
export class GraphValidationError extends GraphError {
  override name = 'GraphValidationError';
  readonly issues: readonly GraphIssue[];

  constructor(issues: readonly GraphIssue[], context = 'invalid graph') {
    const shown = issues.slice(0, SHOWN_ISSUES).map((i) => `  - ${i.message}`);
    const more = issues.length > SHOWN_ISSUES ? [`  … and ${issues.length - SHOWN_ISSUES} more`] : [];
    const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
    super([`${context} (${count}):`, ...shown, ...more].join('\n'));
    this.issues = issues;
  }
}

/**
 * A graph file could not be read: not JSON, the wrong format or version, a value of the wrong
 * type, a resource limit exceeded, duplicate ids. `path` locates the first problem in the
 * document, dot-separated (e.g. `nodes.3.inputs`), or is empty for the document itself.
 */
export class GraphFormatError extends GraphError {
  override name = 'GraphFormatError';
  readonly path: string;

  constructor(message: string, path = '') {
    super(path === '' ? message : `${path}: ${message}`);
    this.path = path;
  }
}

/** A plugin as offered to a runtime, for error messages. */
export interface AvailablePlugin {
  readonly name: string;
  readonly version: string;
  /** Whether this plugin provides the op in question. */
  readonly providesOp: boolean;
}

/** An op a graph needs and no loaded plugin provides. */
export interface MissingOp {
  readonly op: string;
  /** The plugin the node declares, if any. */
  readonly plugin?: string;
  /** The first node that needs it. */
  readonly node: string;
}

/**
 * A graph names an op that no loaded plugin provides. The message names the op, the plugin the
 * node declares and the plugins (with versions) that are loaded; `missing` lists every such op.
 */
export class MissingPluginError extends GraphError {
  override name = 'MissingPluginError';
  readonly op: string;
  readonly plugin: string | undefined;
  readonly node: string;
  readonly available: readonly AvailablePlugin[];
  readonly missing: readonly MissingOp[];

  constructor(missing: readonly [MissingOp, ...MissingOp[]], available: readonly AvailablePlugin[]) {
    const first = missing[0];
    const named = available.find((p) => p.name === first.plugin);
    const wanted =
      first.plugin === undefined
        ? `op '${first.op}' (node ${first.node}) is not provided by any loaded plugin`
        : named === undefined
          ? `op '${first.op}' (node ${first.node}) needs plugin '${first.plugin}', which is not loaded`
          : `op '${first.op}' (node ${first.node}) needs plugin '${first.plugin}', but ${named.name}@${named.version} does not provide it`;
    const loaded =
      available.length === 0
        ? 'no plugins are loaded'
        : `loaded: ${available.map((p) => `${p.name}@${p.version}${p.providesOp ? ` (provides '${first.op}')` : ''}`).join(', ')}`;
    const others =
      missing.length > 1
        ? `; also missing: ${missing
            .slice(1)
            .map((m) => `'${m.op}'`)
            .join(', ')}`
        : '';
    const hint =
      first.plugin === undefined
        ? 'add the plugin that provides it to createRuntime({ plugins })'
        : `add a version of ${first.plugin} that provides it to createRuntime({ plugins })`;
    super(`${wanted}; ${loaded}${others}. Fix: ${hint}`);
    this.op = first.op;
    this.plugin = first.plugin;
    this.node = first.node;
    this.available = available;
    this.missing = missing;
  }
}

/** A plugin's `argminApi` range does not accept the runtime's API version. */
export class IncompatiblePluginError extends GraphError {
  override name = 'IncompatiblePluginError';

  constructor(
    readonly plugin: string,
    readonly pluginVersion: string,
    readonly range: string,
    readonly apiVersion: string,
  ) {
    super(
      `plugin ${plugin}@${pluginVersion} requires argmin API '${range}', but this runtime provides API ${apiVersion}; ` +
        `use a version of ${plugin} written for API ${apiVersion}`,
    );
  }
}
