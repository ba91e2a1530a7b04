// What the viewer needs of a layout engine: ELK's `layout` and `terminateWorker`, typed
// structurally so that the public declarations (mountViewer's) do not pull in elkjs's own .d.ts,
// which does not type-check with skipLibCheck false.
export interface ElkEngine {
  layout(graph: { readonly id: string; readonly children?: readonly object[] }): Promise<unknown>;
  terminateWorker(): void;
}

/** Makes an engine (called lazily, on the first layout, and again after a failed worker). */
export type ElkFactory = () => ElkEngine | Promise<ElkEngine>;
