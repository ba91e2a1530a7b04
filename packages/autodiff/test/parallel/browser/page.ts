// The page: its main thread may not block, so opening a pool here is a typed error; the driver
// worker opens one and reports.
import { openBrowserWorkerPool } from '../../../src/parallel/browser.js';

const out: Record<string, unknown> = { isolated: globalThis.crossOriginIsolated };
try {
  await openBrowserWorkerPool({ size: 1, plugins: ['./nodes-convex.js'], workerUrl: './worker.js' });
  out.mainThread = 'opened';
} catch (e) {
  out.mainThread = `${(e as Error).name}: ${(e as Error).message}`;
}
const driver = new Worker(new URL('./driver.js', import.meta.url), { type: 'module' });
const done = (driverResult: unknown) => {
  out.driver = driverResult;
  (globalThis as unknown as { result: unknown }).result = out;
};
driver.onmessage = (e) => done(e.data);
driver.onerror = (e) => done({ error: e.message });
