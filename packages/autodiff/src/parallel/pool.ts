import type { WorkerReply, WorkerRequest } from './protocol.js';

/**
 * A pool of worker threads that solve slices of a node call's batch. The call stays
 * synchronous: `exchange` posts one request per worker and blocks (Atomics.wait) until every
 * reply is in, so a node call with `workers` returns its outputs like any other call and its
 * backward pass runs inside the ordinary (synchronous) `grad`. Blocking is allowed on Node's
 * main thread and in workers (Node's or a browser's), not on a browser's main thread.
 */
export interface WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  /** Calls with a smaller batch run in-thread even when they ask for workers (the crossover). */
  readonly minBatch: number;
  /** Names of the nodes the workers rebuilt from the pool's plugins. */
  readonly nodes: ReadonlySet<string>;
  readonly closed: boolean;
  /** Exchanges made so far (one per parallel forward or backward), for tests and tools. */
  readonly exchanges: number;
  /**
   * Sends each request to its worker as the iterable yields it (a request can be built while
   * earlier workers already compute), then waits for all replies; replies in request order.
   */
  exchange(requests: Iterable<{ readonly worker: number; readonly message: WorkerRequest }>): WorkerReply[];
  /** Sends a message that has no reply (e.g. releasing the state a worker keeps for a backward). */
  post(worker: number, message: WorkerRequest): void;
  /** Stops the workers. Calls that name this pool afterwards are typed errors. */
  close(): Promise<void>;
}

let current: WorkerPool | null = null;

/** The pool that `workers: n` uses: the last one opened and not closed (null if none). */
export function defaultWorkerPool(): WorkerPool | null {
  return current !== null && !current.closed ? current : null;
}

/** Makes `pool` the one `workers: n` uses (null: none; such calls become typed errors). */
export function setDefaultWorkerPool(pool: WorkerPool | null): void {
  current = pool;
}

export function isWorkerPool(v: unknown): v is WorkerPool {
  return (
    typeof v === 'object' && v !== null && typeof (v as WorkerPool).exchange === 'function' && typeof (v as WorkerPool).size === 'number'
  );
}
