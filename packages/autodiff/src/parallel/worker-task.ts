import type { MessagePort } from 'node:worker_threads';
import type { AnyNode } from '../optimization/node.js';
import type { Plugin } from '../plugin.js';
import { createServer } from './serve.js';
import { errorReply, type WorkerReply, type WorkerRequest } from './protocol.js';

/** What the pool hands each worker when it starts (the one long-running task of that worker). */
export interface ServeTask {
  readonly index: number;
  readonly plugins: readonly string[];
  readonly port: MessagePort;
  /** Worker `index` increments `signal[index]` after posting each reply, and notifies. */
  readonly signal: Int32Array;
  readonly keepLimit: number;
}

/** Added to a worker's signal when its thread exits, so a caller blocked on it wakes and fails. */
export const WORKER_EXITED = 1 << 30;

/**
 * A worker's life: import the plugin modules, find their nodes by name, report them, then
 * answer requests from its port until 'stop'. Each reply is posted before the signal is raised,
 * so the blocked caller finds it with `receiveMessageOnPort` as soon as it wakes.
 */
export async function serve(task: ServeTask): Promise<void> {
  const { port, signal, index } = task;
  const reply = (r: WorkerReply): void => {
    try {
      port.postMessage(r);
    } catch (e) {
      port.postMessage(errorReply(e));
    }
    Atomics.add(signal, index, 1);
    Atomics.notify(signal, index);
  };
  let stopped = false;
  process.on('exit', () => {
    if (stopped) return;
    Atomics.add(signal, index, WORKER_EXITED);
    Atomics.notify(signal, index);
  });
  let handle: (m: WorkerRequest) => WorkerReply | null;
  try {
    const nodes = new Map<string, AnyNode>();
    for (const specifier of task.plugins) {
      const mod = (await import(specifier)) as Record<string, unknown>;
      for (const value of Object.values(mod)) if (isPlugin(value)) for (const node of value.nodes ?? []) nodes.set(node.name, node);
    }
    handle = createServer(nodes, task.keepLimit);
    reply({ kind: 'ready', nodes: [...nodes.keys()] });
  } catch (e) {
    reply(errorReply(e));
    return;
  }
  await new Promise<void>((resolve) => {
    port.on('message', (m: WorkerRequest) => {
      const r = handle(m);
      if (r !== null) reply(r);
      if (m.kind === 'stop') {
        stopped = true;
        port.close();
        resolve();
      }
    });
  });
}

function isPlugin(v: unknown): v is Plugin {
  return typeof v === 'object' && v !== null && Array.isArray((v as Plugin).nodes) && typeof (v as Plugin).name === 'string';
}
