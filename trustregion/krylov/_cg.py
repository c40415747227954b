"""``trustregion.cg``: preconditioned conjugate gradients for symmetric positive definite
systems."""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .._status import CGStatus, cg_status
from .._validation import as_float_vector, check_maxiter, check_nonnegative_scalar
from ..operators import OperatorLike, Preconditioner, as_operator
from ..operators._preconditioners import check_preconditioner
from ..operators._symmetric import kernel_operand
from ._truncated_cg import run_truncated_cg


class CGResult(NamedTuple):
    """Outcome of :func:`cg`.

    Attributes
    ----------
    x : ndarray
        The solution estimate (always finite).
    iterations : int
        CG iterations taken.
    residual_norm : float
        ‖b - A x‖₂ as carried by the CG recurrence.
    status : CGStatus
        Why the iteration stopped; ``status.message`` says what to do about it.
    operator_products : int
        Products with A (one per iteration, plus one for a nonzero ``x0``).
    """

    x: np.ndarray
    iterations: int
    residual_norm: float
    status: CGStatus
    operator_products: int

    @property
    def success(self) -> bool:
        return self.status is CGStatus.CONVERGED

    @property
    def message(self) -> str:
        return self.status.message


def cg(
    A: OperatorLike,
    b: ArrayLike,
    *,
    M: OperatorLike | None = None,
    x0: ArrayLike | None = None,
    rtol: float = 1e-5,
    atol: float = 0.0,
    maxiter: int | None = None,
    callback: Callable[[np.ndarray], None] | None = None,
) -> CGResult:
    """Solve A x = b for symmetric positive definite A by preconditioned conjugate gradients.

    Algorithm 5.3 of Nocedal & Wright (2006) (Hestenes & Stiefel 1952). The iteration stops
    when ‖b - A x‖₂ ≤ max(rtol·‖b‖₂, atol), the rule of ``scipy.sparse.linalg.cg``, or when
    it meets a direction p with pᵀAp ≤ 0, which is reported (status ``NEGATIVE_CURVATURE``)
    and never divided by.

    Parameters
    ----------
    A : ndarray, sparse matrix, LinearOperator, callable or SymmetricOperator
        Symmetric n×n (a callable ``v ↦ A v`` takes its n from ``b``). Dense and sparse
        matrices run the whole loop in one Numba kernel.
    b : array_like, shape (n,)
    M : optional
        Preconditioner, following scipy's convention: an operator that approximates A⁻¹
        and is applied by multiplication (array, sparse matrix, LinearOperator, callable).
        A :class:`trustregion.operators.Preconditioner` (such as ``JacobiPreconditioner(A)``)
        approximates A itself and is applied through its ``solve``. A diagonal preconditioner
        keeps the Numba fast path.
    x0 : array_like, optional
        Starting guess (default zero).
    rtol, atol : float
        Relative and absolute residual tolerances.
    maxiter : int, optional
        Iteration limit, default 10·n (as scipy).
    callback : callable, optional
        ``callback(xk)`` after each iteration, with a copy of the iterate.

    Returns
    -------
    CGResult

    Raises
    ------
    ValueError
        For a non-finite or mis-shaped ``b`` or ``x0``, a non-square or mis-sized ``A`` or
        ``M``, or negative tolerances.

    Notes
    -----
    ``b = 0`` returns ``x = 0`` at once, as the exact solution, whatever ``x0``.
    """
    b = as_float_vector(b, "b", copy=False, finite=False)  # the kernel checks finiteness
    n = b.shape[0]
    operand = kernel_operand(A, n, name="A")
    rtol = check_nonnegative_scalar(rtol, "rtol")
    atol = check_nonnegative_scalar(atol, "atol")
    maxiter = check_maxiter(maxiter, "maxiter", 10 * n)
    if x0 is not None:
        x0 = as_float_vector(x0, "x0", size=n)
    inverse_diagonal, preconditioner = _preconditioner(M, n)
    run = run_truncated_cg(
        operand,
        b,
        rtol=rtol,
        atol=atol,
        maxiter=maxiter,
        inverse_diagonal=inverse_diagonal,
        preconditioner=preconditioner,
        x0=x0,
        callback=callback,
        check_inputs=True,
    )
    # _make skips the NamedTuple's Python-level __new__, a measurable share of a small solve.
    return CGResult._make(
        (run.x, run.iterations, run.residual_norm, cg_status(run.code), run.operator_products)
    )


def _preconditioner(
    M: OperatorLike | None, n: int
) -> tuple[np.ndarray | None, Callable[[np.ndarray], np.ndarray] | None]:
    """(inverse_diagonal, preconditioner) for :func:`run_truncated_cg` from scipy-style M."""
    if M is None:
        return None, None
    if isinstance(M, Preconditioner):
        check_preconditioner(M, n)
        if M.inverse_diagonal is not None:
            return M.inverse_diagonal, None
        return None, M.solve
    sparse: Any = M  # (scipy is untyped: issparse does not narrow M)
    if (
        sp.issparse(M)
        and sparse.shape == (n, n)
        and sparse.nnz == np.count_nonzero(sparse.diagonal())
    ):
        # A diagonal sparse M (scipy's usual Jacobi idiom, diags(1/d)) multiplies by its
        # diagonal: that is the kernels' inverse diagonal of the metric.
        return np.asarray(sparse.diagonal(), dtype=np.float64), None
    op = as_operator(M, n, name="M")
    return None, op.apply
