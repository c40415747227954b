"""The record every subproblem solver returns."""

import dataclasses
import math
from dataclasses import dataclass

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
        ``|‖s‖_M - Δ|`` for "exact" on the boundary.
    g_dual_norm_sq : float or None
        gᵀM⁻¹g where the method computed it ("natural", "cauchy"); for "natural" with M
        the Fisher matrix this is the squared natural-gradient norm TRPO reports.
    natural_gradient : ndarray or None
        x ≈ M⁻¹g where the method computed it ("natural", whose step is -x/λ), so that a
        step of another length along it needs no second solve.
    """

    s: np.ndarray
    predicted_reduction: float
    on_boundary: bool
    status: StepStatus
    multiplier: float | None = None
    iterations: int = 0
    operator_products: int = 0
    residual_norm: float = math.nan
    g_dual_norm_sq: float | None = None
    natural_gradient: np.ndarray | None = None

    @property
    def success(self) -> bool:
        return self.status.success

    @property
    def message(self) -> str:
        return self.status.message

    def rescaled(
        self, tau: float, beta: float = 1.0, mu: float = 1.0, residual: str = "gradient"
    ) -> "Step":
        """This step of the problem (g/τ, B/β, βΔ/(τ√μ), M/μ) as the step of (g, B, Δ, M).

        Substituting s = (τ/β)u and dividing the model by τ²/β turns the second problem
        into the first, so lengths scale by τ/β, model values by τ²/β, gᵀM⁻¹g by τ²/μ and
        the multiplier by β/μ ((B/β + λM/μ)u = -g/τ is (B + (βλ/μ)M)s = -g), and M⁻¹g by
        τ/μ. A residual
        of the gradient equation scales by τ (``residual="gradient"``, Euclidean), or by
        τ/√μ measured in the M⁻¹-norm (``"dual"``); a length in the M-norm by τ√μ/β
        (``"length"``).
        """
        length, value = tau / beta, tau * (tau / beta)
        res = {"gradient": tau, "dual": tau / math.sqrt(mu), "length": length * math.sqrt(mu)}[
            residual
        ]
        dual = None if self.g_dual_norm_sq is None else self.g_dual_norm_sq * (tau * tau / mu)
        multiplier = None if self.multiplier is None else self.multiplier * (beta / mu)
        natural = None if self.natural_gradient is None else self.natural_gradient * (tau / mu)
        return dataclasses.replace(
            self,
            s=self.s * length,
            predicted_reduction=self.predicted_reduction * value,
            residual_norm=self.residual_norm * res,
            g_dual_norm_sq=dual,
            multiplier=multiplier,
            natural_gradient=natural,
        )
