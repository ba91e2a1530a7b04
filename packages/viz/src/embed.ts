// Escaping for the two places where renderViewerHtml writes data into HTML.

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` become \u escapes,
 * so a string such as `</script>` or `<!--` in a label cannot end or disturb the element (the
 * page's JSON.parse turns the escapes back into the same characters). U+2028/2029 are escaped too,
 * for consumers that treat the text as JavaScript.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('jsonForScript: value is not serialisable to JSON');
  return escapeScriptJson(json);
}

/** The same escaping applied to JSON that is already text (e.g. a file read verbatim). */
export function escapeScriptJson(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text for an HTML element's content or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
