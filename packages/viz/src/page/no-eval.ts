// Imported first by the standalone page: zod (inside @argmin/graph's validation) probes once
// whether it may compile parsers with `Function(...)`, which the page's Content-Security-Policy
// forbids, so every load reported a `script-src` violation. Declaring zod jitless before it
// loads skips the probe; it then always uses its interpreter (fast enough for one graph).
const g = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
g.__zod_globalConfig = { ...g.__zod_globalConfig, jitless: true };
