/**
 * What a demo part is: a title, a size (its progress units), and a run that trains something
 * and returns what the demo writes and shows. Parts never write files or print themselves.
 */
import type { Graph } from '@argmin/graph';

export interface PartContext {
  /** Small sizes (the test and `pnpm demo --quick`). */
  readonly quick: boolean;
  /** Advances the progress bar by `units` (of the part's `units(quick)`); yields to the event loop. */
  readonly progress: (units?: number) => Promise<void>;
}

export interface Figure {
  /** File-name stem, e.g. 'loss' → `<part>.loss.svg`. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

export interface PartResult {
  /** One line, printed to the console and shown on the index page. */
  readonly summary: string;
  /** A few sentences for the index page: what is learned, from what, and against what. */
  readonly description: string;
  /** One forward/loss evaluation, traced. */
  readonly graph: Graph;
  /** The loss curve first, then any other figures. */
  readonly figures: readonly Figure[];
  /** The numbers behind the summary (written to summary.json; the test checks them). */
  readonly metrics: Readonly<Record<string, number | string | boolean>>;
}

export interface DemoPart {
  /** File-name stem of its outputs, e.g. 'task-based'. */
  readonly id: string;
  readonly title: string;
  /** The paper it reproduces, for the index page. */
  readonly reference: string;
  /** Progress units the run will report (roughly proportional to its time). */
  units(quick: boolean): number;
  run(ctx: PartContext): Promise<PartResult>;
}
