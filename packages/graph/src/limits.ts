/**
 * Size limits that are part of graph format version 1. The zod schema enforces them on load,
 * and the builder and edits enforce them when data enters a graph, so every graph this package
 * makes can be saved and loaded back (and the error names the culprit node, not a file path).
 */

/** Longest id, and longest key inside attrs, in characters. */
export const MAX_ID_LENGTH = 256;
/** Longest graph name, op, plugin, label or cluster label, in characters. */
export const MAX_TEXT_LENGTH = 10_000;
/** Longest string inside attrs, in characters. */
export const MAX_ATTR_STRING_LENGTH = 100_000;
/** Longest solver status string, in characters. */
export const MAX_STATUS_LENGTH = 100;
/** Highest tensor rank. */
export const MAX_RANK = 64;
/** Deepest nesting inside attrs; keeps graph files within `fromJSON`'s default `maxDepth` of 64. */
export const MAX_ATTR_DEPTH = 32;
