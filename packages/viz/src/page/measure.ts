// Text widths for box sizing, measured with a canvas in the same fonts as style.css (keep in sync:
// .item .title, .item .sub, .badge text). Cached, since graphs repeat the same op names.
import type { Measure } from './describe.js';

const STACK = 'Inter, "Segoe UI", system-ui, -apple-system, Roboto, "Helvetica Neue", Arial, sans-serif';
export const FONTS = {
  title: `600 12.5px ${STACK}`,
  sub: `400 11.5px ${STACK}`,
  badge: `600 10.5px ${STACK}`,
} as const;

export function canvasMeasure(): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  const cache = new Map<string, number>();
  return (text, font) => {
    const key = `${font}\u0000${text}`;
    let w = cache.get(key);
    if (w === undefined) {
      if (ctx) {
        ctx.font = FONTS[font];
        w = ctx.measureText(text).width;
      } else w = text.length * 7;
      cache.set(key, w);
    }
    return w;
  };
}
