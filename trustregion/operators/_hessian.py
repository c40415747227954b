"""Hessian and Gauss–Newton operators built from a user's functions."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .._validation import all_finite, as_float_vector
from ._symmetric import SymmetricOperator

_EPS = np.finfo(np.float64).eps


class HessianVectorProduct(SymmetricOperator):
    """v ↦ ∇²f(x) v from the user's exact ``hessp(x, v, *args)``.

    Parameters
    ----------
    hessp : callable
        ``hessp(x, v, *args)`` returning ∇²f(x) v, as in ``scipy.optimize.minimize``.
    x : array_like
        The point; copied, so later changes to the caller's array do not leak in.
    args : tuple
        Extra arguments passed to ``hessp``.
    """

    def __init__(
        self, hessp: Callable[..., ArrayLike], x: ArrayLike, args: Sequence[Any] = ()
    ) -> None:
        self.x = as_float_vector(x, "x")
        self.args = tuple(args)
        xk = self.x

        def product(v: np.ndarray) -> ArrayLike:
            return hessp(xk, v, *self.args)

        super().__init__(xk.shape[0], product)


class FiniteDifferenceHessian(SymmetricOperator):
    """v ↦ ∇²f(x) v by differencing the gradient along v.

    Forward: (∇f(x + εv) - ∇f(x)) / ε, one gradient per product, error O(ε).
    Central: (∇f(x + εv) - ∇f(x - εv)) / (2ε), two gradients per product, error O(ε²).

    The step follows Nocedal & Wright (2006), §8.1: truncation error grows with ε and
    rounding error with u/ε (u the unit round-off), so ε ∝ √u balances them for forward
    differences and ε ∝ u^{1/3} for central ones. It is scaled by (1 + ‖x‖)/‖v‖ so that the
    perturbation εv is relative to the size of x whatever the length of v (the product is
    the one of N&W's Hessian-free Newton–CG, §7.1).

    Parameters
    ----------
    jac : callable
        ``jac(x, *args)`` returning ∇f(x).
    x : array_like
        The point (copied).
    args : tuple
        Extra arguments for ``jac``.
    scheme : {"forward", "central"}
    gradient : array_like, optional
        ∇f(x) if already known; saves one gradient evaluation for the forward scheme.

    Attributes
    ----------
    gradient_evaluations : int
        Gradients evaluated so far, the known one at x excluded.
    """

    def __init__(
        self,
        jac: Callable[..., ArrayLike],
        x: ArrayLike,
        args: Sequence[Any] = (),
        *,
        scheme: str = "forward",
        gradient: ArrayLike | None = None,
    ) -> None:
        if scheme not in ("forward", "central"):
            raise ValueError(f"scheme must be 'forward' or 'central', got {scheme!r}")
        self.x = as_float_vector(x, "x")
        self.args = tuple(args)
        self.scheme = scheme
        self.gradient_evaluations = 0
        n = self.x.shape[0]
        self._g0 = None if gradient is None else as_float_vector(gradient, "gradient", size=n)
        self._jac = jac
        base = np.sqrt(_EPS) if scheme == "forward" else np.cbrt(_EPS)
        self._scale = base * (1.0 + np.linalg.norm(self.x))
        super().__init__(n, self._product)

    def _gradient(self, x: np.ndarray) -> np.ndarray:
        self.gradient_evaluations += 1
        return np.asarray(self._jac(x, *self.args), dtype=np.float64).reshape(-1)

    def _product(self, v: np.ndarray) -> np.ndarray:
        vnorm = np.linalg.norm(v)
        if vnorm == 0.0:
            return np.zeros_like(self.x)
        eps = self._scale / vnorm
        if self.scheme == "forward":
            if self._g0 is None:
                self._g0 = self._gradient(self.x)
            return (self._gradient(self.x + eps * v) - self._g0) / eps
        return (self._gradient(self.x + eps * v) - self._gradient(self.x - eps * v)) / (2.0 * eps)


class GaussNewtonOperator(SymmetricOperator):
    """v ↦ JᵀJ v, the Gauss–Newton model of a least-squares Hessian (N&W §10.3).

    ``J`` (m×n) may be an array, a scipy sparse matrix or a ``LinearOperator``; JᵀJ is
    never formed. Positive semidefinite by construction.
    """

    def __init__(self, J: ArrayLike | sp.spmatrix | sp.sparray | LinearOperator) -> None:
        if isinstance(J, LinearOperator) or sp.issparse(J):
            op = aslinearoperator(J)
        else:
            J = np.asarray(J, dtype=np.float64)
            if J.ndim != 2:
                raise ValueError(f"J must be a 2-D (m, n) matrix, got shape {J.shape}")
            if not all_finite(J):
                raise ValueError("J contains non-finite values (NaN or infinity)")
            op = aslinearoperator(J)
        self.jacobian = op

        def product(v: np.ndarray) -> np.ndarray:
            return op.rmatvec(op.matvec(v))

        super().__init__(op.shape[1], product, positive_semidefinite=True)
