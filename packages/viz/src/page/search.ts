// Search by name, op or id: matches are highlighted as you type; Enter / Shift+Enter walk through
// them, revealing and centring each one (the host expands folded clusters as needed).
import type { GraphModel } from './model.js';

export interface SearchHost {
  readonly model: () => GraphModel | undefined;
  /** Highlight these node ids (empty: clear the search highlight). */
  readonly highlight: (nodeIds: readonly string[]) => void;
  /** Reveal, centre and select one node. */
  readonly focus: (nodeId: string) => void;
}

export function findMatches(model: GraphModel, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: string[] = [];
  for (const n of model.graph.nodes) {
    if (n.op.toLowerCase().includes(q) || n.id.toLowerCase().includes(q) || (n.label?.toLowerCase().includes(q) ?? false)) out.push(n.id);
  }
  return out;
}

export class Search {
  private matches: string[] = [];
  private index = -1;
  private timer = 0;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly count: HTMLElement,
    prev: HTMLElement,
    next: HTMLElement,
    private readonly host: SearchHost,
  ) {
    input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.update(), 90);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        clearTimeout(this.timer);
        if (this.input.value.trim() && this.matches.length === 0) this.update();
        this.step(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.input.value = '';
        this.update();
        this.input.blur();
      }
    });
    prev.addEventListener('click', () => this.step(-1));
    next.addEventListener('click', () => this.step(1));
  }

  /** Recomputes matches, e.g. after a new graph was loaded. */
  update(): void {
    const model = this.host.model();
    this.matches = model ? findMatches(model, this.input.value) : [];
    this.index = -1;
    this.host.highlight(this.matches);
    this.renderCount();
  }

  private step(dir: 1 | -1): void {
    if (this.matches.length === 0) return;
    this.index = (this.index + dir + this.matches.length) % this.matches.length;
    this.renderCount();
    this.host.focus(this.matches[this.index]!);
  }

  private renderCount(): void {
    const q = this.input.value.trim();
    const n = this.matches.length;
    this.count.textContent = !q ? '' : n === 0 ? 'no match' : this.index < 0 ? `${n} found` : `${this.index + 1} of ${n}`;
    this.count.classList.toggle('none', Boolean(q) && n === 0);
  }
}
