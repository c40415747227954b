"""Numba compile time: what the first process pays before ``trustregion`` runs compiled.

Run from the repository root::

    python benchmarks/compile_time.py            # 2 cold, 3 warm processes
    python benchmarks/compile_time.py --quick    # 1 cold, 1 warm
    python benchmarks/compile_time.py --json out.json

A child process with ``NUMBA_CACHE_DIR`` set to an empty temporary directory imports
``trustregion`` and calls every public entry point once on tiny problems (cg on dense,
sparse, callable and preconditioned operators; each subproblem method on dense and
sparse B, with and without a metric M; the operator classes, the Fisher operators
included; minimize's Python loop, its compiled loop and minimize_batch; least_squares'
the same three, and its driver-served mode).  The probe's
own ``numba.njit`` problem compiles in an entry of its own, reported but left out of the
totals: that time is the user's.  "Cold" is the first such process, "warm" the next
ones, which find the cache the cold one filled.  Measured: the time of ``import
trustregion`` plus all first calls (the NumPy/SciPy import is excluded and reported
separately), and the process's wall time.  BLAS is pinned to one thread (the children inherit it).

Targets: cold < 10 s (a first run of a user's script is not a coffee break), warm < 1 s
(with the cache, compilation must not be what a short script waits for), every entry
point called without an exception, and a non-empty cache after the cold run (otherwise
no kernel has ``cache=True`` and every process pays the cold time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from _timing import (
    ChildFailed,
    Target,
    check_targets,
    count_target,
    emit_result,
    ensure_repo_on_path,
    environment_line,
    pin_blas_threads,
    print_table,
    run_child,
    write_json,
)

COLD_TARGET_S = 10.0
# Entries named so time the user's own code (their njit functions compiling), which the
# measured totals leave out.
USERS = "user's"
WARM_TARGET_S = 1.0


@dataclass(frozen=True)
class FirstCall:
    """One entry point's first call in the child: seconds, and the exception it raised
    ("" when none)."""

    name: str
    seconds: float
    error: str


@dataclass(frozen=True)
class ProbeRun:
    """One child process."""

    numpy_scipy_import_s: float
    trustregion_import_s: float
    first_calls_s: float
    import_plus_calls_s: float  # the measured quantity: import trustregion + first calls
    process_wall_s: float
    cache_files: int  # files in NUMBA_CACHE_DIR after the process
    calls: tuple[FirstCall, ...]


# ----------------------------------------------------------------------------- child


def _first_calls(call) -> None:
    """Every public entry point once, on tiny problems, through ``call(name, fn)``."""
    import numpy as np
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    import trustregion as tr

    rng = np.random.default_rng(0)
    n = 6
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.linspace(1.0, 10.0, n)) @ Q.T
    A = 0.5 * (A + A.T)  # SPD dense
    Bi = (Q * np.linspace(-2.0, 10.0, n)) @ Q.T
    Bi = 0.5 * (Bi + Bi.T)  # indefinite dense
    off = -0.5 * np.ones(n - 1)
    As = sp.diags([off, np.linspace(2.0, 6.0, n), off], [-1, 0, 1], format="csr")  # SPD sparse
    Bis = sp.diags(
        [off, np.linspace(-2.0, 6.0, n), off], [-1, 0, 1], format="csr"
    )  # indefinite sparse
    b = rng.standard_normal(n)
    g = rng.standard_normal(n)
    Md = np.linspace(1.0, 3.0, n)  # diagonal metric

    call("cg dense", lambda: tr.cg(A, b))
    call("cg sparse", lambda: tr.cg(As, b))
    call("cg callable", lambda: tr.cg(lambda v: A @ v, b))
    call("cg LinearOperator", lambda: tr.cg(spla.aslinearoperator(A), b))
    call("cg dense M=Jacobi", lambda: tr.cg(A, b, M=tr.JacobiPreconditioner(A)))
    call("cg sparse M=Jacobi", lambda: tr.cg(As, b, M=tr.JacobiPreconditioner(As)))
    call("cg dense M=array", lambda: tr.cg(A, b, M=np.diag(1.0 / np.diag(A))))
    call("cg indefinite", lambda: tr.cg(Bi, b))
    for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact"):
        for label, B in (("dense", Bi), ("dense pd", A), ("sparse", Bis), ("sparse pd", As)):
            for r in (0.1, 100.0):
                call(f"{method} {label} r={r}", lambda: tr.solve_subproblem(g, B, r, method=method))
        for label, B, M in (
            ("dense M=diag", Bi, Md),
            ("sparse M=diag", Bis, Md),
            ("dense M=dense", Bi, A),
            ("sparse M=Jacobi", As, tr.JacobiPreconditioner(As)),
        ):
            call(f"{method} {label}", lambda: tr.solve_subproblem(g, B, 1.0, method=method, M=M))
    for label, M in (("", None), (" M=diag", Md), (" M=dense", A), (" M=sparse", As)):
        call(f"natural{label}", lambda: tr.solve_subproblem(g, None, 1.0, method="natural", M=M))

    N, K, P, d = 8, 3, n, 2
    S = rng.standard_normal((N, P))
    J3 = rng.standard_normal((N, K, P))
    logits = rng.standard_normal((N, K))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    Jg = rng.standard_normal((N, d, P))
    v = rng.standard_normal(P)
    operators = {}

    def build(name, make):
        def first():
            operators[name] = make()
            operators[name] @ v

        call(name, first)

    build("Fisher.from_scores", lambda: tr.FisherOperator.from_scores(S))
    build("Fisher.from_categorical", lambda: tr.FisherOperator.from_categorical(J3, probs))
    build(
        "Fisher.from_diagonal_gaussian",
        lambda: tr.FisherOperator.from_diagonal_gaussian(Jg, np.zeros(d), np.array([P - 2, P - 1])),
    )
    build("Fisher(fvp)", lambda: tr.FisherOperator(lambda u: S.T @ (S @ u) / N, P))
    for name, F in list(operators.items()):
        call(
            f"natural M=Damped({name})",
            lambda: tr.solve_subproblem(
                g, None, 1.0, method="natural", M=tr.DampedOperator(F, 1e-3)
            ),
        )
        call(f"steihaug B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="steihaug"))
        call(f"gltr B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="gltr"))
        call(f"exact B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="exact"))
        call(
            f"cauchy/dogleg B={name}",
            lambda: (
                tr.solve_subproblem(g, F, 1.0, method="cauchy"),
                tr.solve_subproblem(g, F, 1.0, method="dogleg"),
            ),
        )
        call(f"cg Damped({name})", lambda: tr.cg(tr.DampedOperator(F, 1e-2), g))
        call(f"to_dense({name})", lambda: F.to_dense())
    Jm = rng.standard_normal((2 * n, n))
    build("GaussNewtonOperator", lambda: tr.GaussNewtonOperator(Jm))
    build("GaussNewtonOperator sparse", lambda: tr.GaussNewtonOperator(sp.csr_matrix(Jm)))
    build("HessianVectorProduct", lambda: tr.HessianVectorProduct(lambda x, u: A @ u, b))
    build("FiniteDifferenceHessian fwd", lambda: tr.FiniteDifferenceHessian(lambda x: A @ x, b))
    build(
        "FiniteDifferenceHessian central",
        lambda: tr.FiniteDifferenceHessian(lambda x: A @ x, b, scheme="central"),
    )
    build("as_operator psd", lambda: tr.as_operator(A, positive_semidefinite=True))
    _minimize_calls(call, tr, np, A, b)
    _least_squares_calls(call, tr, np, Jm, b)


def _minimize_calls(call, tr, np, A, b) -> None:
    """The drivers' loop kernel, through minimize's Python loop, its compiled loop (the
    user's njit functions compile here too) and minimize_batch."""
    from numba import njit

    def quadratic(x):
        return 0.5 * x @ (A @ x) - b @ x

    def gradient(x):
        return A @ x - b

    call(
        "minimize steihaug hess",
        lambda: tr.minimize(quadratic, 0 * b, jac=gradient, hess=lambda x: A),
    )
    call(
        "minimize gltr hessp",
        lambda: tr.minimize(
            quadratic, 0 * b, jac=gradient, hessp=lambda x, v: A @ v, method="gltr"
        ),
    )
    call(
        "minimize bounds",
        lambda: tr.minimize(
            quadratic, 0 * b, jac=gradient, hess=lambda x: A, bounds=[(0.0, 1.0)] * b.size
        ),
    )
    compiled = [njit(quadratic), njit(gradient), njit(lambda x: A.copy())]
    # The user's own functions compile first, as their own entry: their cost is theirs.
    call(f"{USERS} njit functions", lambda: [fn(0 * b) for fn in compiled])
    call(
        "minimize compiled",
        lambda: tr.minimize(compiled[0], 0 * b, jac=compiled[1], hess=compiled[2]),
    )
    X0 = np.zeros((3, b.size))
    call(
        "minimize_batch",
        lambda: tr.minimize_batch(
            lambda X: 0.5 * np.einsum("bi,ij,bj->b", X, A, X) - X @ b,
            X0,
            jac=lambda X: X @ A - b,
            hess=lambda X: np.broadcast_to(A, (X.shape[0], *A.shape)).copy(),
        ),
    )


def _least_squares_calls(call, tr, np, J, b) -> None:
    """least_squares' iteration kernel in its modes: the kernel's own step (a dense J),
    the driver's (bounds), the compiled loop, and least_squares_batch."""
    from numba import njit

    y = J @ b + 0.1

    def residuals(x):
        return J @ x - y

    def jacobian(x):
        return J.copy()

    call("least_squares dense", lambda: tr.least_squares(residuals, 0 * b, jac=jacobian))
    call(
        "least_squares bounds",
        lambda: tr.least_squares(residuals, 0 * b, jac=jacobian, bounds=(-1.0, 1.0)),
    )
    compiled = [njit(residuals), njit(jacobian)]
    call(f"{USERS} least-squares njit functions", lambda: [fn(0 * b) for fn in compiled])
    call(
        "least_squares compiled",
        lambda: tr.least_squares(compiled[0], 0 * b, jac=compiled[1]),
    )
    call(
        "least_squares_batch",
        lambda: tr.least_squares_batch(
            lambda X: X @ J.T - y,
            np.zeros((3, b.size)),
            lambda X: np.broadcast_to(J, (X.shape[0], *J.shape)).copy(),
        ),
    )


def child() -> None:
    """The measured process: NumPy/SciPy import, ``import trustregion``, first calls."""
    t_start = time.perf_counter()
    import numpy as np
    import scipy.sparse  # noqa: F401  (its import is what the split below excludes)

    t_np = time.perf_counter()
    ensure_repo_on_path()
    import trustregion  # noqa: F401

    t_imp = time.perf_counter()
    # What an entry point may raise on the probe's tiny inputs: argument validation
    # (ValueError, TypeError) and a failed factorisation.  Anything else is a bug that
    # ends the child, and the parent reports it.
    expected = (ValueError, TypeError, np.linalg.LinAlgError)
    calls = []

    def call(name, fn):
        t = time.perf_counter()
        error = ""
        try:
            fn()
        except expected as e:
            error = f"{type(e).__name__}: {e}"
        calls.append({"name": name, "seconds": time.perf_counter() - t, "error": error})

    _first_calls(call)
    # The user's functions compiling is not trustregion's time.
    users = sum(c["seconds"] for c in calls if c["name"].startswith(USERS))
    t_end = time.perf_counter() - users
    emit_result(
        {
            "numpy_scipy_import_s": t_np - t_start,
            "trustregion_import_s": t_imp - t_np,
            "first_calls_s": t_end - t_imp,
            "import_plus_calls_s": t_end - t_np,
            "calls": calls,
        }
    )


# ----------------------------------------------------------------------------- parent


def run_probe(cache_dir: str) -> ProbeRun:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    r, wall = run_child([os.path.abspath(__file__), "--child"], env=env, timeout=600)
    calls = tuple(FirstCall(**c) for c in r.pop("calls"))
    return ProbeRun(
        **r,
        process_wall_s=wall,
        cache_files=sum(len(f) for _, _, f in os.walk(cache_dir)),
        calls=calls,
    )


def measure(n_cold: int, n_warm: int) -> tuple[list[ProbeRun], list[ProbeRun]]:
    """``n_cold`` cold processes, each with a fresh cache; then ``n_warm`` warm ones on
    the last cold one's cache."""
    colds, warms = [], []
    for i in range(n_cold):
        with tempfile.TemporaryDirectory(prefix="tr_numba_cache_") as d:
            cold = run_probe(d)
            colds.append(cold)
            print(
                f"  compile cold #{i}: import+calls {cold.import_plus_calls_s:.2f} s "
                f"(cache files after: {cold.cache_files})"
            )
            if i == n_cold - 1:
                for j in range(n_warm):
                    w = run_probe(d)
                    warms.append(w)
                    print(f"  compile warm #{j}: import+calls {w.import_plus_calls_s:.2f} s")
            sys.stdout.flush()
    return colds, warms


def report(colds: list[ProbeRun], warms: list[ProbeRun]) -> list[Target]:
    """Print the table of cold and warm medians and the slowest first calls; the targets."""

    def med(runs, key):
        return statistics.median(getattr(r, key) for r in runs)

    failed = [c for c in colds[0].calls if c.error]
    for c in failed:
        print(f"  NOTE: compile probe: {c.name}: {c.error}")
    rows, targets = [], []
    for label, runs, bound in (("cold", colds, COLD_TARGET_S), ("warm", warms, WARM_TARGET_S)):
        if not runs:
            continue
        v = med(runs, "import_plus_calls_s")
        targets.append(Target(f"compile {label} (import+calls)", v, "<", bound, unit="s"))
        rows.append(
            [
                label,
                len(runs),
                f"{med(runs, 'trustregion_import_s'):.3f} s",
                f"{med(runs, 'first_calls_s'):.3f} s",
                f"{v:.3f} s",
                f"< {bound:g} s",
                "PASS" if targets[-1].met else "FAIL",
                f"{med(runs, 'numpy_scipy_import_s'):.3f} s",
                f"{med(runs, 'process_wall_s'):.3f} s",
            ]
        )
    print_table(
        "d. kernel compile time (subprocess, fresh NUMBA_CACHE_DIR; metric = import "
        "trustregion + first calls)",
        [
            "run",
            "#",
            "import tr",
            "first calls",
            "import+calls",
            "target",
            "",
            "numpy/scipy import",
            "process wall",
        ],
        rows,
        note=f"{len(colds[0].calls)} entry-point calls, {len(failed)} raised (see NOTEs)",
    )
    slow = sorted(colds[0].calls, key=lambda c: -c.seconds)[:8]
    print("  slowest first calls (cold): " + ", ".join(f"{c.name} {c.seconds:.2f}s" for c in slow))
    if warms:
        slow = sorted(warms[-1].calls, key=lambda c: -c.seconds)[:5]
        print(
            "  slowest first calls (warm): " + ", ".join(f"{c.name} {c.seconds:.3f}s" for c in slow)
        )
    calls = colds[0].calls
    targets.append(
        count_target(
            "compile probe: entry points called without an exception",
            len(calls) - len(failed),
            len(calls),
        )
    )
    targets.append(
        Target(
            "compile probe: files in NUMBA_CACHE_DIR after the cold run",
            colds[0].cache_files,
            ">=",
            1,
            unit="",
        )
    )
    return targets


def measure_and_report(
    n_cold: int, n_warm: int
) -> tuple[list[ProbeRun], list[ProbeRun], list[Target]]:
    """The cold and warm runs and their targets; a child that fails is a missed target."""
    try:
        colds, warms = measure(n_cold, n_warm)
    except ChildFailed as e:
        print(f"  FAILED: {e}")
        return [], [], [count_target("compile probe: child processes completed", 0, 1)]
    return colds, warms, report(colds, warms)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="1 cold and 1 warm process (default 2 and 3)"
    )
    ap.add_argument("--json", metavar="PATH", help="write the probe runs to PATH")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child()
        return 0
    # Here, not at import: compare_scipy imports this module after pinning the threads
    # its own --blas-threads asks for, which the children must inherit.
    pin_blas_threads()
    ensure_repo_on_path()
    print(environment_line())
    colds, warms, targets = measure_and_report(*((1, 1) if args.quick else (2, 3)))
    if args.json:
        write_json(args.json, {"cold": colds, "warm": warms})
    return check_targets(targets)


if __name__ == "__main__":
    sys.exit(main())
