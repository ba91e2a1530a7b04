import { MessageChannel, Worker } from 'node:worker_threads';
import { InvalidInputError, PluginError } from '../errors.js';
import { QUEUE_TAKEN } from '../kernels/sparse/dense-simd-gemm.js';
import { type DenseHelpers, setDenseHelpers } from '../kernels/sparse/dense-simd.js';
import { ARGS, CMD, CONTROL_INTS, DONE, EXIT, FAILED, GEMM, JOB, LOAD, awaitChange } from './kernel-thread-serve.js';

/**
 * Threads for the dense kernels of one large factorization (the sparse LDLᵀ's dense tail, which
 * a random sparse LP's normal equations fill), not for batches: those go to `openWorkerPool`.
 * While open, the products of that factorization with more than ~2·10⁶ multiply–adds are shared
 * out between the calling thread and these, which wait on shared memory between products (the
 * calling thread blocks until its products are done: calls stay synchronous). Every entry comes
 * out bit for bit as on one thread. Node only; the threads do not keep the process alive.
 */
export interface KernelThreads {
  readonly threads: number;
  /** Stops the threads; later factorizations run on the calling thread alone. */
  close(): Promise<void>;
}

const sourceMode = import.meta.url.endsWith('.ts');
let open: KernelThreads | null = null;
let opening = false;

/** Starts `threads` kernel threads (1 pays on a 2-core machine: see docs/performance.md). At most one set is open. */
export async function openKernelThreads(options: { readonly threads: number }): Promise<KernelThreads> {
  const threads = options?.threads;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new InvalidInputError(`openKernelThreads: option 'threads' must be an integer in [1, 64], got ${String(threads)}`);
  if (open !== null || opening)
    throw new PluginError(`openKernelThreads: kernel threads are open${opening ? 'ing' : ''} already; close them first`);
  opening = true;
  try {
    return await start(threads);
  } finally {
    opening = false;
  }
}

async function start(threads: number): Promise<KernelThreads> {
  const serveUrl = new URL(`./kernel-thread-serve${sourceMode ? '.ts' : '.js'}`, import.meta.url).href;
  const loader = sourceMode ? import.meta.resolve('tsx/esm/api') : null;
  const entry = [
    "import { workerData } from 'node:worker_threads';",
    loader ? `(await import(${JSON.stringify(loader)})).register();` : '',
    `(await import(${JSON.stringify(serveUrl)})).serveKernelThread(workerData);`,
  ].join('\n');
  // The products' queue (dense-simd-gemm.ts): next, smallest claim, what each of threads + 1 took.
  const queue = new Int32Array(new SharedArrayBuffer(4 * (QUEUE_TAKEN + threads + 1)));
  const started = Array.from({ length: threads }, (_, i) => {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_INTS));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(entry)}`), {
      workerData: { control, port: port2, queue, index: i + 1, parts: threads + 1 },
      transferList: [port2],
      ...(sourceMode ? { execArgv: ['--conditions=source'] } : {}),
    });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new PluginError(`openKernelThreads: a kernel thread exited while starting (code ${code})`)));
    });
    return { control, port: port1, worker, ready, posted: 0 };
  });
  try {
    await Promise.all(started.map((t) => t.ready));
  } catch (e) {
    await Promise.all(started.map((t) => t.worker.terminate()));
    throw e;
  }
  for (const t of started) t.worker.unref();
  const post = (i: number, cmd: number): void => {
    const t = started[i]!;
    t.control[CMD] = cmd;
    Atomics.store(t.control, JOB, ++t.posted);
    Atomics.notify(t.control, JOB);
  };
  const wait = (i: number): void => {
    const t = started[i]!;
    let done = Atomics.load(t.control, DONE);
    while (done !== t.posted) done = awaitChange(t.control, DONE, done);
    if (t.control[FAILED] !== 0) throw new PluginError(`kernel thread ${i} failed on its share of a dense product`);
  };
  const helpers: DenseHelpers = {
    count: threads,
    queue,
    load(memory, module, bases) {
      started.forEach((t, i) => {
        t.port.postMessage({ memory, module, base: bases[i] });
        post(i, LOAD);
      });
      started.forEach((_, i) => wait(i));
    },
    start(i, ...args) {
      const { control } = started[i]!;
      for (let a = 0; a < 9; a++) control[ARGS + a] = args[a]!;
      post(i, GEMM);
    },
    wait,
  };
  setDenseHelpers(helpers);
  const handle: KernelThreads = {
    threads,
    async close() {
      if (open !== handle) return;
      open = null;
      setDenseHelpers(null);
      const exited = started.map((t) => {
        t.worker.ref();
        return new Promise<void>((resolve) => t.worker.once('exit', () => resolve()));
      });
      started.forEach((_, i) => post(i, EXIT));
      await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 1000))]);
      await Promise.all(started.map((t) => t.worker.terminate()));
      for (const t of started) t.port.close();
    },
  };
  open = handle;
  return handle;
}
