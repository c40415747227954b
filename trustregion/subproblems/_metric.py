"""The trust-region norm ‖s‖_M = √(sᵀMs): what the solvers need of M."""

import math
from typing import Optional

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.linalg import factorized

from .._validation import as_float_vector
from ..operators import Preconditioner, SymmetricOperator, as_operator
from .. import _kernels as K

_IDENTITY = np.empty(0)


class Metric:
    """M in ‖s‖_M, offering M v, M⁻¹ r and, for dense methods, a Cholesky factor.

    ``inverse_diagonal`` is set when M is diagonal (an empty array for M = I), which the
    Numba kernels take directly. ``operator`` is M as an operator, for "natural", which
    solves with M by CG. Factorisations are made once, on first use.
    """

    def __init__(self, n: int, *, inverse_diagonal: Optional[np.ndarray] = None,
                 operator: Optional[SymmetricOperator] = None, solver=None, dense=None):
        self.n = n
        self.inverse_diagonal = inverse_diagonal
        self.operator = operator
        self._solver = solver
        self._dense = dense
        self._cholesky = None
        # M⁻¹ is applied exactly and cheaply (M = I, diagonal, or a Preconditioner's solve).
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
        return self.operator.apply(v)

    def norm(self, v: np.ndarray) -> float:
        return math.sqrt(max(np.dot(v, self.matvec(v)), 0.0))

    def cholesky(self) -> Optional[np.ndarray]:
        """Lower-triangular L with M = LLᵀ (dense), or None for M = I."""
        if self.is_identity:
            return None
        if self._cholesky is None:
            if self.inverse_diagonal is not None:
                self._cholesky = np.diag(1.0 / np.sqrt(self.inverse_diagonal))
            else:
                dense = self._dense if self._dense is not None else self.operator.to_dense()
                self._cholesky = _cholesky_or_raise(dense)
        return self._cholesky

    def _make_solver(self):
        op = self.operator
        if self._dense is not None:
            factor = (self.cholesky(), True)
            return lambda r: sla.cho_solve(factor, r, check_finite=False)
        e = op.explicit
        if e is not None and e.kind == K.CSR:
            matrix = sp.csr_matrix((e.data, e.indices, e.indptr), shape=op.shape)
            return factorized((matrix + e.shift * sp.identity(self.n)).tocsc())
        from ..krylov import cg  # M⁻¹r by CG to near machine precision

        def solve(r):
            res = cg(op, r, rtol=1e-13, maxiter=10 * self.n)
            if res.status not in (res.status.CONVERGED, res.status.MAX_ITER):
                raise ValueError(f"M is not positive definite: CG on M stopped with "
                                 f"'{res.status.name}'")
            return res.x

        return solve


def as_metric(M, n: int) -> Metric:
    """Interpret the ``M`` argument of :func:`trustregion.solve_subproblem`.

    ``None`` is the Euclidean norm; a 1-D array is the diagonal of M; a 2-D array, a sparse
    matrix, a LinearOperator or a callable is M itself; a
    :class:`~trustregion.operators.Preconditioner` is the M it represents, solved with
    its own ``solve``.
    """
    if M is None:
        return Metric(n, inverse_diagonal=_IDENTITY)
    if isinstance(M, Preconditioner):
        if M.shape != (n, n):
            raise ValueError(f"M has shape {M.shape}, but g has length {n}")
        return Metric(n, inverse_diagonal=M.inverse_diagonal, operator=M, solver=M.solve)
    if isinstance(M, np.ndarray) and M.ndim == 1:
        d = as_float_vector(M, "M", size=n)
        if not (d > 0).all():
            raise ValueError("M (given as a diagonal) must have positive entries: M must be "
                             "positive definite")
        return Metric(n, inverse_diagonal=1.0 / d)
    if sp.issparse(M) and M.shape == (n, n) and M.nnz == np.count_nonzero(M.diagonal()):
        return as_metric(np.asarray(M.diagonal(), dtype=np.float64), n)
    op = as_operator(M, n, name="M")
    e = op.explicit
    if e is not None and e.kind == K.DENSE:
        dense = e.dense + e.shift * np.eye(n) if e.shift else e.dense
        if not np.allclose(dense, dense.T, rtol=1e-10, atol=1e-12 * np.abs(dense).max()):
            raise ValueError("M must be symmetric")
        return Metric(n, operator=op, dense=dense)
    return Metric(n, operator=op)


def _cholesky_or_raise(dense):
    try:
        return sla.cholesky(dense, lower=True, check_finite=False)
    except sla.LinAlgError:
        raise ValueError("M is not positive definite (its Cholesky factorisation failed)") from None
