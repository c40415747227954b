"""Robust losses ρ and the rescaling that puts them into a Gauss–Newton model.

The robust cost of residuals f with scale C (``f_scale``) is

    F(x) = ½ C² Σᵢ ρ(fᵢ(x)² / C²),

with ρ(z) = z the ordinary least squares. Its gradient is Jᵀ(ρ'·f), and Triggs et al.
(2000), *Bundle adjustment — a modern synthesis*, §4.3, write its second-order model as
an ordinary least-squares model ½‖f̃ + J̃p‖² of rescaled residuals and Jacobian:

    J̃ = diag(√w) J,   f̃ = (ρ' / √w) f,   w = ρ' + 2ρ''·z,

so that J̃ᵀf̃ = Jᵀ(ρ'f) is exact and J̃ᵀJ̃ keeps ρ'' where it is positive definite (w is
clamped to machine epsilon where ρ'' would make it negative). This is also what scipy's
``least_squares`` does, with the same loss names and the same ``f_scale``.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

_EPS = np.finfo(np.float64).eps
_HUGE = 1e300


def _soft_l1(z: np.ndarray) -> np.ndarray:
    t = 1.0 + z
    root = np.sqrt(t)
    return np.stack([2.0 * (root - 1.0), 1.0 / root, -0.5 / (t * root)])


def _huber(z: np.ndarray) -> np.ndarray:
    inner = z <= 1.0
    root = np.sqrt(np.where(inner, 1.0, z))  # z > 1 where it is used: no division by 0
    return np.stack(
        [
            np.where(inner, z, 2.0 * root - 1.0),
            np.where(inner, 1.0, 1.0 / root),
            # (+ inner: the division is also evaluated where z ≤ 1 and its value unused)
            np.where(inner, 0.0, -0.5 / (z * root + inner)),
        ]
    )


def _cauchy(z: np.ndarray) -> np.ndarray:
    t = 1.0 + z
    return np.stack([np.log1p(z), 1.0 / t, -1.0 / (t * t)])


def _arctan(z: np.ndarray) -> np.ndarray:
    t = 1.0 + z * z
    return np.stack([np.arctan(z), 1.0 / t, -2.0 * z / (t * t)])


# ρ(z) with ρ(0) = 0, ρ'(0) = 1, as rows (ρ, ρ', ρ''), for z = f²/C² ≥ 0.
LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "soft_l1": _soft_l1,  # 2(√(1+z) - 1): smooth ℓ₁
    "huber": _huber,  # z for z ≤ 1, 2√z - 1 beyond
    "cauchy": _cauchy,  # log(1 + z)
    "arctan": _arctan,  # arctan(z): bounded, the most outlier-resistant
}


class RobustLoss:
    """ρ with its scale C: the cost, and the residuals and Jacobian of its model.

    Parameters
    ----------
    rho : callable
        ``rho(z) -> array (3, m)``: ρ(z), ρ'(z), ρ''(z) for z of shape (m,); one of
        :data:`LOSSES` or the user's, as scipy's ``loss`` callable.
    f_scale : float
        C > 0, the residual size beyond which a residual counts as an outlier.
    """

    def __init__(self, rho: Callable[[np.ndarray], np.ndarray], f_scale: float) -> None:
        self.rho = rho
        self.f_scale = f_scale

    def _rows(self, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # An outlier's z overflows to inf (ρ'(inf) = 0 for the bounded losses): no warning.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            z = np.minimum((f / self.f_scale) ** 2, _HUGE)  # finite, so that 0·z is 0
            rows = np.asarray(self.rho(z), dtype=np.float64)
        if rows.shape != (3, f.shape[0]):
            raise ValueError(
                f"loss must return an array of shape (3, m) = (3, {f.shape[0]}) (ρ, ρ' and "
                f"ρ'' at each z), got shape {rows.shape}"
            )
        return z, rows

    def cost(self, f: np.ndarray) -> float:
        """½ C² Σ ρ(fᵢ²/C²)."""
        return 0.5 * self.f_scale**2 * float(np.sum(self._rows(f)[1][0]))

    def influence(self, f: np.ndarray) -> np.ndarray:
        """ρ'(z)·f, whose product with Jᵀ is ∇F."""
        return self._rows(f)[1][1] * f

    def scaled(self, f: np.ndarray, J: Any) -> tuple[np.ndarray, Any]:
        """(f̃, J̃): residuals and Jacobian whose plain least-squares model is this
        loss's Gauss–Newton model at f (Triggs et al. 2000, §4.3). J may be an array, a
        sparse matrix or a LinearOperator."""
        z, (_, d1, d2) = self._rows(f)
        w = np.sqrt(np.maximum(d1 + 2.0 * d2 * z, _EPS))
        return f * (d1 / w), row_scaled(J, w)


def row_scaled(J: Any, w: np.ndarray) -> Any:
    """diag(w) J, in J's own form."""
    if isinstance(J, np.ndarray):
        return J * w[:, None]
    if hasattr(J, "multiply") and hasattr(J, "tocsr"):  # scipy sparse
        return J.multiply(w[:, None]).tocsr()
    from scipy.sparse.linalg import LinearOperator

    return LinearOperator(
        J.shape,
        matvec=lambda v: w * J.matvec(v),
        rmatvec=lambda u: J.rmatvec(w * u),
        dtype=np.float64,
    )


def as_loss(loss: Any, f_scale: Any) -> RobustLoss | None:
    """The :class:`RobustLoss` for scipy's ``loss`` and ``f_scale`` arguments, or None for
    ``"linear"`` (plain least squares, which needs no rescaling).

    Raises
    ------
    ValueError
        For an unknown loss name, a loss that is neither a name nor callable, or an
        ``f_scale`` that is not a positive finite number.
    """
    try:
        f_scale = float(f_scale)
    except (TypeError, ValueError):
        raise ValueError(f"f_scale must be a positive number, got {f_scale!r}") from None
    if not (np.isfinite(f_scale) and f_scale > 0.0):
        raise ValueError(f"f_scale must be a positive number, got {f_scale!r}")
    if isinstance(loss, str):
        if loss == "linear":
            return None
        if loss not in LOSSES:
            known = ", ".join(["linear", *LOSSES])
            raise ValueError(f"loss must be one of {known} or a callable, got {loss!r}")
        return RobustLoss(LOSSES[loss], f_scale)
    if callable(loss):
        return RobustLoss(loss, f_scale)
    raise ValueError(f"loss must be a name or a callable, got {type(loss).__name__}")
