"""The quadratic model's Hessian at the accepted iterate."""

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.linalg import norm  # BLAS nrm2 scales: np.linalg.norm overflows past 1e154
from scipy.optimize import BFGS, HessianUpdateStrategy

from ..operators import (
    FiniteDifferenceHessian,
    HessianVectorProduct,
    SymmetricOperator,
    as_operator,
)
from ._finite_differences import SCHEMES, approx_jacobian
from ._objective import Objective

_SQRT_EPS = np.sqrt(np.finfo(np.float64).eps)


class HessianModel:
    """B_k for m(s) = f + gᵀs + ½ sᵀB_k s, rebuilt only at accepted points.

    In order of preference: ``hess(x)`` (an array, sparse matrix or LinearOperator);
    a scipy ``HessianUpdateStrategy`` such as ``BFGS()`` or ``SR1()`` (a copy, so that the
    caller's object is not modified, updated after each accepted step); ``hess`` one of
    "2-point", "3-point", "cs" (the dense Jacobian of the gradient by that scheme, inside
    the bounds, symmetrised); ``hessp(x, v)``; otherwise, with a user gradient, finite
    differences of it along each vector (N&W §8.1), and with a finite-difference gradient
    ``BFGS()``, as scipy's trust-constr (differencing a difference loses half the digits).
    """

    def __init__(
        self,
        objective: Objective,
        n: int,
        hess: Any,
        hessp: Callable[..., Any] | None,
        args: Sequence[Any],
        *,
        lo: np.ndarray | None = None,
        hi: np.ndarray | None = None,
    ) -> None:
        self.n = n
        self._objective, self._hess, self._hessp, self._args = objective, hess, hessp, args
        self._lo, self._hi = lo, hi
        self._strategy: HessianUpdateStrategy | None = None
        self._scheme: str | None = None
        if hess is None and hessp is None and objective.estimated_gradient:
            hess = BFGS()
        if isinstance(hess, HessianUpdateStrategy):
            self._strategy = copy.deepcopy(hess)
            self._strategy.initialize(n, "hess")
        elif isinstance(hess, str):
            if hess not in SCHEMES:
                raise ValueError(
                    f"hess must be a callable, a HessianUpdateStrategy or one "
                    f"of {', '.join(map(repr, SCHEMES))}; got {hess!r}"
                )
            self._scheme = hess
            self._differenced = objective.gradient_for_differencing(hess)
        elif hess is not None and not callable(hess):
            raise ValueError(
                "hess must be a callable, a scipy HessianUpdateStrategy or one "
                f"of {', '.join(map(repr, SCHEMES))}"
            )
        if hessp is not None and not callable(hessp):
            raise ValueError("hessp must be a callable hessp(x, v, *args)")
        self.hessian_evaluations = 0

    def _counted_hessp(self, x: np.ndarray, v: np.ndarray, *args: Any) -> Any:
        self.hessian_evaluations += 1
        assert self._hessp is not None  # only made into an operator when there is one
        return self._hessp(x.copy(), v.copy(), *args)

    def at(self, x: np.ndarray, g: np.ndarray) -> SymmetricOperator | None:
        """The model Hessian at the accepted point x, where ∇f(x) = g; None when the user's
        stored ``hess(x)`` holds a non-finite value (no step can fix that)."""
        if self._strategy is not None:
            return as_operator(self._strategy.get_matrix(), self.n, name="hess")
        if self._scheme is not None:
            H = approx_jacobian(self._differenced, x, g, self._scheme, lo=self._lo, hi=self._hi)
            return as_operator(0.5 * (H + H.T), self.n, name="hess")
        if self._hess is not None:
            self.hessian_evaluations += 1
            H = self._hess(x.copy(), *self._args)
            stored = H.data if sp.issparse(H) else H
            if (
                isinstance(stored, (np.ndarray, list, float, int))
                and not np.isfinite(np.asarray(stored, dtype=float)).all()
            ):
                return None
            return as_operator(H, self.n, name="hess(x)")
        if self._hessp is not None:
            return HessianVectorProduct(self._counted_hessp, x, self._args)
        # The objective's gradient already has the arguments bound and counts itself.
        if self._lo is None or self._hi is None:
            return FiniteDifferenceHessian(self._objective.gradient, x, (), gradient=g)
        return _box_difference(self._objective.gradient, x, g, self._lo, self._hi)

    @property
    def updates(self) -> bool:
        """Whether the model learns from accepted steps (a quasi-Newton strategy)."""
        return self._strategy is not None

    def accepted(self, step: np.ndarray, gradient_change: np.ndarray) -> None:
        """Tell a quasi-Newton strategy about an accepted step and the gradient change."""
        if self._strategy is not None and np.any(step):
            self._strategy.update(step, gradient_change)


def _box_difference(
    gradient: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    g: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> SymmetricOperator:
    """v ↦ ∇²f(x)v by forward differences of the gradient that never leave [lo, hi].

    With the step t = √u(1 + ‖x‖)/‖v‖ of :class:`FiniteDifferenceHessian`, v splits into
    the part a whose coordinates can move by +t·vᵢ inside the box and the part b that can
    move by -t·vᵢ (every coordinate of a box wider than 2t|vᵢ| is in one of them), and by
    linearity ∇²f·v ≈ (∇f(x + ta) - ∇f(x))/t + (∇f(x) - ∇f(x - tb))/t: one gradient, or
    two when the box blocks both ways. A coordinate whose box is narrower than the step
    is treated as fixed (its entry of v dropped), as TRON treats a variable at its bound.
    """
    scale = _SQRT_EPS * (1.0 + float(norm(x)))

    def product(v: np.ndarray) -> np.ndarray:
        length = float(norm(v))
        if length == 0.0:
            return np.zeros_like(x)
        t = scale / length
        ahead = (x + t * v >= lo) & (x + t * v <= hi)
        behind = ~ahead & (x - t * v >= lo) & (x - t * v <= hi)
        result = np.zeros_like(x)
        if ahead.any():
            result += (gradient(x + t * np.where(ahead, v, 0.0)) - g) / t
        if behind.any():
            result += (g - gradient(x - t * np.where(behind, v, 0.0))) / t
        return result

    return SymmetricOperator(x.shape[0], product)
