"""The solvers ``trustregion bench`` compares: ours and scipy's, behind one signature."""

import contextlib
import math
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize as so

from .._minimize import minimize

# Moré & Wild (2009) convergence test: f(x₀) - f(x) ≥ (1 - τ)(f(x₀) - f*).
_TAU = 1e-6
# With general constraints f(x₀) - f* says nothing (x₀ may be infeasible with f below f*):
# solved means |f - f*| ≤ 1e-6·max(1, |f*|) at a point violating nothing by more than 1e-6.
_RTOL = 1e-6


@dataclass(frozen=True)
class Run:
    """One solver on one problem."""

    problem: str
    n: int
    solver: str
    solved: bool
    fun: float
    nit: int
    nfev: int
    njev: int
    nhev: int
    seconds: float
    message: str
    lre: float = math.nan  # NIST's log relative error of the solution, where certified


class RunTimeLimit(BaseException):
    """Raised in a run that outlasts the bench's time limit. A BaseException, as
    KeyboardInterrupt is, so that no solver's ``except Exception`` mistakes it for a
    failure of the problem's functions and carries on."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RunTimeLimit` in the block after ``seconds`` of wall time (SIGALRM).
    Python code stops at its next bytecode; a LAPACK call or Numba kernel in progress
    finishes first. None, a platform without SIGALRM (Windows) or a thread other than the
    main one: no limit."""
    if (
        seconds is None
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RunTimeLimit(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def timed_out(problem: str, n: int, solver: str, seconds: float) -> Run:
    """The record of a run stopped by the time limit: unsolved, saying so."""
    return Run(
        problem, n, solver, False, math.nan, 0, 0, 0, 0, seconds, f"time limit of {seconds:g} s"
    )


# A problem of trustregion.problems (any of its classes: they share fun, grad, hessp, hess).
_Problem = Any
_Solver = Callable[[_Problem, int], Any]


def _constraint_kwargs(problem: _Problem) -> dict[str, Any]:
    """bounds and constraints=, as scipy takes them, for the problems that have them."""
    kwargs: dict[str, Any] = {}
    if getattr(problem, "bounds", None) is not None:
        kwargs["bounds"] = problem.bounds
    if hasattr(problem, "scipy_constraints"):
        kwargs["constraints"] = problem.scipy_constraints()
    return kwargs


def _solver(minimize: Callable[..., Any], method: str, model: str | None) -> _Solver:
    """``solve(problem, maxiter)`` by ``minimize`` (ours or scipy's, which share the
    signature) with the problem's ``hess`` or ``hessp`` (``model``) where the method
    takes one."""

    def solve(problem: _Problem, maxiter: int) -> Any:
        kwargs = _constraint_kwargs(problem)
        if model is not None:
            kwargs[model] = getattr(problem, model)
        return minimize(
            problem.fun,
            problem.x0,
            jac=problem.grad,
            method=method,
            options={"maxiter": maxiter},
            **kwargs,
        )

    return solve


def _ours(method: str, model: str) -> _Solver:
    return _solver(minimize, method, model)


def _scipy(method: str, model: str | None) -> _Solver:
    return _solver(so.minimize, method, model)


SOLVERS: dict[str, _Solver] = {
    "steihaug": _ours("steihaug", "hessp"),
    "gltr": _ours("gltr", "hessp"),
    "exact": _ours("exact", "hess"),
    "dogleg": _ours("dogleg", "hess"),
    "trust-ncg": _scipy("trust-ncg", "hessp"),
    "trust-krylov": _scipy("trust-krylov", "hessp"),
    "trust-exact": _scipy("trust-exact", "hess"),
    "L-BFGS-B": _scipy("L-BFGS-B", None),
    "trust-constr": _scipy("trust-constr", "hessp"),
    "SLSQP": _scipy("SLSQP", None),
}
OURS = ("steihaug", "gltr", "exact", "dogleg")
DEFAULT_SOLVERS = (
    "steihaug",
    "gltr",
    "exact",
    "trust-ncg",
    "trust-krylov",
    "trust-exact",
    "L-BFGS-B",
)
# With bounds or constraints our method is TRON's projected step (steihaug); scipy's
# methods that take them.
DEFAULT_BOUNDED_SOLVERS = ("steihaug", "L-BFGS-B", "trust-constr")
DEFAULT_CONSTRAINED_SOLVERS = ("steihaug", "SLSQP", "trust-constr")
# The solvers that factorise a dense n×n Hessian at every iteration, and the largest n at
# which a suite's defaults include them: one factorisation then takes milliseconds, where
# at n = 10⁴ it takes seconds and a run of a thousand iterations, hours.
DENSE_SOLVERS = ("exact", "dogleg", "trust-exact")
DENSE_LIMIT = 500


def default_solvers(suite: str, n: int | None = None) -> tuple[str, ...]:
    """The solvers ``trustregion bench --suite`` compares unless told otherwise, for
    problems of at most ``n`` variables: those that fit the size."""
    solvers = {"bounds": DEFAULT_BOUNDED_SOLVERS, "hs": DEFAULT_CONSTRAINED_SOLVERS}.get(
        suite, DEFAULT_SOLVERS
    )
    if n is not None and n > DENSE_LIMIT:
        return tuple(s for s in solvers if s not in DENSE_SOLVERS)
    return solvers


def _violation(problem: _Problem, x: np.ndarray) -> float:
    """Largest violation of the general constraints and bounds at x (0 for none)."""
    parts = [0.0]
    if hasattr(problem, "eq"):
        parts += [np.abs(problem.eq(x)).max(initial=0.0), (-problem.ineq(x)).max(initial=0.0)]
    if getattr(problem, "bounds", None) is not None:
        parts += [(problem.bounds.lb - x).max(), (x - problem.bounds.ub).max()]
    return max(parts)


def run(solver: str, problem: _Problem, maxiter: int, limit: float | None = None) -> Run:
    """Solve ``problem`` with ``solver`` within ``limit`` seconds; failures (a time limit
    reached included) are recorded, never raised."""
    f0 = float(problem.fun(problem.x0))
    start = time.perf_counter()
    try:
        # Trial points of a hard problem overflow now and then: the solvers cope, and the
        # report, not a stream of warnings, says how each run ended.
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(limit):
            warnings.simplefilter("ignore", RuntimeWarning)
            # SLSQP warns that it ignores the constraints' Hessians, which we pass for the
            # methods that use them.
            warnings.simplefilter("ignore", so.OptimizeWarning)
            result = SOLVERS[solver](problem, maxiter)
        seconds = time.perf_counter() - start
        fun = float(result.fun)
        if hasattr(problem, "eq"):  # a published, feasible optimum reached to _RTOL
            solved = bool(
                abs(fun - problem.f_star) <= _RTOL * max(1.0, abs(problem.f_star))
                and _violation(problem, np.asarray(result.x)) <= _RTOL
            )
        elif problem.f_star is not None:
            solved = bool(np.isfinite(fun) and f0 - fun >= (1 - _TAU) * (f0 - problem.f_star))
        else:
            solved = bool(result.success)
        return Run(
            problem.name,
            problem.n,
            solver,
            solved,
            fun,
            int(result.get("nit", 0)),
            int(result.get("nfev", 0)),
            int(result.get("njev", 0)),
            int(result.get("nhev", 0)),
            seconds,
            str(result.message),
        )
    except RunTimeLimit:
        assert limit is not None  # only time_limit(limit) raises it
        return timed_out(problem.name, problem.n, solver, limit)
    except Exception as exc:  # a solver's crash is a result too: unsolved, with the reason
        seconds = time.perf_counter() - start
        return Run(
            problem.name,
            problem.n,
            solver,
            False,
            float("nan"),
            0,
            0,
            0,
            0,
            seconds,
            f"{type(exc).__name__}: {exc}",
        )
