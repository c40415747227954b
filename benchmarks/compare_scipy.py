"""Side-by-side timings of ``trustregion`` against the SciPy incumbents.

Run from the repository root::

    python benchmarks/compare_scipy.py            # full run (a few minutes)
    python benchmarks/compare_scipy.py --quick    # short run
    python benchmarks/compare_scipy.py --json out.json
    # sections: cg, sparse, callable, subproblem, compile
    python benchmarks/compare_scipy.py --only cg,subproblem
    python benchmarks/compare_scipy.py --blas-threads 0       # leave OpenBLAS threading alone

BLAS threads are pinned to 1 by default (OPENBLAS/OMP/MKL_NUM_THREADS set before NumPy
is imported; the compile-probe subprocesses inherit it), for SciPy and for us alike.

Method
------
Everything runs in one process.  Each candidate is called once first (warm-up, so Numba
compilation is excluded), then a per-candidate batch size is calibrated so that one
sample lasts at least ``min_batch`` seconds, and the samples of SciPy and of ours are
interleaved (S O, O S, S O, ...).  Tables report medians over the samples and the ratio
``scipy / ours`` (> 1: we are faster).  The machine is noisy: read the ratios, not the
absolute times.  Every instance is first solved once untimed and checked; a solver that
raises is recorded as a failure with its reason, and counts against the section's target.

Sections
--------
a. ``scipy.sparse.linalg.cg`` vs ``trustregion.cg`` on dense SPD systems
   ``A = Q diag(linspace(1, 100, n)) Q^T`` (condition number 100), same ``b``,
   ``rtol=1e-5``, ``atol=0``; both stop on ``||r|| <= rtol ||b||``.  Checked: both
   converge, true residuals within 2 rtol, solutions agree to 1e-3, iteration counts
   within max(2, 10 %).  (Also, without a ratio target, a sparse tridiagonal SPD system:
   section "sparse".)
b. Same, with a plain Python callable ``lambda v: A @ v`` (given as is to
   ``trustregion.cg``; wrapped in a ``LinearOperator`` for SciPy).  The per-iteration
   overhead is ``(time - products * t_product) / iterations``, where ``t_product`` is the
   median time of one call of the callable and ``products`` the number of calls each
   solver made (counted in an untimed run).
c. Trust-region subproblems at n in {10, 100, 1000}:

   * Steihaug-CG: ``scipy.optimize._trustregion_ncg.CGSteihaugSubproblem`` (the solver
     behind ``trust-ncg``) vs ``solve_subproblem(..., method="steihaug",
     rtol=min(0.5, sqrt(||g||)))``.  SciPy's stopping rule is hard-wired:
     ``||r|| < min(0.5, sqrt(||g||)) * ||g||`` (Nocedal & Wright's forcing sequence), so
     we pass the same relative tolerance.
   * Nearly exact: ``scipy.optimize._trustregion_exact.IterativeSubproblem`` (behind
     ``trust-exact``; default ``k_easy=0.1``, ``k_hard=0.2``, at most 25 Cholesky
     iterations) vs ``method="exact"`` (our defaults).  SciPy's ``k_easy=0.1`` lets its
     step end up to 10 % *outside* the trust region, which can give it a lower model
     value than the true constrained minimum; the table shows ``||s||/radius`` of both so
     this is visible.  The ratio and target use our defaults (boundary tolerance 1e-12,
     i.e. a much more accurate step); extra columns ("@tol") time ours with SciPy's
     boundary tolerance (``rtol=0.1`` = k_easy on | ||s|| - radius | / radius), for an
     equal-accuracy reading.

   What is timed for SciPy (both solvers): construction of the subproblem object
   **plus** ``.solve(radius)``.  In SciPy's trust-region loop
   (``scipy.optimize._trustregion._minimize_trust_region``) a new subproblem object is
   constructed for every accepted iterate, and for ``IterativeSubproblem`` the
   construction does real work on the Hessian (Gershgorin bounds, infinity and Frobenius
   norms, LAPACK lookup), which our ``solve_subproblem`` has to do inside every call as
   well.  ``g`` and ``B`` are precomputed; the objects receive ``lambda x: g`` /
   ``lambda x: B``, so no function evaluation is timed.  Only on a rejected step does
   SciPy re-use an object, so the "solve only" ratio is also printed for the exact
   solver.  Instances: ``B = Q diag(eigs) Q^T`` with ``eigs = linspace(1, 100, n)``
   (positive definite; radius 10x or 0.5x the Newton step length, i.e. inactive /
   active) or ``linspace(-10, 100, n)`` (indefinite; radius 0.1 or 10, always active);
   ``g ~ N(0, I)``.  Checked: ``||s|| <= radius``, ``predicted_reduction = -m(s)``, and
   for "exact" the optimality condition ``(B + lam I) s = -g`` with ``lam >= 0`` and a
   model value ``m(s) = g^T s + s^T B s / 2`` at most SciPy's (unless SciPy's step is
   outside the region).
d. Kernel compile time: the probe of ``benchmarks/compile_time.py`` (see there).

Targets (checked at the end; the script exits 1 when one is missed)::

    cg dense, ratio scipy/ours:   >= 20x at n=10, >= 5x at n=100, >= 0.9x at n >= 1000
    exact vs IterativeSubproblem: geometric mean over the four cases >= 3x at n=100
    every instance solved without an exception and passing its checks
    compile: cold < 10 s, warm < 1 s (compile_time.py)
"""

from __future__ import annotations

import sys

from _timing import pin_blas_threads


def _blas_threads_from_argv(argv) -> str:
    """``--blas-threads N`` (default 1; 0 = leave the BLAS library's default)."""
    for i, a in enumerate(argv):
        if a == "--blas-threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--blas-threads="):
            return a.split("=", 1)[1]
    return "1"


# Read from argv before argparse runs, because it must happen before NumPy is imported.
pin_blas_threads(_blas_threads_from_argv(sys.argv[1:]))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402
from scipy.optimize._trustregion_exact import IterativeSubproblem  # noqa: E402
from scipy.optimize._trustregion_ncg import CGSteihaugSubproblem  # noqa: E402

import compile_time  # noqa: E402
from _problems import dense_sym, sparse_tridiag, vector  # noqa: E402
from _timing import (
    Target,
    Timing,
    check_targets,
    compare,
    count_target,
    ensure_repo_on_path,  # noqa: E402
    environment_line,
    fmt_ratio,
    fmt_time,
    geometric_mean,
    print_table,
    write_json,
)

ensure_repo_on_path()
import trustregion as tr  # noqa: E402

CG_RTOL = 1e-5
CG_TARGETS = {10: 20.0, 100: 5.0, 1000: 0.9, 3000: 0.9}
EXACT_TARGET_N100 = 3.0
SECTIONS = ("cg", "sparse", "callable", "subproblem", "compile")
# What one solver run may raise on these instances: an argument check (ValueError) or a
# failed factorisation (LinAlgError).  Anything else is a bug in this script and stops it.
SOLVER_ERRORS = (ValueError, np.linalg.LinAlgError)


@dataclass(frozen=True)
class Failure:
    """A solver run that raised instead of returning."""

    what: str
    reason: str


@dataclass(frozen=True)
class CGComparison:
    """``trustregion.cg`` against ``scipy.sparse.linalg.cg`` on one system."""

    kind: str  # "dense", "sparse" or "callable"
    n: int
    scipy: Timing
    ours: Timing
    iterations_scipy: int
    iterations_ours: int
    rel_diff: float  # ||x_ours - x_scipy|| / ||x_scipy||
    rel_residual_scipy: float  # true ||b - A x|| / ||b||
    rel_residual_ours: float
    failed_checks: tuple[str, ...]
    target: float = math.nan  # ratio to reach; NaN: none
    # "callable" only: one call of the callable, and how often each solver made it
    product: Timing | None = None
    products_scipy: int = 0
    products_ours: int = 0

    @property
    def ratio(self) -> float:
        return self.scipy.median / self.ours.median

    def overhead_per_iteration(self, who: str) -> float:
        """(time - products x t(A@v)) / iterations: what the solver itself costs."""
        total, products, iterations = (
            (self.scipy.median, self.products_scipy, self.iterations_scipy)
            if who == "scipy"
            else (self.ours.median, self.products_ours, self.iterations_ours)
        )
        return (total - products * self.product.median) / max(iterations, 1)


@dataclass(frozen=True)
class SubproblemComparison:
    """``solve_subproblem`` against SciPy's subproblem object on one instance."""

    method: str  # "steihaug" or "exact"
    n: int
    case: str
    radius: float
    scipy: Timing  # construction + solve
    ours: Timing
    model_scipy: float  # m(s) = gᵀs + ½ sᵀBs
    model_ours: float
    step_over_radius_scipy: float
    step_over_radius_ours: float
    iterations_ours: int
    status_ours: str
    failed_checks: tuple[str, ...]
    # "exact" only: scipy's solve on a constructed object, ours at scipy's tolerance
    iterations_scipy: int | None = None
    scipy_solve_only: Timing | None = None
    ours_at_scipy_tol: Timing | None = None
    model_ours_at_scipy_tol: float = math.nan
    iterations_ours_at_scipy_tol: int | None = None

    @property
    def ratio(self) -> float:
        return self.scipy.median / self.ours.median

    @property
    def scipy_feasible(self) -> bool:
        return self.step_over_radius_scipy <= 1.0 + 1e-8

    @property
    def model_check(self) -> str:
        if self.model_ours <= self.model_scipy + 1e-9 * max(1.0, abs(self.model_scipy)):
            return "ours<=scipy"
        return "scipy infeasible" if not self.scipy_feasible else "OURS HIGHER"


def model(g, B, s) -> float:
    return float(g @ s + 0.5 * (s @ (B @ s)))


def note(what: str, checks: list[str]) -> tuple[str, ...]:
    """Print the failed checks of ``what`` as they happen; they are also kept in its record."""
    for c in checks:
        print(f"  NOTE: {what}: {c}")
    return tuple(checks)


def failure(what: str, e: Exception) -> Failure:
    print(f"  FAILED: {what}: {type(e).__name__}: {e}")
    return Failure(what, f"{type(e).__name__}: {e}")


# ----------------------------------------------------------------------------- a, b. cg


def scipy_cg_counted(A, b):
    """SciPy's solution and its iteration count (the callback runs once per iteration)."""
    count = [0]

    def cb(xk):
        count[0] += 1

    x, _ = spla.cg(A, b, rtol=CG_RTOL, atol=0.0, callback=cb)
    return x, count[0]


def cg_checks(A, b, x_scipy, it_scipy, res) -> tuple[list[str], dict]:
    """The failed checks of one solve of ours against SciPy's, and the numbers checked."""
    bn = np.linalg.norm(b)
    nums = {
        "rel_diff": np.linalg.norm(res.x - x_scipy) / np.linalg.norm(x_scipy),
        "rel_residual_scipy": np.linalg.norm(b - A @ x_scipy) / bn,
        "rel_residual_ours": np.linalg.norm(b - A @ res.x) / bn,
    }
    checks = []
    if not res.success:
        checks.append(f"ours did not converge: {res.status.name}")
    if max(nums["rel_residual_scipy"], nums["rel_residual_ours"]) > 2 * CG_RTOL:
        checks.append(
            f"true relative residual too large: scipy {nums['rel_residual_scipy']:.2e}, "
            f"ours {nums['rel_residual_ours']:.2e}"
        )
    if nums["rel_diff"] > 1e-3:
        checks.append(f"solutions disagree: rel diff {nums['rel_diff']:.2e}")
    if abs(res.iterations - it_scipy) > max(2, 0.1 * it_scipy):
        checks.append(f"iteration counts differ a lot: scipy {it_scipy}, ours {res.iterations}")
    return checks, nums


def bench_cg(kind, sizes, repeats, min_batch) -> tuple[list[CGComparison], list[Failure]]:
    """Section a (``kind`` "dense") or its sparse variant (``kind`` "sparse")."""
    records, failures = [], []
    for n in sizes:
        A = dense_sym(n, 1.0, 100.0) if kind == "dense" else sparse_tridiag(n, 2.0, 100.0)
        b = vector(n)
        what = f"cg {kind} n={n}"
        try:
            res = tr.cg(A, b, rtol=CG_RTOL)
        except SOLVER_ERRORS as e:
            failures.append(failure(what, e))
            continue
        xs, it_s = scipy_cg_counted(A, b)
        checks, nums = cg_checks(A, b, xs, it_s, res)
        t = compare(
            {
                "scipy": lambda: spla.cg(A, b, rtol=CG_RTOL, atol=0.0),
                "ours": lambda: tr.cg(A, b, rtol=CG_RTOL),
            },
            repeats,
            min_batch,
        )
        r = CGComparison(
            kind,
            n,
            t["scipy"],
            t["ours"],
            it_s,
            res.iterations,
            **nums,
            failed_checks=note(what, checks),
            target=CG_TARGETS.get(n, math.nan) if kind == "dense" else math.nan,
        )
        records.append(r)
        print(
            f"  {what}: scipy {fmt_time(r.scipy.median)}  ours {fmt_time(r.ours.median)}  "
            f"ratio {r.ratio:.2f}x"
        )
        sys.stdout.flush()
    if kind == "dense":
        title = (
            "a. cg, dense SPD  A = Q diag(linspace(1,100,n)) Q^T,  rtol=1e-5  (ratio = scipy/ours)"
        )
    else:
        title = (
            "a'. cg, sparse CSR tridiagonal SPD (cond ~100), rtol=1e-5  [informational, no target]"
        )
    print_table(
        title,
        [
            "n",
            "scipy",
            "ours",
            "ratio",
            "target",
            "it scipy",
            "it ours",
            "|dx|/|x|",
            "relres s/o",
            "check",
        ],
        [
            [
                r.n,
                fmt_time(r.scipy.median),
                fmt_time(r.ours.median),
                fmt_ratio(r.ratio),
                "-" if math.isnan(r.target) else f">= {r.target:g}x",
                r.iterations_scipy,
                r.iterations_ours,
                f"{r.rel_diff:.1e}",
                f"{r.rel_residual_scipy:.1e}/{r.rel_residual_ours:.1e}",
                "CHECK" if r.failed_checks else "ok",
            ]
            for r in records
        ],
    )
    return records, failures


def bench_cg_callable(sizes, repeats, min_batch) -> tuple[list[CGComparison], list[Failure]]:
    """Section b: the same systems behind a Python callable."""
    records, failures = [], []
    for n in sizes:
        A, b, v = dense_sym(n, 1.0, 100.0), vector(n), vector(n, seed=1)
        matvec = lambda u: A @ u  # noqa: E731
        lin_op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        what = f"cg callable n={n}"
        # The products are counted in untimed runs through a counting callable.
        count = [0]

        def counting(u):
            count[0] += 1
            return A @ u

        try:
            res = tr.cg(counting, b, rtol=CG_RTOL)
        except SOLVER_ERRORS as e:
            failures.append(failure(what, e))
            continue
        prod_o, count[0] = count[0], 0
        xs, it_s = scipy_cg_counted(
            spla.LinearOperator((n, n), matvec=counting, dtype=np.float64), b
        )
        checks, nums = cg_checks(A, b, xs, it_s, res)
        if res.operator_products != prod_o:
            checks.append(
                f"res.operator_products={res.operator_products} but the callable was called "
                f"{prod_o} times"
            )
        t = compare(
            {
                "scipy": lambda: spla.cg(lin_op, b, rtol=CG_RTOL, atol=0.0),
                "ours": lambda: tr.cg(matvec, b, rtol=CG_RTOL),
                "product": lambda: matvec(v),
            },
            repeats,
            min_batch,
        )
        r = CGComparison(
            "callable",
            n,
            t["scipy"],
            t["ours"],
            it_s,
            res.iterations,
            **nums,
            failed_checks=note(what, checks),
            product=t["product"],
            products_scipy=count[0],
            products_ours=prod_o,
        )
        records.append(r)
        print(
            f"  {what}: scipy {fmt_time(r.scipy.median)}  ours {fmt_time(r.ours.median)}  "
            f"ratio {r.ratio:.2f}x"
        )
        sys.stdout.flush()
    print_table(
        "b. cg, Python callable operator (ours: lambda v: A @ v; scipy: LinearOperator)  [no "
        "target]",
        [
            "n",
            "scipy",
            "ours",
            "ratio",
            "it s",
            "it o",
            "prod s",
            "prod o",
            "t(A@v)",
            "overhead/it scipy",
            "overhead/it ours",
            "|dx|/|x|",
        ],
        [
            [
                r.n,
                fmt_time(r.scipy.median),
                fmt_time(r.ours.median),
                fmt_ratio(r.ratio),
                r.iterations_scipy,
                r.iterations_ours,
                r.products_scipy,
                r.products_ours,
                fmt_time(r.product.median),
                fmt_time(r.overhead_per_iteration("scipy")),
                fmt_time(r.overhead_per_iteration("ours")),
                f"{r.rel_diff:.1e}",
            ]
            for r in records
        ],
        note=(
            "overhead/it = (median time - products * t(A@v)) / iterations; t(A@v) is timed in "
            "isolation, so at "
            "large n the overhead is a small difference of noisy numbers (it can come out negative)"
        ),
    )
    return records, failures


# ----------------------------------------------------------------------------- c. subproblems


def subproblem_instances(n):
    """(label, g, B, radius) of the four cases at size n."""
    g = vector(n, seed=2)
    B_pd = dense_sym(n, 1.0, 100.0, seed=3)
    newton = np.linalg.norm(np.linalg.solve(B_pd, -g))
    B_in = dense_sym(n, -10.0, 100.0, seed=3)
    return [
        ("pd, inactive", g, B_pd, 10.0 * newton),
        ("pd, active", g, B_pd, 0.5 * newton),
        ("indef, r=0.1", g, B_in, 0.1),
        ("indef, r=10", g, B_in, 10.0),
    ]


def step_checks(g, B, radius, st, optimal: bool = False) -> list[str]:
    """Region and predicted reduction; with ``optimal``, the optimality conditions of the
    exact step, which only a step solved to our default tolerance meets."""
    s = st.s
    checks = []
    if np.linalg.norm(s) > radius * (1 + 1e-6):
        checks.append(f"||s|| = {np.linalg.norm(s)!r} > radius {radius!r}")
    pred = -model(g, B, s)
    if not math.isclose(
        pred, st.predicted_reduction, rel_tol=1e-6, abs_tol=1e-10 * max(1, abs(pred))
    ):
        checks.append(f"predicted_reduction {st.predicted_reduction!r} != -m(s) {pred!r}")
    if optimal:
        lam = st.multiplier
        kkt = np.linalg.norm(B @ s + lam * s + g) / max(1.0, np.linalg.norm(g))
        if kkt > 1e-6:
            checks.append(f"(B + lam I) s + g residual {kkt:.2e} (lam={lam!r})")
        if lam < -1e-12:
            checks.append(f"negative multiplier {lam!r}")
    return checks


def bench_steihaug(n, case, g, B, radius, repeats, min_batch) -> SubproblemComparison:
    x0, gnorm = np.zeros(n), float(np.linalg.norm(g))
    rtol = min(0.5, math.sqrt(gnorm))  # scipy's hard-wired forcing term

    def scipy_run():
        return CGSteihaugSubproblem(x0, lambda x: 0.0, lambda x: g, lambda x: B).solve(radius)

    def ours():
        return tr.solve_subproblem(g, B, radius, method="steihaug", rtol=rtol)

    st = ours()
    p_s, _ = scipy_run()
    t = compare({"scipy": scipy_run, "ours": ours}, repeats, min_batch)
    return SubproblemComparison(
        "steihaug",
        n,
        case,
        radius,
        t["scipy"],
        t["ours"],
        model(g, B, p_s),
        model(g, B, st.s),
        np.linalg.norm(p_s) / radius,
        np.linalg.norm(st.s) / radius,
        st.iterations,
        st.status.name,
        note(f"steihaug n={n} {case}", step_checks(g, B, radius, st)),
    )


def bench_exact(n, case, g, B, radius, repeats, min_batch) -> SubproblemComparison:
    x0 = np.zeros(n)

    def make():
        return IterativeSubproblem(x0, lambda x: 0.0, lambda x: g, lambda x: B)

    constructed = make()
    p_s, _ = constructed.solve(radius)
    iterations_scipy = constructed.niter
    fns = {
        "scipy": lambda: make().solve(radius),
        "ours": lambda: tr.solve_subproblem(g, B, radius, method="exact"),
        "scipy_solve": lambda: constructed.solve(radius),
        # scipy's k_easy as our boundary tolerance: the equal-accuracy reading
        "ours_at_scipy_tol": lambda: tr.solve_subproblem(g, B, radius, method="exact", rtol=0.1),
    }
    st, st_tol = fns["ours"](), fns["ours_at_scipy_tol"]()
    checks = step_checks(g, B, radius, st, optimal=True) + step_checks(g, B, radius, st_tol)
    t = compare(fns, repeats, min_batch)
    r = SubproblemComparison(
        "exact",
        n,
        case,
        radius,
        t["scipy"],
        t["ours"],
        model(g, B, p_s),
        model(g, B, st.s),
        np.linalg.norm(p_s) / radius,
        np.linalg.norm(st.s) / radius,
        st.iterations,
        st.status.name,
        (),
        iterations_scipy,
        t["scipy_solve"],
        t["ours_at_scipy_tol"],
        model(g, B, st_tol.s),
        st_tol.iterations,
    )
    if r.model_check == "OURS HIGHER":
        checks.append(
            f"our model value {r.model_ours!r} > scipy's {r.model_scipy!r} "
            f"(scipy's step feasible, ||p||/r={r.step_over_radius_scipy:.4f})"
        )
    return dataclasses.replace(r, failed_checks=note(f"exact n={n} {case}", checks))


def bench_subproblems(
    sizes, repeats, min_batch
) -> tuple[list[SubproblemComparison], list[Failure]]:
    records, failures = [], []
    for n in sizes:
        for case, g, B, radius in subproblem_instances(n):
            for method, bench in (("steihaug", bench_steihaug), ("exact", bench_exact)):
                try:
                    r = bench(n, case, g, B, radius, repeats, min_batch)
                except SOLVER_ERRORS as e:
                    failures.append(failure(f"{method} n={n} {case}", e))
                    continue
                records.append(r)
                print(
                    f"  {method} n={n} {case}: ratio {r.ratio:.2f}x  m scipy {r.model_scipy:.8g} "
                    f"ours {r.model_ours:.8g}"
                    + (f" [{r.model_check}]" if method == "exact" else "")
                )
                sys.stdout.flush()
    steihaug = [r for r in records if r.method == "steihaug"]
    exact = [r for r in records if r.method == "exact"]
    print_table(
        "c1. Steihaug-CG: scipy CGSteihaugSubproblem (construct+solve) vs "
        "solve_subproblem(method='steihaug', "
        "rtol=min(0.5, sqrt(|g|)))  [no target]",
        [
            "n",
            "case",
            "scipy",
            "ours",
            "ratio",
            "m(s) scipy",
            "m(s) ours",
            "|s|/r sc",
            "|s|/r ours",
            "it ours",
            "status ours",
        ],
        [
            [
                r.n,
                r.case,
                fmt_time(r.scipy.median),
                fmt_time(r.ours.median),
                fmt_ratio(r.ratio),
                f"{r.model_scipy:.6g}",
                f"{r.model_ours:.6g}",
                f"{r.step_over_radius_scipy:.3f}",
                f"{r.step_over_radius_ours:.3f}",
                r.iterations_ours,
                r.status_ours,
            ]
            for r in steihaug
        ],
        note=(
            "scipy's hard-wired forcing tolerance min(0.5, sqrt(|g|)) * |g| (= 0.5 |g| for "
            "these g) stops CG after "
            "a few iterations, so the radius rarely binds; both solvers follow the same iterates"
        ),
    )
    print_table(
        "c2. exact: scipy IterativeSubproblem (construct+solve) vs "
        "solve_subproblem(method='exact')",
        [
            "n",
            "case",
            "scipy",
            "ours",
            "ratio",
            "ratio(solve only)",
            "m(s) scipy",
            "m(s) ours",
            "model check",
            "|s|/r sc",
            "|s|/r ours",
            "it sc",
            "it ours",
            "status ours",
            "ratio@tol",
            "m(s) ours@tol",
            "it@tol",
        ],
        [
            [
                r.n,
                r.case,
                fmt_time(r.scipy.median),
                fmt_time(r.ours.median),
                fmt_ratio(r.ratio),
                fmt_ratio(r.scipy_solve_only.median / r.ours.median),
                f"{r.model_scipy:.8g}",
                f"{r.model_ours:.8g}",
                r.model_check,
                f"{r.step_over_radius_scipy:.3f}",
                f"{r.step_over_radius_ours:.3f}",
                r.iterations_scipy,
                r.iterations_ours,
                r.status_ours,
                fmt_ratio(r.scipy.median / r.ours_at_scipy_tol.median),
                f"{r.model_ours_at_scipy_tol:.8g}",
                r.iterations_ours_at_scipy_tol,
            ]
            for r in exact
        ],
        note=(
            "ratio and the n=100 target use our defaults (boundary rtol 1e-12); '@tol' "
            "columns: ours with "
            "scipy's boundary tolerance (rtol=k_easy=0.1), informational"
        ),
    )
    return records, failures


# ----------------------------------------------------------------------------- targets and main


def section_targets(name: str, records: list, failures: list[Failure]) -> list[Target]:
    """Every instance solved without an exception and passing its checks."""
    passed = sum(not r.failed_checks for r in records)
    return [
        count_target(f"{name}: instances solved and checked", passed, len(records) + len(failures))
    ]


def targets_of(results: dict) -> list[Target]:
    targets = []
    for kind in ("dense", "sparse", "callable"):
        if f"cg_{kind}" in results:
            records = results[f"cg_{kind}"]
            targets += [
                Target(f"cg {kind} n={r.n}", r.ratio, ">=", r.target)
                for r in records
                if not math.isnan(r.target)
            ]
            targets += section_targets(f"cg {kind}", records, results[f"cg_{kind}_failures"])
    if "subproblem" in results:
        records = results["subproblem"]
        exact100 = [r.ratio for r in records if r.method == "exact" and r.n == 100]
        targets.append(
            Target(
                "exact n=100 geomean over the cases",
                geometric_mean(exact100),
                ">=",
                EXACT_TARGET_N100,
            )
        )
        targets += section_targets("subproblems", records, results["subproblem_failures"])
    return targets + results.get("compile_targets", [])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="short run: fewer repeats, shorter samples"
    )
    ap.add_argument("--json", metavar="PATH", help="dump all numbers to PATH")
    ap.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections ({', '.join(SECTIONS)})",
    )
    ap.add_argument(
        "--blas-threads",
        default="1",
        help="OPENBLAS/OMP/MKL_NUM_THREADS for this process (default 1; 0 = library default)",
    )
    args = ap.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    # One cold compile process even in full mode: each now takes about 40 s on a 2-core
    # machine, and compile_time.py is the place for repeated cold measurements.
    repeats, min_batch, n_cold, n_warm = (5, 0.02, 1, 1) if args.quick else (15, 0.1, 1, 3)

    print(environment_line())
    print(
        f"mode: {'quick' if args.quick else 'full'}  repeats={repeats}  min_batch={min_batch}s  "
        f"(medians of interleaved samples; ratio = scipy/ours, > 1 means ours is faster)"
    )
    results = {}
    t_all = time.perf_counter()
    for name in SECTIONS:
        if name not in sections:
            continue
        print(f"\n--- {name} ---")
        sys.stdout.flush()
        if name == "cg":
            results["cg_dense"], results["cg_dense_failures"] = bench_cg(
                "dense", [10, 100, 1000, 3000], repeats, min_batch
            )
        elif name == "sparse":
            results["cg_sparse"], results["cg_sparse_failures"] = bench_cg(
                "sparse", [1000, 100_000], repeats, min_batch
            )
        elif name == "callable":
            results["cg_callable"], results["cg_callable_failures"] = bench_cg_callable(
                [10, 100, 1000], repeats, min_batch
            )
        elif name == "subproblem":
            results["subproblem"], results["subproblem_failures"] = bench_subproblems(
                [10, 100, 1000], repeats, min_batch
            )
        else:
            colds, warms, results["compile_targets"] = compile_time.measure_and_report(
                n_cold, n_warm
            )
            results["compile"] = {"cold": colds, "warm": warms}
    print(f"\ntotal wall time {time.perf_counter() - t_all:.1f} s")
    targets = targets_of(results)
    if args.json:
        write_json(
            args.json,
            {"environment": environment_line(), "quick": args.quick, **results, "targets": targets},
        )
    return check_targets(targets, "Summary: targets")


if __name__ == "__main__":
    sys.exit(main())
