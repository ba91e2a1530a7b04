import type { CscPattern } from './csc.js';

/**
 * Approximate minimum degree ordering (Amestoy, Davis & Duff, SIAM J. Matrix Anal. Appl. 17(4),
 * 1996) of the symmetric matrix whose upper (or full) pattern is given; the diagonal is ignored.
 *
 * Elimination runs on a quotient graph: an eliminated pivot becomes an *element* standing for the
 * clique it created, so the graph never grows beyond the input plus elbow room. Each step takes a
 * variable of least approximate external degree, forms its element Lk (the union of its elements'
 * and neighbours' variables), absorbs the elements it covers, and bounds the degree of every
 * i ∈ Lk by Σ|Le \ Lk| + |Ai| + |Lk \ i| (the "approximate" degree, cheap to update). Variables
 * with identical adjacency are merged into supervariables (found by hashing), variables left with
 * nothing outside Lk are eliminated with k (mass elimination), and elements whose variables are
 * all in Lk are absorbed (aggressive absorption). Rows denser than 10√n are ordered last. The
 * result is postordered on the assembly tree, which keeps supernodes contiguous.
 *
 * Returns perm with perm[k] = the index eliminated k-th.
 */
export function amdOrder(pattern: CscPattern): Int32Array {
  const n = pattern.ncols;
  if (n === 0) return new Int32Array(0);
  const { colPtr, rowIdx } = pattern;
  // Symmetric adjacency without the diagonal, with elbow room for new elements.
  const deg0 = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      if (i < j) deg0[i]!++, deg0[j]!++;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += deg0[i]!;
  const capacity = total + Math.floor(total / 5) + 2 * n + 1;
  const adj = new Int32Array(capacity);
  const start = new Int32Array(n + 1); // start[i] of i's list, or flip(parent) once absorbed / eliminated
  const fill = new Int32Array(n);
  for (let i = 0, s = 0; i < n; i++) (start[i] = s), (fill[i] = s), (s += deg0[i]!);
  for (let j = 0; j < n; j++) {
    for (let p = colPtr[j]!; p < colPtr[j + 1]!; p++) {
      const i = rowIdx[p]!;
      if (i < j) (adj[fill[i]!++] = j), (adj[fill[j]!++] = i);
    }
  }
  return order(n, adj, start, deg0, total, capacity);
}

const flip = (i: number): number => -i - 2;

/**
 * The elimination proper. Per node: len = length of its list; elen = number of elements at the
 * head of a variable's list (−1 once absorbed into a supervariable or eliminated in mass, −2 for
 * an element); nv = supervariable size (negated while in the current Lk, 0 once merged); degree
 * = approximate external degree; w = the element-set-difference marks.
 */
function order(n: number, adj: Int32Array, start: Int32Array, len0: Int32Array, used0: number, capacity: number): Int32Array {
  const len = new Int32Array(n + 1);
  len.set(len0);
  const nv = new Int32Array(n + 1);
  const next = new Int32Array(n + 1).fill(-1);
  const head = new Int32Array(n + 1).fill(-1);
  const elen = new Int32Array(n + 1);
  const degree = new Int32Array(n + 1);
  const w = new Int32Array(n + 1);
  const hashHead = new Int32Array(n + 1).fill(-1);
  const last = new Int32Array(n + 1).fill(-1);
  let used = used0;
  const dense = Math.max(2, Math.min(n - 2, Math.max(16, Math.floor(10 * Math.sqrt(n)))));
  let eliminated = 0;
  let mindeg = 0;
  let lemax = 0;
  start[n] = -1; // node n collects dense rows; it is a root of the assembly tree
  w[n] = 0;
  for (let i = 0; i < n; i++) {
    nv[i] = 1;
    w[i] = 1;
    const d = len[i]!;
    degree[i] = d;
    if (d === 0) {
      // An isolated node: an element of its own, eliminated at once.
      elen[i] = -2;
      eliminated++;
      start[i] = -1;
      w[i] = 0;
    } else if (d > dense && n > 16) {
      nv[i] = 0;
      elen[i] = -1;
      eliminated++;
      start[i] = flip(n);
      nv[n]!++;
    } else {
      if (head[d] !== -1) last[head[d]!] = i;
      next[i] = head[d]!;
      head[d] = i;
    }
  }
  let mark = clearMarks(0, 0, w, n);
  while (eliminated < n) {
    // Pivot: a supervariable of least approximate degree.
    let k = -1;
    for (; mindeg < n && (k = head[mindeg]!) === -1; mindeg++);
    if (next[k] !== -1) last[next[k]!] = -1;
    head[mindeg] = next[k]!;
    const elenk = elen[k]!;
    let nvk = nv[k]!;
    eliminated += nvk;
    if (elenk > 0 && used + mindeg >= capacity) used = compact(n, adj, start, len, used);
    // Construct Lk, in place if k has no elements, else at the end of adj.
    let dk = 0;
    nv[k] = -nvk;
    let p = start[k]!;
    const pk1 = elenk === 0 ? p : used;
    let pk2 = pk1;
    for (let k1 = 1; k1 <= elenk + 1; k1++) {
      let e: number;
      let pj: number;
      let ln: number;
      if (k1 > elenk) (e = k), (pj = p), (ln = len[k]! - elenk);
      else (e = adj[p++]!), (pj = start[e]!), (ln = len[e]!);
      for (let k2 = 1; k2 <= ln; k2++) {
        const i = adj[pj++]!;
        const nvi = nv[i]!;
        if (nvi <= 0) continue; // not a variable, or already in Lk
        dk += nvi;
        nv[i] = -nvi;
        adj[pk2++] = i;
        if (next[i] !== -1) last[next[i]!] = last[i]!;
        if (last[i] !== -1) next[last[i]!] = next[i]!;
        else head[degree[i]!] = next[i]!;
      }
      if (e !== k) {
        start[e] = flip(k); // e is absorbed into k
        w[e] = 0;
      }
    }
    if (elenk !== 0) used = pk2;
    degree[k] = dk;
    start[k] = pk1;
    len[k] = pk2 - pk1;
    elen[k] = -2;
    // |Le \ Lk| for every element e adjacent to Lk, as w[e] − mark.
    mark = clearMarks(mark, lemax, w, n);
    for (let pk = pk1; pk < pk2; pk++) {
      const i = adj[pk]!;
      const eln = elen[i]!;
      if (eln <= 0) continue;
      const nvi = -nv[i]!;
      const wnvi = mark - nvi;
      for (let q = start[i]!; q <= start[i]! + eln - 1; q++) {
        const e = adj[q]!;
        if (w[e]! >= mark) w[e]! -= nvi;
        else if (w[e] !== 0) w[e] = degree[e]! + wnvi;
      }
    }
    // Approximate degrees of Lk's variables; prune absorbed elements from their lists; hash them.
    for (let pk = pk1; pk < pk2; pk++) {
      const i = adj[pk]!;
      const p1 = start[i]!;
      const p2 = p1 + elen[i]! - 1;
      let pn = p1;
      let h = 0;
      let d = 0;
      for (let q = p1; q <= p2; q++) {
        const e = adj[q]!;
        if (w[e] === 0) continue;
        const dext = w[e]! - mark;
        if (dext > 0) {
          d += dext;
          adj[pn++] = e;
          h += e;
        } else {
          start[e] = flip(k); // aggressive absorption: Le ⊆ Lk
          w[e] = 0;
        }
      }
      elen[i] = pn - p1 + 1;
      const p3 = pn;
      const p4 = p1 + len[i]!;
      for (let q = p2 + 1; q < p4; q++) {
        const j = adj[q]!;
        const nvj = nv[j]!;
        if (nvj <= 0) continue;
        d += nvj;
        adj[pn++] = j;
        h += j;
      }
      if (d === 0) {
        // Mass elimination: i is adjacent to nothing outside Lk.
        start[i] = flip(k);
        const nvi = -nv[i]!;
        dk -= nvi;
        nvk += nvi;
        eliminated += nvi;
        nv[i] = 0;
        elen[i] = -1;
      } else {
        degree[i] = Math.min(degree[i]!, d);
        adj[pn] = adj[p3]!; // move the first variable to the end,
        adj[p3] = adj[p1]!; // the first element after the elements,
        adj[p1] = k; // and k to the front: k is i's newest element
        len[i] = pn - p1 + 1;
        h %= n;
        next[i] = hashHead[h]!;
        hashHead[h] = i;
        last[i] = h; // `last` holds the hash while i is in a bucket
      }
    }
    degree[k] = dk;
    lemax = Math.max(lemax, dk);
    mark = clearMarks(mark + lemax, lemax, w, n);
    // Supervariables: merge variables of Lk with identical lists (same hash bucket, same lengths, same entries).
    for (let pk = pk1; pk < pk2; pk++) {
      let i = adj[pk]!;
      if (nv[i]! >= 0) continue;
      const h = last[i]!;
      i = hashHead[h]!;
      hashHead[h] = -1;
      for (; i !== -1 && next[i] !== -1; i = next[i]!, mark++) {
        const ln = len[i]!;
        const eln = elen[i]!;
        for (let q = start[i]! + 1; q <= start[i]! + ln - 1; q++) w[adj[q]!] = mark;
        let jlast = i;
        for (let j = next[i]!; j !== -1; ) {
          let same = len[j] === ln && elen[j] === eln;
          for (let q = start[j]! + 1; same && q <= start[j]! + ln - 1; q++) if (w[adj[q]!] !== mark) same = false;
          if (same) {
            start[j] = flip(i);
            nv[i]! += nv[j]!;
            nv[j] = 0;
            elen[j] = -1;
            j = next[j]!;
            next[jlast] = j;
          } else {
            jlast = j;
            j = next[j]!;
          }
        }
      }
    }
    // Finalize Lk: the surviving supervariables go back into the degree lists.
    let pOut = pk1;
    for (let pk = pk1; pk < pk2; pk++) {
      const i = adj[pk]!;
      const nvi = -nv[i]!;
      if (nvi <= 0) continue;
      nv[i] = nvi;
      const d = Math.min(degree[i]! + dk - nvi, n - eliminated - nvi);
      if (head[d] !== -1) last[head[d]!] = i;
      next[i] = head[d]!;
      last[i] = -1;
      head[d] = i;
      mindeg = Math.min(mindeg, d);
      degree[i] = d;
      adj[pOut++] = i;
    }
    nv[k] = nvk;
    if ((len[k] = pOut - pk1) === 0) {
      start[k] = -1;
      w[k] = 0;
    }
    if (elenk !== 0) used = pOut;
  }
  return postorder(n, start, nv, head, next, w);
}

/** Restarts the marks when `mark + lemax` would overflow (or at the start): w ≠ 0 becomes 1. */
function clearMarks(mark: number, lemax: number, w: Int32Array, n: number): number {
  if (mark < 2 || mark + lemax >= 0x7fffffff) {
    for (let k = 0; k < n; k++) if (w[k] !== 0) w[k] = 1;
    mark = 2;
  }
  return mark;
}

/** Squeezes the live lists to the front of adj (garbage collection); returns the new fill. */
function compact(n: number, adj: Int32Array, start: Int32Array, len: Int32Array, used: number): number {
  for (let j = 0; j < n; j++) {
    const p = start[j]!;
    if (p >= 0) {
      start[j] = adj[p]!; // save the first entry; mark the list's head with flip(j)
      adj[p] = flip(j);
    }
  }
  let q = 0;
  for (let p = 0; p < used; ) {
    const j = flip(adj[p++]!);
    if (j >= 0) {
      adj[q] = start[j]!;
      start[j] = q++;
      for (let t = 0; t < len[j]! - 1; t++) adj[q++] = adj[p++]!;
    }
  }
  return q;
}

/** Postorder of the assembly tree (parent of node i = flip(start[i]), elements after their children). */
function postorder(n: number, start: Int32Array, nv: Int32Array, head: Int32Array, next: Int32Array, stack: Int32Array): Int32Array {
  const parent = start;
  for (let i = 0; i < n; i++) parent[i] = flip(start[i]!);
  head.fill(-1);
  // Non-elements (merged or dense variables) first in their parent's child list, then elements.
  for (let j = n; j >= 0; j--) {
    if (nv[j]! > 0 || parent[j] === -1) continue;
    next[j] = head[parent[j]!]!;
    head[parent[j]!] = j;
  }
  for (let e = n; e >= 0; e--) {
    if (nv[e]! <= 0 || parent[e] === -1) continue;
    next[e] = head[parent[e]!]!;
    head[parent[e]!] = e;
  }
  const post = new Int32Array(n + 1);
  let k = 0;
  for (let r = 0; r <= n; r++) {
    if (parent[r] !== -1) continue;
    let top = 0;
    stack[0] = r;
    while (top >= 0) {
      const p = stack[top]!;
      const c = head[p]!;
      if (c === -1) {
        top--;
        post[k++] = p;
      } else {
        head[p] = next[c]!;
        stack[++top] = c;
      }
    }
  }
  // Node n (the dense placeholder) is a root visited last: drop it.
  return post.subarray(0, n).slice();
}
