"""Times CHOLMOD (through cvxopt) on symmetric matrices given as JSON on stdin (bench/sparse.bench.ts).

Input: {"runs": int, "matrices": [{"name", "n", "colPtr", "rowIdx", "values" (upper triangle, CSC),
"mode": "ldl" | "chol"}]}. "ldl": simplicial LDL' (CHOLMOD's only factorization for an indefinite
quasi-definite matrix); "chol": supernodal LL' (BLAS, SPD matrices). Also returns SuiteSparse AMD's
ordering (cvxopt.amd.order) so the caller can compare fill. Prints {"name": {"symbolic_ms",
"factor_ms", "solve_ms" (medians), "perm": [...]}} as JSON.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from cvxopt import amd, cholmod, matrix, spmatrix  # noqa: E402


def lower(m):
    n = m["n"]
    cp, ri, v = m["colPtr"], m["rowIdx"], m["values"]
    I, J, V = [], [], []
    for j in range(n):
        for p in range(cp[j], cp[j + 1]):
            I.append(j)
            J.append(ri[p])
            V.append(v[p])
    return spmatrix(V, I, J, (n, n))


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    req = json.load(sys.stdin)
    runs = max(1, int(req.get("runs", 3)))
    out = {}
    for m in req["matrices"]:
        K = lower(m)
        perm = list(amd.order(K))
        cholmod.options["supernodal"] = 0 if m["mode"] == "ldl" else 2
        cholmod.options["postorder"] = True
        t0 = time.perf_counter()
        F = cholmod.symbolic(K, uplo="L")
        sym_ms = (time.perf_counter() - t0) * 1e3
        fac, sol = [], []
        b = matrix(1.0, (m["n"], 1))
        for _ in range(runs):
            t0 = time.perf_counter()
            cholmod.numeric(K, F)
            fac.append((time.perf_counter() - t0) * 1e3)
            x = matrix(b)
            t0 = time.perf_counter()
            cholmod.solve(F, x)
            sol.append((time.perf_counter() - t0) * 1e3)
        out[m["name"]] = {"symbolic_ms": sym_ms, "factor_ms": median(fac), "solve_ms": median(sol), "perm": perm}
    json.dump(out, sys.stdout)


main()
