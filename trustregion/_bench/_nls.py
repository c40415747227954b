"""``trustregion bench --suite nls``: least_squares against scipy's on NIST StRD and MGH.

Each NIST dataset is two cases (its two published starts), solved when the worst
parameter has LRE ≥ 6 (NIST's log relative error); an MGH problem is solved by the
Moré–Wild test on the cost, as in the other suites. Each run is timed as the median of
``repeats`` runs, in this one process, for ours and scipy's alike.
"""

import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize as so
from scipy.optimize import OptimizeResult

from .._least_squares import least_squares
from ..problems import get
from ..problems._base import Problem
from ..problems.nist import NIST, nist_problem
from ._solvers import _TAU, Run, RunTimeLimit, time_limit, timed_out

# NIST's accuracy target: six correct significant digits in every parameter.
LRE_SOLVED = 6.0


@dataclass(frozen=True)
class LeastSquaresCase:
    """One least-squares problem from one start."""

    name: str
    n: int
    x0: np.ndarray
    residual: Callable
    jacobian: Callable
    lre: Callable | None  # NIST's accuracy of a solution, for the NIST cases
    cost_star: float | None  # ½‖r‖² at a published minimum, for the MGH cases


def cases() -> list[LeastSquaresCase]:
    """The NIST datasets from both starts, then the 35 MGH problems (standard starts)."""
    out = []
    for name in sorted(NIST):
        p = nist_problem(name)
        for k, start in enumerate(p.starts, 1):
            out.append(
                LeastSquaresCase(f"{name}-{k}", p.n, start, p.residual, p.jacobian, p.lre, None)
            )
    from ..problems.mgh import BUILDERS

    for name in BUILDERS:
        problem = get(name)
        assert isinstance(problem, Problem)  # the MGH builders make plain least-squares Problems
        cost_star = None if problem.f_star is None else 0.5 * problem.f_star  # MGH's f is ‖r‖²
        out.append(
            LeastSquaresCase(
                name,
                problem.n,
                problem.x0,
                problem.residual_fn,
                problem.jacobian_fn,
                None,
                cost_star,
            )
        )
    return out


def _scipy(method: str) -> Callable[[LeastSquaresCase], OptimizeResult]:
    def solve(case: LeastSquaresCase) -> OptimizeResult:
        return so.least_squares(case.residual, case.x0, jac=case.jacobian, method=method)

    return solve


def _ours(case: LeastSquaresCase) -> OptimizeResult:
    return least_squares(case.residual, case.x0, jac=case.jacobian)


NLS_SOLVERS: dict[str, Callable] = {
    "least_squares": _ours,
    "trf": _scipy("trf"),
    "dogbox": _scipy("dogbox"),
    "lm": _scipy("lm"),
}


def run_nls(
    solver: str, case: LeastSquaresCase, repeats: int = 3, limit: float | None = None
) -> Run:
    """Solve ``case`` with ``solver`` ``repeats`` times, each within ``limit`` seconds; the
    median time is recorded. Failures (a time limit reached included) are recorded, never
    raised."""
    seconds = []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(limit):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = NLS_SOLVERS[solver](case)
            seconds.append(time.perf_counter() - start)
    except RunTimeLimit:
        assert limit is not None  # only time_limit(limit) raises it
        return timed_out(case.name, case.n, solver, limit)
    except Exception as exc:  # a solver's crash is a result too: unsolved, with the reason
        return Run(case.name, case.n, solver, False, math.nan, 0, 0, 0, 0, 0.0, f"{exc!r}")
    x, cost = np.asarray(result.x), float(result.cost)
    lre = float(case.lre(x)) if case.lre is not None else math.nan
    if case.lre is not None:
        solved = lre >= LRE_SOLVED
    elif case.cost_star is not None:
        cost0 = 0.5 * float(np.sum(np.asarray(case.residual(case.x0)) ** 2))
        solved = bool(np.isfinite(cost) and cost0 - cost >= (1 - _TAU) * (cost0 - case.cost_star))
    else:
        solved = bool(result.success)
    return Run(
        case.name,
        case.n,
        solver,
        bool(solved),
        cost,
        int(result.get("nit", result.get("njev") or 0)),
        int(result.nfev),
        int(result.get("njev") or 0),
        0,
        statistics.median(seconds),
        str(result.message),
        lre,
    )
