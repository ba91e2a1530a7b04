// The standalone page's layout engine: ELK's worker script ships inside the page gzip-compressed
// (base64), about a third of its 1.6 MB, and is inflated with DecompressionStream into a Blob URL
// only when the first layout needs it. A worker script cannot be loaded from a separate file
// under file://, hence the Blob. Page-only (vite virtual module); not part of the library build.
import elkApi, { type ELK as ElkApi } from 'elkjs/lib/elk-api.js';
import { ELK_WORKER_GZIP_BASE64 } from 'virtual:elk-worker-gzip';

// elk-api.js is CommonJS with `module.exports = ELK; ELK.default = ELK`.
const ELK = elkApi.default;

let workerUrl: Promise<string> | undefined;

async function inflate(): Promise<string> {
  const bytes = Uint8Array.from(atob(ELK_WORKER_GZIP_BASE64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const source = await new Response(stream).text();
  return URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
}

export async function inlineElk(): Promise<ElkApi> {
  workerUrl ??= inflate();
  const url = await workerUrl;
  return new ELK({ workerFactory: () => new Worker(url) });
}
