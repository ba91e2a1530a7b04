/**
 * `@argmin/autodiff/parallel/browser`: the Web Worker pool (`openBrowserWorkerPool`, called from
 * a worker of a cross-origin-isolated page) and the workers' side (`serveScope(self)` in the
 * module worker script). Node's `openWorkerPool` runs the same requests and worker loop.
 */
export { openBrowserWorkerPool, type BrowserWorkerPoolOptions } from './open-browser.js';
export type { WorkerPoolOptions } from './options.js';
export { defaultWorkerPool, setDefaultWorkerPool, isWorkerPool, type WorkerPool } from './pool.js';
export { serveScope, type RequestPort } from './worker-task.js';
