import type { OpGradSpec } from '@argmin/autodiff/testing';

export const shapeSpecs: OpGradSpec[] = [];
