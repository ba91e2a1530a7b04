// Entry point of the standalone viewer page (built by scripts/build-page.mjs into one HTML file):
// mounts the viewer on #app with the embedded graph, if any, and the inline ELK worker.
import '../strict-csp.js'; // first: before zod loads (see strict-csp.ts)
import { inlineElk } from './elk-inline.js';
import { mountCore } from './mount.js';

const app = document.getElementById('app');
if (!app) throw new Error('viewer page: missing #app');
const embedded = document.getElementById('argmin-graph')?.textContent ?? '';
mountCore(app, embedded.trim() ? embedded : undefined, { standalone: true, elk: inlineElk });
