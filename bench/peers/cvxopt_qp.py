"""Times cvxopt's dense QP solver (solvers.qp, i.e. coneqp) on QPs given as JSON on stdin (bench/qp.bench.ts).

Input: {"runs": int, "clock": "wall" | "cpu" (default wall), "instances": [{"name", "n", "m", "k", "Q" (row-major n*n), "p", "G" (row-major
m*n), "h", "A" (row-major k*n), "b"}]}: min 1/2 z'Qz + p'z s.t. Gz <= h, Az = b, which is cvxopt's
own form. cvxopt runs at its default tolerances (abstol 1e-7, reltol 1e-6, feastol 1e-7) with one
BLAS thread. Prints {"name": {"ms": median ms (wall, or process CPU time), "iterations": k, "status": str, "z": [...]}} as
JSON; z lets the caller check that both solvers found the same point.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from cvxopt import matrix, solvers  # noqa: E402


def dense(values, rows, cols):
    # cvxopt's matrix(list) is column-major: the row-major rows*cols list is the transpose's storage.
    return matrix([float(v) for v in values], (cols, rows), "d").T


def main():
    spec = json.load(sys.stdin)
    runs = spec.get("runs", 21)
    clock = time.process_time if spec.get("clock") == "cpu" else time.perf_counter
    solvers.options["show_progress"] = False
    out = {}
    for inst in spec["instances"]:
        n, m, k = inst["n"], inst["m"], inst["k"]
        args = [dense(inst["Q"], n, n), matrix([float(v) for v in inst["p"]], (n, 1), "d")]
        args += [dense(inst["G"], m, n), matrix([float(v) for v in inst["h"]], (m, 1), "d")] if m else [None, None]
        args += [dense(inst["A"], k, n), matrix([float(v) for v in inst["b"]], (k, 1), "d")] if k else [None, None]
        sol = solvers.qp(*args)
        for _ in range(max(2, runs // 4)):
            solvers.qp(*args)
        times = []
        for _ in range(runs):
            t0 = clock()
            solvers.qp(*args)
            times.append((clock() - t0) * 1e3)
        times.sort()
        z = list(sol["x"]) if sol["x"] is not None else []
        out[inst["name"]] = {"ms": times[len(times) // 2], "iterations": sol["iterations"], "status": sol["status"], "z": z}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
