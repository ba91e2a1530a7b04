// Lays out a view: ELK's layered algorithm in a Web Worker when an engine is installed (the
// standalone page installs one from an inline, gzip-compressed worker script; mountViewer from a
// worker URL), else the built-in linear-time fastLayout. ELK's time grows steeply with size, so
// the 5 s budget is kept two ways: views with more than FAST_ONLY boxes go straight to
// fastLayout, and an ELK run that passes its deadline is abandoned (the worker is terminated).
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import type { ElkEngine, ElkFactory } from './engine.js';
import { fastLayout } from './fast-layout.js';

export const FAST_ONLY = 1000;
/** Views with fewer boxes are never wrapped into rows. */
const WRAP_MIN = 60;
export const ELK_DEADLINE_MS = 3000;
/** Loading the worker gets its own allowance; past it, the fast layout is used. */
export const ELK_STARTUP_MS = 15_000;

export interface LayoutResult {
  readonly result: ElkNode;
  readonly ms: number;
  readonly engine: 'elk' | 'fast';
}

let factory: ElkFactory | undefined;
let elk: Promise<ElkEngine> | undefined;

export function setElkFactory(f: ElkFactory | undefined): void {
  resetEngine();
  factory = f;
}

/**
 * The engine, once its worker has loaded ELK and laid out a one-box graph: starting the worker
 * (inflating and parsing 1.6 MB of script) takes a second or more on a busy machine, and must not
 * count against the layout deadline, or small graphs would fall back to the fast layout.
 */
function engine(): Promise<ElkEngine> | undefined {
  if (!factory) return undefined;
  const make = factory;
  elk ??= Promise.resolve()
    .then(make)
    .then(async (e) => {
      await e.layout({ id: 'warm-up', children: [{ id: 'a', width: 1, height: 1 }] });
      return e;
    });
  return elk;
}

/** Starts the worker early, so that loading ELK overlaps with parsing the graph. */
export function warmUp(): void {
  engine()?.catch(() => undefined);
}

function resetEngine(): void {
  const e = elk;
  elk = undefined;
  void e?.then((x) => x.terminateWorker()).catch(() => undefined);
}

/**
 * Lays out a graph. A newer request does not cancel an older one inside ELK, so the caller drops
 * stale results by comparing a request token (see app.ts).
 */
export async function layoutGraph(graph: ElkNode, leafCount: number, aspect: number): Promise<LayoutResult> {
  const t0 = performance.now();
  const elkEngine = leafCount > FAST_ONLY ? undefined : engine();
  if (!elkEngine) return { result: fastLayout(graph, aspect), ms: performance.now() - t0, engine: 'fast' };
  let timer = 0;
  const after = (ms: number) => new Promise<'timeout'>((resolve) => (timer = window.setTimeout(() => resolve('timeout'), ms)));
  try {
    const started = await Promise.race([elkEngine, after(ELK_STARTUP_MS)]);
    clearTimeout(timer);
    if (started === 'timeout') throw new Error(`the ELK worker did not start within ${ELK_STARTUP_MS / 1000} s`);
    const deadline = after(ELK_DEADLINE_MS);
    // A long chain is better wrapped into rows. ELK wraps only graphs without clusters, and must
    // be told up front: the fast layout (milliseconds) predicts the drawing's proportions.
    // Only for long views: on a few dozen boxes ELK's wrapping took seconds and hit the deadline.
    const wrap = leafCount > WRAP_MIN && isFlat(graph) && tooLong(fastLayout(graph, Infinity), aspect);
    const input = wrap ? { ...graph, layoutOptions: { ...graph.layoutOptions, ...wrapOptions(aspect) } } : graph;
    const result = (await Promise.race([started.layout(input), deadline])) as ElkNode | 'timeout';
    if (result === 'timeout') {
      resetEngine(); // the worker is still busy with the abandoned layout
      return { result: fastLayout(graph, aspect), ms: performance.now() - t0, engine: 'fast' };
    }
    return { result, ms: performance.now() - t0, engine: 'elk' };
  } catch (err) {
    // A worker that failed (e.g. out of memory) is not reusable; the fast layout still works.
    resetEngine();
    console.warn('ELK layout failed, using the fast layout instead:', err);
    return { result: fastLayout(graph, aspect), ms: performance.now() - t0, engine: 'fast' };
  } finally {
    clearTimeout(timer);
  }
}

const tooLong = (r: ElkNode, aspect: number) => (r.width ?? 0) / Math.max(1, r.height ?? 0) > 3 * aspect;
const isFlat = (g: ElkNode) => (g.children ?? []).every((c) => !c.children?.length);
const wrapOptions = (aspect: number) => ({
  'elk.layered.wrapping.strategy': 'MULTI_EDGE',
  'elk.aspectRatio': aspect.toFixed(2),
  'elk.layered.wrapping.additionalEdgeSpacing': '12',
});
