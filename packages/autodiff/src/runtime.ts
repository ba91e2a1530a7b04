import { checkPlugins, parseGraph, satisfiesRange, type Graph, type PluginManifest } from '@argmin/graph';
import { compileGraph, type CompiledGraph, type CompileOptions } from './compile.js';
import { PluginError } from './errors.js';
import type { AnyOp } from './ops/define-op.js';
import type { AnyNode } from './optimization/node.js';
import { ARGMIN_API_VERSION, type Plugin } from './plugin.js';
import { corePlugin } from './core-plugin.js';

/** Typed tables of the ops and nodes a list of plugins provides. */
export interface Runtime {
  readonly apiVersion: string;
  readonly plugins: readonly Plugin[];
  op(name: string): AnyOp | undefined;
  node(name: string): AnyNode | undefined;
  /** What each plugin provides, in the form saved graphs are checked against. */
  manifests(): PluginManifest[];
  /**
   * Parses and validates a saved graph (text or parsed JSON) and checks that every op it names
   * is provided by a plugin of this runtime; the error names the op, the plugin and versions.
   */
  loadGraph(json: string | unknown): Graph;
  /**
   * The graph as a function of its inputs that evaluates every op and optimization node through
   * this runtime's plugins and is differentiable with `vjp`/`grad`; see `compileGraph`.
   */
  compile(graph: Graph, options?: CompileOptions): CompiledGraph;
}

export interface RuntimeOptions {
  /** Plugins beside the core ops, which are always present. */
  readonly plugins?: readonly Plugin[];
}

export function createRuntime({ plugins = [] }: RuntimeOptions = {}): Runtime {
  const all = [corePlugin, ...plugins];
  const ops = new Map<string, { op: AnyOp; plugin: Plugin }>();
  const nodes = new Map<string, { node: AnyNode; plugin: Plugin }>();
  for (const plugin of all) {
    if (!satisfiesRange(ARGMIN_API_VERSION, plugin.argminApi)) {
      throw new PluginError(
        `plugin '${plugin.name}' ${plugin.version} needs argmin plugin API ${plugin.argminApi}, but this runtime implements ${ARGMIN_API_VERSION}`,
      );
    }
    for (const op of plugin.ops ?? []) {
      const prev = ops.get(op.name) ?? nodes.get(op.name);
      if (prev) throw new PluginError(`op '${op.name}' is provided by both '${prev.plugin.name}' and '${plugin.name}'`);
      ops.set(op.name, { op, plugin });
    }
    for (const node of plugin.nodes ?? []) {
      const prev = ops.get(node.name) ?? nodes.get(node.name);
      if (prev) throw new PluginError(`node '${node.name}' is provided by both '${prev.plugin.name}' and '${plugin.name}'`);
      nodes.set(node.name, { node, plugin });
    }
  }
  const manifests = (): PluginManifest[] =>
    all.map((p) => ({
      name: p.name,
      version: p.version,
      argminApi: p.argminApi,
      ops: [...(p.ops ?? []).map((o) => o.name), ...(p.nodes ?? []).map((n) => n.name)],
    }));
  const runtime: Runtime = {
    apiVersion: ARGMIN_API_VERSION,
    plugins: all,
    op: (name) => ops.get(name)?.op,
    node: (name) => nodes.get(name)?.node,
    manifests,
    loadGraph(json) {
      const graph = parseGraph(typeof json === 'string' ? json : JSON.stringify(json));
      // Every op must be provided: by the core ops or by some plugin of this runtime.
      checkPlugins(graph, manifests(), ARGMIN_API_VERSION, { coreOps: (corePlugin.ops ?? []).map((o) => o.name) });
      return graph;
    },
    compile(graph, options) {
      return compileGraph(runtime, graph, options);
    },
  };
  return runtime;
}
