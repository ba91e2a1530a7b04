// Element builders that only ever set text through textContent: graph data is text, never markup.
const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | undefined>;

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

// The tree the viewer's elements live in: the shadow root of its mount element (see mount.ts).
// One viewer per page: mounting a second one moves the lookups to the new root.
let root: Document | ShadowRoot | undefined;

export function setRoot(r: Document | ShadowRoot): void {
  root = r;
}

export function byId<T extends HTMLElement | SVGElement = HTMLElement>(id: string): T {
  const el = (root ?? document).getElementById(id);
  if (!el) throw new Error(`viewer: missing #${id}`);
  return el as unknown as T;
}

// Where the viewer reports its state ('loading' | 'layout' | 'ready' | 'error' | 'empty') and
// layout figures as data-* attributes: the mount element, and the page's <body> for the
// standalone page. 'ready' also fires an `argmin:ready` event on the mount element.
let stateTargets: readonly HTMLElement[] = [];

export function setStateTargets(targets: readonly HTMLElement[]): void {
  stateTargets = targets;
}

export function setState(fields: { state: string } & Record<string, string>): void {
  for (const t of stateTargets) Object.assign(t.dataset, fields);
  if (fields.state === 'ready' || fields.state === 'error' || fields.state === 'empty') {
    stateTargets[0]?.dispatchEvent(new CustomEvent(`argmin:${fields.state}`, { bubbles: true, composed: true }));
  }
}
