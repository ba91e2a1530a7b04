import { MessageChannel } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { PluginError } from '../errors.js';
import { createMailbox } from './mailbox.js';
import { checkPoolOptions, type WorkerPoolOptions } from './options.js';
import type { WorkerPool } from './pool.js';
import { startPool } from './pool-core.js';
import type { ServeSetup } from './worker-task.js';

export interface NodeWorkerPoolOptions extends WorkerPoolOptions {
  /** Node flags of the workers (default: the process's; from TypeScript sources, `--conditions=source` and a tsx loader). */
  readonly execArgv?: readonly string[];
}

const sourceMode = import.meta.url.endsWith('.ts');

/**
 * Opens a pool of worker threads (tinypool) that can solve the batches of the plugins' nodes:
 * `qp(params, { workers: 2 })`. Opening is asynchronous (each worker imports the plugins once);
 * calls are then synchronous. Close it with `await pool.close()` (open workers keep the process alive).
 */
export async function openWorkerPool(options: NodeWorkerPoolOptions): Promise<WorkerPool> {
  const o = checkPoolOptions('openWorkerPool', options);
  const serveUrl = new URL(`./worker-task${sourceMode ? '.ts' : '.js'}`, import.meta.url).href;
  // Under a TypeScript loader the workers need one too: tsx's `register` (Node 20 workers do not honour `--import`).
  const loader = sourceMode ? import.meta.resolve('tsx/esm/api') : null;
  const entry = [
    'export default async function (task) {',
    loader ? `  (await import(${JSON.stringify(loader)})).register();` : '',
    `  return (await import(${JSON.stringify(serveUrl)})).serveTask(task);`,
    '}',
  ].join('\n');
  // The pool library runs one long task per worker (its request loop); calls then bypass its
  // queue, whose results need this thread's event loop (a blocked caller would deadlock on it).
  const pool = new Tinypool({
    filename: new URL(`data:text/javascript,${encodeURIComponent(entry)}`),
    minThreads: o.size,
    maxThreads: o.size,
    concurrentTasksPerWorker: 1,
    isolateWorkers: false,
    ...(options.execArgv ? { execArgv: [...options.execArgv] } : sourceMode ? { execArgv: ['--conditions=source'] } : {}),
  });
  const signal = new Int32Array(new SharedArrayBuffer(4 * o.size));
  const boxes = Array.from({ length: o.size }, () => createMailbox(o.mailboxBytes));
  const ports = Array.from({ length: o.size }, () => new MessageChannel());
  const tasks = ports.map(({ port2 }, index) => {
    const task: ServeSetup & { port: unknown } = {
      index,
      plugins: o.plugins,
      signal,
      box: boxes[index]!,
      keepLimit: o.keepLimit,
      port: port2,
    };
    return pool.run(task, { transferList: [port2] });
  });
  return startPool(
    {
      size: o.size,
      signal,
      boxes,
      send: (w, message) => ports[w]!.port1.postMessage(message),
      started: (w) => tasks[w]!.then(() => Promise.reject(new PluginError(`openWorkerPool: worker ${w} stopped while starting`))),
      async terminate() {
        await Promise.race([Promise.allSettled(tasks), new Promise((r) => setTimeout(r, 1000))]);
        for (const { port1 } of ports) port1.close();
        await pool.destroy();
      },
    },
    o,
  );
}
