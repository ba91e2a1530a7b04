import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from '../src/embed.js';
import { fillTemplate } from '../src/html.js';
import { syntheticGraph } from '../src/index.js';
import { renderViewerHtml } from '../src/node.js';

describe('jsonForScript', () => {
  it('escapes every character that could end or disturb a script element, and round-trips', () => {
    const value = { label: '</script><!-- <script> & \u2028 \u2029 >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('refuses values that are not JSON', () => {
    expect(() => jsonForScript(undefined)).toThrow(TypeError);
  });
});

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});

describe('renderViewerHtml', () => {
  const graph = { ...syntheticGraph({ nodes: 40 }), name: 'evil </script><script>alert(1)</script>' };
  const html = renderViewerHtml(graph);

  it('embeds the graph once, in the data element, as parseable JSON', () => {
    const open = '<script type="application/json" id="argmin-graph">';
    const start = html.indexOf(open) + open.length;
    const end = html.indexOf('</script>', start);
    expect(JSON.parse(html.slice(start, end))).toEqual(graph);
    expect(html.indexOf(open, start)).toBe(-1);
  });

  it('leaves exactly the two script elements of the template', () => {
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('is self-contained: no external script, stylesheet or URL to fetch', () => {
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(html).toContain("default-src 'none'");
  });

  it('titles the page after the graph unless told otherwise, escaped', () => {
    expect(html).toContain('<title>evil &#60;/script&#62;');
    expect(renderViewerHtml(graph, { title: 'A & B' })).toContain('<title>A &#38; B</title>');
  });

  it('fillTemplate escapes raw text too', () => {
    const page = fillTemplate('<title>t</title><script type="application/json" id="argmin-graph"></script>', '"</script>"', 'x');
    expect(page).toBe('<title>x</title><script type="application/json" id="argmin-graph">"\\u003c/script\\u003e"</script>');
  });
});
