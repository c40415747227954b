"""``trustregion.minimize_batch`` on many small independent problems against a Python loop
of ``scipy.optimize.minimize`` (trust-ncg, the same Steihaug–Toint step) over them.

Run from the repository root::

    python benchmarks/compare_minimize_batch.py                # 10⁴ problems
    python benchmarks/compare_minimize_batch.py --quick        # 10³ problems

The workload is a fit per pixel: B problems, each of n parameters (2 and 10 here) with
its own data, written as vectorised numpy functions of all B parameter vectors at once
(for the batch) and, for the loop, the same functions called with one row. The problems:
a Rosenbrock family f_b(x) = (a_b - x₀)² + c_b(x₁ - x₀²)² (n = 2), and an extended
Rosenbrock with per-problem coefficients (n = 10). Scipy's loop is timed on a sample of
the problems (every k-th, 200 of them) and scaled to B, which it does to within its
noise since its time per problem does not depend on B; the batch is timed whole. The
two alternate three times (medians reported), BLAS pinned to one thread. A sample of
problems is also solved alone with ``minimize`` and compared with the batch bit for bit.

Target (issue 14; the script exits 1 when it is missed): the batch at least 50× faster
than the loop for 10⁴ problems, with every compared result identical.
"""

import argparse
import statistics
import sys
from time import perf_counter

from _timing import (
    Target,
    check_targets,
    count_target,
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


class Family:
    """B problems of n variables, as batched functions of (X, a, c) with per-problem a, c."""

    def __init__(self, name, n, fun, jac, hess, X0, a, c):
        self.name, self.n = name, n
        self.fun, self.jac, self.hess = fun, jac, hess
        self.X0, self.a, self.c = X0, a, c

    def alone(self, b):
        """Problem b's f, ∇f, ∇²f of one vector, through the batched functions."""
        a, c = self.a[b : b + 1], self.c[b : b + 1]
        return (
            lambda x: self.fun(x[None], a, c)[0],
            lambda x: self.jac(x[None], a, c)[0],
            lambda x: self.hess(x[None], a, c)[0],
        )


def extended_rosenbrock(B: int, n: int, rng) -> Family:
    """f_b(x) = Σ_i c_b (x₂ᵢ₊₁ - x₂ᵢ²)² + (a_b - x₂ᵢ)² (MGH problem 21, with per-problem
    coefficients a_b, c_b); minimiser x₂ᵢ = a_b, x₂ᵢ₊₁ = a_b²."""

    def fun(X, a, c):
        u, v = X[:, 0::2], X[:, 1::2]
        return np.sum(c[:, None] * (v - u**2) ** 2 + (a[:, None] - u) ** 2, axis=1)

    def jac(X, a, c):
        u, v = X[:, 0::2], X[:, 1::2]
        inner = v - u**2
        G = np.empty_like(X)
        G[:, 0::2] = -4.0 * c[:, None] * u * inner - 2.0 * (a[:, None] - u)
        G[:, 1::2] = 2.0 * c[:, None] * inner
        return G

    def hess(X, a, c):
        u, v = X[:, 0::2], X[:, 1::2]
        H = np.zeros((X.shape[0], n, n))
        i = np.arange(0, n, 2)
        H[:, i, i] = 2.0 - 4.0 * c[:, None] * (v - 3.0 * u**2)
        H[:, i, i + 1] = H[:, i + 1, i] = -4.0 * c[:, None] * u
        H[:, i + 1, i + 1] = 2.0 * c[:, None]
        return H

    a = rng.uniform(0.5, 2.0, B)
    c = rng.uniform(1.0, 200.0, B)
    X0 = np.tile([-1.2, 1.0], (B, n // 2)) + rng.normal(0.0, 0.1, (B, n))
    return Family(f"rosenbrock family (n={n})", n, fun, jac, hess, X0, a, c)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10³ problems instead of 10⁴")
    args = parser.parse_args()
    B = 1_000 if args.quick else 10_000
    rng = np.random.default_rng(0)
    families = [extended_rosenbrock(B, 2, rng), extended_rosenbrock(B, 10, rng)]
    rows, ratios, identical, compared = [], [], 0, 0
    for fam in families:
        fit = (fam.fun, fam.X0)
        kwargs = {"args": (fam.a, fam.c), "jac": fam.jac, "hess": fam.hess}
        tr.minimize_batch(*fit, **kwargs)  # loads the cached kernels
        sample = range(0, B, max(1, B // 200))

        def loop_sample(fam=fam, sample=sample):
            for b in sample:
                f, g, h = fam.alone(b)
                so.minimize(f, fam.X0[b], jac=g, hess=h, method="trust-ncg")

        # Interleaved, batch then loop sample, three times: a drift of the machine's speed
        # hits both sides alike.
        batch_times, loop_times = [], []
        for _ in range(3):
            start = perf_counter()
            batch = tr.minimize_batch(*fit, **kwargs)
            batch_times.append(perf_counter() - start)
            start = perf_counter()
            loop_sample()
            loop_times.append((perf_counter() - start) / len(sample) * B)
        batch_time, loop_time = statistics.median(batch_times), statistics.median(loop_times)
        for b in sample[:50]:
            f, g, h = fam.alone(b)
            alone = tr.minimize(f, fam.X0[b], jac=g, hess=h)
            compared += 1
            identical += bool(
                np.array_equal(alone.x, batch.x[b])
                and alone.nit == batch.nit[b]
                and alone.nfev == batch.nfev[b]
                and alone.status == batch.status[b]
            )
        ratio = loop_time / batch_time
        ratios.append(ratio)
        rows.append(
            [fam.name, str(B), fmt_time(batch_time), fmt_time(loop_time), fmt_ratio(ratio)]
            + [f"{int(batch.success.sum())}/{B}", str(int(batch.nit.max()))]
        )
    print_table(
        "batches: B problems, the batch against a Python loop of scipy's trust-ncg",
        ["problems", "B", "batch", "scipy loop", "loop/batch", "converged", "max nit"],
        rows,
        note="scipy loop: timed on a sample of the problems, scaled to B",
    )
    return check_targets(
        [
            Target(f"{row[0]}: loop/batch", r, ">=", 50.0)
            for row, r in zip(rows, ratios, strict=True)
        ]
        + [count_target("batch results identical to minimize alone", identical, compared)]
    )


if __name__ == "__main__":
    sys.exit(main())
