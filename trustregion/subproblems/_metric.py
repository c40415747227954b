"""The trust-region norm ‖s‖_M = √(sᵀMs): what the solvers need of M."""

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .._validation import as_float_vector, max_abs, power_of_two_scale
from ..operators import OperatorLike, Preconditioner, SymmetricOperator, as_operator
from ..operators._preconditioners import check_preconditioner

_IDENTITY = np.empty(0)

_Solver = Callable[[np.ndarray], np.ndarray]


class Metric:
    """M in ‖s‖_M, offering M v, M⁻¹ r and, for dense methods, a Cholesky factor.

    ``inverse_diagonal`` is set when M is diagonal (an empty array for M = I), which the
    Numba kernels take directly. ``operator`` is M as an operator, for "natural", which
    solves with M by CG. Factorisations are made once, on first use.
    """

    def __init__(
        self,
        n: int,
        *,
        inverse_diagonal: np.ndarray | None = None,
        operator: SymmetricOperator | None = None,
        solver: _Solver | None = None,
        dense: np.ndarray | None = None,
    ) -> None:
        self.n = n
        self.inverse_diagonal = inverse_diagonal
        self.operator = operator
        self._solver = solver
        self._dense = dense
        self._cholesky: np.ndarray | None = None
        # M⁻¹ is applied exactly and cheaply (M = I, diagonal, a factorised sparse M, or a
        # Preconditioner's solve).
        self.has_direct_solve = inverse_diagonal is not None or solver is not None

    @property
    def is_identity(self) -> bool:
        return self.inverse_diagonal is not None and self.inverse_diagonal.shape[0] == 0

    def solve(self, r: np.ndarray) -> np.ndarray:
        """M⁻¹ r."""
        if self.inverse_diagonal is not None:
            return r.copy() if self.is_identity else self.inverse_diagonal * r
        if self._solver is None:
            self._solver = self._make_solver()
        return self._solver(r)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """M v."""
        if self.inverse_diagonal is not None:
            return v.copy() if self.is_identity else v / self.inverse_diagonal
        return self._operator().apply(v)

    def norm(self, v: np.ndarray) -> float:
        """‖v‖_M (see :func:`scaled_norm`)."""
        return scaled_norm(v, self.matvec)

    def cholesky(self) -> np.ndarray | None:
        """Lower-triangular L with M = LLᵀ (dense), or None for M = I."""
        if self.is_identity:
            return None
        if self._cholesky is None:
            if self.inverse_diagonal is not None:
                self._cholesky = np.diag(1.0 / np.sqrt(self.inverse_diagonal))
            else:
                dense = self._dense if self._dense is not None else self._operator().to_dense()
                self._cholesky = _cholesky_or_raise(dense)
        return self._cholesky

    def _operator(self) -> SymmetricOperator:
        # Only a diagonal M (inverse_diagonal) comes without its operator.
        assert self.operator is not None, "a non-diagonal metric has its operator"
        return self.operator

    def _make_solver(self) -> _Solver:
        op = self._operator()
        if self._dense is not None:
            factor = (self.cholesky(), True)
            return lambda r: sla.cho_solve(factor, r, check_finite=False)
        from ..krylov import cg  # M⁻¹r by CG to near machine precision

        def solve(r: np.ndarray) -> np.ndarray:
            res = cg(op, r, rtol=1e-13, maxiter=10 * self.n)
            if res.status not in (res.status.CONVERGED, res.status.MAX_ITER):
                raise ValueError(
                    f"M is not positive definite: CG on M stopped with '{res.status.name}'"
                )
            return res.x

        return solve


def as_metric(M: OperatorLike | None, n: int) -> Metric:
    """Interpret the ``M`` argument of :func:`trustregion.solve_subproblem`.

    ``None`` is the Euclidean norm; a 1-D array is the diagonal of M; a 2-D array, a sparse
    matrix, a LinearOperator or a callable is M itself; a
    :class:`~trustregion.operators.Preconditioner` is the M it represents, solved with
    its own ``solve``. A dense or sparse M is refused unless it is positive definite: a
    sparse M is factorised here (once), a dense one when a method first needs its Cholesky
    factor. An M given only by its products cannot be checked beforehand; a method meeting
    rᵀM⁻¹r ≤ 0 reports ``NOT_POSITIVE_DEFINITE``.
    """
    if M is None:
        return Metric(n, inverse_diagonal=_IDENTITY)
    if isinstance(M, Preconditioner):
        check_preconditioner(M, n)
        return Metric(n, inverse_diagonal=M.inverse_diagonal, operator=M, solver=M.solve)
    if isinstance(M, np.ndarray) and M.ndim == 1:
        d = as_float_vector(M, "M", size=n)
        if not (d > 0.0).all():
            raise ValueError(
                "M (given as a diagonal) must have positive entries: M must be positive definite"
            )
        return Metric(n, inverse_diagonal=1.0 / d)
    sparse: Any = M  # (scipy is untyped: issparse does not narrow M)
    if (
        sp.issparse(M)
        and sparse.shape == (n, n)
        and sparse.nnz == np.count_nonzero(sparse.diagonal())
    ):
        return as_metric(np.asarray(sparse.diagonal(), dtype=np.float64), n)
    op = as_operator(M, n, name="M")
    e = op.explicit
    if e is not None and e.is_dense:
        dense = e.matrix()
        if not np.allclose(dense, dense.T, rtol=1e-10, atol=1e-12 * np.abs(dense).max()):
            raise ValueError("M must be symmetric")
        return Metric(n, operator=op, dense=dense)
    if e is not None:
        return Metric(n, operator=op, solver=_sparse_spd_solver(e.matrix()))
    return Metric(n, operator=op)


def scaled_norm(v: np.ndarray, matvec: Callable[[np.ndarray], np.ndarray] | None = None) -> float:
    """‖v‖_M = √(vᵀMv) (‖v‖₂ without ``matvec``), from v scaled by a power of two near
    max|vᵢ| so that the square neither overflows nor underflows (the scaling of LAPACK's
    dnrm2; exact, so it changes no rounding)."""
    scale = power_of_two_scale(max_abs(v))
    w = v / scale
    return scale * math.sqrt(max(np.dot(w, w if matvec is None else matvec(w)), 0.0))


def metric_scale(M: OperatorLike | None) -> float:
    """A power of four near the largest diagonal entry of an M given as an array or a
    sparse matrix, so that M/μ is of order one and √μ is exact. 1.0 when that entry is
    within 2^±64 (:func:`power_of_two_scale` of its root), and for an M given by its
    products, whose size is not known without computing some."""
    d: np.ndarray
    if sp.issparse(M):
        d = cast(Any, M).diagonal()  # (scipy is untyped: issparse does not narrow M)
    elif isinstance(M, np.ndarray) and M.ndim in (1, 2) and np.issubdtype(M.dtype, np.number):
        d = M if M.ndim == 1 else np.diagonal(M)
    else:
        return 1.0
    if d.size == 0:
        return 1.0
    root = power_of_two_scale(math.sqrt(float(np.max(np.abs(d)))))
    return root * root


def _sparse_spd_solver(matrix: sp.csr_matrix) -> _Solver:
    """M⁻¹ from a sparse LU with symmetric (diagonal) pivoting, refusing an M that is not
    positive definite, as the dense Cholesky factorisation refuses it.

    With diagonal pivots only (SuperLU's symmetric mode with threshold 0, and row and
    column permutations equal), PMPᵀ = LU with U = DLᵀ, and by Sylvester's law of inertia
    M is positive definite exactly when every pivot Uᵢᵢ is positive.
    """
    try:
        lu = splu(
            matrix.tocsc(),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    except RuntimeError:  # SuperLU's "Factor is exactly singular"
        raise ValueError("M is not positive definite (it is singular)") from None
    if not np.array_equal(lu.perm_r, lu.perm_c) or not (lu.U.diagonal() > 0.0).all():
        raise ValueError("M is not positive definite (its LDLᵀ factorisation has a pivot ≤ 0)")
    return lu.solve


def _cholesky_or_raise(dense: np.ndarray) -> np.ndarray:
    try:
        return sla.cholesky(dense, lower=True, check_finite=False)
    except sla.LinAlgError:
        raise ValueError("M is not positive definite (its Cholesky factorisation failed)") from None
