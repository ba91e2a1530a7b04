// The whole stylesheet of the viewer, in the order the parts were written.
import { css as base } from './base.js';
import { css as canvas } from './canvas.js';
import { css as panel } from './panel.js';

export const viewerCss = `${base}\n${canvas}\n${panel}`;
