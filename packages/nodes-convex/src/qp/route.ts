import type { QpElement } from './dense.js';
import type { QpOptions } from './problem.js';
import { sparseQp, type SparseQp } from './sparse-data.js';
import { kktFlops } from './sparse-kkt.js';

/** Which solver a QP element gets: `options.solver` of the node. */
export type QpSolver = NonNullable<QpOptions['solver']>;

/**
 * Below this many variables, or above this fraction of nonzeros in Q, G, A, 'auto' stays dense
 * without measuring more. At n = 100 the bench's banded QP takes 6–10 ms either way (five runs,
 * each route ahead in some): the sparse route's per-row costs are most of its time there, and
 * the dense active-set method often solves such a problem in one factorization.
 */
export const ROUTE_MIN_N = 128;
export const ROUTE_MAX_DENSITY = 0.1;

/**
 * The cost model of 'auto', in nanoseconds, fitted on bench/qp.bench.ts's sparse rows (2 cores,
 * Node 20; within 1.5× of every measured sparse and dense time there). The sparse route costs
 * about SPARSE_ITERATIONS factorizations of the KKT matrix, whose multiply–adds the symbolic
 * analysis counts exactly: those of its sparse columns (indexed scatters, SPARSE_NS_PER_FLOP) and
 * of its dense tail (a blocked kernel, TAIL_NS_PER_FLOP), plus SPARSE_NS_PER_ROW per row n + k + m
 * of that matrix (the engine's vector work and refined solves, the polish, the checks). The dense
 * path costs at best one Cholesky of Q and the rows' L⁻¹gᵢ (n³/3 + m·n²/2 multiply–adds at
 * DENSE_NS_PER_FLOP) when its active-set method solves the problem, which it typically does with
 * fewer inequalities than variables; with more, its interior point usually runs, about
 * DENSE_IPM_FACTOR times that.
 */
const SPARSE_ITERATIONS = 15;
const SPARSE_NS_PER_FLOP = 6;
const TAIL_NS_PER_FLOP = 0.3;
const SPARSE_NS_PER_ROW = 25_000;
const DENSE_NS_PER_FLOP = 0.8;
const DENSE_IPM_FACTOR = 12;

/** The route of one element and, when it was built to decide, the element's CSC form. */
export interface Route {
  readonly solver: 'dense' | 'sparse';
  readonly sparse?: SparseQp;
}

/**
 * The solver of one element. Elements without constraints stay dense (the engine's cone
 * program needs at least one row); 'sparse' forces the route otherwise, 'dense' never takes it;
 * 'auto' compares the two cost estimates above.
 */
export function routeElement(el: QpElement, choice: QpSolver): Route {
  const { n, m, k } = el;
  if (choice === 'dense' || m + k === 0) return { solver: 'dense' };
  if (choice === 'sparse') return { solver: 'sparse' };
  if (n < ROUTE_MIN_N) return { solver: 'dense' };
  const sq = sparseQp(el, ROUTE_MAX_DENSITY * (n + m + k) * n);
  if (sq === null) return { solver: 'dense' };
  const { sparseNs, denseNs } = routeEstimates(sq);
  return sparseNs < denseNs ? { solver: 'sparse', sparse: sq } : { solver: 'dense' };
}

/** The two estimates of the cost model, in nanoseconds (exported for the benchmark's report). */
export function routeEstimates(sq: SparseQp): { sparseNs: number; denseNs: number } {
  const { n, m, k } = sq;
  const flops = kktFlops(sq);
  const factorNs = SPARSE_NS_PER_FLOP * flops.sparse + TAIL_NS_PER_FLOP * flops.tail;
  const sparseNs = SPARSE_ITERATIONS * factorNs + SPARSE_NS_PER_ROW * (n + k + m);
  const denseNs = DENSE_NS_PER_FLOP * (n ** 3 / 3 + (m * n * n) / 2) * (m > n ? DENSE_IPM_FACTOR : 1);
  return { sparseNs, denseNs };
}
