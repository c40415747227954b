"""The record every subproblem solver returns."""

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._status import StepStatus


@dataclass(frozen=True)
class Step:
    """A trust-region step s for the model m(s) = gᵀs + ½ sᵀBs within ‖s‖_M ≤ Δ.

    Attributes
    ----------
    s : ndarray
        The step; always finite.
    predicted_reduction : float
        -m(s), the decrease the model predicts (≥ 0 for every method).
    on_boundary : bool
        Whether ‖s‖_M = Δ (to rounding).
    status : StepStatus
        Why the solver stopped; ``status.message`` explains.
    multiplier : float or None
        λ ≥ 0 with (B + λM)s = -g, for the methods that know it ("exact", "gltr" — on
        the Krylov subspace —, "natural").
    iterations : int
        Iterations of the method (Krylov iterations, Newton iterations for "exact").
    operator_products : int
        Products with B; for "natural", which has no B, products with M.
    residual_norm : float
        The final residual the method measured (NaN where it has none): ‖r‖₂ for
        Steihaug–Toint and the CG of "natural", ‖(B + λM)s + g‖_{M⁻¹} for GLTR,
        |‖s‖_M - Δ| for "exact" on the boundary.
    g_dual_norm_sq : float or None
        gᵀM⁻¹g where the method computed it ("natural", "cauchy"); for "natural" with M
        the Fisher matrix this is the squared natural-gradient norm TRPO reports.
    """

    s: np.ndarray
    predicted_reduction: float
    on_boundary: bool
    status: StepStatus
    multiplier: Optional[float] = None
    iterations: int = 0
    operator_products: int = 0
    residual_norm: float = math.nan
    g_dual_norm_sq: Optional[float] = None

    @property
    def success(self) -> bool:
        return self.status.success

    @property
    def message(self) -> str:
        return self.status.message

    def rescaled(self, tau: float, mu: float = 1.0, residual_power: int = 0) -> "Step":
        """This step of the problem (g/τ, B, Δ/(τ√μ), M/μ) as the step τs of (g, B, Δ, M).

        Lengths scale by τ, model values by τ², gᵀM⁻¹g by τ²/μ and the multiplier by 1/μ
        ((B + λM/μ)s = -g is (B + (λ/μ)M)s = -g). The residual scales by τ·√μ^p, with p
        the power of M in the norm the method measures it in (``residual_power``: 0 for
        the Euclidean norm, 1 for the M-norm, -1 for the M⁻¹-norm).
        """
        dual = None if self.g_dual_norm_sq is None else self.g_dual_norm_sq * (tau * tau / mu)
        multiplier = None if self.multiplier is None else self.multiplier / mu
        return dataclasses.replace(
            self, s=self.s * tau, predicted_reduction=self.predicted_reduction * tau * tau,
            residual_norm=self.residual_norm * tau * math.sqrt(mu) ** residual_power,
            g_dual_norm_sq=dual, multiplier=multiplier)
