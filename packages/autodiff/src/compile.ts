import { topologicalOrder, type Attrs, type AttrValue, type Graph, type NodeData } from '@argmin/graph';
import { InvalidInputError, PluginError } from './errors.js';
import { decodeTree, decodeValues } from './graph-values.js';
import type { AnyOp } from './ops/define-op.js';
import { WARM_START_PREFIX, applyNode } from './optimization/apply.js';
import type { AnyNode } from './optimization/node.js';
import type { Runtime } from './runtime.js';
import type { Tensor } from './tensor.js';
import { flatten } from './tree.js';

export interface CompileOptions {
  /**
   * Where parameter nodes get their values: 'stored' (default) uses the values saved in the
   * graph (`trace(…, { storeValues: true })`) and leaves them out of the compiled function's
   * arguments; 'arguments' takes every traced argument, parameters included, in traced order
   * (e.g. to differentiate with respect to the weights, or to run other weights).
   */
  readonly parameters?: 'stored' | 'arguments';
  /**
   * Options a graph file cannot hold (code: an MPC `dynamics` model, a CEM `objective`), given
   * by the program that runs the graph, per node name: `{ 'control.mpc': { dynamics: pendulum } }`.
   * They fill only what the trace recorded as `attrs.unserializable`; the file stays data.
   */
  readonly bind?: { readonly [node: string]: { readonly [option: string]: unknown } };
}

/** A graph as a function: same arguments (minus stored parameters) and result structure as the traced one. */
// biome-ignore lint/suspicious/noExplicitAny: a loaded graph's arguments and result have no static type; they mirror the traced call.
export type CompiledGraph = (...args: any[]) => any;

type Step = (values: Map<string, Tensor>) => void;

/** Attrs the trace adds for the viewer or the runner, never passed on to an op or a node. */
const META_ATTRS = new Set(['inputNames', 'unserializable', 'value']);

/**
 * Turns a loaded graph into a function that evaluates every node through the runtime's plugins:
 * ops by name with their recorded attrs, optimization nodes by name with their recorded options
 * and strategy (so they are differentiable exactly as in the traced program). Everything is
 * resolved and checked here, once; the returned function only computes.
 */
export function compileGraph(runtime: Runtime, graph: Graph, options: CompileOptions = {}): CompiledGraph {
  const order = topologicalOrder(graph);
  const signature = readSignature(graph);
  const useStored = (options.parameters ?? 'stored') === 'stored';
  const constants = new Map<string, Tensor>();
  const argSlots: { readonly node: string; readonly value: string }[] = [];
  const steps: Step[] = [];
  checkBindings(graph, options.bind);
  for (const id of order) {
    const node = graph.nodes[id]!;
    if (node.kind === 'input' || (node.kind === 'parameter' && !(useStored && node.attrs.value !== undefined))) {
      argSlots.push({ node: id, value: node.outputs[0]! });
    } else if (node.kind === 'parameter' || node.kind === 'constant') {
      constants.set(node.outputs[0]!, storedValue(graph, node));
    } else
      steps.push(node.kind === 'optimization' ? nodeStep(runtime, graph, node, options.bind?.[node.op]) : opStep(runtime, graph, node));
  }
  // Which traced arguments the compiled function takes, and how many leaves each has.
  const argKinds = signature.args.filter((a) => a.kind === 'input' || !useStored || !storedParams(graph));
  const outputs = graph.outputs;

  return (...args: unknown[]) => {
    const leaves = args.flatMap((a) => flatten(a).leaves);
    if (args.length !== argKinds.length || leaves.length !== argSlots.length) {
      throw new InvalidInputError(
        `graph '${graph.name}': expected ${argKinds.length} argument${argKinds.length === 1 ? '' : 's'} holding ${argSlots.length} tensor${argSlots.length === 1 ? '' : 's'}, got ${args.length} holding ${leaves.length}`,
      );
    }
    const values = new Map(constants);
    argSlots.forEach((slot, i) => {
      const t = leaves[i]!;
      const want = graph.values[slot.value]!.shape;
      if (t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
        throw new InvalidInputError(
          `graph '${graph.name}': input '${graph.nodes[slot.node]!.label ?? slot.node}' must have shape [${want.join(', ')}], got [${t.shape.join(', ')}]`,
        );
      }
      values.set(slot.value, t);
    });
    for (const step of steps) step(values);
    const result = outputs.map((v) => values.get(v)!);
    return signature.output === undefined ? (result.length === 1 ? result[0] : result) : decodeTree(signature.output, result);
  };
}

function storedParams(graph: Graph): boolean {
  return graph.nodeOrder.some((id) => graph.nodes[id]!.kind === 'parameter' && graph.nodes[id]!.attrs.value !== undefined);
}

function storedValue(graph: Graph, node: NodeData): Tensor {
  const v = graph.values[node.outputs[0]!]!;
  if (node.attrs.value === undefined) {
    throw new InvalidInputError(
      `graph '${graph.name}': ${node.kind} node '${node.id}' (${node.label ?? node.op}) has no stored value; trace with { storeValues: true } to run the graph`,
    );
  }
  return decodeValues(node.attrs.value, v.shape, `graph '${graph.name}', node '${node.id}'`);
}

function readSignature(graph: Graph): { args: { kind: string }[]; output: AttrValue | undefined } {
  const s = graph.signature as { readonly [k: string]: AttrValue } | undefined;
  if (s === undefined) {
    // A graph without a signature: every input node is one argument; outputs come back as a list.
    const args = graph.nodeOrder.filter((id) => graph.nodes[id]!.kind !== 'op' && graph.nodes[id]!.kind !== 'optimization');
    return {
      args: args.filter((id) => graph.nodes[id]!.kind !== 'constant').map((id) => ({ kind: graph.nodes[id]!.kind })),
      output: undefined,
    };
  }
  if (s === null || typeof s !== 'object' || Array.isArray(s) || !Array.isArray(s.args)) {
    throw new InvalidInputError(`graph '${graph.name}': signature must be an object with a list 'args'`);
  }
  const args = (s.args as AttrValue[]).map((a) => {
    const kind = a !== null && typeof a === 'object' && !Array.isArray(a) ? (a as Attrs).kind : undefined;
    if (kind !== 'input' && kind !== 'parameter')
      throw new InvalidInputError(`graph '${graph.name}': signature arg kind must be 'input' or 'parameter'`);
    return { kind };
  });
  return { args, output: s.output };
}

function missing(graph: Graph, node: NodeData, what: string): PluginError {
  const ns = node.op.includes('.') ? node.op.slice(0, node.op.indexOf('.')) : undefined;
  const hint = node.plugin ?? (ns !== undefined ? `the plugin of namespace '${ns}'` : 'the plugin that provides it');
  return new PluginError(
    `graph '${graph.name}', node '${node.id}': ${what} '${node.op}' is not provided by this runtime; add ${node.plugin ? `plugin '${hint}'` : hint} to createRuntime({ plugins })`,
  );
}

function opAttrs(attrs: Attrs): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs)) if (!META_ATTRS.has(k)) out[k] = v;
  return out;
}

function opStep(runtime: Runtime, graph: Graph, node: NodeData): Step {
  const op: AnyOp | undefined = runtime.op(node.op);
  if (op === undefined)
    throw missing(graph, node, runtime.node(node.op) ? 'op (a node of that name exists, but the graph calls it as an op)' : 'op');
  if (node.outputs.length !== 1)
    throw new InvalidInputError(
      `graph '${graph.name}', node '${node.id}': op '${node.op}' has one output, the graph lists ${node.outputs.length}`,
    );
  const attrs = opAttrs(node.attrs);
  const out = node.outputs[0]!;
  return (values) => {
    values.set(
      out,
      op.apply(
        node.inputs.map((v) => values.get(v)!),
        attrs,
      ),
    );
  };
}

/** Options of a node the file lost (functions, models), as recorded by the trace. */
function lostOptions(node: NodeData): string[] {
  const lost = node.attrs.unserializable;
  return Array.isArray(lost) ? lost.map(String) : [];
}

/** Every binding must fill an option some node of that name lost: a typo is an error, not ignored. */
function checkBindings(graph: Graph, bind: CompileOptions['bind']): void {
  for (const [op, values] of Object.entries(bind ?? {})) {
    const lost = new Set(graph.nodeOrder.filter((id) => graph.nodes[id]!.op === op).flatMap((id) => lostOptions(graph.nodes[id]!)));
    for (const k of Object.keys(values)) {
      if (!lost.has(k)) {
        throw new InvalidInputError(
          `graph '${graph.name}': compile option bind['${op}'].${k} fills nothing: no '${op}' node of the graph lost an option '${k}' (lost: ${[...lost].map((x) => `'${x}'`).join(', ') || 'none'})`,
        );
      }
    }
  }
}

function nodeStep(runtime: Runtime, graph: Graph, node: NodeData, bound: { readonly [option: string]: unknown } = {}): Step {
  const opt: AnyNode | undefined = runtime.node(node.op);
  if (opt === undefined) throw missing(graph, node, 'optimization node');
  const where = `graph '${graph.name}', node '${node.id}' (${node.op})`;
  const lost = lostOptions(node);
  const unbound = lost.filter((k) => !Object.hasOwn(bound, k));
  if (unbound.length > 0) {
    const many = unbound.length > 1;
    throw new InvalidInputError(
      `${where}: option${many ? 's' : ''} ${unbound.map((k) => `'${k}'`).join(', ')} ${many ? 'were' : 'was'} a function or object that a graph file cannot hold; give ${many ? 'them' : 'it'} when compiling, compile(graph, { bind: { '${node.op}': { ${unbound[0]}: … } } }), or rebuild the node in code`,
    );
  }
  const names = node.attrs.inputNames;
  const solutionKeys = Object.keys(opt.signature.solution);
  // Inputs are parameters by name, or a warm start's tensors as 'warmStart.<solution key>'.
  const warmKey = (n: string) => (n.startsWith(WARM_START_PREFIX) ? n.slice(WARM_START_PREFIX.length) : undefined);
  const known = (n: unknown) =>
    typeof n === 'string' && (Object.hasOwn(opt.signature.params, n) || (warmKey(n) !== undefined && solutionKeys.includes(warmKey(n)!)));
  if (!Array.isArray(names) || names.length !== node.inputs.length || !names.every(known) || new Set(names).size !== names.length) {
    throw new InvalidInputError(
      `${where}: attrs.inputNames must list, for each input, one parameter of the node or a 'warmStart.<solution key>', each once`,
    );
  }
  if (solutionKeys.length !== node.outputs.length) {
    throw new InvalidInputError(`${where}: the node has ${solutionKeys.length} outputs, the graph lists ${node.outputs.length}`);
  }
  const callOptions: Record<string, unknown> = { ...opAttrs(node.attrs) };
  // Defined, not assigned: a name from the file (even '__proto__') can only make an own key.
  for (const k of lost) Object.defineProperty(callOptions, k, { value: bound[k], enumerable: true, writable: true, configurable: true });
  if (callOptions.strategy === undefined && node.strategy !== undefined && node.strategy !== 'unroll') callOptions.strategy = node.strategy;
  if (node.label !== undefined && node.label !== node.op) callOptions.label = node.label;
  return (values) => {
    const params: Record<string, Tensor> = {};
    const warmStart: Record<string, Tensor> = {};
    (names as string[]).forEach((n, i) => {
      const w = warmKey(n);
      if (w === undefined) params[n] = values.get(node.inputs[i]!)!;
      else warmStart[w] = values.get(node.inputs[i]!)!;
    });
    const call = Object.keys(warmStart).length > 0 ? { ...callOptions, warmStart } : callOptions;
    const result = applyNode(opt, params, call) as unknown as Record<string, Tensor>;
    solutionKeys.forEach((k, i) => values.set(node.outputs[i]!, result[k]!));
  };
}
