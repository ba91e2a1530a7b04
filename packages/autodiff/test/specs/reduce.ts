import type { OpGradSpec } from '@argmin/autodiff/testing';

export const reduceSpecs: OpGradSpec[] = [];
