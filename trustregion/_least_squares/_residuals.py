"""The residuals f(x) and their Jacobian J(x) as the solver sees them: counted, checked,
and evaluated on copies of x."""

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from .._minimize._finite_differences import SCHEMES, approx_jacobian
from .._validation import all_finite

# J as the solver takes it: dense, CSR, or a LinearOperator with rmatvec.
Jacobian: TypeAlias = np.ndarray | sp.csr_matrix | LinearOperator

_EPS = float(np.finfo(np.float64).eps)


class Residuals:
    """``fun`` and ``jac`` of a least-squares problem, with evaluation counts.

    ``jac`` may be a callable returning a dense array, a scipy sparse matrix or a
    ``LinearOperator`` (with ``rmatvec``), or one of ``"2-point"``, ``"3-point"``,
    ``"cs"`` for finite differences that stay within ``[lo, hi]`` (their evaluations are
    not counted in ``nfev``, as in scipy's ``'trf'``), grouped by ``sparsity`` when given.

    Attributes
    ----------
    nfev, njev : int
        Calls of ``fun`` for residuals and of ``jac`` (or finite-difference Jacobians).
    m : int
        Number of residuals, known after the first evaluation.
    """

    def __init__(
        self,
        fun: Callable[..., Any],
        jac: str | Callable[..., Any],
        args: tuple,
        kwargs: dict,
        *,
        lo: np.ndarray | None,
        hi: np.ndarray | None,
        diff_step: float | None,
        sparsity: Any = None,
    ) -> None:
        if not callable(fun):
            raise ValueError(f"fun must be callable, got {type(fun).__name__}")
        if not (callable(jac) or (isinstance(jac, str) and jac in SCHEMES)):
            raise ValueError(
                f"jac must be a callable or one of {', '.join(map(repr, SCHEMES))}; got {jac!r}"
            )
        self._fun, self._jac = fun, jac
        self._args, self._kwargs = tuple(args), dict(kwargs)
        self._lo, self._hi, self._diff_step = lo, hi, diff_step
        # With a sparsity pattern, finite differences perturb structurally orthogonal
        # columns together (Curtis, Powell & Reid 1974) and return a CSR matrix.
        self._sparsity = sparsity
        self.nfev = self.njev = 0
        self.m = 0  # set by initial()
        self._rel_step = diff_step
        self.precision = _EPS  # the unit roundoff of the residuals fun computes

    def _call(self, x: np.ndarray) -> np.ndarray:
        return np.atleast_1d(np.asarray(self._fun(x.copy(), *self._args, **self._kwargs)))

    def initial(self, x: np.ndarray) -> np.ndarray:
        """f(x₀), checked: one dimension, real, finite.

        Raises
        ------
        ValueError
            Naming what is wrong: these are the user's function's faults, and no
            iteration can repair them.
        """
        f = self._call(x)
        self.nfev += 1
        if f.ndim != 1:
            raise ValueError(
                f"fun must return a 1-D array of residuals, got an array of shape {f.shape}"
            )
        if np.iscomplexobj(f):
            raise ValueError("fun must return real residuals, got complex values")
        if f.dtype.kind == "f" and f.itemsize < 8:
            # Residuals computed in lower precision (float32) are differenced with steps
            # sized for their precision, as scipy does (gh-12991): float64 steps would
            # difference rounding noise. The stopping tests read the precision too.
            self.precision = float(np.finfo(f.dtype).eps)
            if self._diff_step is None:
                self._rel_step = self.precision ** (1.0 / 3.0 if self._jac == "3-point" else 0.5)
        f = f.astype(np.float64)
        if not all_finite(f):
            raise ValueError("fun returned non-finite residuals (NaN or infinity) at x0")
        self.m = f.shape[0]
        return f

    def __call__(self, x: np.ndarray) -> np.ndarray | None:
        """f(x) at a trial point; None when it is not finite (the step is then rejected)."""
        f = np.asarray(self._fun(x.copy(), *self._args, **self._kwargs))
        self.nfev += 1
        if f.dtype == np.float64 and f.shape == (self.m,):  # the common case, at once
            f = f.copy()  # the caller's buffer may change before the iteration is done
            return f if all_finite(f) else None
        f = np.atleast_1d(f)
        if f.shape != (self.m,):
            raise ValueError(
                f"fun returned residuals of shape {f.shape} at a trial point; it returned "
                f"shape ({self.m},) at x0"
            )
        f = f.real.astype(np.float64) if np.iscomplexobj(f) else f.astype(np.float64)
        return f if all_finite(f) else None

    def jacobian(self, x: np.ndarray, f: np.ndarray) -> Jacobian | None:
        """J(x) as a float64 array, CSR matrix or LinearOperator of shape (m, n); None
        when it has a non-finite entry.

        Raises
        ------
        ValueError
            If ``jac`` returns the wrong shape or type.
        """
        self.njev += 1
        if isinstance(self._jac, str):
            J = approx_jacobian(
                lambda point: self._call(point),
                x,
                f,
                self._jac,
                rel_step=self._rel_step,
                lo=self._lo,
                hi=self._hi,
                sparsity=self._sparsity,
                relative=True,
            )
        else:
            J = self._jac(x.copy(), *self._args, **self._kwargs)
        return _checked_jacobian(J, (self.m, x.shape[0]))


def _checked_jacobian(J: Any, shape: tuple[int, int]) -> Jacobian | None:
    if type(J) is np.ndarray and J.dtype == np.float64 and J.shape == shape:
        # the common case, in a microsecond: only the layout (for the kernels) may change
        J = np.ascontiguousarray(J)
        return J if all_finite(J) else None
    if isinstance(J, LinearOperator):
        if J.shape != shape:
            raise ValueError(f"jac returned a LinearOperator of shape {J.shape}, expected {shape}")
        return aslinearoperator(J)
    if sp.issparse(J):
        J = sp.csr_matrix(J, dtype=np.float64)
        values = J.data
    else:
        J = np.atleast_2d(np.asarray(J))
        if np.iscomplexobj(J):
            raise ValueError("jac must return a real Jacobian, got complex values")
        J = np.ascontiguousarray(J, dtype=np.float64)
        values = J
    if J.shape != shape:
        raise ValueError(f"jac returned an array of shape {J.shape}, expected (m, n) = {shape}")
    return J if all_finite(values) else None
