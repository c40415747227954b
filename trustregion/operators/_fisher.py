"""Fisher information operators: F = E[∇log π ∇log πᵀ], applied matrix-free.

Also the closed-form Fisher information M of the two distribution families of the
built-in policies, in their natural parameters, which make a policy's Fisher matrix
Jᵀ M J (Martens 2014, §9; Schulman et al. 2015, App. C). They are written against the
array API (arithmetic, broadcasting, ``sum(axis=, keepdims=)``, ``exp``), so the same
functions serve numpy arrays here and in :mod:`rl_adapters.policies`, and PyTorch
tensors in :mod:`rl_adapters.torch`: one formula for every Fisher product.
"""

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

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

    def __init__(self, fvp: Callable[[np.ndarray], np.ndarray], n: int) -> None:
        if not callable(fvp):
            raise ValueError("fvp must be a callable v -> F v")
        super().__init__(int(n), fvp, positive_semidefinite=True)

    @classmethod
    def from_scores(cls, S: ArrayLike) -> "FisherOperator":
        """F = SᵀS / N from per-sample score vectors Sᵢ = ∇_θ log π(aᵢ|sᵢ) (rows of S, N×P).

        The empirical Fisher; its products are two BLAS matrix-vector products.
        """
        S = _as_finite_array(S, "S", ndim=2)
        N = S.shape[0]
        return cls(lambda v: S.T @ (S @ v) / N, S.shape[1])

    @classmethod
    def from_categorical(cls, J: ArrayLike, probs: ArrayLike) -> "FisherOperator":
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
        return cls(_jtmj_product(J, lambda u: categorical_fisher_product(p, u)), J.shape[2])

    @classmethod
    def from_diagonal_gaussian(
        cls, J: ArrayLike, log_std: ArrayLike, log_std_index: Sequence[int]
    ) -> "FisherOperator":
        """Fisher of N(μ_θ(s), diag σ²) with a state-independent log-std among the parameters.

        With M = diag(σ⁻², 2) in (μ, log σ) (:func:`gaussian_fisher_diagonal`) and the
        log-std's Jacobian the same selection for every sample,
        F v = (1/N) Σᵢ Jᵢᵀ diag(σ⁻²) Jᵢ v + 2 v on the log-std coordinates.

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
        if (
            index.shape != (d,)
            or (index < 0).any()
            or (index >= P).any()
            or np.unique(index).size != d
        ):
            raise ValueError(f"log_std_index must hold {d} distinct parameter indices in [0, {P})")
        mean_weight, log_std_weight = gaussian_fisher_diagonal(log_std)
        mean_part = _jtmj_product(J, lambda u: u * mean_weight)

        def product(v: np.ndarray) -> np.ndarray:
            out = mean_part(v)
            out[index] += log_std_weight * v[index]
            return out

        return cls(product, P)


def categorical_fisher_product(probs: Any, u: Any) -> Any:
    """M u with M = diag(p) - ppᵀ, the Fisher information of softmax(ℓ) in the logits ℓ.

    Row by row for a batch: ``probs`` and ``u`` have shape (N, k), and row i of the result
    is (diag pᵢ - pᵢpᵢᵀ) uᵢ = pᵢ ⊙ (uᵢ - pᵢᵀuᵢ). M is the Hessian of KL(p ‖ softmax(ℓ))
    in ℓ, and the covariance of the score e_a - p (Amari 1998; Martens 2014, §9.2).
    Works on numpy arrays and PyTorch tensors alike.
    """
    return probs * (u - (probs * u).sum(axis=-1, keepdims=True))


def gaussian_fisher_diagonal(log_std: Any) -> tuple[Any, float]:
    """The diagonal of M, the Fisher information of N(μ, diag σ²) in (μ, log σ).

    M is diagonal: E[(∂log p/∂μⱼ)²] = 1/σⱼ², E[(∂log p/∂log σⱼ)²] = E[(z² - 1)²] = 2 for
    z ~ N(0, 1), and the cross terms vanish (odd moments of z). Returns (σ⁻², 2): an array
    shaped like ``log_std`` for the mean, and the scalar 2 for every log σⱼ. ``log_std``
    may be a numpy array or a PyTorch tensor; σ⁻² is of the same kind.
    """
    return _namespace(log_std).exp(-2.0 * log_std), 2.0


def _namespace(x: Any) -> Any:
    """The array-API namespace of ``x``: the one it declares (numpy ≥ 2), else the top-level
    module of its type (``torch`` for a tensor, whose ``exp`` is the standard's)."""
    declared = getattr(x, "__array_namespace__", None)
    if declared is not None:
        return declared()
    return sys.modules[type(x).__module__.partition(".")[0]]


def _jtmj_product(
    J: np.ndarray, weigh: Callable[[np.ndarray], np.ndarray]
) -> Callable[[np.ndarray], np.ndarray]:
    """v ↦ (1/N) Σᵢ Jᵢᵀ weigh(J v)ᵢ for a Jacobian J of shape (N, k, P): two BLAS
    matrix-vector products with J seen as an (N·k) × P matrix, and no N × P intermediate."""
    N, k, P = J.shape
    rows = J.reshape(N * k, P)

    def product(v: np.ndarray) -> np.ndarray:
        return (weigh((rows @ v).reshape(N, k)).reshape(-1) @ rows) / N

    return product


def _as_finite_array(value: ArrayLike, name: str, *, ndim: int) -> np.ndarray:
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not all_finite(arr):
        raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
    return arr
