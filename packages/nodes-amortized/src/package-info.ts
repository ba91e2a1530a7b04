// Generated from nodes-amortized/package.json by scripts/sync-versions.mjs (`pnpm version-packages` runs it).
// Do not edit: CI fails when this disagrees with package.json.
export const PACKAGE_NAME = '@argmin/nodes-amortized';
export const PACKAGE_VERSION = '0.1.0';
