import { InvalidInputError, PluginError } from '../errors.js';
import { createMailbox } from './mailbox.js';
import { checkPoolOptions, type WorkerPoolOptions } from './options.js';
import type { WorkerPool } from './pool.js';
import { startPool } from './pool-core.js';
import type { ServeSetup } from './worker-task.js';

export interface BrowserWorkerPoolOptions extends WorkerPoolOptions {
  /** A module worker script that runs `serveScope(self)` (from '@argmin/autodiff/parallel/browser'). */
  readonly workerUrl: string | URL;
}

/** True where this thread may block in Atomics.wait (a worker; not a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens a pool of Web Workers, the browser's counterpart of `openWorkerPool`: the same requests,
 * replies and worker loop, spawned with `new Worker(workerUrl, { type: 'module' })`. Call it (and
 * the nodes) from a Web Worker of a cross-origin-isolated page: calls block until the workers
 * answer, which a page's main thread may not, and shared memory needs the isolation.
 */
export async function openBrowserWorkerPool(options: BrowserWorkerPoolOptions): Promise<WorkerPool> {
  const o = checkPoolOptions('openBrowserWorkerPool', options);
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    throw new InvalidInputError(
      'openBrowserWorkerPool: workers share memory (SharedArrayBuffer), which needs a cross-origin-isolated page (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)',
    );
  }
  if (!canBlock()) {
    throw new InvalidInputError(
      "openBrowserWorkerPool: node calls with 'workers' wait (Atomics.wait) for the workers, which a page's main thread may not: open the pool and run the model in a Web Worker",
    );
  }
  if (typeof options.workerUrl !== 'string' && !(options.workerUrl instanceof URL)) {
    throw new InvalidInputError(
      "openBrowserWorkerPool: option 'workerUrl' must be the URL of a module worker script that runs serveScope(self)",
    );
  }
  const signal = new Int32Array(new SharedArrayBuffer(4 * o.size));
  const boxes = Array.from({ length: o.size }, () => createMailbox(o.mailboxBytes));
  const workers = Array.from({ length: o.size }, (_, index) => {
    const worker = new Worker(options.workerUrl, { type: 'module', name: `argmin worker ${index}` });
    const setup: ServeSetup = { index, plugins: o.plugins, signal, box: boxes[index]!, keepLimit: o.keepLimit };
    worker.postMessage(setup);
    return worker;
  });
  return startPool(
    {
      size: o.size,
      signal,
      boxes,
      send: (w, message) => workers[w]!.postMessage(message),
      started: (w) =>
        new Promise((_, reject) =>
          workers[w]!.addEventListener('error', (e) =>
            reject(new PluginError(`openBrowserWorkerPool: worker ${w} failed to start: ${e.message}`)),
          ),
        ),
      async terminate() {
        for (const worker of workers) worker.terminate();
      },
    },
    o,
  );
}
