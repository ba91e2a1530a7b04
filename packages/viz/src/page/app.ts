// The viewer's state machine: one graph, a fold state, a selection and a search highlight.
// Every change of fold state goes through relayout(), which drops results of stale requests.
import type { GraphJSON } from '@argmin/graph';
import { type Description, describeItem, type Measure } from './describe.js';
import { byId, setState } from './dom.js';
import { toElkGraph } from './elk-graph.js';
import { plural } from './format.js';
import { layoutGraph } from './layout.js';
import { autoGroup } from './autogroup.js';
import { buildModel, type GraphModel } from './model.js';
import { hideOverlay, showBusy, showError } from './overlay.js';
import { renderPanel } from './panel.js';
import type { PanZoom } from './panzoom.js';
import { type Rendered, renderView } from './render.js';
import { type ItemId, type View, type VisibleItem, buildView, clusterItem, clustersToReveal, nodeItem } from './view.js';

export class Viewer {
  model: GraphModel | undefined;
  private expanded = new Set<string>();
  private view: View | undefined;
  private rendered: Rendered | undefined;
  private descriptions = new Map<string, Description>();
  private selected: string | undefined;
  private matches: readonly string[] = [];
  private token = 0;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly viewport: SVGGElement,
    private readonly panel: HTMLElement,
    private readonly zoom: PanZoom,
    private readonly measure: Measure,
  ) {
    svg.addEventListener('click', (e) => this.onClick(e));
    svg.addEventListener('pointerover', (e) => this.onHover(e, true));
    svg.addEventListener('pointerout', (e) => this.onHover(e, false));
  }

  /** Shows a graph; `retitle` names the tab after it (an embedded page keeps the title it was given). */
  async show(input: GraphJSON, retitle: boolean): Promise<void> {
    const graph = autoGroup(input);
    this.model = buildModel(graph);
    this.expanded = new Set();
    this.descriptions.clear();
    this.selected = undefined;
    this.matches = [];
    this.panel.hidden = true;
    byId('graph-name').textContent = graph.name || 'Untitled graph';
    if (retitle) document.title = `${graph.name || 'Untitled graph'} · argmin`;
    const solvers = graph.nodes.filter((n) => n.kind === 'optimization').length;
    byId('graph-counts').textContent = [
      plural(graph.nodes.length, 'node'),
      plural(graph.values.length, 'value'),
      plural(graph.clusters.length, 'cluster'),
      plural(solvers, 'solver'),
    ].join(' · ');
    await this.relayout({ fit: true });
  }

  /** Changes the fold state and re-fits the drawing to the canvas (`anchor`: the clicked box). */
  async setExpanded(ids: Iterable<string>, anchor?: ItemId): Promise<void> {
    this.expanded = new Set(ids);
    await this.relayout({ fit: true, anchor });
  }

  expandAll(): Promise<void> {
    return this.setExpanded(this.model ? this.model.clusters.keys() : []);
  }

  foldAll(): Promise<void> {
    return this.setExpanded([]);
  }

  fit(): void {
    if (this.rendered) this.zoom.fit(this.rendered.bounds, true);
  }

  /** Selects a node, unfolding its clusters first if it is hidden; centres it when asked. */
  async select(nodeId: string | undefined, center = false): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.selected = nodeId;
    if (nodeId === undefined) {
      this.panel.hidden = true;
      this.applyClasses();
      return;
    }
    const reveal = clustersToReveal(model, nodeId).filter((c) => !this.expanded.has(c));
    if (reveal.length) {
      for (const c of reveal) this.expanded.add(c);
      await this.relayout({});
    }
    const node = model.nodes.get(nodeId);
    if (node)
      renderPanel(this.panel, model, node, { select: (id) => void this.select(id, true), close: () => void this.select(undefined) });
    this.applyClasses();
    const box = this.rendered?.boxes.get(nodeItem(nodeId));
    // The panel narrows the canvas: bring the selection back into view if it ended up outside.
    if (box && (center || !this.zoom.isVisible(box))) this.zoom.centerOn(box, center ? 0.9 : 0);
  }

  highlight(nodeIds: readonly string[]): void {
    this.matches = nodeIds;
    this.applyClasses();
  }

  private async relayout(opts: { fit?: boolean; anchor?: ItemId | undefined }): Promise<void> {
    const model = this.model;
    if (!model) return;
    const token = ++this.token;
    const tPrep = performance.now();
    const view = buildView(model, this.expanded);
    const before = opts.anchor ? this.rendered?.boxes.get(opts.anchor) : undefined;
    const anchorScreen = before ? this.zoom.toScreen(before) : undefined;
    const describe = (item: VisibleItem) => this.describe(item, model);
    const input = toElkGraph(view, model, describe, this.measure);
    const prepMs = performance.now() - tPrep;
    setState({ state: 'layout' });
    const busy = window.setTimeout(() => showBusy(`Laying out ${plural(view.leafCount, 'box', 'boxes')}…`), 150);
    let laid;
    try {
      const r = this.svg.getBoundingClientRect();
      laid = await layoutGraph(input.graph, view.leafCount, r.width > 0 && r.height > 0 ? r.width / r.height : 1.6);
    } catch (err) {
      if (token !== this.token) return;
      showError({ title: 'Layout failed', message: (err as Error).message || String(err), issues: [] });
      setState({ state: 'error' });
      return;
    } finally {
      clearTimeout(busy);
    }
    if (token !== this.token) return; // a newer request superseded this one
    hideOverlay();
    this.view = view;
    const t0 = performance.now();
    this.rendered = renderView(this.viewport, laid.result, view, model, describe);
    const renderMs = performance.now() - t0;
    this.applyClasses();
    const after = opts.anchor ? this.rendered.boxes.get(opts.anchor) : undefined;
    if (opts.fit || !this.svg.dataset.zoom) this.zoom.fit(this.rendered.bounds);
    else if (after && anchorScreen) this.zoom.pin(after, anchorScreen);
    byId('statusbar').textContent =
      `${plural(view.leafCount, 'box', 'boxes')} · ${plural(view.edges.length, 'edge')} · layout ${Math.round(laid.ms)} ms${laid.engine === 'fast' ? ' (fast layout)' : ''}`;
    setState({
      state: 'ready',
      layouts: String(token),
      layoutMs: laid.ms.toFixed(0),
      layoutEngine: laid.engine,
      prepMs: prepMs.toFixed(0),
      renderMs: renderMs.toFixed(0),
      visibleItems: String(view.items.size),
    });
  }

  private describe(item: VisibleItem, model: GraphModel): Description {
    const key = `${item.type}:${item.id}`;
    let d = this.descriptions.get(key);
    if (!d) this.descriptions.set(key, (d = describeItem(item, model, this.measure)));
    return d;
  }

  /** Selection, neighbour and search classes, re-applied after every render. */
  private applyClasses(): void {
    const r = this.rendered;
    const view = this.view;
    if (!r || !view) return;
    for (const el of this.svg.querySelectorAll('.selected, .match, .hl')) el.classList.remove('selected', 'match', 'hl');
    const shown = (nodeId: string) => [view.itemOfNode.get(nodeId), ...(view.proxiesOf.get(nodeId) ?? [])];
    if (this.selected !== undefined) {
      for (const item of shown(this.selected)) {
        if (!item) continue;
        r.itemEls.get(item)?.classList.add('selected');
        for (const e of r.edgesOf.get(item) ?? []) r.edgeEls.get(e)?.classList.add('hl');
      }
    }
    for (const id of this.matches) {
      for (const item of shown(id)) if (item) r.itemEls.get(item)?.classList.add('match');
    }
    this.svg.classList.toggle('searching', this.matches.length > 0);
  }

  private onClick(e: MouseEvent): void {
    if (this.zoom.suppressClick) return;
    const target = (e.target as Element).closest('[data-id]');
    const id = target?.getAttribute('data-id');
    if (!id || !this.model) {
      void this.select(undefined);
      return;
    }
    if (id.startsWith('c:')) {
      const cluster = id.slice(2);
      const next = new Set(this.expanded);
      if (next.has(cluster)) {
        // Folding a cluster folds everything inside it too, so that reopening starts compact.
        for (const c of this.model.clusters.keys()) if (c === cluster || this.isInside(c, cluster)) next.delete(c);
      } else next.add(cluster);
      void this.setExpanded(next, clusterItem(cluster));
    } else if (id.startsWith('p:')) void this.select(id.slice(2, id.lastIndexOf(':')));
    else void this.select(id.slice(2));
  }

  private isInside(cluster: string, ancestor: string): boolean {
    const seen = new Set<string>();
    for (let c = this.model?.clusters.get(cluster)?.parent; c !== undefined && !seen.has(c); c = this.model?.clusters.get(c)?.parent) {
      if (c === ancestor) return true;
      seen.add(c);
    }
    return false;
  }

  private onHover(e: PointerEvent, on: boolean): void {
    const id = (e.target as Element).closest('.item')?.getAttribute('data-id');
    if (!id || !this.rendered) return;
    for (const edge of this.rendered.edgesOf.get(id) ?? []) this.rendered.edgeEls.get(edge)?.classList.toggle('hover', on);
  }
}

export function setLoadError(title: string, message: string, issues: readonly string[] = []): void {
  showError({ title, message, issues });
  setState({ state: 'error' });
}
