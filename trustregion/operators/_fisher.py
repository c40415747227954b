"""Fisher information operators: F = E[∇log π ∇log πᵀ], applied matrix-free."""

from typing import Callable, Sequence

import numpy as np

from .. import _kernels as K
from .._validation import all_finite
from ._symmetric import SymmetricOperator


class FisherOperator(SymmetricOperator):
    """The Fisher information matrix of a parametric distribution family, as an operator.

    In TRPO and the natural policy gradient (Kakade 2001; Schulman et al. 2015) F is the
    Hessian of the mean KL divergence at the current parameters, and equals the average of
    Jᵢᵀ Mᵢ Jᵢ over the batch, where Jᵢ is the Jacobian of the distribution parameters of
    sample i and Mᵢ the Fisher matrix of the distribution in those parameters. A product
    then costs one Jacobian-vector and one vector-Jacobian product, far less than
    double back-propagation through the KL.

    Construct from a user product ``FisherOperator(fvp, n)`` or with the constructors
    :meth:`from_scores`, :meth:`from_categorical` and :meth:`from_diagonal_gaussian`.
    Always declared positive semidefinite.
    """

    def __init__(self, fvp: Callable[[np.ndarray], np.ndarray], n: int):
        if not callable(fvp):
            raise ValueError("fvp must be a callable v -> F v")
        super().__init__(int(n), fvp, positive_semidefinite=True)

    @classmethod
    def from_scores(cls, S) -> "FisherOperator":
        """F = SᵀS / N from per-sample score vectors Sᵢ = ∇_θ log π(aᵢ|sᵢ) (rows of S, N×P).

        The empirical Fisher; its products are two BLAS matrix-vector products.
        """
        S = _as_finite_array(S, "S", ndim=2)
        N = S.shape[0]
        return cls(lambda v: S.T @ (S @ v) / N, S.shape[1])

    @classmethod
    def from_categorical(cls, J, probs) -> "FisherOperator":
        """F = (1/N) Σᵢ Jᵢᵀ (diag pᵢ - pᵢpᵢᵀ) Jᵢ for a categorical distribution on logits.

        Parameters
        ----------
        J : array, shape (N, K, P)
            Jacobian of the K logits of each sample with respect to the P parameters.
        probs : array, shape (N, K)
            The action probabilities softmax(logits) of each sample.
        """
        J = _as_finite_array(J, "J", ndim=3)
        p = _as_finite_array(probs, "probs", ndim=2)
        if p.shape != J.shape[:2]:
            raise ValueError(f"probs must have shape {J.shape[:2]} (N, K), got {p.shape}")
        if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-8):
            raise ValueError("probs must be non-negative and sum to 1 along each row")
        return cls(_jmj_product(J, p, p), J.shape[2])

    @classmethod
    def from_diagonal_gaussian(cls, J, log_std, log_std_index: Sequence[int]) -> "FisherOperator":
        """Fisher of N(μ_θ(s), diag σ²) with a state-independent log-std among the parameters.

        For the mean the Fisher is diag(1/σ²); for each log σⱼ it is 2, and mean and
        log-std are orthogonal, so F v = (1/N) Σᵢ Jᵢᵀ diag(σ⁻²) Jᵢ v + 2 v on the log-std
        coordinates.

        Parameters
        ----------
        J : array, shape (N, d, P)
            Jacobian of the d-dimensional mean of each sample with respect to all P
            parameters (zero in the log-std columns).
        log_std : array, shape (d,)
        log_std_index : sequence of d ints
            Positions of the log-std parameters in the parameter vector.
        """
        J = _as_finite_array(J, "J", ndim=3)
        log_std = _as_finite_array(log_std, "log_std", ndim=1)
        d, P = J.shape[1], J.shape[2]
        if log_std.shape != (d,):
            raise ValueError(f"log_std must have shape ({d},), got {log_std.shape}")
        index = np.asarray(log_std_index, dtype=np.int64).reshape(-1)
        if index.shape != (d,) or (index < 0).any() or (index >= P).any() \
                or np.unique(index).size != d:
            raise ValueError(f"log_std_index must hold {d} distinct parameter indices in [0, {P})")
        inv_var = np.exp(-2.0 * log_std)[None, :]
        mean_part = _jmj_product(J, inv_var, np.empty((0, 0)))

        def product(v):
            out = mean_part(v)
            out[index] += 2.0 * v[index]
            return out

        return cls(product, P)


def _jmj_product(J, weights, probs):
    P = J.shape[2]

    def product(v):
        v = np.ascontiguousarray(v, dtype=np.float64)
        if v.shape != (P,):  # the kernel indexes v by J's last axis and trusts it
            raise ValueError(f"v must be a 1-D array of length {P}, got shape {v.shape}")
        out = np.empty(P)
        K.fisher_jmj_product(J, weights, probs, v, out)
        return out

    return product


def _as_finite_array(value, name, *, ndim):
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not all_finite(arr):
        raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
    return arr
