/** The demo's parts, in the order of the story. */
import type { DemoPart } from './part.js';
import { amortizedPart } from './amortized.js';
import { metaOtPart } from './meta-ot.js';
import { optnetPart } from './optnet.js';
import { pendulumPart } from './pendulum.js';
import { sortingPart } from './sorting.js';
import { taskBasedPart } from './task-based.js';

export const DEMO_PARTS: readonly DemoPart[] = [taskBasedPart, optnetPart, pendulumPart, amortizedPart, metaOtPart, sortingPart];
