/**
 * `@argmin/autodiff/parallel`: node calls whose batch is split across worker threads
 * (`workers: n`), in Node through a tinypool pool. See docs/architecture.md, "Parallel batches".
 */
export { openWorkerPool, type NodeWorkerPoolOptions } from './open.js';
export type { WorkerPoolOptions } from './options.js';
export { defaultWorkerPool, setDefaultWorkerPool, isWorkerPool, type WorkerPool } from './pool.js';
export { openKernelThreads, type KernelThreads } from './kernel-threads.js';
