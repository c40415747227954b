"""``trustregion.minimize`` against scipy's trust-region methods on cheap problems, and
both against the floor: the time the problems' own functions take.

Run from the repository root::

    python benchmarks/compare_minimize_cheap.py             # about a minute
    python benchmarks/compare_minimize_cheap.py --quick

On problems whose f, gradient and Hessian (numpy expressions written here, n = 2 … 200)
cost microseconds, a solver's own bookkeeping is what is
timed. Each pair — steihaug/trust-ncg and gltr/trust-krylov with ``hessp``, exact/
trust-exact with a dense ``hess`` — is timed interleaved in this one process, BLAS pinned
to one thread. The floor of a run is Σ (calls of each function) × (median time of one
call), the calls counted in an untimed run; ``ours / floor`` is then how much of our time
is not the user's.

Targets (issue 14; the script exits 1 when one is missed): for every pair, the median
over the problems of scipy's time over ours at least 3, with no more evaluations; and
our median time within 1.5× the floor.
"""

import argparse
import statistics
import sys

from _timing import (
    Target,
    check_targets,
    compare,
    ensure_repo_on_path,
    fmt_ratio,
    fmt_time,
    pin_blas_threads,
    print_table,
)

pin_blas_threads()
ensure_repo_on_path()

import numpy as np  # noqa: E402  (after the BLAS threads are pinned)
import scipy.optimize as so  # noqa: E402

import trustregion as tr  # noqa: E402


class Cheap:
    """A test problem written as a user writes one: numpy expressions for f, ∇f, ∇²f·v
    and a dense ∇²f, each a few microseconds."""

    def __init__(self, name, x0, fun, grad, hessp, hess):
        self.name, self.x0, self.n = name, np.asarray(x0, dtype=float), len(x0)
        self.fun, self.grad, self.hessp, self.hess = fun, grad, hessp, hess


def extended_rosenbrock(n: int) -> Cheap:
    """Σ 100(x₂ᵢ - x₂ᵢ₋₁²)² + (1 - x₂ᵢ₋₁)² (Moré, Garbow & Hillstrom 1981, problem 21)."""

    def parts(x):
        return x[0::2], x[1::2]

    def fun(x):
        a, b = parts(x)
        return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))

    def grad(x):
        a, b = parts(x)
        g = np.empty_like(x)
        g[0::2] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a)
        g[1::2] = 200.0 * (b - a * a)
        return g

    def blocks(x):
        a, b = parts(x)
        return 1200.0 * a * a - 400.0 * b + 2.0, -400.0 * a, np.full_like(a, 200.0)

    def hessp(x, v):
        haa, hab, hbb = blocks(x)
        out = np.empty_like(x)
        out[0::2] = haa * v[0::2] + hab * v[1::2]
        out[1::2] = hab * v[0::2] + hbb * v[1::2]
        return out

    def hess(x):
        haa, hab, hbb = blocks(x)
        H = np.zeros((x.size, x.size))
        i = np.arange(0, x.size, 2)
        H[i, i], H[i + 1, i + 1], H[i, i + 1], H[i + 1, i] = haa, hbb, hab, hab
        return H

    return Cheap("extended_rosenbrock", np.tile([-1.2, 1.0], n // 2), fun, grad, hessp, hess)


def coupled_quartic(n: int) -> Cheap:
    """Σ cᵢ(xᵢ - 1)² + (Σ xᵢ² - 1/4)², cᵢ = i/n: a separable quadratic coupled by one
    quartic, whose Hessian diag(2c) + 4(s - 1/4)I + 8xxᵀ is dense and indefinite near 0."""
    c = np.arange(1, n + 1) / n

    def fun(x):
        return float(c @ (x - 1.0) ** 2 + (x @ x - 0.25) ** 2)

    def grad(x):
        return 2.0 * c * (x - 1.0) + 4.0 * (x @ x - 0.25) * x

    def hessp(x, v):
        return (2.0 * c + 4.0 * (x @ x - 0.25)) * v + 8.0 * x * (x @ v)

    def hess(x):
        return np.diag(2.0 * c + 4.0 * (x @ x - 0.25)) + 8.0 * np.outer(x, x)

    return Cheap("coupled_quartic", np.full(n, 0.1), fun, grad, hessp, hess)


PROBLEMS = [
    extended_rosenbrock(2),
    extended_rosenbrock(10),
    extended_rosenbrock(50),
    extended_rosenbrock(200),
    coupled_quartic(2),
    coupled_quartic(20),
    coupled_quartic(200),
]
# ours, scipy's, and the second-order argument both take
PAIRS = [("steihaug", "trust-ncg", "hessp"), ("gltr", "trust-krylov", "hessp")]
PAIRS += [("exact", "trust-exact", "hess")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    repeats, min_batch = (5, 0.02) if args.quick else (15, 0.05)
    rows, ratios, floors, more_evaluations = [], {}, [], {}
    for p in PROBLEMS:
        for ours, theirs, model in PAIRS:
            second = getattr(p, model)

            def solve(minimize, method, second=second, model=model, p=p):
                return minimize(p.fun, p.x0, jac=p.grad, method=method, **{model: second})

            runs = {s: solve(m, s) for s, m in ((ours, tr.minimize), (theirs, so.minimize))}
            v = np.ones(p.n)
            calls = {
                "f": lambda p=p: p.fun(p.x0),
                "g": lambda p=p: p.grad(p.x0),
                "h": (lambda p=p, v=v: p.hessp(p.x0, v))
                if model == "hessp"
                else (lambda p=p: p.hess(p.x0)),
            }
            times = compare(
                {ours: lambda: solve(tr.minimize, ours), theirs: lambda: solve(so.minimize, theirs)}
                | calls,
                repeats,
                min_batch,
            )
            r = runs[ours]
            counts = (r.nfev, r.njev, int(r.get("nhev", 0)))
            floor = sum(c * times[k].median for c, k in zip(counts, "fgh", strict=True))
            evaluations = {
                s: runs[s].nfev + runs[s].njev + int(runs[s].get("nhev", 0)) for s in runs
            }
            ratio = times[theirs].median / times[ours].median
            ratios.setdefault(ours, []).append(ratio)
            more_evaluations.setdefault(ours, 0)
            more_evaluations[ours] += evaluations[ours] > evaluations[theirs]
            floors.append(times[ours].median / floor)
            rows.append(
                [f"{p.name} (n={p.n})", f"{ours}/{theirs}", fmt_time(times[ours].median)]
                + [fmt_time(times[theirs].median), fmt_ratio(ratio), fmt_time(floor)]
                + [
                    f"{times[ours].median / floor:.1f}x",
                    f"{evaluations[ours]}/{evaluations[theirs]}",
                ]
            )
    print_table(
        "cheap problems: one solve, median over interleaved samples (BLAS on one thread)",
        ["problem", "pair", "ours", "scipy", "scipy/ours", "floor", "ours/floor", "evals"],
        rows,
        note="floor: the problem's own functions, as many calls as our run made; evals: "
        "f + gradient + Hessian (or products) calls, ours/scipy's",
    )
    targets = [
        Target(f"{ours}: median scipy/ours", statistics.median(r), ">=", 3.0)
        for ours, r in ratios.items()
    ]
    targets += [
        Target(f"{ours}: problems where ours took more evaluations", k, "<=", 0, unit="")
        for ours, k in more_evaluations.items()
    ]
    targets.append(Target("median ours/floor", statistics.median(floors), "<=", 1.5))
    return check_targets(targets)


if __name__ == "__main__":
    sys.exit(main())
