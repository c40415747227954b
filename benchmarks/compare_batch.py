"""``trustregion.minimize_batch`` and ``least_squares_batch`` on many small independent
problems against a Python loop of scipy over them: ``minimize`` (trust-ncg, the same
Steihaug–Toint step) and ``least_squares`` (trf) respectively.

Run from the repository root::

    python benchmarks/compare_batch.py                # 10⁴ problems
    python benchmarks/compare_batch.py --quick        # 10³ problems

The workload is a fit per pixel: B problems, each of n parameters with its own data,
written as vectorised numpy functions of all B parameter vectors at once (for the batch)
and, for the loop, the same functions called with one row. The problems: a Rosenbrock
family f_b(x) = (a_b - x₀)² + c_b(x₁ - x₀²)² (n = 2) and an extended Rosenbrock with
per-problem coefficients (n = 10), for minimize; for least squares, the same extended
Rosenbrock as 10 residuals (n = 10) and an exponential-decay fit y ≈ a·exp(-kt) + c to 30
noisy samples per problem (n = 3). Scipy's loop is timed on a sample of the problems
(every k-th, 200 of them) and scaled to B, which it does to within its noise since its
time per problem does not depend on B; the batch is timed whole. The two alternate three
times (medians reported), BLAS pinned to one thread. A sample of problems is also solved
alone with ``minimize`` or ``least_squares`` and compared with the batch bit for bit.
Scipy's least_squares runs with our default tolerances (ftol 1e-15, xtol 1e-10, gtol
1e-12), so that both stop where the fit is accurate.

Target (issue 14; the script exits 1 when it is missed): each batch at least 50× faster
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

# scipy's least_squares with our default tolerances
_LS_TOLERANCES = {"ftol": 1e-15, "xtol": 1e-10, "gtol": 1e-12}


class Family:
    """B problems of n variables, as batched functions of (X, *data) with per-problem
    data arrays of B rows; ``kind`` "minimize" (fun, jac, hess) or "least_squares"
    (fun = the residuals, jac)."""

    def __init__(self, name, kind, functions, X0, data):
        self.name, self.kind = name, kind
        self.functions, self.X0, self.data = functions, X0, data

    def batch(self):
        fun, jac, *second = self.functions
        if self.kind == "minimize":
            return tr.minimize_batch(fun, self.X0, args=self.data, jac=jac, hess=second[0])
        return tr.least_squares_batch(fun, self.X0, jac, args=self.data)

    def _alone_functions(self, b):
        """Problem b's functions of one vector, through the batched ones."""
        data = tuple(d[b : b + 1] for d in self.data)
        return [lambda x, f=f: f(x[None], *data)[0] for f in self.functions]

    def ours_alone(self, b):
        fun, jac, *second = self._alone_functions(b)
        if self.kind == "minimize":
            return tr.minimize(fun, self.X0[b], jac=jac, hess=second[0])
        return tr.least_squares(fun, self.X0[b], jac=jac)

    def scipy_alone(self, b):
        fun, jac, *second = self._alone_functions(b)
        if self.kind == "minimize":
            return so.minimize(fun, self.X0[b], jac=jac, hess=second[0], method="trust-ncg")
        return so.least_squares(fun, self.X0[b], jac=jac, **_LS_TOLERANCES)

    def identical(self, alone, batch, b):
        """Whether problem b of the batch is its run alone, bit for bit."""
        return bool(
            np.array_equal(alone.x, batch.x[b])
            and alone.nit == batch.nit[b]
            and alone.nfev == batch.nfev[b]
            and alone.status == batch.status[b]
        )


def rosenbrock_family(B: int, n: int, rng, kind: str = "minimize") -> Family:
    """f_b(x) = Σ_i c_b (x₂ᵢ₊₁ - x₂ᵢ²)² + (a_b - x₂ᵢ)² (MGH problem 21, with per-problem
    coefficients a_b, c_b; minimiser x₂ᵢ = a_b, x₂ᵢ₊₁ = a_b²), or its residuals
    √c_b (x₂ᵢ₊₁ - x₂ᵢ²) and a_b - x₂ᵢ for least squares."""

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

    def residuals(X, a, c):
        u, v = X[:, 0::2], X[:, 1::2]
        R = np.empty_like(X)
        R[:, 0::2] = np.sqrt(c)[:, None] * (v - u**2)
        R[:, 1::2] = a[:, None] - u
        return R

    def residual_jac(X, a, c):
        u = X[:, 0::2]
        J = np.zeros((X.shape[0], n, n))
        i = np.arange(0, n, 2)
        J[:, i, i] = -2.0 * np.sqrt(c)[:, None] * u
        J[:, i, i + 1] = np.sqrt(c)[:, None]
        J[:, i + 1, i] = -1.0
        return J

    a = rng.uniform(0.5, 2.0, B)
    c = rng.uniform(1.0, 200.0, B)
    X0 = np.tile([-1.2, 1.0], (B, n // 2)) + rng.normal(0.0, 0.1, (B, n))
    functions = (fun, jac, hess) if kind == "minimize" else (residuals, residual_jac)
    return Family(f"{kind}: rosenbrock family (n={n})", kind, functions, X0, (a, c))


def decay_family(B: int, rng, samples: int = 30) -> Family:
    """Least squares: y ≈ a·exp(-k t) + c fitted to ``samples`` noisy points per problem
    (a curve fit per pixel)."""
    t = np.linspace(0.0, 3.0, samples)

    def residuals(X, Y):
        return X[:, :1] * np.exp(-X[:, 1:2] * t) + X[:, 2:3] - Y

    def residual_jac(X, Y):
        decay = np.exp(-X[:, 1:2] * t)
        J = np.empty((X.shape[0], samples, 3))
        J[:, :, 0] = decay
        J[:, :, 1] = -X[:, :1] * t * decay
        J[:, :, 2] = 1.0
        return J

    a, k, c = rng.uniform(1.0, 3.0, B), rng.uniform(0.5, 2.0, B), rng.uniform(-1.0, 1.0, B)
    Y = a[:, None] * np.exp(-k[:, None] * t) + c[:, None]
    Y += 0.01 * rng.standard_normal(Y.shape)
    X0 = np.tile([1.0, 1.0, 0.0], (B, 1))
    return Family(
        f"least_squares: exponential decay (n=3, m={samples})",
        "least_squares",
        (residuals, residual_jac),
        X0,
        (Y,),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10³ problems instead of 10⁴")
    args = parser.parse_args()
    B = 1_000 if args.quick else 10_000
    rng = np.random.default_rng(0)
    families = [
        rosenbrock_family(B, 2, rng),
        rosenbrock_family(B, 10, rng),
        decay_family(B, rng),
        rosenbrock_family(B, 10, rng, kind="least_squares"),
    ]
    rows, ratios, identical, compared = [], [], 0, 0
    for fam in families:
        fam.batch()  # loads the cached kernels
        sample = range(0, B, max(1, B // 200))

        # Interleaved, batch then loop sample, three times: a drift of the machine's speed
        # hits both sides alike.
        batch_times, loop_times = [], []
        for _ in range(3):
            start = perf_counter()
            batch = fam.batch()
            batch_times.append(perf_counter() - start)
            start = perf_counter()
            for b in sample:
                fam.scipy_alone(b)
            loop_times.append((perf_counter() - start) / len(sample) * B)
        batch_time, loop_time = statistics.median(batch_times), statistics.median(loop_times)
        for b in sample[:50]:
            compared += 1
            identical += fam.identical(fam.ours_alone(b), batch, b)
        ratio = loop_time / batch_time
        ratios.append(ratio)
        rows.append(
            [fam.name, str(B), fmt_time(batch_time), fmt_time(loop_time), fmt_ratio(ratio)]
            + [f"{int(batch.success.sum())}/{B}", str(int(batch.nit.max()))]
        )
    print_table(
        "batches: B problems, the batch against a Python loop of scipy (trust-ncg; trf)",
        ["problems", "B", "batch", "scipy loop", "loop/batch", "converged", "max nit"],
        rows,
        note="scipy loop: timed on a sample of the problems, scaled to B",
    )
    return check_targets(
        [
            Target(f"{row[0]}: loop/batch", r, ">=", 50.0)
            for row, r in zip(rows, ratios, strict=True)
        ]
        + [count_target("batch results identical to the run alone", identical, compared)]
    )


if __name__ == "__main__":
    sys.exit(main())
