// The viewer's stylesheet, part 3 of 3: Overlay cards (landing, error, busy) and the side panel.
// Plain CSS in a string so that the library entry (mountViewer) and the standalone page share it
// without a CSS loader; it is scoped to the viewer's shadow root (:host is the mount element).
export const css = `
/* Overlay cards */
.overlay {
  position: absolute;
  inset: 0;
  display: grid;
  place-items: center;
  padding: 24px;
  background: rgb(246 247 249 / 0.6);
}
.overlay[hidden] {
  display: none;
}
.card {
  max-width: 560px;
  width: 100%;
  padding: 28px 30px;
  background: #fff;
  border: 1px solid var(--line);
  border-radius: 14px;
  box-shadow: 0 12px 32px rgb(15 23 42 / 0.08);
}
.card h2 {
  margin: 0 0 8px;
  font-size: 18px;
  letter-spacing: -0.01em;
}
.card p {
  margin: 0 0 16px;
}
.error-card {
  border-top: 4px solid var(--bad);
}
.error-icon {
  width: 32px;
  height: 32px;
  border-radius: 50%;
  background: var(--bad-bg);
  color: var(--bad);
  display: grid;
  place-items: center;
  font-weight: 800;
  margin-bottom: 12px;
}
.error-message {
  color: var(--ink-2);
  overflow-wrap: anywhere;
}
.issues {
  margin: 0 0 18px;
  padding: 10px 12px 10px 28px;
  background: #fef2f2;
  border-radius: 8px;
  color: #7f1d1d;
  font-size: 12px;
  max-height: 220px;
  overflow: auto;
  overflow-wrap: anywhere;
}
.busy {
  display: flex;
  align-items: center;
  gap: 12px;
  width: auto;
  padding: 14px 20px;
}
.spinner {
  width: 18px;
  height: 18px;
  border-radius: 50%;
  border: 2.5px solid #cbd5e1;
  border-top-color: var(--accent);
  animation: spin 0.8s linear infinite;
}
@keyframes spin {
  to {
    transform: rotate(360deg);
  }
}
.drop-hint {
  position: fixed;
  inset: 8px;
  z-index: 10;
  display: grid;
  place-items: center;
  border: 2px dashed var(--accent);
  border-radius: 16px;
  background: rgb(239 246 255 / 0.9);
  font-size: 16px;
  font-weight: 600;
  color: var(--accent);
  pointer-events: none;
}
.drop-hint[hidden] {
  display: none;
}

/* Side panel */
.panel {
  width: 384px;
  flex: none;
  overflow-y: auto;
  background: var(--panel);
  border-left: 1px solid var(--line);
  box-shadow: -4px 0 16px rgb(15 23 42 / 0.04);
}
.panel[hidden] {
  display: none;
}
.panel-header {
  position: relative;
  padding: 16px 44px 14px 18px;
  border-bottom: 1px solid var(--line);
}
.panel-kicker {
  display: flex;
  align-items: center;
  gap: 8px;
  font-size: 11px;
}
.panel-title {
  margin: 6px 0 2px;
  font-size: 16px;
  line-height: 1.3;
  overflow-wrap: anywhere;
}
.op-name {
  color: var(--ink-2);
  overflow-wrap: anywhere;
}
.panel-close {
  position: absolute;
  top: 12px;
  right: 10px;
}
.kind-pill {
  padding: 1px 8px;
  border-radius: 999px;
  font-weight: 600;
  border: 1px solid;
}
.kind-pill.kind-input {
  color: var(--input);
  background: var(--input-bg);
}
.kind-pill.kind-parameter {
  color: var(--param);
  background: var(--param-bg);
}
.kind-pill.kind-constant {
  color: #475569;
  background: var(--const-bg);
}
.kind-pill.kind-op {
  color: #475569;
  background: #f1f5f9;
}
.kind-pill.kind-optimization {
  color: var(--opt);
  background: var(--opt-bg);
}
.panel-section {
  padding: 14px 18px;
  border-bottom: 1px solid var(--line);
}
.panel-section h3 {
  margin: 0 0 10px;
  font-size: 11px;
  font-weight: 700;
  letter-spacing: 0.06em;
  text-transform: uppercase;
  color: var(--muted);
}
.kv {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 4px 14px;
  margin: 0;
}
.kv dt {
  color: var(--muted);
}
.kv dd {
  margin: 0;
  overflow-wrap: anywhere;
}
.kv-mono dd {
  font-family: var(--mono);
  font-size: 12px;
}
.pill-row {
  display: flex;
  gap: 6px;
  margin-bottom: 10px;
}
.pill {
  padding: 2px 9px;
  border-radius: 999px;
  font-size: 11.5px;
  font-weight: 600;
  background: #f1f5f9;
  color: var(--ink-2);
}
.pill.strategy {
  background: #e0e7ff;
  color: #3730a3;
}
.pill.status-ok {
  background: var(--ok-bg);
  color: var(--ok);
}
.pill.status-warn {
  background: var(--warn-bg);
  color: var(--warn);
}
.pill.status-bad {
  background: var(--bad-bg);
  color: var(--bad);
}
.pill.count {
  background: #e2e8f0;
}
.status-table {
  width: 100%;
  border-collapse: collapse;
  font-size: 12px;
}
.status-table th {
  text-align: left;
  font-weight: 600;
  color: var(--muted);
  border-bottom: 1px solid var(--line);
  padding: 3px 6px 3px 0;
}
.status-table td {
  padding: 3px 6px 3px 0;
  border-bottom: 1px solid #f1f5f9;
}
.status-table .num {
  text-align: right;
  font-family: var(--mono);
  font-size: 11.5px;
}
.status-table .dot {
  margin-right: 6px;
}
.swatch-line {
  display: inline-block;
  width: 10px;
  height: 3px;
  border-radius: 2px;
  margin-right: 6px;
  vertical-align: middle;
}
.chart-title {
  margin: 14px 0 4px;
  font-size: 12px;
  font-weight: 600;
  color: var(--ink-2);
}
.chart .grid {
  stroke: #eef2f6;
}
.chart .axis {
  stroke: #cbd5e1;
}
.chart .tick,
.chart .axis-label {
  font: 10px var(--mono);
  fill: var(--muted);
}
.chart .series {
  fill: none;
  stroke-width: 1.6;
  stroke-linejoin: round;
}
.values {
  display: flex;
  flex-direction: column;
  gap: 10px;
}
.value-card {
  border: 1px solid var(--line);
  border-radius: 10px;
  padding: 10px 12px;
}
.value-head {
  display: flex;
  justify-content: space-between;
  gap: 10px;
  align-items: baseline;
}
.value-name {
  font-weight: 600;
  overflow-wrap: anywhere;
}
.shape {
  color: var(--ink-2);
  background: #f1f5f9;
  padding: 0 6px;
  border-radius: 4px;
  white-space: nowrap;
}
.value-links {
  margin-top: 4px;
  color: var(--muted);
  font-size: 12px;
}
.link {
  border: 0;
  padding: 0;
  background: none;
  color: var(--accent);
  cursor: pointer;
  font-size: 12px;
}
.link:hover {
  text-decoration: underline;
}
.stats {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 6px;
  margin-top: 8px;
}
.stat {
  display: flex;
  flex-direction: column;
  background: #f8fafc;
  border-radius: 6px;
  padding: 4px 6px;
  min-width: 0;
}
.stat-k {
  font-size: 10.5px;
  color: var(--muted);
}
.stat-v {
  font-size: 11.5px;
  overflow: hidden;
  text-overflow: ellipsis;
}
.grad {
  display: flex;
  justify-content: space-between;
  margin-top: 8px;
  font-size: 12px;
}
.heatmap-wrap {
  margin-top: 8px;
  overflow: auto;
}
.heatmap {
  display: block;
  border-radius: 4px;
}
`;
