"""Side-by-side timings of ``trustregion`` against the SciPy incumbents.

Run from the repository root::

    python benchmarks/compare_scipy.py            # full run (a few minutes)
    python benchmarks/compare_scipy.py --quick    # short run
    python benchmarks/compare_scipy.py --json out.json
    python benchmarks/compare_scipy.py --only cg,subproblem   # sections: cg, sparse, callable, subproblem, compile
    python benchmarks/compare_scipy.py --blas-threads 0       # leave OpenBLAS threading alone

BLAS threads are pinned to 1 by default (OPENBLAS/OMP/MKL_NUM_THREADS set
before NumPy is imported; the compile-probe subprocess inherits it): on a
loaded 2-core box a 2-thread OpenBLAS is pathologically slow and noisy, which
would flatter us in every dense comparison.

Method
------
Everything runs in one process.  Each candidate is called once first
(warm-up, so Numba compilation is excluded), then a per-candidate batch size
is calibrated so that one sample lasts at least ``min_batch`` seconds, and the
samples of SciPy and of ours are interleaved (S O, O S, S O, ...).  Tables
report medians over the samples and the ratio ``scipy / ours`` (> 1: we are
faster).  The machine is noisy: read the ratios, not the absolute times.

Sections
--------
a. ``scipy.sparse.linalg.cg`` vs ``trustregion.cg`` on dense SPD systems
   ``A = Q diag(linspace(1, 100, n)) Q^T`` (condition number 100), same ``b``,
   ``rtol=1e-5``, ``atol=0``; both stop on ``||r|| <= rtol ||b||``.
   Iteration counts of both and the relative difference of the solutions are
   printed; true residuals are checked.  (Also, informational, a sparse
   tridiagonal SPD system: section "sparse".)
b. Same, with a plain Python callable ``lambda v: A @ v`` (given as is to
   ``trustregion.cg``; wrapped in a ``LinearOperator`` for SciPy).  The
   per-iteration overhead is ``(time - products * t_product) / iterations``,
   where ``t_product`` is the median time of one call of the callable and
   ``products`` the number of calls each solver made (counted in an untimed
   run).
c. Trust-region subproblems at n in {10, 100, 1000}:

   * Steihaug-CG: ``scipy.optimize._trustregion_ncg.CGSteihaugSubproblem``
     (the solver behind ``trust-ncg``) vs ``solve_subproblem(...,
     method="steihaug", rtol=min(0.5, sqrt(||g||)))``.  SciPy's stopping rule
     is hard-wired: ``||r|| < min(0.5, sqrt(||g||)) * ||g||`` (Nocedal &
     Wright's forcing sequence), so we pass the same relative tolerance.
   * Nearly exact: ``scipy.optimize._trustregion_exact.IterativeSubproblem``
     (behind ``trust-exact``; default ``k_easy=0.1``, ``k_hard=0.2``, at most
     25 Cholesky iterations) vs ``method="exact"`` (our defaults).  SciPy's
     ``k_easy=0.1`` lets its step end up to 10 % *outside* the trust region,
     which can give it a lower model value than the true constrained minimum;
     the table shows ``||s||/radius`` of both so this is visible.  The
     ratio and target use our defaults (boundary tolerance 1e-12, i.e. a much
     more accurate step); extra columns ("@tol") time ours with SciPy's
     boundary tolerance (``rtol=0.1`` = k_easy on | ||s|| - radius | / radius),
     for an equal-accuracy reading.

   Choice of what is timed for SciPy (both solvers): construction of the
   subproblem object **plus** ``.solve(radius)``.  In SciPy's trust-region loop
   (``scipy.optimize._trustregion._minimize_trust_region``) a new subproblem
   object is constructed for every accepted iterate, and for
   ``IterativeSubproblem`` the construction does real work on the Hessian
   (Gershgorin bounds, infinity and Frobenius norms, LAPACK lookup), which our
   ``solve_subproblem`` has to do inside every call as well.  ``g`` and ``B``
   are precomputed; the objects receive ``lambda x: g`` / ``lambda x: B``, so
   no function evaluation is timed.  Only on a rejected step does SciPy re-use
   an object, so the "solve only" ratio is also printed for the exact solver.
   Instances: ``B = Q diag(eigs) Q^T`` with ``eigs = linspace(1, 100, n)``
   (positive definite; radius 10x or 0.5x the Newton step length, i.e.
   inactive / active) or ``linspace(-10, 100, n)`` (indefinite; radius 0.1 or
   10, always active); ``g ~ N(0, I)``.  Model values
   ``m(s) = g^T s + s^T B s / 2`` of both are printed; for "exact" ours must
   be equal or lower (unless SciPy's step is infeasible).
d. Kernel compile time: a subprocess with ``NUMBA_CACHE_DIR`` set to an empty
   temporary directory imports ``trustregion`` and calls every public entry
   point once on tiny problems (cg dense/sparse/callable/preconditioned, each
   subproblem method dense and sparse, with and without a metric ``M``, the
   operator classes incl. the Fisher operators); "cold" is the first such
   process, "warm" the next ones with the now-populated cache.  Measured:
   time of ``import trustregion`` plus all first calls (NumPy/SciPy import
   excluded, reported separately), and process wall time.

Targets (printed next to the measurements)::

    cg dense, ratio scipy/ours:   >= 20x at n=10, >= 5x at n=100, >= 0.9x at n >= 1000
    exact vs IterativeSubproblem: >= 3x at n=100
    compile: cold < 10 s, warm < 1 s
"""
from __future__ import annotations

import os
import sys


def _blas_threads_from_argv(argv) -> str:
    """``--blas-threads N`` (default 1; 0 = leave the BLAS library's default)."""
    for i, a in enumerate(argv):
        if a == "--blas-threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--blas-threads="):
            return a.split("=", 1)[1]
    return "1"


# Must happen before NumPy/SciPy load OpenBLAS.  On a loaded 2-core machine a
# 2-thread OpenBLAS is pathological (a 1000x1000 Cholesky measured 10x slower
# than single-threaded), which makes the SciPy side's timings meaningless.
_BLAS_THREADS = _blas_threads_from_argv(sys.argv[1:])
if _BLAS_THREADS != "0":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _BLAS_THREADS

import argparse
import json
import math
import platform
import statistics
import subprocess
import tempfile
import time
import traceback

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import REPO, compare, ensure_repo_on_path, fmt_time, print_table  # noqa: E402

ensure_repo_on_path()

CG_TARGETS = {10: 20.0, 100: 5.0}  # n >= 1000: 0.9
EXACT_TARGET_N100 = 3.0
COLD_TARGET_S = 10.0
WARM_TARGET_S = 1.0

NOTES: list[str] = []


def note(msg: str) -> None:
    NOTES.append(msg)
    print(f"  NOTE: {msg}")
    sys.stdout.flush()


_SEEN_TRACEBACKS: set = set()


def print_traceback_once() -> None:
    """Print the current exception's traceback unless the same message was printed before."""
    et, ev, _ = sys.exc_info()
    key = f"{et.__name__}: {ev}"
    if key in _SEEN_TRACEBACKS:
        return
    _SEEN_TRACEBACKS.add(key)
    traceback.print_exc()
    sys.stderr.flush()


def cg_target(n: int) -> float:
    return CG_TARGETS.get(n, 0.9 if n >= 1000 else float("nan"))


def verdict(ratio: float, target: float) -> str:
    if target is None or math.isnan(target):
        return ""
    return "PASS" if ratio >= target else "FAIL"


def ratio_str(r: float) -> str:
    return f"{r:.2f}x"


# ----------------------------------------------------------------------------- problems


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def sym_from_spectrum(eigs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    q = orthogonal(eigs.size, rng)
    a = (q * eigs) @ q.T
    return 0.5 * (a + a.T)


def spd_dense(n: int, rng: np.random.Generator, lo: float = 1.0, hi: float = 100.0) -> np.ndarray:
    return sym_from_spectrum(np.linspace(lo, hi, n), rng)


def spd_tridiagonal(n: int, rng: np.random.Generator) -> sp.csr_matrix:
    """SPD tridiagonal, spectrum inside [1, 101] by Gershgorin (condition ~100)."""
    d = rng.permutation(np.linspace(2.0, 100.0, n))
    off = -0.5 * np.ones(n - 1)
    return sp.diags([off, d, off], [-1, 0, 1], format="csr")


def model(g, B, s) -> float:
    return float(g @ s + 0.5 * (s @ (B @ s)))


# ----------------------------------------------------------------------------- a. cg dense


def scipy_cg_iterations(A, b, rtol):
    count = [0]

    def cb(xk):
        count[0] += 1

    x, info = spla.cg(A, b, rtol=rtol, atol=0.0, callback=cb)
    return x, info, count[0]


def bench_cg(tr, sizes, repeats, min_batch, rng, results, *, kind="dense"):
    rows = []
    out = []
    for n in sizes:
        if kind == "dense":
            A = spd_dense(n, rng)
        else:
            A = spd_tridiagonal(n, rng)
        b = rng.standard_normal(n)
        rtol = 1e-5

        def f_scipy():
            return spla.cg(A, b, rtol=rtol, atol=0.0)

        def f_ours():
            return tr.cg(A, b, rtol=rtol)

        try:
            res = f_ours()
        except Exception as e:  # noqa: BLE001
            note(f"cg {kind} n={n}: trustregion.cg raised {type(e).__name__}: {e}")
            print_traceback_once()
            continue
        xs, info, it_s = scipy_cg_iterations(A, b, rtol)
        x_o = np.asarray(res.x)
        bn = np.linalg.norm(b)
        rel_res_s = np.linalg.norm(b - A @ xs) / bn
        rel_res_o = np.linalg.norm(b - A @ x_o) / bn
        rel_diff = np.linalg.norm(x_o - xs) / np.linalg.norm(xs)
        ok = (rel_res_s <= 2 * rtol) and (rel_res_o <= 2 * rtol) and rel_diff <= 1e-3 and res.success
        if not ok:
            note(
                f"cg {kind} n={n}: solutions disagree or residual too large: rel_diff={rel_diff:.2e}, "
                f"true rel residual scipy={rel_res_s:.2e} ours={rel_res_o:.2e}, status={res.status!r}"
            )
        if abs(int(res.iterations) - it_s) > max(2, 0.1 * it_s):
            note(f"cg {kind} n={n}: iteration counts differ a lot: scipy {it_s}, ours {res.iterations}")
        t = compare({"scipy": f_scipy, "ours": f_ours}, repeats, min_batch)
        ts, to = t["scipy"]["median"], t["ours"]["median"]
        ratio = ts / to
        tgt = cg_target(n) if kind == "dense" else float("nan")
        rows.append([
            n, fmt_time(ts), fmt_time(to), ratio_str(ratio),
            (f">= {tgt:g}x" if not math.isnan(tgt) else "-"), verdict(ratio, tgt) or "-",
            it_s, res.iterations, f"{rel_diff:.1e}", f"{rel_res_s:.1e}/{rel_res_o:.1e}", "ok" if ok else "CHECK",
        ])
        out.append({
            "n": n, "scipy_median_s": ts, "ours_median_s": to, "ratio": ratio, "target": tgt,
            "pass": (ratio >= tgt) if not math.isnan(tgt) else None,
            "iterations_scipy": it_s, "iterations_ours": int(res.iterations),
            "rel_diff": rel_diff, "rel_residual_scipy": rel_res_s, "rel_residual_ours": rel_res_o,
            "checks_ok": bool(ok), "timing": {k: {kk: vv for kk, vv in v.items()} for k, v in t.items()},
        })
        print(f"  cg {kind} n={n}: scipy {fmt_time(ts)}  ours {fmt_time(to)}  ratio {ratio:.2f}x")
        sys.stdout.flush()
    if kind == "dense":
        title = "a. cg, dense SPD  A = Q diag(linspace(1,100,n)) Q^T,  rtol=1e-5  (ratio = scipy/ours)"
    else:
        title = "a'. cg, sparse CSR tridiagonal SPD (cond ~100), rtol=1e-5  [informational, no target]"
    print_table(
        title,
        ["n", "scipy", "ours", "ratio", "target", "", "it scipy", "it ours", "|dx|/|x|", "relres s/o", "check"],
        rows,
    )
    results["cg_" + kind] = out


# ----------------------------------------------------------------------------- b. cg callable


def bench_cg_callable(tr, sizes, repeats, min_batch, rng, results):
    rows = []
    out = []
    for n in sizes:
        A = spd_dense(n, rng)
        b = rng.standard_normal(n)
        rtol = 1e-5
        matvec = lambda v: A @ v  # noqa: E731
        lin_op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)

        ours_A = matvec
        try:
            res = tr.cg(ours_A, b, rtol=rtol)
        except Exception as e:  # noqa: BLE001
            note(f"cg callable n={n}: tr.cg(callable, b) raised {type(e).__name__}: {e}; "
                 f"using tr.as_operator(callable, n) instead")
            ours_A = tr.as_operator(matvec, n)
            res = tr.cg(ours_A, b, rtol=rtol)

        # count products in untimed runs
        cnt = [0]

        def counting(v):
            cnt[0] += 1
            return A @ v

        cnt[0] = 0
        xs, _ = spla.cg(spla.LinearOperator((n, n), matvec=counting, dtype=np.float64), b, rtol=rtol, atol=0.0)
        prod_s = cnt[0]
        cnt[0] = 0
        counted_A = counting if ours_A is matvec else tr.as_operator(counting, n)
        res_c = tr.cg(counted_A, b, rtol=rtol)
        prod_o = cnt[0]
        if res_c.operator_products != prod_o:
            note(f"cg callable n={n}: res.operator_products={res_c.operator_products} but the callable "
                 f"was called {prod_o} times")
        _, _, it_s = scipy_cg_iterations(lin_op, b, rtol)
        it_o = int(res.iterations)
        rel_diff = np.linalg.norm(np.asarray(res.x) - xs) / np.linalg.norm(xs)
        if rel_diff > 1e-3:
            note(f"cg callable n={n}: solutions differ, rel diff {rel_diff:.2e}")

        v = rng.standard_normal(n)
        t = compare(
            {
                "scipy": lambda: spla.cg(lin_op, b, rtol=rtol, atol=0.0),
                "ours": lambda: tr.cg(ours_A, b, rtol=rtol),
                "product": lambda: matvec(v),
            },
            repeats, min_batch,
        )
        ts, to, tp = t["scipy"]["median"], t["ours"]["median"], t["product"]["median"]
        ov_s = (ts - prod_s * tp) / max(it_s, 1)
        ov_o = (to - prod_o * tp) / max(it_o, 1)
        ratio = ts / to
        rows.append([
            n, fmt_time(ts), fmt_time(to), ratio_str(ratio), it_s, it_o, prod_s, prod_o,
            fmt_time(tp), fmt_time(ov_s), fmt_time(ov_o), f"{rel_diff:.1e}",
        ])
        out.append({
            "n": n, "scipy_median_s": ts, "ours_median_s": to, "ratio": ratio,
            "iterations_scipy": it_s, "iterations_ours": it_o, "products_scipy": prod_s,
            "products_ours": prod_o, "product_median_s": tp, "overhead_per_iter_scipy_s": ov_s,
            "overhead_per_iter_ours_s": ov_o, "rel_diff": rel_diff,
        })
        print(f"  cg callable n={n}: scipy {fmt_time(ts)}  ours {fmt_time(to)}  ratio {ratio:.2f}x")
        sys.stdout.flush()
    print_table(
        "b. cg, Python callable operator (ours: lambda v: A @ v; scipy: LinearOperator)  [no target]",
        ["n", "scipy", "ours", "ratio", "it s", "it o", "prod s", "prod o", "t(A@v)",
         "overhead/it scipy", "overhead/it ours", "|dx|/|x|"],
        rows,
        note=("overhead/it = (median time - products * t(A@v)) / iterations; t(A@v) is timed in isolation, so at "
              "large n the overhead is a small difference of noisy numbers (it can come out negative)"),
    )
    results["cg_callable"] = out


# ----------------------------------------------------------------------------- c. subproblems


def subproblem_instances(n, rng):
    """Yield (label, g, B, radius)."""
    g = rng.standard_normal(n)
    B_pd = sym_from_spectrum(np.linspace(1.0, 100.0, n), rng)
    newton = np.linalg.norm(np.linalg.solve(B_pd, -g))
    B_in = sym_from_spectrum(np.linspace(-10.0, 100.0, n), rng)
    return [
        ("pd, inactive", g, B_pd, 10.0 * newton),
        ("pd, active", g, B_pd, 0.5 * newton),
        ("indef, r=0.1", g, B_in, 0.1),
        ("indef, r=10", g, B_in, 10.0),
    ]


def bench_subproblems(tr, sizes, repeats, min_batch, rng, results):
    from scipy.optimize._trustregion_exact import IterativeSubproblem
    from scipy.optimize._trustregion_ncg import CGSteihaugSubproblem

    x0_cache = {}
    rows_st, rows_ex = [], []
    out_st, out_ex = [], []
    f0 = lambda x: 0.0  # noqa: E731
    for n in sizes:
        x0 = x0_cache.setdefault(n, np.zeros(n))
        for label, g, B, radius in subproblem_instances(n, rng):
            gj = lambda x, g=g: g  # noqa: E731
            Bh = lambda x, B=B: B  # noqa: E731
            gnorm = float(np.linalg.norm(g))
            st_rtol = min(0.5, math.sqrt(gnorm))

            # ---------------- Steihaug
            def s_scipy(g=g, B=B, radius=radius, gj=gj, Bh=Bh):
                return CGSteihaugSubproblem(x0, f0, gj, Bh).solve(radius)

            def s_ours(g=g, B=B, radius=radius):
                return tr.solve_subproblem(g, B, radius, method="steihaug", rtol=st_rtol)

            try:
                p_s, hb_s = s_scipy()
                st = s_ours()
                m_s, m_o = model(g, B, p_s), model(g, B, st.s)
                check_step(tr, "steihaug", n, label, g, B, radius, st)
                t = compare({"scipy": s_scipy, "ours": s_ours}, repeats, min_batch)
                ts, to = t["scipy"]["median"], t["ours"]["median"]
                rows_st.append([
                    n, label, fmt_time(ts), fmt_time(to), ratio_str(ts / to), f"{m_s:.6g}", f"{m_o:.6g}",
                    f"{np.linalg.norm(p_s) / radius:.3f}", f"{np.linalg.norm(st.s) / radius:.3f}",
                    st.iterations, getattr(st.status, "name", st.status),
                ])
                out_st.append({
                    "n": n, "case": label, "scipy_median_s": ts, "ours_median_s": to, "ratio": ts / to,
                    "model_scipy": m_s, "model_ours": m_o, "rtol": st_rtol,
                    "step_over_radius_scipy": float(np.linalg.norm(p_s) / radius),
                    "step_over_radius_ours": float(np.linalg.norm(st.s) / radius),
                    "iterations_ours": int(st.iterations), "status_ours": str(st.status),
                })
                print(f"  steihaug n={n} {label}: ratio {ts / to:.2f}x  m scipy {m_s:.6g} ours {m_o:.6g}")
            except Exception as e:  # noqa: BLE001
                note(f"steihaug n={n} {label}: {type(e).__name__}: {e}")
                print_traceback_once()

            # ---------------- exact
            def e_scipy(g=g, B=B, radius=radius, gj=gj, Bh=Bh):
                return IterativeSubproblem(x0, f0, gj, Bh).solve(radius)

            sub_obj = IterativeSubproblem(x0, f0, gj, Bh)

            def e_scipy_solve_only(radius=radius, sub_obj=sub_obj):
                return sub_obj.solve(radius)

            def e_ours(g=g, B=B, radius=radius):
                return tr.solve_subproblem(g, B, radius, method="exact")

            loose_kw = {"rtol": 0.1}  # = scipy's k_easy

            def e_ours_loose(g=g, B=B, radius=radius):
                return tr.solve_subproblem(g, B, radius, method="exact", **loose_kw)

            try:
                st_loose = e_ours_loose()
            except TypeError as e:
                note(f"exact: matched-tolerance variant unavailable ({e}); column left empty")
                st_loose = None

            try:
                p_s, hb_s = e_scipy()
                st = e_ours()
                m_s, m_o = model(g, B, p_s), model(g, B, st.s)
                check_step(tr, "exact", n, label, g, B, radius, st)
                ns = np.linalg.norm(p_s) / radius
                no = np.linalg.norm(st.s) / radius
                scipy_feasible = ns <= 1.0 + 1e-8
                tol = 1e-9 * max(1.0, abs(m_s))
                if m_o <= m_s + tol:
                    mcheck = "ours<=scipy"
                elif not scipy_feasible:
                    mcheck = "scipy infeasible"
                else:
                    mcheck = "OURS HIGHER"
                    note(f"exact n={n} {label}: our model value {m_o!r} > scipy's {m_s!r} "
                         f"(scipy step feasible, ||p||/r={ns:.4f})")
                fns = {"scipy": e_scipy, "ours": e_ours, "scipy_solve": e_scipy_solve_only}
                if st_loose is not None:
                    fns["ours_loose"] = e_ours_loose
                    m_l = model(g, B, st_loose.s)
                    check_step(tr, "exact(loose)", n, label, g, B, radius, st_loose)
                t = compare(fns, repeats, min_batch)
                ts, to, tso = t["scipy"]["median"], t["ours"]["median"], t["scipy_solve"]["median"]
                tl = t["ours_loose"]["median"] if st_loose is not None else float("nan")
                tgt = EXACT_TARGET_N100 if n == 100 else float("nan")
                rows_ex.append([
                    n, label, fmt_time(ts), fmt_time(to), ratio_str(ts / to),
                    (f">= {tgt:g}x" if not math.isnan(tgt) else "-"), verdict(ts / to, tgt) or "-",
                    ratio_str(tso / to), f"{m_s:.8g}", f"{m_o:.8g}", mcheck, f"{ns:.3f}", f"{no:.3f}",
                    sub_obj.niter, st.iterations, getattr(st.status, "name", st.status),
                    "-" if st_loose is None else ratio_str(ts / tl),
                    "-" if st_loose is None else f"{m_l:.8g}",
                    "-" if st_loose is None else st_loose.iterations,
                ])
                out_ex.append({
                    "n": n, "case": label, "scipy_median_s": ts, "ours_median_s": to, "ratio": ts / to,
                    "scipy_solve_only_median_s": tso, "ratio_solve_only": tso / to, "target": tgt,
                    "pass": (ts / to >= tgt) if not math.isnan(tgt) else None,
                    "model_scipy": m_s, "model_ours": m_o, "model_check": mcheck,
                    "step_over_radius_scipy": float(ns), "step_over_radius_ours": float(no),
                    "iterations_scipy": int(sub_obj.niter), "iterations_ours": int(st.iterations),
                    "status_ours": str(st.status), "multiplier_ours": st.multiplier,
                    "ours_matched_tol_median_s": tl, "ratio_matched_tol": ts / tl,
                    "model_ours_matched_tol": None if st_loose is None else m_l,
                    "iterations_ours_matched_tol": None if st_loose is None else int(st_loose.iterations),
                })
                print(f"  exact n={n} {label}: ratio {ts / to:.2f}x  m scipy {m_s:.8g} ours {m_o:.8g} [{mcheck}]")
            except Exception as e:  # noqa: BLE001
                note(f"exact n={n} {label}: {type(e).__name__}: {e}")
                print_traceback_once()
            sys.stdout.flush()

    print_table(
        "c1. Steihaug-CG: scipy CGSteihaugSubproblem (construct+solve) vs solve_subproblem(method='steihaug', "
        "rtol=min(0.5, sqrt(|g|)))  [no target]",
        ["n", "case", "scipy", "ours", "ratio", "m(s) scipy", "m(s) ours", "|s|/r sc", "|s|/r ours",
         "it ours", "status ours"],
        rows_st,
        note=("scipy's hard-wired forcing tolerance min(0.5, sqrt(|g|)) * |g| (= 0.5 |g| for these g) stops CG after "
              "a few iterations, so the radius rarely binds; both solvers follow the same iterates"),
    )
    ex100 = [r["ratio"] for r in out_ex if r["n"] == 100]
    gm = math.exp(statistics.fmean(math.log(x) for x in ex100)) if ex100 else float("nan")
    print_table(
        "c2. exact: scipy IterativeSubproblem (construct+solve) vs solve_subproblem(method='exact')",
        ["n", "case", "scipy", "ours", "ratio", "target", "", "ratio(solve only)", "m(s) scipy", "m(s) ours",
         "model check", "|s|/r sc", "|s|/r ours", "it sc", "it ours", "status ours",
         "ratio@tol", "m(s) ours@tol", "it@tol"],
        rows_ex,
        note=(f"exact at n=100: geometric-mean ratio over the cases {gm:.2f}x (target >= {EXACT_TARGET_N100:g}x: "
              f"{verdict(gm, EXACT_TARGET_N100) or '-'}).\n"
              "ratio/target use our defaults (boundary rtol 1e-12); '@tol' columns: ours with scipy's "
              "boundary tolerance (rtol=k_easy=0.1), informational"),
    )
    results["steihaug"] = out_st
    results["exact"] = out_ex
    results["exact_n100_geomean_ratio"] = gm


def check_step(tr, method, n, label, g, B, radius, st):
    s = np.asarray(st.s)
    if not np.all(np.isfinite(s)):
        note(f"{method} n={n} {label}: step has non-finite entries")
        return
    ns = np.linalg.norm(s)
    if ns > radius * (1 + 1e-6):
        note(f"{method} n={n} {label}: ||s|| = {ns!r} > radius {radius!r}")
    pred = -model(g, B, s)
    if not math.isclose(pred, float(st.predicted_reduction), rel_tol=1e-6, abs_tol=1e-10 * max(1, abs(pred))):
        note(f"{method} n={n} {label}: predicted_reduction {st.predicted_reduction!r} != -(m(s)) {pred!r}")
    if method == "exact" and st.multiplier is not None:
        lam = float(st.multiplier)
        kkt = np.linalg.norm(B @ s + lam * s + g) / max(1.0, np.linalg.norm(g))
        if kkt > 1e-6:
            note(f"exact n={n} {label}: (B + lam I) s + g residual {kkt:.2e} (lam={lam!r})")
        if lam < -1e-12:
            note(f"exact n={n} {label}: negative multiplier {lam!r}")


# ----------------------------------------------------------------------------- d. compile time

COMPILE_PROBE = r'''
import json, sys, time
t_start = time.perf_counter()
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
t_np = time.perf_counter()
import trustregion as tr
t_imp = time.perf_counter()
calls = []

def call(name, fn):
    t = time.perf_counter()
    err = None
    try:
        fn()
    except Exception as e:
        err = f"{type(e).__name__}: {e}"
    calls.append([name, time.perf_counter() - t, err])

rng = np.random.default_rng(0)
n = 6
Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
A = (Q * np.linspace(1.0, 10.0, n)) @ Q.T; A = 0.5 * (A + A.T)          # SPD dense
Bi = (Q * np.linspace(-2.0, 10.0, n)) @ Q.T; Bi = 0.5 * (Bi + Bi.T)     # indefinite dense
off = -0.5 * np.ones(n - 1)
As = sp.diags([off, np.linspace(2.0, 6.0, n), off], [-1, 0, 1], format="csr")   # SPD sparse
Bis = sp.diags([off, np.linspace(-2.0, 6.0, n), off], [-1, 0, 1], format="csr")  # indefinite sparse
b = rng.standard_normal(n)
g = rng.standard_normal(n)
Md = np.linspace(1.0, 3.0, n)           # diagonal metric
Mdense = A                              # dense SPD metric

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
    call(f"{method} dense M=diag", lambda: tr.solve_subproblem(g, Bi, 1.0, method=method, M=Md))
    call(f"{method} sparse M=diag", lambda: tr.solve_subproblem(g, Bis, 1.0, method=method, M=Md))
    call(f"{method} dense M=dense", lambda: tr.solve_subproblem(g, Bi, 1.0, method=method, M=Mdense))
    call(f"{method} sparse M=Jacobi", lambda: tr.solve_subproblem(g, As, 1.0, method=method, M=tr.JacobiPreconditioner(As)))
call("natural", lambda: tr.solve_subproblem(g, None, 1.0, method="natural"))
call("natural M=diag", lambda: tr.solve_subproblem(g, None, 1.0, method="natural", M=Md))
call("natural M=dense", lambda: tr.solve_subproblem(g, None, 1.0, method="natural", M=Mdense))
call("natural M=sparse", lambda: tr.solve_subproblem(g, None, 1.0, method="natural", M=As))

N, K, P, d = 8, 3, n, 2
S = rng.standard_normal((N, P))
J3 = rng.standard_normal((N, K, P))
logits = rng.standard_normal((N, K))
probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
Jg = rng.standard_normal((N, d, P))
v = rng.standard_normal(P)
fishers = {}
def mk(name, fn):
    def f():
        fishers[name] = fn()
        fishers[name] @ v
    call(name, f)
mk("Fisher.from_scores", lambda: tr.FisherOperator.from_scores(S))
mk("Fisher.from_categorical", lambda: tr.FisherOperator.from_categorical(J3, probs))
mk("Fisher.from_diagonal_gaussian", lambda: tr.FisherOperator.from_diagonal_gaussian(Jg, np.zeros(d), np.array([P - 2, P - 1])))
mk("Fisher(fvp)", lambda: tr.FisherOperator(lambda u: S.T @ (S @ u) / N, P))
for name, F in list(fishers.items()):
    call(f"natural M=Damped({name})", lambda: tr.solve_subproblem(g, None, 1.0, method="natural", M=tr.DampedOperator(F, 1e-3)))
    call(f"steihaug B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="steihaug"))
    call(f"gltr B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="gltr"))
    call(f"exact B={name}", lambda: tr.solve_subproblem(g, F, 1.0, method="exact"))
    call(f"cauchy/dogleg B={name}", lambda: (tr.solve_subproblem(g, F, 1.0, method="cauchy"),
                                              tr.solve_subproblem(g, F, 1.0, method="dogleg")))
    call(f"cg Damped({name})", lambda: tr.cg(tr.DampedOperator(F, 1e-2), g))
    call(f"to_dense({name})", lambda: F.to_dense())
Jm = rng.standard_normal((2 * n, n))
mk("GaussNewtonOperator", lambda: tr.GaussNewtonOperator(Jm))
mk("GaussNewtonOperator sparse", lambda: tr.GaussNewtonOperator(sp.csr_matrix(Jm)))
mk("HessianVectorProduct", lambda: tr.HessianVectorProduct(lambda x, u: A @ u, b))
mk("FiniteDifferenceHessian fwd", lambda: tr.FiniteDifferenceHessian(lambda x: A @ x, b))
mk("FiniteDifferenceHessian central", lambda: tr.FiniteDifferenceHessian(lambda x: A @ x, b, scheme="central"))
mk("as_operator psd", lambda: tr.as_operator(A, positive_semidefinite=True))
t_end = time.perf_counter()
print("@@RESULT@@" + json.dumps({
    "numpy_scipy_import_s": t_np - t_start,
    "trustregion_import_s": t_imp - t_np,
    "first_calls_s": t_end - t_imp,
    "import_plus_calls_s": t_end - t_np,
    "calls": calls,
}))
'''


def run_probe(cache_dir: str) -> dict:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", COMPILE_PROBE], cwd=str(REPO), env=env,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@RESULT@@")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"probe failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    r = json.loads(line[-1][len("@@RESULT@@"):])
    r["process_wall_s"] = wall
    n_files = sum(len(f) for _, _, f in os.walk(cache_dir))
    r["cache_files"] = n_files
    return r


def bench_compile(n_cold, n_warm, results):
    colds, warms = [], []
    for i in range(n_cold):
        with tempfile.TemporaryDirectory(prefix="tr_numba_cache_") as d:
            cold = run_probe(d)
            colds.append(cold)
            print(f"  compile cold #{i}: import+calls {cold['import_plus_calls_s']:.2f} s "
                  f"(cache files after: {cold['cache_files']})")
            if i == n_cold - 1:
                for j in range(n_warm):
                    w = run_probe(d)
                    warms.append(w)
                    print(f"  compile warm #{j}: import+calls {w['import_plus_calls_s']:.2f} s")
            sys.stdout.flush()
    failed = [(c[0], c[2]) for c in colds[0]["calls"] if c[2]]
    for name, err in failed:
        note(f"compile probe: {name}: {err}")
    if colds[0]["cache_files"] == 0:
        note("compile probe: NUMBA_CACHE_DIR is empty after the cold run: no kernel is compiled with cache=True, "
             "so every process pays the full compile time")

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    rows = []
    for label, rs, tgt in (("cold", colds, COLD_TARGET_S), ("warm", warms, WARM_TARGET_S)):
        if not rs:
            continue
        v = med(rs, "import_plus_calls_s")
        rows.append([
            label, len(rs), f"{med(rs, 'trustregion_import_s'):.3f} s", f"{med(rs, 'first_calls_s'):.3f} s",
            f"{v:.3f} s", f"< {tgt:g} s", "PASS" if v < tgt else "FAIL",
            f"{med(rs, 'numpy_scipy_import_s'):.3f} s", f"{med(rs, 'process_wall_s'):.3f} s",
        ])
    print_table(
        "d. kernel compile time (subprocess, fresh NUMBA_CACHE_DIR; metric = import trustregion + first calls)",
        ["run", "#", "import tr", "first calls", "import+calls", "target", "", "numpy/scipy import", "process wall"],
        rows,
        note=f"{len(colds[0]['calls'])} entry-point calls, {len(failed)} raised (see NOTEs)",
    )
    slow = sorted(colds[0]["calls"], key=lambda c: -c[1])[:8]
    print("  slowest first calls (cold): " + ", ".join(f"{c[0]} {c[1]:.2f}s" for c in slow))
    if warms:
        slow = sorted(warms[-1]["calls"], key=lambda c: -c[1])[:5]
        print("  slowest first calls (warm): " + ", ".join(f"{c[0]} {c[1]:.3f}s" for c in slow))
    results["compile"] = {"cold": colds, "warm": warms,
                          "cold_median_s": med(colds, "import_plus_calls_s"),
                          "warm_median_s": med(warms, "import_plus_calls_s") if warms else None}


# ----------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run: fewer repeats, shorter samples")
    ap.add_argument("--json", metavar="PATH", help="dump all numbers to PATH")
    ap.add_argument("--only", default="cg,sparse,callable,subproblem,compile",
                    help="comma-separated sections (cg, sparse, callable, subproblem, compile)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--blas-threads", default="1",
                    help="OPENBLAS/OMP/MKL_NUM_THREADS for this process (default 1; 0 = library default)")
    args = ap.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}

    if args.quick:
        repeats, min_batch, n_cold, n_warm = 5, 0.02, 1, 1
    else:
        repeats, min_batch, n_cold, n_warm = 15, 0.1, 2, 3

    import trustregion as tr

    print(f"python {platform.python_version()}  numpy {np.__version__}  scipy {scipy.__version__}  "
          f"numba {_numba_version()}  trustregion {getattr(tr, '__version__', '?')}  "
          f"cpus {os.cpu_count()}  {platform.machine()}")
    print(f"BLAS threads: {'library default' if _BLAS_THREADS == '0' else _BLAS_THREADS}  "
          f"load average at start: {_loadavg()}")
    print(f"mode: {'quick' if args.quick else 'full'}  repeats={repeats}  min_batch={min_batch}s  "
          f"(medians of interleaved samples; ratio = scipy/ours, > 1 means ours is faster)")
    def rng_for(section: int) -> np.random.Generator:
        # one independent stream per section: the instances do not depend on --only
        return np.random.default_rng([args.seed, section])

    results = {"meta": {
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "numba": _numba_version(), "cpus": os.cpu_count(), "quick": args.quick, "repeats": repeats,
        "min_batch_s": min_batch, "seed": args.seed, "blas_threads": _BLAS_THREADS, "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }}
    t_all = time.perf_counter()
    steps = [
        ("cg", lambda: bench_cg(tr, [10, 100, 1000, 3000], repeats, min_batch, rng_for(1), results,
                                     kind="dense")),
        ("sparse", lambda: bench_cg(tr, [1000, 100_000], repeats, min_batch, rng_for(2), results, kind="sparse")),
        ("callable", lambda: bench_cg_callable(tr, [10, 100, 1000], repeats, min_batch, rng_for(3), results)),
        ("subproblem", lambda: bench_subproblems(tr, [10, 100, 1000], repeats, min_batch, rng_for(4), results)),
        ("compile", lambda: bench_compile(n_cold, n_warm, results)),
    ]
    for name, fn in steps:
        if name not in sections:
            continue
        print(f"\n--- {name} ---")
        sys.stdout.flush()
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            note(f"section {name} aborted: {type(e).__name__}: {e}")
            print_traceback_once()

    # ------------------------------------------------------------- summary of targets
    rows = []
    for r in results.get("cg_dense", []):
        rows.append([f"cg dense n={r['n']}", ratio_str(r["ratio"]), f">= {r['target']:g}x",
                     "PASS" if r["pass"] else "FAIL"])
    for r in results.get("exact", []):
        if r["n"] == 100:
            rows.append([f"exact n=100 {r['case']}", ratio_str(r["ratio"]), f">= {EXACT_TARGET_N100:g}x",
                         "PASS" if r["pass"] else "FAIL"])
    if "exact_n100_geomean_ratio" in results and not math.isnan(results["exact_n100_geomean_ratio"]):
        gm = results["exact_n100_geomean_ratio"]
        rows.append(["exact n=100 geomean", ratio_str(gm), f">= {EXACT_TARGET_N100:g}x",
                     verdict(gm, EXACT_TARGET_N100)])
    if "compile" in results:
        c = results["compile"]
        rows.append(["compile cold (import+calls)", f"{c['cold_median_s']:.2f} s", f"< {COLD_TARGET_S:g} s",
                     "PASS" if c["cold_median_s"] < COLD_TARGET_S else "FAIL"])
        if c["warm_median_s"] is not None:
            rows.append(["compile warm (import+calls)", f"{c['warm_median_s']:.2f} s", f"< {WARM_TARGET_S:g} s",
                         "PASS" if c["warm_median_s"] < WARM_TARGET_S else "FAIL"])
    print_table("Summary: targets", ["what", "measured", "target", ""], rows)
    if NOTES:
        print("\nNOTES (possible implementation problems / deviations):")
        for m in NOTES:
            print(f"  - {m}")
    results["notes"] = NOTES
    print(f"\ntotal wall time {time.perf_counter() - t_all:.1f} s, load average at end: {_loadavg()}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1, default=_json_default)
        print(f"numbers written to {args.json}")
    return 0


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _numba_version() -> str:
    try:
        import numba
        return numba.__version__
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
