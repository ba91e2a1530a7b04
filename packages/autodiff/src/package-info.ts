// Generated from autodiff/package.json by scripts/sync-versions.mjs (`pnpm version-packages` runs it).
// Do not edit: CI fails when this disagrees with package.json.
export const PACKAGE_NAME = '@argmin/autodiff';
export const PACKAGE_VERSION = '0.1.0';
