// The viewer's stylesheet, part 2 of 3: The graph canvas: boxes, edges, clusters, zoom controls, legend strip.
// Plain CSS in a string so that the library entry (mountViewer) and the standalone page share it
// without a CSS loader; it is scoped to the viewer's shadow root (:host is the mount element).
export const css = `
/* Canvas */
.workspace {
  flex: 1;
  display: flex;
  min-height: 0;
}
.canvas {
  position: relative;
  flex: 1;
  min-width: 0;
  overflow: hidden;
  background-color: var(--bg);
  background-image: radial-gradient(#d8dee6 1px, transparent 1px);
  background-size: 20px 20px;
}
#graph {
  width: 100%;
  height: 100%;
  display: block;
  cursor: grab;
  user-select: none;
}
#graph.panning {
  cursor: grabbing;
}

.item {
  cursor: pointer;
}
.item .box {
  fill: var(--op-bg);
  stroke: var(--op);
  stroke-width: 1.2;
}
.item .title {
  font: 600 12.5px var(--font);
  fill: var(--ink);
}
.item .sub {
  font: 400 11.5px var(--font);
  fill: var(--muted);
}
.item.kind-op .title {
  fill: var(--ink-2);
}
.item.kind-input .box {
  fill: var(--input-bg);
  stroke: var(--input);
}
.item.kind-parameter .box {
  fill: var(--param-bg);
  stroke: var(--param);
}
.item.kind-constant .box {
  fill: var(--const-bg);
  stroke: var(--const);
  stroke-dasharray: 4 3;
}
.item.kind-optimization .box {
  fill: var(--opt-bg);
  stroke: var(--opt);
  stroke-width: 1.6;
}
.item .accent {
  fill: var(--opt);
}
.item.kind-cluster .box {
  fill: var(--cluster-bg);
  stroke: var(--cluster);
  stroke-width: 1.4;
}
.item.kind-cluster .stack {
  fill: #fff;
  stroke: #7dd3e3;
}
.item.kind-cluster .title {
  fill: #164e63;
}
.item:hover .box {
  filter: brightness(0.97);
  stroke-width: 2;
}
.item.selected .box {
  stroke: var(--accent);
  stroke-width: 2.6;
}
.toggle circle {
  fill: #fff;
  stroke: currentColor;
  stroke-width: 1.2;
}
.toggle {
  color: var(--cluster);
}
.toggle path {
  stroke: currentColor;
  stroke-width: 1.6;
  stroke-linecap: round;
}

.badge rect {
  fill: #f1f5f9;
}
.badge text {
  font: 600 10.5px var(--font);
  fill: var(--ink-2);
}
.badge.strategy rect {
  fill: #e0e7ff;
}
.badge.strategy text {
  fill: #3730a3;
}
.badge.status-ok rect {
  fill: var(--ok-bg);
}
.badge.status-ok text {
  fill: var(--ok);
}
.badge.status-warn rect {
  fill: var(--warn-bg);
}
.badge.status-warn text {
  fill: var(--warn);
}
.badge.status-bad rect {
  fill: var(--bad-bg);
}
.badge.status-bad text {
  fill: var(--bad);
}
.badge.count rect {
  fill: #e2e8f0;
}

.cluster .frame {
  fill: rgb(240 253 255 / 0.55);
  stroke: #8fd3df;
  stroke-width: 1.2;
  stroke-dasharray: 5 4;
}
.cluster-header {
  cursor: pointer;
}
.cluster-header .header-bg {
  fill: rgb(224 246 250 / 0.95);
}
.cluster-header:hover .header-bg {
  fill: rgb(190 238 246);
}
.cluster-header .title {
  font: 600 12.5px var(--font);
  fill: #164e63;
}
.cluster-header .sub {
  font: 400 11.5px var(--font);
  fill: #0e7490;
}

.edge path {
  fill: none;
  stroke: var(--edge);
  stroke-width: 1.3;
}
.edge.hover path {
  stroke: #475569;
  stroke-width: 1.8;
}
.edge.hl path {
  stroke: var(--accent);
  stroke-width: 2;
  marker-end: url(#arrow-hl);
}
.arrow-head {
  fill: var(--edge);
}
.arrow-head-hl {
  fill: var(--accent);
}
.edge-label {
  font: 500 10px var(--mono);
  fill: #64748b;
  paint-order: stroke;
  stroke: var(--bg);
  stroke-width: 3px;
  stroke-linejoin: round;
  pointer-events: none;
}

.searching .item:not(.match),
.searching .edge,
.searching .edge-label {
  opacity: 0.25;
}
.item.match .box {
  stroke: #f59e0b;
  stroke-width: 3;
}

/* Level of detail: when zoomed far out, small text is unreadable and costly. */
.lod-low .edge-label,
.lod-low .item .sub,
.lod-low .badge,
.lod-low .cluster-header .sub {
  display: none;
}

/* Zoom controls, legend and status bar */
.zoom-controls {
  position: absolute;
  right: 12px;
  top: 12px;
  display: flex;
  flex-direction: column;
  background: #fff;
  border: 1px solid var(--line);
  border-radius: 10px;
  padding: 3px;
  box-shadow: 0 1px 2px rgb(15 23 42 / 0.06);
}
.zoom-controls .icon-btn {
  font-size: 16px;
  color: var(--ink-2);
}
.legend-toggle[hidden],
.legend[hidden] {
  display: none;
}
/* The legend and status line sit in a strip below the canvas: they never cover the graph. */
.footer {
  display: flex;
  align-items: center;
  gap: 16px;
  min-height: 30px;
  padding: 4px 12px;
  border-top: 1px solid var(--line);
  background: var(--panel);
  font-size: 11.5px;
  color: var(--ink-2);
  flex-wrap: wrap;
}
.legend {
  display: flex;
  align-items: center;
  flex-wrap: wrap;
  column-gap: 14px;
  row-gap: 3px;
}
.legend-row {
  display: flex;
  align-items: center;
  gap: 7px;
}
.legend-sep {
  width: 1px;
  height: 14px;
  background: var(--line);
}
.swatch {
  width: 16px;
  height: 11px;
  border-radius: 3px;
  border: 1.4px solid;
  display: inline-block;
}
.swatch.kind-input {
  background: var(--input-bg);
  border-color: var(--input);
}
.swatch.kind-parameter {
  background: var(--param-bg);
  border-color: var(--param);
}
.swatch.kind-constant {
  background: var(--const-bg);
  border-color: var(--const);
  border-style: dashed;
}
.swatch.kind-op {
  background: var(--op-bg);
  border-color: var(--op);
}
.swatch.kind-optimization {
  background: var(--opt-bg);
  border-color: var(--opt);
}
.swatch.kind-cluster {
  background: var(--cluster-bg);
  border-color: var(--cluster);
}
.dot {
  width: 8px;
  height: 8px;
  border-radius: 50%;
  display: inline-block;
  background: #94a3b8;
  flex: none;
}
.dot.status-ok {
  background: #22c55e;
}
.dot.status-warn {
  background: #f59e0b;
}
.dot.status-bad {
  background: #ef4444;
}
.statusbar {
  margin-left: auto;
  color: var(--muted);
  font-size: 11px;
}
`;
