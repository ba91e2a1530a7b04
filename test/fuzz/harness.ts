// The fuzz suite's bookkeeping: every case ends in one of the allowed outcomes, or the test
// fails with the case that broke the promise. Counts per family and outcome are printed after
// each file and, with FUZZ_REPORT=<dir>, written there as JSON (docs/reliability.md quotes them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgminError, Tensor } from '@argmin/autodiff';
import { GraphError } from '@argmin/graph';

/**
 * The allowed outcomes:
 * - 'typed-error': an ArgminError (or, for graph files, a GraphError) was thrown;
 * - 'verified': status 'converged' and the answer passed an independent check;
 * - 'honest': a status other than 'converged' (max_iter, failed, infeasible, unbounded) that is
 *   consistent with what is known about the instance (a certificate only where one exists).
 */
export type Outcome = 'typed-error' | 'verified' | 'honest';

/** Runs per property: `fast` in CI's fast tier, `full` (default 50× fast) with FULL=1. */
export function fuzzRuns(fast: number, full = fast * 50): number {
  return process.env.FULL ? full : fast;
}

const tally = new Map<string, Record<Outcome, number>>();

export function record(family: string, outcome: Outcome): void {
  let t = tally.get(family);
  if (!t) tally.set(family, (t = { 'typed-error': 0, verified: 0, honest: 0 }));
  t[outcome]++;
}

/** A violation of the library's promise: the test fails with this message. */
export class BrokenPromise extends Error {}

/**
 * Runs one case: `run` returns its outcome, or throws. An ArgminError/GraphError is the
 * typed-error outcome; any other error (TypeError, RangeError, stack overflow, a BrokenPromise)
 * fails the case.
 */
export function fuzzCase(family: string, run: () => Outcome): void {
  let outcome: Outcome;
  try {
    outcome = run();
  } catch (e) {
    if (e instanceof ArgminError || e instanceof GraphError) outcome = 'typed-error';
    else throw e;
  }
  record(family, outcome);
}

/** Writes and prints the tally of this file (call from afterAll). */
export function report(file: string): void {
  const rows = [...tally.entries()].map(([family, t]) => ({ family, ...t, total: t['typed-error'] + t.verified + t.honest }));
  const dir = process.env.FUZZ_REPORT;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${file}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  }
  if (process.env.FUZZ_VERBOSE) console.table(rows);
}

/** A copy of every tensor in a record, to check later that the inputs were not mutated. */
export function snapshot(values: Readonly<Record<string, unknown>>): () => void {
  const copies = Object.entries(values)
    .filter(([, v]) => v instanceof Tensor)
    .map(([k, v]) => [k, v as Tensor, Float64Array.from((v as Tensor).data)] as const);
  return () => {
    for (const [k, t, copy] of copies) {
      for (let i = 0; i < copy.length; i++) {
        if (!Object.is(copy[i], t.data[i])) throw new BrokenPromise(`input '${k}' was mutated at flat index ${i}`);
      }
    }
  };
}

/** Every entry finite (a converged answer never holds NaN or ±Infinity). */
export function assertFinite(what: string, t: Tensor): void {
  for (let i = 0; i < t.size; i++) {
    if (!Number.isFinite(t.data[i]!)) throw new BrokenPromise(`${what} holds ${t.data[i]} at flat index ${i} under status 'converged'`);
  }
}

/** Scales of 10^e for e in [−150, 150], the range the suite drives the data through. */
export const EXPONENTS = { min: -150, max: 150 } as const;
