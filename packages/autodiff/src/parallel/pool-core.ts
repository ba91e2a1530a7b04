import { ArgminError, InvalidInputError } from '../errors.js';
import { signalChanged, takeReply } from './mailbox.js';
import { defaultWorkerPool, setDefaultWorkerPool, type WorkerPool } from './pool.js';
import { rethrow, type WorkerRequest } from './protocol.js';

/** How a pool reaches its threads: the only part that differs between Node and browsers. */
export interface WorkerTransport {
  readonly size: number;
  readonly signal: Int32Array;
  readonly boxes: readonly SharedArrayBuffer[];
  /** Posts a request to worker w (a structured clone: shared buffers are shared, not copied). */
  send(worker: number, message: WorkerRequest): void;
  /** Rejects if worker w stops while starting. */
  started(worker: number): Promise<unknown>;
  /** Ends the threads after they were asked to stop. */
  terminate(): Promise<void>;
}

export interface PoolSettings {
  readonly minBatch: number;
  readonly makeDefault: boolean;
}

/**
 * A pool over a transport: waits (asynchronously) for every worker's 'ready', then exchanges
 * requests and replies synchronously (see `WorkerPool`).
 */
export async function startPool(transport: WorkerTransport, settings: PoolSettings): Promise<WorkerPool> {
  const { size, signal, boxes } = transport;
  const seen = new Int32Array(size);
  const nodes = new Set<string>();
  try {
    for (let w = 0; w < size; w++) {
      // Start-up needs this thread's event loop (module loading, the pool library's messages): wait without blocking.
      await Promise.race([signalChanged(signal, w, 0), transport.started(w)]);
      const ready = takeReply(boxes[w]!, signal, seen, w);
      if (ready.kind === 'error') rethrow(ready, 'openWorkerPool');
      if (ready.kind === 'ready') for (const n of ready.nodes) nodes.add(n);
    }
  } catch (e) {
    await transport.terminate();
    throw e instanceof ArgminError ? e : new ArgminError(`openWorkerPool: ${(e as Error).message}`);
  }
  let closed = false;
  let exchanges = 0;
  const take = (w: number) => {
    try {
      return takeReply(boxes[w]!, signal, seen, w);
    } catch (e) {
      closed = true;
      void transport.terminate();
      throw new ArgminError(`worker pool: ${(e as Error).message}; the pool is closed`);
    }
  };
  const send = (worker: number, message: WorkerRequest): void => {
    try {
      transport.send(worker, message);
    } catch (e) {
      // e.g. a DataCloneError: an option holding code or a class instance.
      throw new InvalidInputError(
        `${'node' in message ? message.node : 'worker pool'}: cannot send the call to a worker: ${(e as Error).message}`,
      );
    }
  };
  const pool: WorkerPool = {
    size,
    minBatch: settings.minBatch,
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
        for (const worker of sent) take(worker);
        throw e;
      }
      return sent.map(take);
    },
    post: send,
    async close() {
      if (closed) return;
      closed = true;
      if (defaultWorkerPool() === pool) setDefaultWorkerPool(null);
      for (let w = 0; w < size; w++) transport.send(w, { kind: 'stop' });
      await transport.terminate();
    },
  };
  if (settings.makeDefault) setDefaultWorkerPool(pool);
  return pool;
}
