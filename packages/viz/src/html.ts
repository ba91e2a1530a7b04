// renderViewerHtml: the standalone viewer page with a graph embedded in it.
import type { GraphJSON } from '@argmin/graph';
import { escapeHtml, escapeScriptJson, jsonForScript } from './embed.js';
import { viewerTemplate } from './template.js';

export interface ViewerHtmlOptions {
  /** Document title; defaults to the graph's name. */
  readonly title?: string;
}

const DATA_TAG = '<script type="application/json" id="argmin-graph"></script>';

/**
 * A self-contained HTML page (no network, works from file://) showing `graph`. The page validates
 * the graph again when it opens, and shows an error panel if it is malformed.
 */
export function renderViewerHtml(graph: GraphJSON, options: ViewerHtmlOptions = {}): string {
  return fillTemplate(viewerTemplate(), jsonForScript(graph), options.title ?? `${graph.name || 'graph'} · argmin`);
}

/**
 * Puts JSON text (already escaped for a script element, see embed.ts) and a title into the page.
 * @internal exported for tests that embed deliberately malformed text.
 */
export function fillTemplate(template: string, scriptSafeJson: string, title: string): string {
  const at = template.indexOf(DATA_TAG);
  if (at < 0) throw new Error('@argmin/viz: the viewer template has no graph slot');
  const json = escapeScriptJson(scriptSafeJson); // idempotent on escaped text; guards raw callers
  const withData = `${template.slice(0, at)}${DATA_TAG.replace('></', `>${json}</`)}${template.slice(at + DATA_TAG.length)}`;
  return withData.replace(/<title>[^<]*<\/title>/, () => `<title>${escapeHtml(title)}</title>`);
}
