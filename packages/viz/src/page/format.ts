// Text formatting shared by the canvas and the side panel: shapes, numbers, solver statuses.
import type { SolveInfoData } from '@argmin/graph';

export function formatShape(shape: readonly number[] | undefined): string {
  if (!shape) return '?';
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Four significant digits, exponent notation outside [1e-3, 1e5). */
export function formatNumber(x: number | undefined): string {
  if (x === undefined) return '–';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(4))) : x.toExponential(2).replace('e+', 'e');
  return s.replace('-', '−');
}

/**
 * A constant's label: the tracer names scalar constants by their value, written in full
 * ('0.008333333333333333'); shown to four significant digits ('0.008333').
 */
export function constantText(node: { readonly label?: string | undefined; readonly id: string }): string {
  const label = node.label ?? node.id;
  const x = label.trim() === '' ? Number.NaN : Number(label);
  return Number.isFinite(x) ? formatNumber(x) : label;
}

export type StatusClass = 'ok' | 'warn' | 'bad' | 'unknown';

const OK = new Set(['converged', 'optimal', 'solved', 'success', 'ok']);
const BAD = /infeasible|unbounded|nan|error|fail|diverge|singular/i;
const WARN = /max_?iter|stall|inaccurate|slow|limit|tolerance/i;

export function statusClass(status: string): StatusClass {
  if (OK.has(status.toLowerCase())) return 'ok';
  if (BAD.test(status)) return 'bad';
  if (WARN.test(status)) return 'warn';
  return 'unknown';
}

const SEVERITY: Record<StatusClass, number> = { ok: 0, unknown: 1, warn: 2, bad: 3 };

/** The worst status across the batch, and how many batch elements have it. */
export function summarizeStatus(info: SolveInfoData): { status: string; cls: StatusClass; count: number; total: number } | undefined {
  if (!Array.isArray(info.status) || info.status.length === 0) return undefined;
  let worst = String(info.status[0]);
  for (const s of info.status) if (SEVERITY[statusClass(String(s))] > SEVERITY[statusClass(worst)]) worst = String(s);
  const count = info.status.filter((s) => s === worst).length;
  return { status: worst, cls: statusClass(worst), count, total: info.status.length };
}

/** Badge text for a status summary: 'converged', or 'max_iter 1/4' when the batch is mixed. */
export function statusLabel(s: { status: string; count: number; total: number }): string {
  return s.count === s.total ? s.status : `${s.status} ${s.count}/${s.total}`;
}

/** 12,345 with thousands separators (toLocaleString builds a formatter per call: too slow here). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
