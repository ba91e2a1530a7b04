import type { AnyNode } from '../optimization/node.js';
import type { Plugin } from '../plugin.js';
import { WORKER_EXITED, sendReply } from './mailbox.js';
import { errorReply, type WorkerReply, type WorkerRequest } from './protocol.js';
import { createServer } from './serve.js';

/** What a worker is given when it starts. */
export interface ServeSetup {
  readonly index: number;
  /** Module URLs whose exported plugins provide the nodes. */
  readonly plugins: readonly string[];
  /** Worker `index` raises `signal[index]` for each reply chunk it writes to `box`. */
  readonly signal: Int32Array;
  readonly box: SharedArrayBuffer;
  readonly keepLimit: number;
}

/** Where requests arrive: a Node MessagePort or a browser worker's global scope. */
export interface RequestPort {
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  start?(): void;
  close?(): void;
}

/**
 * A worker's life, the same in Node and in browsers: listen for requests, import the plugin
 * modules, find their nodes by name and report them; then answer each request through the
 * mailbox until 'stop'.
 */
export async function serve(setup: ServeSetup, port: RequestPort): Promise<void> {
  const { signal, box, index } = setup;
  const reply = (r: WorkerReply): void => {
    try {
      sendReply(box, signal, index, r);
    } catch (e) {
      sendReply(box, signal, index, errorReply(e));
    }
  };
  let stopped = false;
  if (typeof process !== 'undefined' && typeof process.on === 'function') {
    process.on('exit', () => {
      if (stopped) return;
      Atomics.add(signal, index, WORKER_EXITED);
      Atomics.notify(signal, index);
    });
  }
  let handle: ((m: WorkerRequest) => WorkerReply | null) | null = null;
  let resolveDone = (): void => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  // Listening first: requests come only after 'ready', and none may arrive unheard.
  port.addEventListener('message', (event) => {
    const m = event.data as WorkerRequest;
    const r = handle ? handle(m) : errorReply(new Error('worker pool: a request before the worker was ready'));
    if (r !== null) reply(r);
    if (m.kind === 'stop') {
      stopped = true;
      port.close?.();
      resolveDone();
    }
  });
  port.start?.();
  try {
    const nodes = new Map<string, AnyNode>();
    for (const specifier of setup.plugins) {
      const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
      for (const value of Object.values(mod)) if (isPlugin(value)) for (const node of value.nodes ?? []) nodes.set(node.name, node);
    }
    handle = createServer(nodes, setup.keepLimit);
    reply({ kind: 'ready', nodes: [...nodes.keys()] });
  } catch (e) {
    reply(errorReply(e));
    return;
  }
  await done;
}

/** tinypool's task for a worker: its setup and its own request port. */
export function serveTask(task: ServeSetup & { readonly port: RequestPort }): Promise<void> {
  return serve(task, task.port);
}

/** In a browser worker's module script: `serveScope(self)`; the first message is the setup. */
export function serveScope(scope: RequestPort): void {
  let started = false;
  scope.addEventListener('message', (event) => {
    if (started) return;
    started = true;
    void serve(event.data as ServeSetup, scope);
  });
}

function isPlugin(v: unknown): v is Plugin {
  return typeof v === 'object' && v !== null && Array.isArray((v as Plugin).nodes) && typeof (v as Plugin).name === 'string';
}
