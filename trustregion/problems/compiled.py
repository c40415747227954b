"""Test problems as ``numba.njit`` functions, for the compiled loops of
:func:`trustregion.minimize` and :func:`trustregion.least_squares`.

:func:`compiled` compiles a problem's own residual, Jacobian and weighted residual
Hessian (the very definitions of :mod:`trustregion.problems.mgh`, not copies) and builds
f = Σ rᵢ², ∇f = 2Jᵀr and ∇²f = 2(JᵀJ + Σ rᵢ∇²rᵢ) on them, compiled too; the residuals
and their Jacobian serve ``least_squares`` as they are.
:data:`COMPILED_MGH` names the Moré–Garbow–Hillstrom problems whose definitions Numba
compiles as they are written (the others build arrays in ways Numba does not type, such
as ``np.column_stack`` of a scalar and an array, or sparse matrices).

This is also how a user writes a problem for the compiled loop: each function takes a
float64 vector, ``fun`` returns a float, ``jac`` a float64 vector, ``hess`` a
C-contiguous float64 matrix (or ``hessp(x, p)`` a vector), all decorated with
``numba.njit``::

    @numba.njit
    def fun(x):
        return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from ._base import Problem

__all__ = ["COMPILED_MGH", "CompiledProblem", "compiled"]

#: MGH problems whose residual, Jacobian and residual Hessian compile unchanged.
COMPILED_MGH = (
    "rosenbrock",
    "freudenstein_roth",
    "powell_badly_scaled",
    "brown_badly_scaled",
    "osborne2",
    "watson",
    "trigonometric",
    "discrete_integral_equation",
    "broyden_banded",
    "linear_full_rank",
    "linear_rank1",
    "linear_rank1_zero",
)


@dataclass(frozen=True)
class CompiledProblem:
    """A problem's objective, gradient and Hessian, and its residuals and their
    Jacobian, as ``numba.njit`` functions, with the :class:`Problem` they were compiled
    from (its x0, f* and reference)."""

    problem: Problem
    fun: Callable[[np.ndarray], float]
    jac: Callable[[np.ndarray], np.ndarray]
    hess: Callable[[np.ndarray], np.ndarray]
    residuals: Callable[[np.ndarray], np.ndarray]
    residual_jac: Callable[[np.ndarray], np.ndarray]


def compiled(problem: Problem) -> CompiledProblem:
    """The objective f = Σ rᵢ(x)² of ``problem``, its gradient 2J(x)ᵀr(x) and its Hessian
    2(JᵀJ + Σ rᵢ∇²rᵢ), compiled by Numba from the problem's own definitions (lazily: on
    first call). Raises numba's TypingError on that call for a problem whose definitions
    do not compile (see :data:`COMPILED_MGH`)."""
    residual: Any = njit(problem.residual_fn)
    jacobian: Any = njit(problem.jacobian_fn)
    weighted_hessian: Any = njit(problem.weighted_hess_fn)

    @njit
    def fun(x: np.ndarray) -> float:
        r = residual(x)
        return float(r @ r)

    @njit
    def jac(x: np.ndarray) -> np.ndarray:
        return 2.0 * (jacobian(x).T @ residual(x))

    @njit
    def hess(x: np.ndarray) -> np.ndarray:
        J = jacobian(x)
        return 2.0 * (J.T @ J + weighted_hessian(x, residual(x)))

    return CompiledProblem(problem, fun, jac, hess, residual, jacobian)
