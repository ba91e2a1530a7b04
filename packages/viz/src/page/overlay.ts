// Centred cards over the canvas: the landing card (no graph yet), the error panel, and the
// "laying out…" indicator. Error text comes from files, so it is set as text only.
import { byId, h } from './dom.js';
import type { LoadError } from './load.js';

function show(card: HTMLElement): void {
  const overlay = byId('overlay');
  overlay.replaceChildren(card);
  overlay.hidden = false;
}

export function hideOverlay(): void {
  byId('overlay').hidden = true;
}

function openButton(text: string): HTMLElement {
  const btn = h('button', { class: 'btn btn-primary' }, text);
  btn.addEventListener('click', () => byId<HTMLInputElement>('file-input').click());
  return btn;
}

export function showLanding(): void {
  show(
    h(
      'div',
      { class: 'card landing', id: 'landing' },
      h('h2', {}, 'Open an argmin graph'),
      h(
        'p',
        { class: 'muted' },
        'Choose a graph JSON file (format argmin.graph, version 1), or drop one anywhere on this page. Nothing is uploaded: the file is read in your browser.',
      ),
      openButton('Choose a file…'),
      h('p', { class: 'muted small' }, 'Tip: argmin view graph.json -o graph.html writes a page with the graph inside.'),
    ),
  );
}

export function showError(error: LoadError): void {
  const issues = error.issues.length ? h('ul', { class: 'issues' }, ...error.issues.map((i) => h('li', { class: 'mono' }, i))) : null;
  show(
    h(
      'div',
      { class: 'card error-card', id: 'error-panel', role: 'alert' },
      h('div', { class: 'error-icon', 'aria-hidden': 'true' }, '!'),
      h('h2', {}, error.title),
      h('p', { class: 'error-message' }, error.message),
      issues,
      openButton('Open another file…'),
    ),
  );
}

export function showBusy(text: string): void {
  show(h('div', { class: 'card busy', id: 'busy' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, text)));
}
