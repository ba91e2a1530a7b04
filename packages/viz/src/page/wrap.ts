// Wraps a very elongated layered drawing into rows, like text: a 2,000-node unrolled chain laid
// out left to right is hundreds of thousands of pixels wide, which no zoom level can show. Rows
// are cut between layers, so every layer stays whole; edges into a later row are routed through
// the gap above that row (see fast-layout.ts).
import type { ElkNode } from 'elkjs/lib/elk-api.js';

const ROW_GAP = 72;
const MARGIN = 24;

export interface Wrapped {
  /** Row of each top-level child. */
  readonly rowOf: ReadonlyMap<string, number>;
  /** The y of the middle of the gap above a row. */
  readonly gapAbove: (row: number) => number;
}

/**
 * Cuts the top-level children of an already laid-out root (coordinates relative to it) into rows
 * when the drawing is more than `stretch` times wider than `aspect`. Returns undefined otherwise.
 */
export function wrapRows(root: ElkNode, aspect: number, stretch = 3): Wrapped | undefined {
  const kids = root.children ?? [];
  const width = root.width ?? 0;
  const height = root.height ?? 1;
  if (kids.length < 8 || width / height <= stretch * aspect) return undefined;
  const layers = [...new Set(kids.map((k) => k.x!))].sort((a, b) => a - b);
  const rows = Math.max(2, Math.min(200, Math.round(Math.sqrt(width / (aspect * height)))));
  const rowWidth = (layers[layers.length - 1]! - layers[0]! + 1) / rows;
  const rowOfLayer = new Map(layers.map((x) => [x, Math.min(rows - 1, Math.floor((x - layers[0]!) / rowWidth))]));
  const rowStart: number[] = [];
  for (const [x, r] of rowOfLayer) rowStart[r] = Math.min(rowStart[r] ?? Infinity, x);
  const top = Math.min(...kids.map((k) => k.y!));
  const content = Math.max(...kids.map((k) => k.y! + (k.height ?? 0))) - top;
  const pitch = content + ROW_GAP;

  const rowOf = new Map<string, number>();
  for (const k of kids) {
    const r = rowOfLayer.get(k.x!)!;
    rowOf.set(k.id, r);
    k.x = k.x! - rowStart[r]! + MARGIN;
    k.y = k.y! - top + MARGIN + r * pitch;
  }
  root.width = Math.max(...kids.map((k) => k.x! + (k.width ?? 0))) + MARGIN;
  root.height = Math.max(...kids.map((k) => k.y! + (k.height ?? 0))) + MARGIN;
  return { rowOf, gapAbove: (r) => MARGIN + r * pitch - ROW_GAP / 2 };
}
