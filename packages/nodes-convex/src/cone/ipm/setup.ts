import type { ConeLayout } from '../problem.js';
import type { IpmCone } from './cone.js';
import { zeroCone, nonnegCone } from './cone.js';
import { expCone } from './exp.js';
import { powerCone } from './power.js';
import { psdCone } from './psd.js';
import { socCone } from './soc.js';

/** The engine's cone blocks for a layout (fresh state: each solve owns its scalings). */
export function ipmCones(layout: ConeLayout): IpmCone[] {
  return layout.blocks.map((b) => {
    switch (b.kind) {
      case 'zero':
        return zeroCone(b.offset, b.size);
      case 'nonneg':
        return nonnegCone(b.offset, b.size);
      case 'soc':
        return socCone(b.offset, b.size);
      case 'psd':
        return psdCone(b.offset, b.order!);
      case 'exp':
        return expCone(b.offset);
      case 'power':
        return powerCone(b.offset, b.alpha!);
    }
  });
}
