"""Powell's dogleg method."""

import dataclasses
import math

import numpy as np
from scipy.linalg import lapack

from .. import _kernels as K
from .._status import StepStatus, step_status
from .._validation import check_maxiter, check_nonnegative_scalar, max_abs, power_of_two_scale
from ..krylov import run_truncated_cg
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step
from .cauchy import SteepestDescent, cauchy_step, steepest_descent


def dogleg(
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    metric: Metric,
    *,
    rtol: float = 1e-10,
    maxiter: int | None = None,
) -> Step:
    """Powell's dogleg step for positive definite B, in the M-norm.

    The path runs from 0 to the unconstrained minimiser along the steepest-descent direction
    -M⁻¹g, p_U = (γ²/κ)(-M⁻¹g), then to the Newton point p_B = -B⁻¹g; the step is p_B if
    ‖p_B‖_M ≤ Δ, else the path's intersection with the boundary (Powell 1970; Nocedal &
    Wright 2006, §4.1, eq. 4.15–4.16). The model decreases monotonically and ‖·‖_M
    increases along the path for positive definite B, so the intersection is unique.

    p_B comes from a Cholesky factorisation for a dense B and from CG (to ``rtol``) for a
    sparse or matrix-free B.

    Indefinite B (a failed factorisation, or a direction of non-positive curvature in
    CG or along -M⁻¹g): the dogleg path is not defined, and the Cauchy point is returned
    with status ``NOT_POSITIVE_DEFINITE``. It still gives the Cauchy decrease, so a
    trust-region loop stays convergent, but "steihaug", "gltr" or "exact" use the negative
    curvature and should be preferred.
    """
    n = g.shape[0]
    rtol = check_nonnegative_scalar(rtol, "rtol")
    maxiter = check_maxiter(maxiter, "maxiter", 10 * n)
    if not g.any():
        return Step(np.zeros(n), 0.0, False, StepStatus.ZERO_GRADIENT)
    sd = steepest_descent(g, B, metric)
    if not (math.isfinite(sd.kappa) and sd.kappa > 0.0):
        return _fallback(sd, radius, 1)
    p_b, Bp_b, cg_products, failure = _newton_step(g, B, rtol, maxiter)
    products = 1 + cg_products
    if p_b is None or Bp_b is None:
        assert failure is not None  # _newton_step says why it has no Newton point
        return _fallback(sd, radius, products, failure)
    if metric.norm(p_b) <= radius:
        model = np.dot(g, p_b) + 0.5 * np.dot(p_b, Bp_b)
        return Step(p_b, -model, False, StepStatus.INTERIOR, operator_products=products)
    gamma = math.sqrt(sd.gamma_sq)
    c = sd.gamma_sq / sd.kappa  # p_U = c·d
    if c * gamma >= radius:
        t = radius / gamma
        s = t * sd.d
        model = t * (0.5 * t * sd.kappa - sd.gamma_sq)  # t² alone may overflow
    else:
        # ‖p_U + τ(p_B - p_U)‖_M = Δ, with M p_U = -c g so that p_Uᵀ M diff = -c gᵀdiff.
        # diff is scaled by a power of two near its size first: p_B can be far longer than
        # Δ (B tiny), and ‖p_B‖²_M overflow.
        diff = p_b - c * sd.d
        scale = power_of_two_scale(max_abs(diff))
        diff /= scale
        tau = K.boundary_fraction(
            (c * gamma) ** 2,
            -c * np.dot(g, diff),
            np.dot(diff, metric.matvec(diff)),
            radius * radius,
        )
        s = c * sd.d + tau * diff
        # m(p_U + τ diff) = m(p_U) + τ ∇m(p_U)ᵀdiff + ½τ² diffᵀB diff with m(p_U) = -½cγ²,
        # B diff from a product of its own: as B p_B - c Bd it is the difference of two
        # nearly equal vectors when p_U ≈ p_B, and τ, large then, amplified the rounding.
        Bdiff = B.apply(diff)
        products += 1
        model = (
            -0.5 * c * sd.gamma_sq
            + tau * np.dot(g + c * sd.Bd, diff)
            + 0.5 * tau * (tau * np.dot(diff, Bdiff))
        )
    return Step(s, -model, True, StepStatus.BOUNDARY, operator_products=products)


def _newton_step(
    g: np.ndarray, B: SymmetricOperator, rtol: float, maxiter: int
) -> tuple[np.ndarray | None, np.ndarray | None, int, StepStatus | None]:
    """(p_B, B p_B, products, failure) with B p_B = -g; p_B is None when B is not positive
    definite (or a product was not finite), and ``failure`` then says which."""
    e = B.explicit
    if e is not None and e.is_dense:
        H = e.matrix()
        factor, info = lapack.dpotrf(H, lower=True, clean=False, overwrite_a=False)
        if info != 0:
            return None, None, 0, StepStatus.NOT_POSITIVE_DEFINITE
        p, info = lapack.dpotrs(factor, -g, lower=True)
        return p, -g, 0, None
    run = run_truncated_cg(B, -g, rtol=rtol, maxiter=maxiter)
    # CG stopped at its iteration limit still gives a usable, if inexact, Newton point.
    status = step_status(run.code, follows_negative_curvature=False)
    if status not in (StepStatus.INTERIOR, StepStatus.MAX_ITER):
        return None, None, run.operator_products, status
    return run.x, -g - run.r, run.operator_products, None


def _fallback(
    sd: SteepestDescent,
    radius: float,
    products: int,
    failure: StepStatus = StepStatus.NOT_POSITIVE_DEFINITE,
) -> Step:
    """The Cauchy point, flagged with ``failure``: the dogleg path needs a positive
    definite B."""
    step = cauchy_step(sd, radius)
    if step.status is StepStatus.ZERO_GRADIENT:
        return dataclasses.replace(step, operator_products=products)
    status = StepStatus.NONFINITE if not math.isfinite(sd.kappa) else failure
    return dataclasses.replace(step, status=status, operator_products=products)
