"""The Cauchy point: the model minimiser along the steepest-descent direction in the M-norm."""

import math
from typing import NamedTuple

import numpy as np

from .._status import StepStatus
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step


class SteepestDescent(NamedTuple):
    """d = -M⁻¹g with γ² = gᵀM⁻¹g = ‖d‖²_M, Bd and κ = dᵀBd (one product, one M-solve)."""

    d: np.ndarray
    gamma_sq: float
    Bd: np.ndarray
    kappa: float


def steepest_descent(g: np.ndarray, B: SymmetricOperator, metric: Metric) -> SteepestDescent:
    d = -metric.solve(g)
    gamma_sq = -float(np.dot(g, d))
    Bd = B.apply(d)
    return SteepestDescent(d, gamma_sq, Bd, float(np.dot(d, Bd)))


def cauchy_point(g: np.ndarray, B: SymmetricOperator, radius: float, metric: Metric) -> Step:
    """The Cauchy point s = t·d, d = -M⁻¹g, minimising the model along d within ‖s‖_M ≤ Δ.

    With γ² = gᵀM⁻¹g = ‖d‖²_M and κ = dᵀBd, m(td) = -tγ² + ½t²κ, so t = γ²/κ when κ > 0
    and that point is inside, and t = Δ/γ on the boundary otherwise (Nocedal & Wright 2006,
    Alg. 4.2 and eq. 4.12, in the M-norm as in Conn, Gould & Toint 2000, §6.3.2). Its
    decrease, ½γ² min(γ²/κ⁺, Δ/γ), is the yardstick every other method must reach.
    """
    return cauchy_step(steepest_descent(g, B, metric), radius)


def cauchy_step(sd: SteepestDescent, radius: float) -> Step:
    """The Cauchy point from an already computed steepest-descent direction."""
    n = sd.d.shape[0]
    if sd.gamma_sq <= 0.0 or not math.isfinite(sd.kappa):
        status = StepStatus.ZERO_GRADIENT if sd.gamma_sq <= 0.0 else StepStatus.NONFINITE
        return Step(
            np.zeros(n), 0.0, False, status, operator_products=1, g_dual_norm_sq=sd.gamma_sq
        )
    t_boundary = radius / math.sqrt(sd.gamma_sq)
    if sd.kappa <= 0.0:
        t, status = t_boundary, StepStatus.NEGATIVE_CURVATURE
    elif sd.gamma_sq / sd.kappa < t_boundary:
        t, status = sd.gamma_sq / sd.kappa, StepStatus.INTERIOR
    else:
        t, status = t_boundary, StepStatus.BOUNDARY
    model = t * (0.5 * t * sd.kappa - sd.gamma_sq)  # t² alone may overflow: t·(½tκ - γ²)
    return Step(
        t * sd.d,
        -model,
        status is not StepStatus.INTERIOR,
        status,
        iterations=1,
        operator_products=1,
        g_dual_norm_sq=sd.gamma_sq,
    )
