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

Target: peak well under 1 GB.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import REPO, fmt_bytes, print_table  # noqa: E402

TARGET_BYTES = 1e9


def child(args) -> None:
    import gc
    import resource
    import tracemalloc

    import numpy as np
    import scipy.sparse as sp

    sys.path.insert(0, str(REPO))
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
    rss_after = ru_maxrss_bytes()
    s = np.asarray(step.s)
    model = float(g @ s + 0.5 * (s @ (B @ s)))
    info = {
        "n": args.n,
        "radius": args.radius,
        "diag_max": args.diag_max,
        "options": {k: repr(v) for k, v in opts.items()},
        "nnz": int(B.nnz),
        "problem_bytes": int(B.data.nbytes + B.indices.nbytes + B.indptr.nbytes + g.nbytes),
        "rss_peak_before": rss_before,
        "rss_peak_after": rss_after,
        "rss_delta": rss_after - rss_before,
        "solve_wall_s": wall,
        "iterations": int(step.iterations),
        "operator_products": int(step.operator_products),
        "status": str(step.status),
        "on_boundary": bool(step.on_boundary),
        "multiplier": None if step.multiplier is None else float(step.multiplier),
        "step_norm": float(np.linalg.norm(s)),
        "model": model,
        "predicted_reduction": float(step.predicted_reduction),
    }
    del step, s
    gc.collect()

    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    step = tr.solve_subproblem(g, B, args.radius, method="gltr", **opts)
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    info["tracemalloc_peak"] = peak - base
    info["tracemalloc_retained"] = cur - base
    info["iterations_run2"] = int(step.iterations)
    print("@@RESULT@@" + json.dumps(info))


def run_child(n, radius, seed, maxiter, rtol, diag_max, opt=()) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--n", str(n), "--radius", repr(radius),
           "--seed", str(seed), "--diag-max", repr(diag_max)]
    for kv in opt:
        cmd += ["--opt", kv]
    if maxiter is not None:
        cmd += ["--maxiter", str(maxiter)]
    if rtol is not None:
        cmd += ["--rtol", repr(rtol)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(cmd, cwd=str(REPO), env=env, capture_output=True, text=True)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@RESULT@@")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"child failed with rc={proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return json.loads(line[-1][len("@@RESULT@@"):])


def report(r) -> dict:
    n = r["n"]
    brief_scipy = (2 * n + 1) * n * 8
    itmax = int(min(1e9 / n, 2 * n))
    trlib_q = (itmax + 1) * n * 8
    trlib_resident = (min(r["iterations"], itmax) + 1) * n * 8
    ours_peak = max(r["rss_delta"], r["tracemalloc_peak"])
    rows = [
        ["ours: tracemalloc peak (numpy allocations)", fmt_bytes(r["tracemalloc_peak"]),
         f"{r['tracemalloc_peak'] / (n * 8):.1f}"],
        ["ours: ru_maxrss increase during the solve", fmt_bytes(r["rss_delta"]), f"{r['rss_delta'] / (n * 8):.1f}"],
        ["problem itself (B in CSR + g)", fmt_bytes(r["problem_bytes"]), f"{r['problem_bytes'] / (n * 8):.1f}"],
        ["scipy trust-krylov, brief's (2n+1) x n float64 block (not allocated)", fmt_bytes(brief_scipy),
         f"{2 * n + 1}"],
        [f"scipy trlib Q = empty((itmax+1, n)), itmax=min(1e9/n, 2n)={itmax} (virtual)", fmt_bytes(trlib_q),
         f"{itmax + 1}"],
        [f"scipy trlib Q resident after {min(r['iterations'], itmax)} Lanczos its", fmt_bytes(trlib_resident),
         f"{min(r['iterations'], itmax) + 1}"],
    ]
    print_table(
        (f"GLTR peak memory, n={n}, B = tridiag(1, U[-1, {r['diag_max']:g}], 1) CSR indefinite (nnz={r['nnz']}), "
         f"radius={r['radius']:g}" + (f", options {r['options']}" if r["options"] else "")),
        ["what", "bytes", "in n-vectors"], rows,
        note=(f"solve: {r['solve_wall_s']:.3f} s, {r['iterations']} iterations, {r['operator_products']} products, "
              f"status {r['status']}, on_boundary={r['on_boundary']}, |s|={r['step_norm']:.6g}, "
              f"lambda={r['multiplier']}, m(s)={r['model']:.8g}, predicted_reduction={r['predicted_reduction']:.8g}"),
    )
    ok = ours_peak < TARGET_BYTES
    print(f"Target: peak < {fmt_bytes(TARGET_BYTES)} (well under): measured {fmt_bytes(ours_peak)} -> "
          f"{'PASS' if ok else 'FAIL'};  scipy/ours (brief's block): {brief_scipy / max(ours_peak, 1):.0f}x,"
          f"  scipy/ours (trlib Q reservation): {trlib_q / max(ours_peak, 1):.0f}x")
    if abs(r["model"] + r["predicted_reduction"]) > 1e-6 * max(1.0, abs(r["model"])):
        print(f"NOTE: predicted_reduction {r['predicted_reduction']!r} != -m(s) {-r['model']!r}")
    if r["step_norm"] > r["radius"] * (1 + 1e-6):
        print(f"NOTE: |s| = {r['step_norm']!r} exceeds radius {r['radius']!r}")
    r.update({"scipy_brief_bytes": brief_scipy, "scipy_trlib_Q_bytes": trlib_q, "trlib_itmax": itmax,
              "ours_peak_bytes": ours_peak, "target_bytes": TARGET_BYTES, "pass": ok})
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10**5)
    ap.add_argument("--radius", type=float, nargs="+", default=[10.0, 1000.0],
                    help="one child run per radius (default: 10 = well-conditioned, 1000 = many Lanczos steps)")
    ap.add_argument("--maxiter", type=int, default=None, help="passed to solve_subproblem (default: its own)")
    ap.add_argument("--rtol", type=float, default=None, help="passed to solve_subproblem (default: its own)")
    ap.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                    help="extra solve_subproblem option (Python literal), e.g. --opt reorthogonalize=False")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--diag-max", type=float, default=10.0,
                    help="diagonal of B uniform in [-1, diag_max] (larger: harder, more Lanczos iterations)")
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.radius = args.radius[0]
        child(args)
        return 0
    out, ok = [], True
    for radius in args.radius:
        try:
            r = report(run_child(args.n, radius, args.seed, args.maxiter, args.rtol, args.diag_max, args.opt))
        except Exception as e:  # noqa: BLE001
            print(f"\nradius={radius}: {e}", file=sys.stderr)
            ok = False
            continue
        ok &= r["pass"]
        out.append(r)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
        print(f"numbers written to {args.json}")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
