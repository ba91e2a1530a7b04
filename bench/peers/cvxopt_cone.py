"""Times cvxopt's conelp on cone programs given as JSON on stdin (bench/cone.bench.ts).

Input: {"runs": int, "instances": [{"name", "m", "n", "A" (row-major m*n), "b", "c",
"cones": {"zero", "nonneg", "soc": [...], "psd": [...]}}]}. Our form  min c'x s.t. b - Ax = s in K
maps to cvxopt's  Gx + s = h, Ax = b  with the zero cone as equalities, and each PSD block's svec
rows (lower triangle by columns, off-diagonals scaled by sqrt 2) expanded to cvxopt's full k*k
column-major storage. Prints {"name": {"ms": median, "times": [...], "iterations": k, "status": str}} as JSON.
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from cvxopt import matrix, solvers, spmatrix  # noqa: E402


def set_tol(tol):
    solvers.options.update({"show_progress": False, "abstol": tol, "reltol": tol, "feastol": tol, "maxiters": 100})


def convert_sparse(inst):
    # Sparse programs come with orthant and second-order cones only: G = A (CSC given), h = b.
    m, n = inst["m"], inst["n"]
    cp, ri, vs = inst["colPtr"], inst["rowIdx"], inst["values"]
    I, J = [], []
    for j in range(n):
        for q in range(cp[j], cp[j + 1]):
            I.append(ri[q])
            J.append(j)
    G = spmatrix([float(v) for v in vs], I, J, (m, n))
    return dict(c=matrix([float(v) for v in inst["c"]], tc="d"), G=G, h=matrix([float(v) for v in inst["b"]], tc="d"), dims={"l": inst["cones"].get("nonneg", 0), "q": list(inst["cones"].get("soc", [])), "s": []})


def convert(inst):
    if "colPtr" in inst:
        return convert_sparse(inst)
    m, n = inst["m"], inst["n"]
    A = inst["A"]
    b = inst["b"]
    cones = inst["cones"]
    row = lambda i: A[i * n:(i + 1) * n]
    z = cones.get("zero", 0)
    l = cones.get("nonneg", 0)
    q = cones.get("soc", [])
    s = cones.get("psd", [])
    G, h = [], []
    for i in range(z, z + l + sum(q)):
        G.append(row(i))
        h.append(b[i])
    off = z + l + sum(q)
    for k in s:
        idx = {}
        r = off
        for j in range(k):
            for i in range(j, k):
                idx[(i, j)] = r
                r += 1
        for j in range(k):  # column-major full storage
            for i in range(k):
                ii, jj = max(i, j), min(i, j)
                f = 1.0 if ii == jj else 1 / math.sqrt(2)
                G.append([v * f for v in row(idx[(ii, jj)])])
                h.append(b[idx[(ii, jj)]] * f)
        off = r
    dims = {"l": l, "q": list(q), "s": list(s)}
    d = lambda rows: matrix([[float(v) for v in r] for r in rows], tc="d").T
    args = dict(c=matrix([float(v) for v in inst["c"]], tc="d"), G=d(G), h=matrix([float(v) for v in h], tc="d"), dims=dims)
    if z:
        args["A"] = d([row(i) for i in range(z)])
        args["b"] = matrix([float(v) for v in b[:z]], tc="d")
    return args


def main():
    spec = json.load(sys.stdin)
    runs = spec.get("runs", 15)
    out = {}
    for inst in spec["instances"]:
        args = convert(inst)
        # 1e-9 as in the table; cvxopt's scaling update can break down that close to the
        # boundary (math domain error in jnrm2), then the tightest tolerance that runs is used.
        base = inst.get("tol", 1e-9)
        for tol in [t for t in (1e-9, 3e-9, 1e-8, 3e-8, 1e-7) if t >= base]:
            set_tol(tol)
            try:
                sol = solvers.conelp(**args)
                break
            except (ValueError, ArithmeticError):
                continue
        times = []
        reps = inst.get("runs", runs)
        for _ in range(max(1, reps // 4) if reps > 1 else 0):
            solvers.conelp(**args)
        for _ in range(reps):
            t0 = time.perf_counter()
            solvers.conelp(**args)
            times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        out[inst["name"]] = {"ms": times[len(times) // 2], "times": times, "iterations": sol["iterations"], "status": sol["status"], "tol": tol}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
