import type { Attrs, SolveInfoData, Strategy } from '@argmin/graph';
import type { Tensor } from './tensor.js';

/** A cotangent; `null` is the symbolic zero (nothing allocated, edge skipped in backward). */
export type Cotangent = Tensor | null;

/**
 * Maps output cotangents to input cotangents. `needs[i]` says whether input i lies on a path to
 * a requested gradient, so a pullback may skip work (and return null) where it is false.
 * Pullbacks written with differentiable ops are themselves recorded by any enclosing tape, which
 * is how grad-of-grad works.
 */
export type Pullback = (cotangents: readonly Cotangent[], needs: readonly boolean[]) => readonly Cotangent[];

/** One op application as recorded on a tape. */
export interface Recorded {
  readonly op: string;
  readonly kind: 'op' | 'optimization';
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Attrs;
  readonly pullback: Pullback;
  readonly plugin?: string;
  readonly strategy?: Strategy;
  readonly info?: SolveInfoData;
  /** Display label, e.g. the name a user gave a node. */
  readonly label?: string;
  /** Names of the inputs (an optimization node's parameter names), for the graph viewer. */
  readonly inputNames?: readonly string[];
}

export interface TapeCluster {
  readonly id: string;
  readonly label: string;
  readonly kind: 'unroll' | 'group';
  readonly parent?: string;
}

export interface TapeEntry extends Recorded {
  readonly cluster?: string;
}

/**
 * A tape records the op applications that depend on the tensors it tracks (or, in `recordAll`
 * mode used by `trace`, every application). Tapes nest: each transform pushes its own, and an op
 * is recorded on every active tape that tracks one of its inputs.
 */
export class Tape {
  readonly entries: TapeEntry[] = [];
  readonly tracked = new Set<Tensor>();
  readonly clusters: TapeCluster[] = [];
  private readonly clusterStack: string[] = [];

  constructor(readonly recordAll = false) {}

  track(t: Tensor): void {
    this.tracked.add(t);
  }

  consider(r: Recorded): void {
    if (!this.recordAll && !r.inputs.some((x) => this.tracked.has(x))) return;
    const cluster = this.clusterStack[this.clusterStack.length - 1];
    this.entries.push(cluster === undefined ? r : { ...r, cluster });
    for (const o of r.outputs) this.tracked.add(o);
  }

  openCluster(label: string, kind: 'unroll' | 'group'): void {
    const parent = this.clusterStack[this.clusterStack.length - 1];
    const id = `c${this.clusters.length}`;
    this.clusters.push(parent === undefined ? { id, label, kind } : { id, label, kind, parent });
    this.clusterStack.push(id);
  }

  closeCluster(): void {
    this.clusterStack.pop();
  }
}

// The stack of active tapes is dynamic context (like JAX's trace stack), not a registry: it is
// empty outside transforms, where ops run eagerly and record nothing.
const active: Tape[] = [];

export function isRecording(): boolean {
  return active.length > 0;
}

/** Records an op application on every active tape that depends on it. */
export function record(r: Recorded): void {
  for (let i = 0; i < active.length; i++) active[i]!.consider(r);
}

/** True if `t` is tracked by some active tape, i.e. a gradient may flow to it. */
export function isTracked(t: Tensor): boolean {
  for (const tape of active) if (tape.tracked.has(t)) return true;
  return false;
}

/**
 * True if a gradient tape (not a `trace` recording everything) tracks `t`: a pullback that sees
 * this for its inputs is being differentiated itself (grad-of-grad), so it must record its work.
 */
export function isTrackedForGradient(t: Tensor): boolean {
  for (const tape of active) if (!tape.recordAll && tape.tracked.has(t)) return true;
  return false;
}

/** Runs `fn` with `tape` active. */
export function withTape<T>(tape: Tape, fn: () => T): T {
  active.push(tape);
  try {
    return fn();
  } finally {
    const i = active.lastIndexOf(tape);
    if (i >= 0) active.splice(i, 1);
  }
}

/**
 * Runs `fn` with no tape active: nothing it computes is recorded. Optimization nodes run their
 * `solve` this way — a solve written with ops would otherwise land on the caller's tape and be
 * differentiated twice (once through its iterations, once by the node's VJP).
 */
export function withoutRecording<T>(fn: () => T): T {
  const saved = active.splice(0, active.length);
  try {
    return fn();
  } finally {
    active.unshift(...saved);
  }
}

/**
 * Runs `fn` with every op it records grouped in a named cluster (e.g. the unrolled iterations
 * of a solver), which the viewer can fold.
 */
export function withCluster<T>(label: string, kind: 'unroll' | 'group', fn: () => T): T {
  const tapes = active.slice();
  for (const t of tapes) t.openCluster(label, kind);
  try {
    return fn();
  } finally {
    for (const t of tapes) t.closeCluster();
  }
}
