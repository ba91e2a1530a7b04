import { PluginError } from './errors.js';
import type { AnyOp } from './ops/define-op.js';
import type { AnyNode } from './optimization/node.js';

/** The plugin API version this runtime implements; plugins declare a semver range of it. */
export const ARGMIN_API_VERSION = '1.0.0';

/**
 * A plugin is a plain value listing what it contributes. Nothing is registered at import time:
 * a runtime is built from an explicit list of plugins with `createRuntime`.
 */
export interface Plugin {
  /** Package-like name, e.g. '@argmin/nodes-convex'. */
  readonly name: string;
  readonly version: string;
  /** Semver range of the argmin plugin API it is written against, e.g. '^1'. */
  readonly argminApi: string;
  readonly ops?: readonly AnyOp[];
  readonly nodes?: readonly AnyNode[];
}

/** Checks a plugin's declaration (names present and unique) and returns it unchanged. */
export function definePlugin<T extends Plugin>(plugin: T): T {
  const where = `definePlugin(${JSON.stringify(plugin.name)})`;
  if (!plugin.name) throw new PluginError(`${where}: a plugin needs a name`);
  if (!/^\d+\.\d+\.\d+/.test(plugin.version ?? '')) throw new PluginError(`${where}: version '${plugin.version}' is not a semver version`);
  if (!plugin.argminApi) throw new PluginError(`${where}: argminApi (a semver range such as '^1') is required`);
  const seen = new Set<string>();
  for (const name of [...(plugin.ops ?? []).map((o) => o.name), ...(plugin.nodes ?? []).map((n) => n.name)]) {
    if (seen.has(name)) throw new PluginError(`${where}: '${name}' is declared twice`);
    seen.add(name);
  }
  return plugin;
}
