import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { type GemmKernels, QUEUE_READY, gemmClaimed, gemmKernels } from '../kernels/sparse/dense-simd-gemm.js';

/**
 * A kernel thread's side (kernel-threads.ts): a loop, blocked on its control block between jobs,
 * that runs shares of the dense products on the shared memory. Control block (Int32, shared):
 * JOB is the number of the job posted, DONE that of the last one finished, CMD what it is, ARGS
 * its operands, FAILED whether it threw. A product's shares are claimed from the queue that all
 * threads share (dense-simd-gemm.ts's gemmClaimed), this thread as number `index`.
 */
export const JOB = 0;
export const DONE = 1;
export const CMD = 2;
export const FAILED = 3;
export const ARGS = 4;
export const CONTROL_INTS = ARGS + 9;
export const GEMM = 0;
export const LOAD = 1;
export const EXIT = 2;

/**
 * Polls of the control block before sleeping on it (~10 µs): long enough for the next of a run of
 * products, short enough that an idle thread does not hold its core (a spinning sibling slowed
 * the calling thread's own work by up to 40% on the 2-core machine).
 */
export const SPIN = 2000;

export interface KernelThreadSetup {
  readonly control: Int32Array;
  /** The products' shared queue, this thread's number in it (the calling thread is 0) and how many threads claim. */
  readonly queue: Int32Array;
  readonly index: number;
  readonly parts: number;
  /** Where LOAD's memory and module arrive. */
  readonly port: MessagePort;
}

interface Loaded {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly base: number;
}

export function serveKernelThread({ control, port, queue, index, parts }: KernelThreadSetup): void {
  parentPort?.postMessage('ready');
  let kern: GemmKernels | null = null;
  let seen = 0;
  for (;;) {
    seen = awaitChange(control, JOB, seen);
    const cmd = control[CMD];
    if (cmd === EXIT) break;
    try {
      if (cmd === LOAD) {
        const got = receiveMessageOnPort(port)?.message as Loaded | undefined;
        if (!got) throw new Error('no memory posted');
        const exports = new WebAssembly.Instance(got.module, { env: { memory: got.memory } }).exports;
        kern = gemmKernels(exports, new Float64Array(got.memory.buffer), got.base);
      } else {
        const a = (i: number) => control[ARGS + i]!;
        // The calling thread may still be packing the product's B.
        if (Atomics.load(queue, QUEUE_READY) === 0) awaitChange(queue, QUEUE_READY, 0);
        gemmClaimed(kern!, queue, index, parts, a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8));
      }
      control[FAILED] = 0;
    } catch {
      control[FAILED] = 1;
    }
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
  port.close();
}

/** Waits until the control block's `slot` differs from `last` (a short spin, then sleeping); returns its value. */
export function awaitChange(control: Int32Array, slot: number, last: number): number {
  for (let i = 0; i < SPIN; i++) {
    const v = Atomics.load(control, slot);
    if (v !== last) return v;
  }
  for (;;) {
    Atomics.wait(control, slot, last);
    const v = Atomics.load(control, slot);
    if (v !== last) return v;
  }
}
