/**
 * `import '@argmin/viz/strict-csp'` first, before anything that loads @argmin/graph or
 * @argmin/autodiff, in a page whose Content-Security-Policy has no 'unsafe-eval'. zod (their
 * validation) probes whether it may compile parsers with `Function(...)` as soon as it builds its
 * first object schema, at module load, and the browser reports that probe as a `script-src`
 * violation. Declared jitless, zod interprets and never probes. It is zod's global setting
 * (`globalThis.__zod_globalConfig`), so it also applies to the page's own zod if it is the same
 * copy; a value the page set before is kept. The standalone viewer page imports it first.
 * It also turns off the WebAssembly SIMD kernels (below).
 */
const g = globalThis as { __zod_globalConfig?: { jitless?: boolean }; __argmin_wasm?: boolean };
g.__zod_globalConfig ??= {};
g.__zod_globalConfig.jitless ??= true;
// No WebAssembly either: without 'wasm-unsafe-eval' in the CSP the browser reports each
// compilation of the SIMD kernels (autodiff's gemm, the MLP tiles) as a violation; they run on
// their scalar paths instead. A page whose CSP allows it sets globalThis.__argmin_wasm = true first.
g.__argmin_wasm ??= false;

export {};
