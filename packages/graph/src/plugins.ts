/**
 * Checks that a graph can run with a given set of plugins: every plugin accepts the runtime's
 * API version, and every op a graph names is provided. Plugins are plain manifests passed in
 * explicitly; there is no registry.
 */
import { type AvailablePlugin, IncompatiblePluginError, type MissingOp, MissingPluginError } from './errors.js';
import { own } from './data.js';
import { satisfiesRange } from './semver.js';
import type { Graph, PluginManifest } from './types.js';

/** The ops of one plugin that a graph uses. `plugin` is undefined for nodes that declare none. */
export interface RequiredOps {
  readonly plugin: string | undefined;
  readonly ops: readonly string[];
}

/**
 * The op names of the graph's `op` and `optimization` nodes, grouped by the plugin each node
 * declares: sorted, without repeats, the group of nodes declaring no plugin first.
 */
export function requiredOps(graph: Graph): readonly RequiredOps[] {
  const groups = new Map<string | undefined, Set<string>>();
  for (const id of graph.nodeOrder) {
    const node = own(graph.nodes, id);
    if (node === undefined || (node.kind !== 'op' && node.kind !== 'optimization')) continue;
    let ops = groups.get(node.plugin);
    if (ops === undefined) groups.set(node.plugin, (ops = new Set()));
    ops.add(node.op);
  }
  return [...groups]
    .map(([plugin, ops]) => ({ plugin, ops: [...ops].sort() }))
    .sort((a, b) => (a.plugin === undefined ? -1 : b.plugin === undefined ? 1 : a.plugin.localeCompare(b.plugin)));
}

export interface CheckPluginsOptions {
  /**
   * Ops the runtime provides itself (autodiff's core ops). If given, an op of a node that
   * declares no plugin must be one of these or be provided by some plugin; if omitted, such
   * nodes are assumed to be core ops and are not checked.
   */
  readonly coreOps?: Iterable<string>;
}

/**
 * Throws `IncompatiblePluginError` if a plugin's `argminApi` range does not accept `apiVersion`,
 * then `MissingPluginError` if a node's op is not provided: a node that declares a plugin needs
 * a loaded plugin of that name providing its op; a node without one needs its op in `coreOps`
 * (when given) or in any plugin.
 */
export function checkPlugins(
  graph: Graph,
  manifests: readonly PluginManifest[],
  apiVersion: string,
  options: CheckPluginsOptions = {},
): void {
  for (const m of manifests) {
    if (!satisfiesRange(apiVersion, m.argminApi)) throw new IncompatiblePluginError(m.name, m.version, m.argminApi, apiVersion);
  }
  const core = options.coreOps === undefined ? undefined : new Set(options.coreOps);
  const provided = manifests.map((m) => ({ manifest: m, ops: new Set(m.ops) }));
  const missing: MissingOp[] = [];
  const reported = new Set<string>();

  for (const id of graph.nodeOrder) {
    const node = own(graph.nodes, id);
    if (node === undefined || (node.kind !== 'op' && node.kind !== 'optimization')) continue;
    const ok =
      node.plugin === undefined
        ? core === undefined || core.has(node.op) || provided.some((p) => p.ops.has(node.op))
        : provided.some((p) => p.manifest.name === node.plugin && p.ops.has(node.op));
    const key = `${node.plugin ?? ''}\u0000${node.op}`;
    if (ok || reported.has(key)) continue;
    reported.add(key);
    missing.push(node.plugin === undefined ? { op: node.op, node: id } : { op: node.op, plugin: node.plugin, node: id });
  }

  const [first, ...rest] = missing;
  if (first === undefined) return;
  const available: AvailablePlugin[] = provided.map((p) => ({
    name: p.manifest.name,
    version: p.manifest.version,
    providesOp: p.ops.has(first.op),
  }));
  throw new MissingPluginError([first, ...rest], available);
}
