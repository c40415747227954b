"""Where one iteration of ``trustregion.minimize`` spends its time, by phase.

Run from the repository root::

    python benchmarks/profile_minimize_iteration.py

On the cheap problems of ``compare_minimize_cheap.py``, each method's run is timed whole
(median of interleaved repeats, BLAS on one thread) and split into three phases, per
iteration:

* **user**: the problem's f, gradient and Hessian (or products), timed around each call;
* **subproblem**: the Python subproblem solver (gltr, exact), less the Hessian products it
  asks for (those are the user's);
* **driver**: the rest — the loop kernel's calls (model, ratio test, radius update,
  stopping tests; for steihaug the whole Steihaug–Toint step too, which runs inside the
  kernel and so has no column of its own) and the Python that serves its requests.

The timers add about a microsecond per call to the phase they wrap, so read the split as
proportions. Issue 14 asks for a driver whose cost is the user's functions: this is the
measure of how far it is.
"""

import statistics
import sys
import time

from _timing import ensure_repo_on_path, fmt_time, pin_blas_threads, print_table

pin_blas_threads()
ensure_repo_on_path()

import trustregion as tr  # noqa: E402
from trustregion._minimize import _driver  # noqa: E402

from compare_minimize_cheap import PROBLEMS, Cheap  # noqa: E402

METHODS = (("steihaug", "hessp"), ("gltr", "hessp"), ("exact", "hess"))
REPEATS = 15


class Clock:
    """Seconds spent in the user's functions, and in the subproblem solver less them."""

    def __init__(self) -> None:
        self.user = self.subproblem = 0.0
        self._inside_subproblem = False

    def timed_user(self, fn):
        def call(*args):
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                elapsed = time.perf_counter() - start
                self.user += elapsed
                if self._inside_subproblem:
                    self.subproblem -= elapsed  # a product the solver asked for

        return call

    def timed_subproblem(self, fn):
        def call(*args):
            self._inside_subproblem = True
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.subproblem += time.perf_counter() - start
                self._inside_subproblem = False

        return call


def phases(p: Cheap, method: str, model: str) -> tuple[float, float, float, int]:
    """(user, subproblem, driver) seconds of one run, medians over REPEATS, and nit."""
    solve_checked = _driver.solve_checked
    samples = []
    try:
        for _ in range(REPEATS + 1):  # the first warms up (Numba, caches)
            clock = Clock()
            _driver.solve_checked = clock.timed_subproblem(solve_checked)
            second = {model: clock.timed_user(getattr(p, model))}
            fun, grad = clock.timed_user(p.fun), clock.timed_user(p.grad)
            start = time.perf_counter()
            result = tr.minimize(fun, p.x0, jac=grad, method=method, **second)
            total = time.perf_counter() - start
            samples.append((clock.user, clock.subproblem, total - clock.user - clock.subproblem))
    finally:
        _driver.solve_checked = solve_checked
    user, sub, rest = (statistics.median(s[k] for s in samples[1:]) for k in range(3))
    return user, sub, rest, result.nit


def main() -> int:
    rows = []
    for p in PROBLEMS:
        for method, model in METHODS:
            user, sub, rest, nit = phases(p, method, model)
            total = user + sub + rest
            rows.append(
                [f"{p.name} (n={p.n})", method, nit, fmt_time(total / nit)]
                + [fmt_time(user / nit), fmt_time(sub / nit), fmt_time(rest / nit)]
                + [f"{total / user:.1f}x"]
            )
    print_table(
        "one minimize iteration by phase (per iteration, medians of runs)",
        ["problem", "method", "nit", "total", "user", "subproblem", "driver", "total/user"],
        rows,
        note="user: f, gradient, Hessian or products; subproblem: the Python solver less "
        "the products it asks for; driver: the rest (for steihaug, the step included)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
