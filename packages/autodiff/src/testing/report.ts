/**
 * Figures of a property-test run: per test, how many cases ran and the worst measured error as a
 * fraction of its tolerance (1 = at the tolerance). `checkVjp` and the node contract record every
 * case; the full tier (`pnpm test:full`) writes the figures out and summarises them in
 * docs/testing.md. Outside a run that asks for them (FULL_REPORT unset) recording is a no-op.
 */

export interface CaseFigures {
  /** Cases recorded (property runs, or checks inside them). */
  cases: number;
  /** Largest error / tolerance over the cases that measured one. */
  worstRatio: number;
  /** The error and tolerance of that worst case. */
  worstError: number;
  worstTolerance: number;
}

/** The current test's name, set by the runner's setup file (no import of a test runner here). */
type TestNameSource = () => string | undefined;

interface Registry {
  readonly figures: Map<string, CaseFigures>;
  currentTest: TestNameSource;
}

// On globalThis, so the setup file and the modules under test share one registry per test file.
const key = Symbol.for('argmin.testing.report');
function registry(): Registry {
  const g = globalThis as { [key]?: Registry };
  g[key] ??= { figures: new Map(), currentTest: () => undefined };
  return g[key];
}

/** Whether this run records figures (FULL_REPORT names the file the setup file appends them to). */
export function recordingFigures(): boolean {
  return typeof process !== 'undefined' && !!process.env.FULL_REPORT;
}

/** Records one case of the current test; with an error and its tolerance, tracks the worst ratio. */
export function recordCase(error?: number, tolerance?: number): void {
  if (!recordingFigures()) return;
  const reg = registry();
  const name = reg.currentTest() ?? '(outside a test)';
  const f = reg.figures.get(name) ?? { cases: 0, worstRatio: 0, worstError: 0, worstTolerance: 0 };
  f.cases++;
  if (error !== undefined && tolerance !== undefined) {
    const ratio = tolerance > 0 ? error / tolerance : error === 0 ? 0 : Number.POSITIVE_INFINITY;
    if (!(ratio <= f.worstRatio)) Object.assign(f, { worstRatio: ratio, worstError: error, worstTolerance: tolerance });
  }
  reg.figures.set(name, f);
}

/** Tells the registry how to name the running test (the setup file passes vitest's). */
export function setTestNameSource(source: TestNameSource): void {
  registry().currentTest = source;
}

/** The figures recorded so far, and clears them (the setup file calls it after each test file). */
export function takeFigures(): [string, CaseFigures][] {
  const reg = registry();
  const out = [...reg.figures];
  reg.figures.clear();
  return out;
}
