// What a box on the canvas says, and how big it must be: computed once per visible item and
// shared by the layout (sizes) and the renderer (text), so both always agree.
import type { GraphModel } from './model.js';
import { constantText, formatShape, plural, statusLabel, summarizeStatus, type StatusClass } from './format.js';
import type { VisibleItem } from './view.js';

export interface Badge {
  readonly text: string;
  /** CSS class: 'strategy', 'status-ok' | 'status-warn' | 'status-bad' | 'status-unknown', 'count'. */
  readonly cls: string;
  /** Pill width in px, text plus padding. */
  readonly width: number;
}

export interface Description {
  readonly title: string;
  readonly subtitle: string;
  readonly badges: readonly Badge[];
  /** CSS class for colouring: 'kind-op', 'kind-input', …, 'kind-cluster'. */
  readonly cls: string;
  readonly width: number;
  readonly height: number;
  /** Title and subtitle after truncation to the maximum width. */
  readonly titleShown: string;
  readonly subtitleShown: string;
}

/** Width in px of a string in one of the two canvas fonts. */
export type Measure = (text: string, font: 'title' | 'sub' | 'badge') => number;

export const BOX = { padX: 12, minWidth: 56, maxWidth: 260, line1: 30, line2: 44, badgeRow: 22, badgeGap: 6, badgePad: 7 } as const;

export function describeItem(item: VisibleItem, model: GraphModel, measure: Measure): Description {
  let title: string;
  let subtitle = '';
  const badges: Omit<Badge, 'width'>[] = [];
  let cls: string;
  if (item.type === 'node' || item.type === 'proxy') {
    const n = item.node;
    cls = `kind-${n.kind}${item.type === 'proxy' ? ' proxy' : ''}`;
    const firstOut = n.outputs.length > 0 ? model.values.get(n.outputs[0]!) : undefined;
    const shape = firstOut ? formatShape(firstOut.shape) : '';
    if (n.kind === 'op') {
      title = n.op;
      subtitle = n.label && n.label !== n.op ? n.label : shape;
    } else if (n.kind === 'optimization') {
      title = n.label ?? n.op;
      subtitle = n.label && n.label !== n.op ? n.op : shape;
      if (n.strategy) badges.push({ text: n.strategy, cls: 'strategy' });
      const s = n.info ? summarizeStatus(n.info) : undefined;
      if (s) badges.push({ text: statusLabel(s), cls: `status-${s.cls satisfies StatusClass}` });
    } else {
      title = n.kind === 'constant' ? constantText(n) : (n.label ?? n.id);
      subtitle = shape ? `${n.kind} · ${shape}` : n.kind;
    }
    if (item.type === 'node' && n.outputs.some((v) => model.outputs.has(v))) badges.push({ text: 'output', cls: 'count' });
  } else {
    cls = 'kind-cluster';
    title = item.cluster.label || item.cluster.id;
    const st = model.clusterStats.get(item.cluster.id);
    const what = item.cluster.kind === 'unroll' && st?.iterations ? `unroll ×${plural(st.iterations, 'iteration')}` : item.cluster.kind;
    subtitle = st ? `${what} · ${plural(st.nodeCount, 'op')}` : what;
    if (item.type === 'folded' && st && st.solvers > 0) badges.push({ text: plural(st.solvers, 'solver'), cls: 'count' });
  }

  const inner = BOX.maxWidth - 2 * BOX.padX;
  const titleShown = truncate(title, inner, (t) => measure(t, 'title'));
  const subtitleShown = truncate(subtitle, inner, (t) => measure(t, 'sub'));
  const pills: Badge[] = badges.map((b) => ({ ...b, width: Math.ceil(measure(b.text, 'badge')) + 2 * BOX.badgePad }));
  const badgesWidth = pills.reduce((w, b) => w + b.width + BOX.badgeGap, -BOX.badgeGap);
  const content = Math.max(measure(titleShown, 'title'), measure(subtitleShown, 'sub'), pills.length ? badgesWidth : 0);
  // Folded boxes also hold the stacked-card offset (8) and the expand toggle (22) on the right.
  const extra = item.type === 'folded' ? 30 : 0;
  const width = Math.ceil(Math.min(BOX.maxWidth, Math.max(BOX.minWidth, content + 2 * BOX.padX)) + extra);
  const height = (subtitleShown ? BOX.line2 : BOX.line1) + (badges.length ? BOX.badgeRow : 0) + (item.type === 'folded' ? 8 : 0);
  return { title, subtitle, badges: pills, cls, width, height, titleShown, subtitleShown };
}

/** Cuts a string with an ellipsis so that it fits `max` px; binary search over the length. */
export function truncate(text: string, max: number, width: (t: string) => number): string {
  if (width(text) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (width(`${text.slice(0, mid)}…`) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** A measure for tests and non-browser callers: average glyph widths of the viewer's fonts. */
export const approximateMeasure: Measure = (text, font) => text.length * (font === 'title' ? 7.4 : font === 'sub' ? 6.2 : 6);
