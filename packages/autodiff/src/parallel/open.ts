import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { ArgminError, InvalidInputError, PluginError } from '../errors.js';
import { setDefaultWorkerPool, defaultWorkerPool, type WorkerPool } from './pool.js';
import { rethrow, type WorkerReply, type WorkerRequest } from './protocol.js';
import { WORKER_EXITED, type ServeTask } from './worker-task.js';

export interface WorkerPoolOptions {
  /** Number of worker threads (at most the machine's cores pays). */
  readonly size: number;
  /** Module specifiers (absolute URLs or paths; resolve bare names with import.meta.resolve) whose exported plugins the workers load. */
  readonly plugins: readonly (string | URL)[];
  /** Calls with a smaller batch run in-thread (default 8: below it the exchange costs more than it saves, docs/performance.md). */
  readonly minBatch?: number;
  /**
   * Node calls whose slices a worker keeps for their backward before evicting the oldest
   * (default 32). Kept slices are released when the call's tape is collected, which in a loop
   * that never yields to the event loop is never: this bounds the memory they hold.
   */
  readonly keepLimit?: number;
  /** Node flags of the workers (default: the process's; from TypeScript sources, `--conditions=source` and a tsx loader). */
  readonly execArgv?: readonly string[];
  /** Make it the pool `workers: n` uses (default true). */
  readonly makeDefault?: boolean;
}

const sourceMode = import.meta.url.endsWith('.ts');

/**
 * Opens a pool of worker threads (tinypool) that can solve the batches of the plugins' nodes:
 * `qp(params, { workers: 2 })`. Opening is asynchronous (each worker imports the plugins once);
 * calls are then synchronous. Close it with `await pool.close()` (open workers keep the process alive).
 */
export async function openWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const { size, plugins } = options;
  if (!Number.isInteger(size) || size < 1)
    throw new InvalidInputError(`openWorkerPool: option 'size' must be a positive integer, got ${String(size)}`);
  if (!Array.isArray(plugins) || plugins.length === 0 || !plugins.every((p) => typeof p === 'string' || p instanceof URL)) {
    throw new InvalidInputError("openWorkerPool: option 'plugins' must be a non-empty array of module specifiers (strings or URLs)");
  }
  const minBatch = options.minBatch ?? 8;
  const keepLimit = options.keepLimit ?? 32;
  if (!Number.isInteger(keepLimit) || keepLimit < 0)
    throw new InvalidInputError(`openWorkerPool: option 'keepLimit' must be an integer ≥ 0, got ${String(keepLimit)}`);
  if (!Number.isInteger(minBatch) || minBatch < 0)
    throw new InvalidInputError(`openWorkerPool: option 'minBatch' must be an integer ≥ 0, got ${String(minBatch)}`);
  const specifiers = plugins.map((p) => (p instanceof URL ? p.href : p.startsWith('/') ? new URL(`file://${p}`).href : p));
  const serveUrl = new URL(`./worker-task${sourceMode ? '.ts' : '.js'}`, import.meta.url).href;
  // Under a TypeScript loader the workers need one too: tsx's `register` (Node 20 workers do not honour `--import`).
  const loader = sourceMode ? import.meta.resolve('tsx/esm/api') : null;
  const entry = [
    'export default async function (task) {',
    loader ? `  (await import(${JSON.stringify(loader)})).register();` : '',
    `  return (await import(${JSON.stringify(serveUrl)})).serve(task);`,
    '}',
  ].join('\n');
  const pool = new Tinypool({
    filename: new URL(`data:text/javascript,${encodeURIComponent(entry)}`),
    minThreads: size,
    maxThreads: size,
    concurrentTasksPerWorker: 1,
    isolateWorkers: false,
    ...(options.execArgv ? { execArgv: [...options.execArgv] } : sourceMode ? { execArgv: ['--conditions=source'] } : {}),
  });
  const signal = new Int32Array(new SharedArrayBuffer(4 * size));
  const ports: MessagePort[] = [];
  const tasks: Promise<unknown>[] = [];
  for (let index = 0; index < size; index++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const task: ServeTask = { index, plugins: specifiers, port: port2 as ServeTask['port'], signal, keepLimit };
    tasks.push(pool.run(task, { transferList: [port2] }));
  }
  const seen = new Int32Array(size);
  const nodes = new Set<string>();
  try {
    for (let w = 0; w < size; w++) {
      // Wait without blocking: the pool's own start-up messages need this thread's event loop.
      const wait = (
        Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { value: Promise<string> | string } }
      ).waitAsync(signal, w, 0).value;
      await Promise.race([
        wait,
        tasks[w]!.then(() => Promise.reject(new PluginError(`openWorkerPool: worker ${w} stopped while starting`))),
      ]);
      const ready = take(ports[w]!, seen, signal, w);
      if (ready.kind === 'error') rethrow(ready, 'openWorkerPool');
      if (ready.kind === 'ready') for (const n of ready.nodes) nodes.add(n);
    }
  } catch (e) {
    await pool.destroy();
    throw e;
  }
  let closed = false;
  let exchanges = 0;
  const workerPool: WorkerPool = {
    size,
    minBatch,
    nodes,
    get closed() {
      return closed;
    },
    get exchanges() {
      return exchanges;
    },
    exchange(requests) {
      if (closed) throw new ArgminError('worker pool: the pool is closed');
      exchanges++;
      const sent: number[] = [];
      try {
        for (const { worker, message } of requests) {
          send(worker, message);
          sent.push(worker);
        }
      } catch (e) {
        // Every request posted gets its reply taken, even when a later one could not be built or sent.
        for (const worker of sent) take(ports[worker]!, seen, signal, worker);
        throw e;
      }
      return sent.map((worker) => {
        try {
          return take(ports[worker]!, seen, signal, worker);
        } catch (e) {
          closed = true;
          void pool.destroy();
          throw e;
        }
      });
    },
    post: send,
    async close() {
      if (closed) return;
      closed = true;
      if (defaultWorkerPool() === workerPool) setDefaultWorkerPool(null);
      for (let w = 0; w < size; w++) ports[w]!.postMessage({ kind: 'stop' } satisfies WorkerRequest);
      await Promise.allSettled(tasks);
      await pool.destroy();
    },
  };
  if (options.makeDefault !== false) setDefaultWorkerPool(workerPool);
  return workerPool;

  function send(worker: number, message: WorkerRequest): void {
    try {
      ports[worker]!.postMessage(message);
    } catch (e) {
      // e.g. a DataCloneError: an option holding code or a class instance.
      throw new InvalidInputError(
        `${'node' in message ? message.node : 'worker pool'}: cannot send the call to a worker: ${(e as Error).message}`,
      );
    }
  }
}

/** Blocks until worker w has posted its next reply, and takes it from the port. */
function take(port: MessagePort, seen: Int32Array, signal: Int32Array, w: number): WorkerReply {
  const expected = ++seen[w]!;
  for (let v = Atomics.load(signal, w); v < expected; v = Atomics.load(signal, w)) Atomics.wait(signal, w, v);
  if (Atomics.load(signal, w) >= WORKER_EXITED) throw new ArgminError(`worker pool: worker ${w} exited; the pool is closed`);
  for (;;) {
    const got = receiveMessageOnPort(port);
    if (got !== undefined) return got.message as WorkerReply;
    Atomics.wait(signal, w, Atomics.load(signal, w), 1);
  }
}
