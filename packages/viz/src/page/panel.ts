// The side panel for a selected node: identity, SolveInfo, attributes, and every input and output
// value with its shape, summary statistics, gradient norm and (for small matrices) a heatmap.
import type { AttrValue, NodeData, ValueData } from '@argmin/graph';
import { heatmap, residualChart, seriesColor } from './charts.js';
import { h } from './dom.js';
import { constantText, formatNumber, formatShape, statusClass, statusLabel, summarizeStatus } from './format.js';
import { type GraphModel, clusterPath, inputName } from './model.js';

export interface PanelActions {
  /** Select another node (links to producers and consumers). */
  readonly select: (nodeId: string) => void;
  readonly close: () => void;
}

export function renderPanel(panel: HTMLElement, model: GraphModel, node: NodeData, actions: PanelActions): void {
  const close = h('button', { class: 'icon-btn panel-close', title: 'Close (Esc)', 'aria-label': 'Close' }, '×');
  close.addEventListener('click', actions.close);
  const header = h(
    'header',
    { class: 'panel-header' },
    h(
      'div',
      { class: 'panel-kicker' },
      h('span', { class: `kind-pill kind-${node.kind}` }, node.kind),
      h('span', { class: 'mono muted' }, node.id),
    ),
    h('h2', { class: 'panel-title' }, node.kind === 'constant' ? constantText(node) : (node.label ?? node.op)),
    h('div', { class: 'mono op-name' }, node.op),
    close,
  );

  const path = clusterPath(model.clusters, node.cluster).map((id) => model.clusters.get(id)!.label || id);
  const facts = keyValues([
    ['kind', node.kind],
    ['op', node.op],
    ['plugin', node.plugin],
    ['strategy', node.strategy],
    ['cluster', path.length ? path.join(' › ') : undefined],
  ]);

  const sections: (HTMLElement | null)[] = [header, section('Node', facts)];
  if (node.info) sections.push(section('Solve', solveInfo(node)));
  const attrs = Object.entries(node.attrs ?? {}).filter(([k]) => k !== 'inputNames'); // shown on the inputs
  if (attrs.length)
    sections.push(
      section(
        'Attributes',
        keyValues(
          attrs.map(([k, v]) => [k, attrText(v)]),
          true,
        ),
      ),
    );
  if (node.inputs.length) sections.push(section(`Inputs (${node.inputs.length})`, valueList(model, node, node.inputs, 'in', actions)));
  if (node.outputs.length) sections.push(section(`Outputs (${node.outputs.length})`, valueList(model, node, node.outputs, 'out', actions)));
  panel.replaceChildren(...sections.filter((s): s is HTMLElement => s !== null));
  panel.hidden = false;
  panel.scrollTop = 0;
}

function section(title: string, body: HTMLElement): HTMLElement {
  return h('section', { class: 'panel-section' }, h('h3', {}, title), body);
}

function keyValues(rows: readonly (readonly [string, string | undefined])[], mono = false): HTMLElement {
  const dl = h('dl', { class: `kv${mono ? ' kv-mono' : ''}` });
  for (const [k, v] of rows) if (v !== undefined && v !== '') dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

function attrText(v: AttrValue): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 240 ? `${s.slice(0, 240)}…` : s;
}

function solveInfo(node: NodeData): HTMLElement {
  const info = node.info!;
  const box = h('div', { class: 'solve' });
  const summary = summarizeStatus(info);
  const pills = h('div', { class: 'pill-row' });
  if (node.strategy) pills.append(h('span', { class: 'pill strategy' }, node.strategy));
  if (summary) pills.append(h('span', { class: `pill status-${summary.cls}` }, statusLabel(summary)));
  box.append(pills);

  const table = h('table', { class: 'status-table' });
  table.append(
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'batch'), h('th', {}, 'status'), h('th', { class: 'num' }, 'iters'), h('th', { class: 'num' }, 'residual')),
    ),
  );
  const body = h('tbody');
  const rows = Math.max(info.status.length, info.iterations.length, info.residual.length);
  const shown = Math.min(rows, 64);
  for (let b = 0; b < shown; b++) {
    const status = info.status[b] ?? '–';
    body.append(
      h(
        'tr',
        {},
        h('td', {}, h('span', { class: 'swatch-line', style: `background:${seriesColor(b)}` }), String(b)),
        h('td', {}, h('span', { class: `dot status-${statusClass(status)}` }), status),
        h('td', { class: 'num' }, info.iterations[b] === undefined ? '–' : String(info.iterations[b])),
        h('td', { class: 'num' }, formatNumber(info.residual[b] ?? undefined)),
      ),
    );
  }
  table.append(body);
  box.append(table);
  if (rows > shown) box.append(h('p', { class: 'muted small' }, `… and ${rows - shown} more batch elements`));
  if (info.history?.length) {
    box.append(
      h('div', { class: 'chart-title' }, 'Residual per iteration'),
      h('div', { class: 'chart-wrap' }, residualChart(info.history)),
    );
  }
  return box;
}

function valueList(model: GraphModel, node: NodeData, ids: readonly string[], dir: 'in' | 'out', actions: PanelActions): HTMLElement {
  const list = h('div', { class: 'values' });
  ids.forEach((id, i) => {
    const v = model.values.get(id);
    const name = valueName(model, v, dir === 'in' ? inputName(node, i) : undefined, dir === 'in' ? i : undefined) ?? id;
    list.append(v ? valueCard(model, v, name, dir, actions) : h('div', { class: 'value-card muted' }, `${id} (missing)`));
  });
  return list;
}

/**
 * What to call a value: the parameter it feeds, its own label, or what produced it ('W1',
 * 'matmul'), never a bare id like 'v37' (the id is still shown, muted, for search).
 */
function valueName(model: GraphModel, v: ValueData | undefined, param: string | undefined, index: number | undefined): string | undefined {
  if (param) return param;
  if (v?.label) return v.label;
  const p = v ? model.nodes.get(v.producer) : undefined;
  if (p) return p.kind === 'constant' ? constantText(p) : (p.label ?? p.op);
  return index === undefined ? undefined : `input ${index + 1}`;
}

function valueCard(model: GraphModel, v: ValueData, name: string, dir: 'in' | 'out', actions: PanelActions): HTMLElement {
  const card = h('div', { class: 'value-card' });
  card.append(
    h(
      'div',
      { class: 'value-head' },
      h('span', { class: 'value-name' }, name),
      h('span', { class: 'mono muted small' }, v.id),
      h('span', { class: 'shape mono' }, formatShape(v.shape)),
    ),
  );
  const links = h('div', { class: 'value-links' });
  if (dir === 'in') {
    links.append('from ', nodeLink(model, v.producer, actions));
  } else {
    const consumers = model.consumers.get(v.id) ?? [];
    if (model.outputs.has(v.id)) links.append(h('span', { class: 'pill count' }, 'graph output'), ' ');
    if (consumers.length) {
      links.append('to ');
      consumers.slice(0, 8).forEach((c, i) => links.append(...(i ? [', '] : []), nodeLink(model, c, actions)));
      if (consumers.length > 8) links.append(` +${consumers.length - 8}`);
    }
  }
  if (links.childNodes.length) card.append(links);
  const s = v.summary;
  if (v.shape.some((d) => d === 0)) {
    card.append(h('div', { class: 'muted small' }, `empty: ${formatShape(v.shape)} holds no elements`));
  } else if (s) {
    const stats = h('div', { class: 'stats' });
    for (const [k, x] of [
      ['min', s.min],
      ['max', s.max],
      ['mean', s.mean],
      ['‖·‖', s.norm],
    ] as const) {
      stats.append(
        h('div', { class: 'stat' }, h('span', { class: 'stat-k' }, k), h('span', { class: 'stat-v mono' }, formatNumber(x ?? undefined))),
      );
    }
    card.append(stats);
    if (s.data) {
      const map = heatmap(s.data, v.shape);
      if (map) card.append(h('div', { class: 'heatmap-wrap' }, map));
    }
  }
  if (v.gradNorm !== undefined) {
    card.append(
      h(
        'div',
        { class: 'grad' },
        h('span', { class: 'stat-k' }, 'gradient norm'),
        h('span', { class: 'mono' }, formatNumber(v.gradNorm ?? undefined)),
      ),
    );
  }
  return card;
}

function nodeLink(model: GraphModel, id: string, actions: PanelActions): HTMLElement {
  const n = model.nodes.get(id);
  const a = h(
    'button',
    { class: 'link', title: n ? `${n.op} · ${n.id}` : id },
    n ? (n.kind === 'constant' ? constantText(n) : (n.label ?? n.op)) : id,
  );
  a.addEventListener('click', () => actions.select(id));
  return a;
}
