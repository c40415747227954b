"""Peak memory of ``solve_subproblem(g, B, radius, method="gltr")`` at large n.

Run from the repository root::

    python benchmarks/memory_gltr.py                 # n = 10**5, radius 10 and 1000
    python benchmarks/memory_gltr.py --n 1000000 --json mem.json

The measurement runs in a fresh subprocess (so ``ru_maxrss`` is not polluted by
the parent), which

1. imports numpy/scipy/trustregion and compiles the kernels on a tiny problem
   (warm-up; Numba compile memory is not counted);
2. builds ``B``: a scipy CSR tridiagonal *indefinite* matrix (diagonal uniform
   in [-1, diag_max], default diag_max = 10, off-diagonals 1) and ``g ~ N(0, I)``;
3. solve #1 (untimed by tracemalloc): records the increase of the process peak
   resident set size, ``ru_maxrss`` after - before (this also sees memory that
   Numba's runtime allocates, which tracemalloc does not);
4. solve #2 under ``tracemalloc``: peak of the traced allocations (NumPy
   registers its data buffers with tracemalloc) above the level before the call.

For comparison it prints what SciPy's ``trust-krylov`` (trlib) would allocate
for its Lanczos basis.  Nothing of that size is allocated here:

* the figure of the brief: a (2n+1) x n float64 block;
* what scipy's ``_trlib.pyx`` actually requests: ``Q = np.empty((itmax + 1, n))``
  with ``itmax = min(1e9 / n, 2 n)`` (an ``np.empty``, so only touched pages
  become resident: about (k+1) n 8 bytes after k Lanczos iterations).

Targets (the script exits 1 when one is missed): for every radius, a peak under 1 GB
(well under: the problem itself is a few MB at n = 10**5), a step inside the region, and
a predicted reduction equal to -m(s); every child run completes.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from dataclasses import dataclass

from _timing import (
    ChildFailed,
    Target,
    check_targets,
    count_target,
    emit_result,
    ensure_repo_on_path,
    fmt_bytes,
    pin_blas_threads,
    print_table,
    run_child,
    write_json,
)

pin_blas_threads()  # before NumPy loads; the child inherits it

TARGET_BYTES = 1e9


@dataclass(frozen=True)
class MemoryRun:
    """One child: the GLTR solve's memory, and the step it returned."""

    n: int
    radius: float
    diag_max: float
    options: dict  # solve_subproblem options, as repr strings
    nnz: int
    problem_bytes: int  # B in CSR + g
    rss_delta: int  # ru_maxrss increase during solve #1
    tracemalloc_peak: int  # traced peak above the level before solve #2
    tracemalloc_retained: int
    solve_wall_s: float
    iterations: int
    operator_products: int
    status: str
    on_boundary: bool
    multiplier: float | None
    step_norm: float
    model: float  # m(s) = gᵀs + ½ sᵀBs
    predicted_reduction: float

    @property
    def peak_bytes(self) -> int:
        return max(self.rss_delta, self.tracemalloc_peak)

    @property
    def trlib_itmax(self) -> int:
        """The Lanczos basis length scipy's _trlib.pyx reserves."""
        return int(min(1e9 / self.n, 2 * self.n))


def child(args) -> None:
    """The measured process (see the module docstring, steps 1-4)."""
    import gc
    import resource
    import tracemalloc

    import numpy as np
    import scipy.sparse as sp

    ensure_repo_on_path()
    import trustregion as tr

    def ru_maxrss_bytes() -> int:
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r if sys.platform == "darwin" else r * 1024

    def problem(n, seed):
        rng = np.random.default_rng(seed)
        d = rng.uniform(-1.0, args.diag_max, n)
        off = np.ones(n - 1)
        B = sp.diags([off, d, off], [-1, 0, 1], format="csr")
        g = rng.standard_normal(n)
        return g, B

    opts = {}
    if args.maxiter is not None:
        opts["maxiter"] = args.maxiter
    if args.rtol is not None:
        opts["rtol"] = args.rtol
    for kv in args.opt:
        key, _, value = kv.partition("=")
        opts[key] = ast.literal_eval(value)

    # warm-up / compile on a tiny problem of the same kind
    g0, B0 = problem(64, 1)
    tr.solve_subproblem(g0, B0, args.radius, method="gltr", **opts)

    g, B = problem(args.n, args.seed)
    del g0, B0
    gc.collect()

    rss_before = ru_maxrss_bytes()
    t0 = time.perf_counter()
    step = tr.solve_subproblem(g, B, args.radius, method="gltr", **opts)
    wall = time.perf_counter() - t0
    rss_delta = ru_maxrss_bytes() - rss_before
    s = step.s
    run = {
        "n": args.n,
        "radius": args.radius,
        "diag_max": args.diag_max,
        "options": {k: repr(v) for k, v in opts.items()},
        "nnz": B.nnz,
        "problem_bytes": B.data.nbytes + B.indices.nbytes + B.indptr.nbytes + g.nbytes,
        "rss_delta": rss_delta,
        "solve_wall_s": wall,
        "iterations": step.iterations,
        "operator_products": step.operator_products,
        "status": step.status.name,
        "on_boundary": step.on_boundary,
        "multiplier": step.multiplier,
        "step_norm": float(np.linalg.norm(s)),
        "model": float(g @ s + 0.5 * (s @ (B @ s))),
        "predicted_reduction": step.predicted_reduction,
    }
    del step, s
    gc.collect()

    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    tr.solve_subproblem(g, B, args.radius, method="gltr", **opts)
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    emit_result({**run, "tracemalloc_peak": peak - base, "tracemalloc_retained": cur - base})


def measure(args, radius) -> MemoryRun:
    cmd = [
        os.path.abspath(__file__),
        "--child",
        "--n",
        str(args.n),
        "--radius",
        repr(radius),
        "--seed",
        str(args.seed),
        "--diag-max",
        repr(args.diag_max),
    ]
    for kv in args.opt:
        cmd += ["--opt", kv]
    if args.maxiter is not None:
        cmd += ["--maxiter", str(args.maxiter)]
    if args.rtol is not None:
        cmd += ["--rtol", repr(args.rtol)]
    payload, _ = run_child(cmd)
    return MemoryRun(**payload)


def report(r: MemoryRun) -> list[Target]:
    """Print ours against what scipy's trust-krylov would allocate; the run's targets."""
    n = r.n
    brief_scipy = (2 * n + 1) * n * 8
    trlib_q = (r.trlib_itmax + 1) * n * 8
    lanczos = min(r.iterations, r.trlib_itmax)
    rows = [
        [
            "ours: tracemalloc peak (numpy allocations)",
            fmt_bytes(r.tracemalloc_peak),
            f"{r.tracemalloc_peak / (n * 8):.1f}",
        ],
        [
            "ours: ru_maxrss increase during the solve",
            fmt_bytes(r.rss_delta),
            f"{r.rss_delta / (n * 8):.1f}",
        ],
        [
            "problem itself (B in CSR + g)",
            fmt_bytes(r.problem_bytes),
            f"{r.problem_bytes / (n * 8):.1f}",
        ],
        [
            "scipy trust-krylov, brief's (2n+1) x n float64 block (not allocated)",
            fmt_bytes(brief_scipy),
            f"{2 * n + 1}",
        ],
        [
            f"scipy trlib Q = empty((itmax+1, n)), itmax=min(1e9/n, 2n)={r.trlib_itmax} (virtual)",
            fmt_bytes(trlib_q),
            f"{r.trlib_itmax + 1}",
        ],
        [
            f"scipy trlib Q resident after {lanczos} Lanczos its",
            fmt_bytes((lanczos + 1) * n * 8),
            f"{lanczos + 1}",
        ],
    ]
    print_table(
        (
            f"GLTR peak memory, n={n}, B = tridiag(1, U[-1, {r.diag_max:g}], 1) CSR indefinite "
            f"(nnz={r.nnz}), "
            f"radius={r.radius:g}" + (f", options {r.options}" if r.options else "")
        ),
        ["what", "bytes", "in n-vectors"],
        rows,
        note=(
            f"solve: {r.solve_wall_s:.3f} s, {r.iterations} iterations, {r.operator_products} "
            "products, "
            f"status {r.status}, on_boundary={r.on_boundary}, |s|={r.step_norm:.6g}, "
            f"lambda={r.multiplier}, m(s)={r.model:.8g}, "
            f"predicted_reduction={r.predicted_reduction:.8g}"
        ),
    )
    print(
        f"scipy/ours (brief's block): {brief_scipy / max(r.peak_bytes, 1):.0f}x,"
        f"  scipy/ours (trlib Q reservation): {trlib_q / max(r.peak_bytes, 1):.0f}x"
    )
    at = f"r={r.radius:g}"
    return [
        Target(f"{at}: peak memory", r.peak_bytes, "<", TARGET_BYTES, unit="B"),
        Target(f"{at}: |s| / radius", r.step_norm / r.radius, "<=", 1 + 1e-6, unit=""),
        Target(
            f"{at}: |predicted_reduction + m(s)| / max(1, |m(s)|)",
            abs(r.model + r.predicted_reduction) / max(1.0, abs(r.model)),
            "<=",
            1e-6,
            unit="",
        ),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10**5)
    ap.add_argument(
        "--radius",
        type=float,
        nargs="+",
        default=[10.0, 1000.0],
        help="one child run per radius (default: 10 = well-conditioned, 1000 = many Lanczos steps)",
    )
    ap.add_argument(
        "--maxiter", type=int, default=None, help="passed to solve_subproblem (default: its own)"
    )
    ap.add_argument(
        "--rtol", type=float, default=None, help="passed to solve_subproblem (default: its own)"
    )
    ap.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra solve_subproblem option (Python literal), e.g. --opt reorthogonalize=False",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--diag-max",
        type=float,
        default=10.0,
        help="diagonal of B uniform in [-1, diag_max] (larger: harder, more Lanczos iterations)",
    )
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.radius = args.radius[0]
        child(args)
        return 0
    runs, targets = [], []
    for radius in args.radius:
        try:
            run = measure(args, radius)
        except ChildFailed as e:
            print(f"\nFAILED: radius={radius}: {e}")
            continue
        runs.append(run)
        targets += report(run)
    targets.append(count_target("child runs completed", len(runs), len(args.radius)))
    if args.json:
        write_json(args.json, {"runs": runs, "targets": targets})
    return check_targets(targets)


if __name__ == "__main__":
    sys.exit(main())
