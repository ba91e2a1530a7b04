// The viewer's stylesheet, part 1 of 3: Variables, page frame, header and buttons.
// Plain CSS in a string so that the library entry (mountViewer) and the standalone page share it
// without a CSS loader; it is scoped to the viewer's shadow root (:host is the mount element).
export const css = `
/* argmin viewer. Fonts of .item text must match measure.ts (box sizes are measured with them). */
:host {
  --font: Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: "JetBrains Mono", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
  --ink: #0f172a;
  --ink-2: #334155;
  --muted: #64748b;
  --line: #e2e8f0;
  --bg: #f6f7f9;
  --panel: #ffffff;
  --accent: #2563eb;
  --input: #2563eb;
  --input-bg: #eff6ff;
  --param: #7c3aed;
  --param-bg: #f5f3ff;
  --const: #94a3b8;
  --const-bg: #f8fafc;
  --op: #94a3b8;
  --op-bg: #ffffff;
  --opt: #ea580c;
  --opt-bg: #fff7ed;
  --cluster: #0e7490;
  --cluster-bg: #ecfeff;
  --ok: #15803d;
  --ok-bg: #dcfce7;
  --warn: #b45309;
  --warn-bg: #fef3c7;
  --bad: #b91c1c;
  --bad-bg: #fee2e2;
  --edge: #9aa7b8;
}
* {
  box-sizing: border-box;
}
:host {
  position: relative;
  height: 100%;
  min-height: 320px;
  font: 13px / 1.45 var(--font);
  color: var(--ink);
  background: var(--bg);
  display: flex;
  flex-direction: column;
  overflow: hidden;
  -webkit-font-smoothing: antialiased;
}
button,
input {
  font: inherit;
  color: inherit;
}
.mono {
  font-family: var(--mono);
  font-size: 0.94em;
}
.muted {
  color: var(--muted);
}
.small {
  font-size: 12px;
}

/* Header */
.topbar {
  display: flex;
  align-items: center;
  gap: 20px;
  height: 56px;
  padding: 0 16px;
  background: #fff;
  border-bottom: 1px solid var(--line);
  flex: none;
  z-index: 2;
}
.brand {
  display: flex;
  align-items: center;
  gap: 8px;
  color: var(--ink);
  font-weight: 700;
  letter-spacing: -0.01em;
}
.logo {
  width: 22px;
  height: 22px;
  color: var(--opt);
}
.brand-name {
  font-size: 15px;
}
.title-block {
  min-width: 0;
  flex: 1;
  border-left: 1px solid var(--line);
  padding-left: 16px;
}
.title-block h1 {
  margin: 0;
  font-size: 14px;
  font-weight: 650;
  white-space: nowrap;
  overflow: hidden;
  text-overflow: ellipsis;
}
.counts {
  color: var(--muted);
  font-size: 12px;
  white-space: nowrap;
}
.search {
  display: flex;
  align-items: center;
  gap: 4px;
  position: relative;
}
.search input {
  width: 260px;
  height: 32px;
  padding: 0 78px 0 12px;
  border: 1px solid var(--line);
  border-radius: 8px;
  background: var(--bg);
  outline: none;
}
.search input:focus {
  border-color: var(--accent);
  background: #fff;
  box-shadow: 0 0 0 3px rgb(37 99 235 / 0.15);
}
.search-count {
  position: absolute;
  right: 64px;
  font-size: 11px;
  color: var(--muted);
  pointer-events: none;
}
.search-count.none {
  color: var(--bad);
}
.actions {
  display: flex;
  gap: 6px;
}
.btn {
  display: inline-flex;
  align-items: center;
  height: 32px;
  padding: 0 12px;
  border: 1px solid var(--line);
  border-radius: 8px;
  background: #fff;
  cursor: pointer;
  font-weight: 550;
  white-space: nowrap;
}
.btn:hover {
  background: #f1f5f9;
}
.btn-primary {
  background: var(--ink);
  border-color: var(--ink);
  color: #fff;
}
.btn-primary:hover {
  background: #1e293b;
}
.icon-btn {
  width: 28px;
  height: 28px;
  border: 0;
  border-radius: 6px;
  background: transparent;
  cursor: pointer;
  font-size: 18px;
  line-height: 1;
  color: var(--muted);
}
.icon-btn:hover {
  background: #f1f5f9;
  color: var(--ink);
}
`;
