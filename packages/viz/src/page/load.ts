// From text or a File to a validated graph, or to an error the page can show as it is.
// Validation is @argmin/graph's own (zod schema plus structural checks), so the viewer accepts
// exactly the files the library writes, including NaN statistics of a diverged solve.
import { fromJSON, type GraphJSON, GraphValidationError, toJSON } from '@argmin/graph';

/** Files larger than this are refused before reading: parsing them would freeze the tab. */
export const MAX_BYTES = 64 * 1024 * 1024;
/** Graphs with more nodes are refused: beyond this the layout no longer stays interactive. */
export const MAX_NODES = 20_000;

export interface LoadError {
  readonly title: string;
  readonly message: string;
  readonly issues: readonly string[];
}

export type LoadResult = { ok: true; graph: GraphJSON } | { ok: false; error: LoadError };

const fail = (title: string, message: string, issues: readonly string[] = []): LoadResult => ({
  ok: false,
  error: { title, message, issues },
});
const count = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function loadGraphText(text: string, source: string): LoadResult {
  if (text.length > MAX_BYTES) return tooLarge(source, text.length);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail('This file is not valid JSON', `${source} could not be parsed: ${(err as Error).message}`);
  }
  return validate(data, source);
}

/**
 * A value (e.g. a GraphJSON passed to mountViewer), validated exactly like a file. A graph straight
 * from `toJSON` may hold ±Infinity or NaN statistics (an empty tensor's min and max), which the
 * file format writes as strings; they are put in that form first.
 */
export function loadGraphValue(value: unknown, source: string): LoadResult {
  let data: unknown;
  try {
    data = typeof value === 'object' && value !== null ? JSON.parse(JSON.stringify(value, nonFiniteAsText)) : value;
  } catch (err) {
    return fail('This graph cannot be read', `${source} is not serialisable: ${(err as Error).message}`);
  }
  return validate(data, source);
}

const nonFiniteAsText = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

function validate(data: unknown, source: string): LoadResult {
  const nodes = (data as { nodes?: unknown } | null)?.nodes;
  if (Array.isArray(nodes) && nodes.length > MAX_NODES) {
    return fail('This graph is too large', `${source} has ${count(nodes.length)} nodes; the viewer handles up to ${count(MAX_NODES)}.`, [
      'Trace a smaller part of the computation, or group repeated structure into clusters.',
    ]);
  }
  try {
    return { ok: true, graph: toJSON(fromJSON(data, { maxNodes: MAX_NODES })) };
  } catch (err) {
    const title = 'This is not a valid argmin graph';
    if (err instanceof GraphValidationError) {
      return fail(
        title,
        `${source} is well-formed JSON but its structure is inconsistent.`,
        err.issues.slice(0, 12).map((i) => i.message),
      );
    }
    return fail(title, `${source} does not match the 'argmin.graph' format, version 1.`, [(err as Error).message]);
  }
}

export async function loadGraphFile(file: File): Promise<LoadResult> {
  if (file.size > MAX_BYTES) return tooLarge(file.name, file.size);
  let text: string;
  try {
    text = await file.text();
  } catch (err) {
    return fail('The file could not be read', `${file.name}: ${(err as Error).message}`);
  }
  return loadGraphText(text, file.name);
}

function tooLarge(source: string, bytes: number): LoadResult {
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  return fail('This file is too large', `${source} is ${mb(bytes)}; the viewer opens files up to ${mb(MAX_BYTES)}.`);
}
