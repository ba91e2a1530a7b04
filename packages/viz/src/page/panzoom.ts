// Pan (drag) and zoom (wheel, pinch, keys) by a single transform on one <g>: the browser then only
// re-composites, which keeps 2,000-node graphs responsive. Below a zoom threshold the SVG gets the
// class `lod-low`, which hides small text (see style.css).
import type { Box } from './render.js';

const MIN_K = 0.02;
const MAX_K = 4;
const LOW_DETAIL_K = 0.45;

export class PanZoom {
  private k = 1;
  private x = 0;
  private y = 0;
  private anim = 0;
  private drag: { id: number; x: number; y: number; moved: boolean } | undefined;
  /** True right after a drag, so the click that ends it does not select anything. */
  suppressClick = false;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly viewport: SVGGElement,
  ) {
    svg.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    svg.addEventListener('pointerdown', (e) => this.onDown(e));
    svg.addEventListener('pointermove', (e) => this.onMove(e));
    svg.addEventListener('pointerup', (e) => this.onUp(e));
    svg.addEventListener('pointercancel', (e) => this.onUp(e));
  }

  get scale(): number {
    return this.k;
  }

  /** Screen position (relative to the SVG) of a graph point. */
  toScreen(p: { x: number; y: number }): { x: number; y: number } {
    return { x: p.x * this.k + this.x, y: p.y * this.k + this.y };
  }

  /** Whether a graph box is entirely on screen. */
  isVisible(box: Box): boolean {
    const { width, height } = this.size();
    const a = this.toScreen(box);
    return a.x >= 0 && a.y >= 0 && a.x + box.width * this.k <= width && a.y + box.height * this.k <= height;
  }

  fit(bounds: Box, animate = false): void {
    const { width, height } = this.size();
    const pad = 32;
    const k = clamp(Math.min((width - 2 * pad) / Math.max(bounds.width, 1), (height - 2 * pad) / Math.max(bounds.height, 1), 1.2));
    const x = (width - bounds.width * k) / 2 - bounds.x * k;
    const y = (height - bounds.height * k) / 2 - bounds.y * k;
    this.go(k, x, y, animate);
  }

  /** Centres a box, zooming in to at least `minK` so that it is readable. */
  centerOn(box: Box, minK = 0.9, animate = true): void {
    const { width, height } = this.size();
    const k = clamp(Math.max(this.k, minK));
    this.go(k, width / 2 - (box.x + box.width / 2) * k, height / 2 - (box.y + box.height / 2) * k, animate);
  }

  /** Shifts the view so that graph point `p` appears at screen point `screen` (keeps context on relayout). */
  pin(p: { x: number; y: number }, screen: { x: number; y: number }): void {
    this.go(this.k, screen.x - p.x * this.k, screen.y - p.y * this.k, false);
  }

  zoomBy(factor: number): void {
    const { width, height } = this.size();
    this.zoomAround(factor, width / 2, height / 2, true);
  }

  private size(): { width: number; height: number } {
    const r = this.svg.getBoundingClientRect();
    return { width: r.width || 800, height: r.height || 600 };
  }

  private zoomAround(factor: number, sx: number, sy: number, animate: boolean): void {
    const k = clamp(this.k * factor);
    const f = k / this.k;
    this.go(k, sx - (sx - this.x) * f, sy - (sy - this.y) * f, animate);
  }

  private go(k: number, x: number, y: number, animate: boolean): void {
    cancelAnimationFrame(this.anim);
    if (!animate) {
      [this.k, this.x, this.y] = [k, x, y];
      this.apply();
      return;
    }
    const [k0, x0, y0] = [this.k, this.x, this.y];
    const t0 = performance.now();
    const step = (now: number) => {
      const t = Math.min(1, (now - t0) / 260);
      const e = 1 - (1 - t) ** 3;
      [this.k, this.x, this.y] = [k0 + (k - k0) * e, x0 + (x - x0) * e, y0 + (y - y0) * e];
      this.apply();
      if (t < 1) this.anim = requestAnimationFrame(step);
    };
    this.anim = requestAnimationFrame(step);
  }

  private apply(): void {
    this.viewport.setAttribute('transform', `translate(${this.x.toFixed(2)},${this.y.toFixed(2)}) scale(${this.k.toFixed(4)})`);
    this.svg.classList.toggle('lod-low', this.k < LOW_DETAIL_K);
    this.svg.dataset.zoom = this.k.toFixed(3);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.svg.getBoundingClientRect();
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    // Pinch gestures arrive as ctrl+wheel with small deltas: zoom faster for them.
    this.zoomAround(Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.0015)), e.clientX - r.left, e.clientY - r.top, false);
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
    this.suppressClick = false;
  }

  private onMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      this.svg.setPointerCapture(e.pointerId);
      this.svg.classList.add('panning');
    }
    d.x = e.clientX;
    d.y = e.clientY;
    this.go(this.k, this.x + dx, this.y + dy, false);
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.id !== e.pointerId) return;
    this.suppressClick = d.moved;
    this.drag = undefined;
    this.svg.classList.remove('panning');
    if (this.svg.hasPointerCapture(e.pointerId)) this.svg.releasePointerCapture(e.pointerId);
  }
}

const clamp = (k: number) => Math.min(MAX_K, Math.max(MIN_K, k));
