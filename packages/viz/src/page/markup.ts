// The viewer's static markup, put into its shadow root by mount.ts. No graph data here: every
// string from a graph reaches the DOM later through textContent (see dom.ts).
export const VIEWER_MARKUP = `
<header class="topbar">
  <div class="brand">
    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M3 5 Q12 26 21 5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" />
      <circle cx="12" cy="15.4" r="2.6" fill="currentColor" />
    </svg>
    <span class="brand-name">argmin</span>
  </div>
  <div class="title-block">
    <h1 id="graph-name">Graph viewer</h1>
    <div id="graph-counts" class="counts"></div>
  </div>
  <div class="search">
    <input id="search" type="search" placeholder="Search name or op  ( / )" autocomplete="off" spellcheck="false" />
    <span id="search-count" class="search-count"></span>
    <button type="button" id="search-prev" class="icon-btn" title="Previous match (Shift+Enter)" aria-label="Previous match">‹</button>
    <button type="button" id="search-next" class="icon-btn" title="Next match (Enter)" aria-label="Next match">›</button>
  </div>
  <div class="actions">
    <button type="button" id="btn-expand" class="btn" title="Expand every cluster">Expand all</button>
    <button type="button" id="btn-collapse" class="btn" title="Fold every cluster">Fold all</button>
    <label class="btn btn-primary" title="Open a graph JSON file">
      Open…<input id="file-input" type="file" accept=".json,application/json" hidden />
    </label>
  </div>
</header>
<main class="workspace">
  <section id="canvas" class="canvas" aria-label="Graph">
    <svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Computation graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 1 L 9 5 L 0 9 z" class="arrow-head" />
        </marker>
        <marker id="arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 1 L 9 5 L 0 9 z" class="arrow-head-hl" />
        </marker>
      </defs>
      <g id="viewport"></g>
    </svg>
    <div id="overlay" class="overlay" hidden></div>
    <div class="zoom-controls" role="group" aria-label="Zoom">
      <button type="button" id="zoom-in" class="icon-btn" title="Zoom in (+)" aria-label="Zoom in">+</button>
      <button type="button" id="zoom-out" class="icon-btn" title="Zoom out (−)" aria-label="Zoom out">−</button>
      <button type="button" id="zoom-fit" class="icon-btn" title="Fit to screen (F)" aria-label="Fit to screen">⤢</button>
    </div>
  </section>
  <aside id="panel" class="panel" hidden aria-label="Details"></aside>
</main>
<footer class="footer">
  <button type="button" id="legend-toggle" class="btn legend-toggle" hidden title="Show the legend">Legend</button>
  <div class="legend" id="legend">
    <div class="legend-row"><span class="swatch kind-input"></span>input</div>
    <div class="legend-row"><span class="swatch kind-parameter"></span>parameter</div>
    <div class="legend-row"><span class="swatch kind-constant"></span>constant</div>
    <div class="legend-row"><span class="swatch kind-op"></span>op</div>
    <div class="legend-row"><span class="swatch kind-optimization"></span>optimization</div>
    <div class="legend-row"><span class="swatch kind-cluster"></span>folded cluster</div>
    <div class="legend-sep"></div>
    <div class="legend-row"><span class="dot status-ok"></span>converged</div>
    <div class="legend-row"><span class="dot status-warn"></span>max_iter</div>
    <div class="legend-row"><span class="dot status-bad"></span>infeasible / unbounded</div>
    <button type="button" id="legend-close" class="icon-btn legend-close" title="Hide the legend" aria-label="Hide the legend">×</button>
  </div>
  <div class="statusbar" id="statusbar"></div>
</footer>
<div id="drop-hint" class="drop-hint" hidden><div>Drop a graph JSON file to open it</div></div>
`;
