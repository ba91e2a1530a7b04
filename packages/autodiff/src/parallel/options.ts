import { InvalidInputError } from '../errors.js';

export interface WorkerPoolOptions {
  /** Number of worker threads (more than the machine's cores does not pay). */
  readonly size: number;
  /** Module specifiers (URLs or absolute paths; resolve bare names with import.meta.resolve) whose exported plugins the workers load. */
  readonly plugins: readonly (string | URL)[];
  /**
   * Calls with a smaller batch run in-thread (default 16: for QP n = 20 and Sinkhorn 50×50, 2
   * workers break even with one thread near B = 8 and win from B = 16, docs/performance.md;
   * nodes whose elements cost microseconds need a larger one).
   */
  readonly minBatch?: number;
  /**
   * Node calls whose slices a worker keeps for their backward before evicting the oldest
   * (default 32). Kept slices are released when the call's tape is collected, which in a loop
   * that never yields to the event loop is never: this bounds the memory they hold.
   */
  readonly keepLimit?: number;
  /** Bytes of each worker's reply mailbox (default 1 MiB; a longer reply goes in chunks). */
  readonly mailboxBytes?: number;
  /** Make it the pool `workers: n` uses (default true). */
  readonly makeDefault?: boolean;
}

export interface CheckedPoolOptions {
  readonly size: number;
  readonly plugins: string[];
  readonly minBatch: number;
  readonly keepLimit: number;
  readonly mailboxBytes: number;
  readonly makeDefault: boolean;
}

/** The options of either opener, checked: typed errors naming the option. */
export function checkPoolOptions(where: string, options: WorkerPoolOptions): CheckedPoolOptions {
  const count = (name: string, v: unknown, min: number, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new InvalidInputError(`${where}: option '${name}' must be an integer ≥ ${min}, got ${String(v)}`);
    }
    return v;
  };
  const size = count('size', options?.size, 1, Number.NaN);
  if (Number.isNaN(size)) throw new InvalidInputError(`${where}: option 'size' (the number of workers) is required`);
  const { plugins } = options;
  if (!Array.isArray(plugins) || plugins.length === 0 || !plugins.every((p) => typeof p === 'string' || p instanceof URL)) {
    throw new InvalidInputError(`${where}: option 'plugins' must be a non-empty array of module specifiers (strings or URLs)`);
  }
  return {
    size,
    plugins: plugins.map((p) => (p instanceof URL ? p.href : p.startsWith('/') ? new URL(`file://${p}`).href : p)),
    minBatch: count('minBatch', options.minBatch, 0, 16),
    keepLimit: count('keepLimit', options.keepLimit, 0, 32),
    mailboxBytes: count('mailboxBytes', options.mailboxBytes, 64, 1 << 20),
    makeDefault: options.makeDefault !== false,
  };
}
