"""Preconditioners: operators that also apply their inverse cheaply."""

import numpy as np

from ._symmetric import OperatorLike, SymmetricOperator, as_operator


class Preconditioner(SymmetricOperator):
    """A symmetric positive definite operator P ≈ A that applies P⁻¹ exactly and cheaply.

    A preconditioner means the same thing everywhere in the project: :func:`trustregion.cg`
    applies ``solve`` to residuals, and :func:`trustregion.solve_subproblem` uses P as the
    trust-region metric ‖s‖_P = √(sᵀPs) (Steihaug–Toint and GLTR are then preconditioned by
    it). Subclasses set ``inverse_diagonal`` when P is diagonal, which keeps the solvers on
    their Numba fast path.
    """

    inverse_diagonal: np.ndarray | None = None

    def solve(self, r: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def check_preconditioner(P: Preconditioner, n: int) -> None:
    """Refuse a Preconditioner of another dimension, or whose inverse diagonal (which the
    kernels index by the problem's length) does not have length n."""
    if P.shape != (n, n):
        raise ValueError(f"M has shape {P.shape}, but the problem has dimension {n}")
    d = P.inverse_diagonal
    if d is not None and (
        not isinstance(d, np.ndarray) or d.dtype != np.float64 or d.shape != (n,)
    ):
        raise ValueError(
            f"M.inverse_diagonal must be a float64 array of shape ({n},), got "
            f"{getattr(d, 'dtype', type(d).__name__)} of shape "
            f"{getattr(d, 'shape', None)}"
        )


class JacobiPreconditioner(Preconditioner):
    """P = diag(A): the Jacobi (diagonal) preconditioner.

    Parameters
    ----------
    A : anything :func:`trustregion.as_operator` accepts, or a 1-D array holding diag(A)
        For a matrix-free operator the diagonal costs n products (eᵢᵀAeᵢ).

    Raises
    ------
    ValueError
        If an entry of the diagonal is not positive and finite.
    """

    def __init__(self, A: OperatorLike, n: int | None = None) -> None:
        if isinstance(A, np.ndarray) and A.ndim == 1:
            diag = np.array(A, dtype=np.float64)
        else:
            op = as_operator(A, n)
            e = op.explicit
            if e is not None:
                diag = e.matrix(shifted=False).diagonal() + e.shift
            else:
                eye = np.eye(op.n)
                diag = np.array([op.apply(eye[:, j])[j] for j in range(op.n)])
        if not (np.isfinite(diag).all() and (diag > 0).all()):
            raise ValueError(
                "the diagonal of A must be positive and finite for a Jacobi preconditioner"
            )
        self.diagonal_values = diag
        self.inverse_diagonal = 1.0 / diag
        super().__init__(diag.shape[0], lambda v: diag * v, positive_semidefinite=True)

    def solve(self, r: np.ndarray) -> np.ndarray:
        return self.inverse_diagonal * r
