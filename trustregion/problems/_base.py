"""The :class:`Problem` container shared by every test problem.

Every problem in this package is a nonlinear least-squares problem

.. math:: f(x) = \\sum_{i=1}^m r_i(x)^2 ,

given once by its residual vector :math:`r(x)`, its Jacobian :math:`J(x)` and the
weighted sum of residual Hessians :math:`S(x, w) = \\sum_i w_i \\nabla^2 r_i(x)`.
From these three pieces

.. math::

    \\nabla f = 2 J^T r, \\qquad
    \\nabla^2 f = 2 \\left( J^T J + S(x, r) \\right),

so :meth:`Problem.grad`, :meth:`Problem.hessp` and :meth:`Problem.hess` are exact
(no finite differences) and the two Hessian routines share one mechanism.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Problem"]

ResidualFn = Callable[[np.ndarray], np.ndarray]
WeightedHessFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _frozen_array(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


class ResidualView:
    """``residual(x)`` and ``jacobian(x)`` of a problem stored as ``residual_fn`` and
    ``jacobian_fn``, with x checked against its dimension ``n``: the least-squares view
    that every problem of this package shares, dense or sparse."""

    name: str
    n: int
    residual_fn: Callable[[np.ndarray], np.ndarray]
    jacobian_fn: Callable[[np.ndarray], Any]

    def _check(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n,):
            raise ValueError(f"{self.name}: x has shape {x.shape}, expected ({self.n},)")
        return x

    def residual(self, x: np.ndarray) -> np.ndarray:
        """Residual vector :math:`r(x)`, shape ``(m,)``."""
        return self.residual_fn(self._check(x))

    def jacobian(self, x: np.ndarray) -> Any:
        """Jacobian :math:`J(x) = \\partial r / \\partial x`, shape ``(m, n)``: an array,
        or a CSR matrix for the sparse problems."""
        return self.jacobian_fn(self._check(x))


@dataclass(frozen=True, eq=False)
class Problem(ResidualView):
    """An unconstrained least-squares test problem :math:`f(x) = \\|r(x)\\|^2`.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"rosenbrock"``.
    number : int
        Problem number in Moré, Garbow and Hillstrom (1981).
    n : int
        Number of variables.
    m : int
        Number of residuals.
    x0 : ndarray, shape (n,)
        Standard starting point (stored read-only).
    f_star : float or None
        Published minimal value of ``f``, or ``None`` when none is published.
        Values quoted to a few digits in the paper are stored as quoted.
    x_star : ndarray or None
        A minimiser known in closed form (so that ``fun(x_star) == f_star`` holds to
        rounding), or ``None``.
    reference : str
        Bibliographic reference, with the problem number.
    residual_fn, jacobian_fn, weighted_hess_fn : callable
        ``r(x)`` of shape ``(m,)``, ``J(x)`` of shape ``(m, n)`` and
        ``S(x, w) = sum_i w_i * hess(r_i)(x)`` of shape ``(n, n)``.
    """

    name: str
    number: int
    n: int
    m: int
    x0: np.ndarray
    f_star: float | None
    x_star: np.ndarray | None
    reference: str
    residual_fn: ResidualFn = field(repr=False)
    jacobian_fn: ResidualFn = field(repr=False)
    weighted_hess_fn: WeightedHessFn = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "x0", _frozen_array(self.x0))
        object.__setattr__(self, "x_star", _frozen_array(self.x_star))
        if self.x0.shape != (self.n,):
            raise ValueError(f"{self.name}: x0 has shape {self.x0.shape}, expected ({self.n},)")
        if self.x_star is not None and self.x_star.shape != (self.n,):
            raise ValueError(
                f"{self.name}: x_star has shape {self.x_star.shape}, expected ({self.n},)"
            )

    def residual_hess(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Weighted residual Hessian :math:`\\sum_i w_i \\nabla^2 r_i(x)`, shape ``(n, n)``."""
        w = np.asarray(w, dtype=float)
        if w.shape != (self.m,):
            raise ValueError(f"{self.name}: w has shape {w.shape}, expected ({self.m},)")
        return self.weighted_hess_fn(self._check(x), w)

    # ------------------------------------------------------------ scalar view
    def fun(self, x: np.ndarray) -> float:
        """Objective :math:`f(x) = \\sum_i r_i(x)^2`."""
        r = self.residual(x)
        return float(r @ r)

    def grad(self, x: np.ndarray) -> np.ndarray:
        """Gradient :math:`\\nabla f(x) = 2 J(x)^T r(x)`."""
        x = self._check(x)
        return 2.0 * (self.jacobian_fn(x).T @ self.residual_fn(x))

    def hessp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Exact Hessian-vector product :math:`\\nabla^2 f(x) v = 2(J^T J v + S(x, r) v)`."""
        x = self._check(x)
        v = np.asarray(v, dtype=float)
        if v.shape != (self.n,):
            raise ValueError(f"{self.name}: v has shape {v.shape}, expected ({self.n},)")
        jac = self.jacobian_fn(x)
        second = self.weighted_hess_fn(x, self.residual_fn(x))
        return 2.0 * (jac.T @ (jac @ v) + second @ v)

    def hess(self, x: np.ndarray) -> np.ndarray:
        """Exact Hessian :math:`\\nabla^2 f(x) = 2(J^T J + S(x, r))`: a dense array, or a
        scipy sparse matrix for the banded problems (whose J and S are sparse)."""
        x = self._check(x)
        jac = self.jacobian_fn(x)
        return 2.0 * (jac.T @ jac + self.weighted_hess_fn(x, self.residual_fn(x)))
