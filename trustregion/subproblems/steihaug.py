"""Steihaug–Toint truncated conjugate gradients."""

import numpy as np

from .._status import StepStatus, step_status
from .._validation import check_maxiter, check_nonnegative_scalar
from ..krylov import run_truncated_cg
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step


def steihaug_cg(
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    metric: Metric,
    *,
    rtol: float = 1e-8,
    maxiter: int | None = None,
) -> Step:
    """Steihaug–Toint truncated CG for min gᵀs + ½ sᵀBs, ‖s‖_M ≤ Δ.

    CG on Bs = -g preconditioned by M, from s = 0, stopped at the first of: ‖r‖₂ ≤
    rtol·‖g‖₂ inside the region; a direction of non-positive curvature, followed to the
    boundary; an iterate that would leave the region, cut at the boundary (Steihaug 1983;
    Toint 1981; Conn, Gould & Toint 2000, Alg. 7.5.1; Nocedal & Wright 2006, Alg. 7.2).
    The first iterate is the Cauchy point (or the boundary point along -M⁻¹g), and the
    model decreases monotonically, so the step achieves at least the Cauchy decrease. Works
    on indefinite B.

    Options
    -------
    rtol : float
        Relative residual tolerance (default 1e-8); the outer loop of a trust-region method
        passes a forcing term such as min(0.5, √‖g‖) here.
    maxiter : int
        Iteration limit, default n.
    """
    n = g.shape[0]
    rtol = check_nonnegative_scalar(rtol, "rtol")
    maxiter = check_maxiter(maxiter, "maxiter", n)
    if not g.any():
        return Step(np.zeros(n), 0.0, False, StepStatus.ZERO_GRADIENT, residual_norm=0.0)
    use_diagonal = metric.inverse_diagonal is not None
    run = run_truncated_cg(
        B,
        -g,
        rtol=rtol,
        maxiter=maxiter,
        radius=radius,
        inverse_diagonal=metric.inverse_diagonal if use_diagonal else None,
        preconditioner=None if use_diagonal else metric.solve,
    )
    s, r = run.x, run.r
    # r = -g - Bs, so m(s) = gᵀs + ½sᵀBs = ½(gᵀs - sᵀr): no extra product.
    model = 0.5 * (np.dot(g, s) - np.dot(s, r))
    status = step_status(run.code)
    return Step(
        s,
        -model,
        status in (StepStatus.BOUNDARY, StepStatus.NEGATIVE_CURVATURE),
        status,
        iterations=run.iterations,
        operator_products=run.operator_products,
        residual_norm=run.residual_norm,
    )
