"""Method "natural": the linear model's step in the M-ellipsoid (the TRPO step)."""

import math

import numpy as np

from .._status import StepStatus, step_status
from .._validation import check_maxiter, check_nonnegative_scalar
from ..krylov import run_truncated_cg
from ._metric import Metric
from ._step import Step


def linear_model_step(
    g: np.ndarray,
    B: None,
    radius: float,
    metric: Metric,
    *,
    rtol: float = 1e-10,
    maxiter: int | None = None,
) -> Step:
    """min gᵀs subject to ‖s‖_M ≤ Δ: s = -Δ x / ‖x‖_M with x = M⁻¹g.

    The linear model's minimiser over the ellipsoid lies on its boundary along the
    natural gradient M⁻¹g (Amari 1998; Kakade 2001): the Lagrange condition g + λMs = 0
    with ‖s‖_M = Δ gives s = -x/λ and λ = ‖x‖_M/Δ. With M the Fisher matrix F of a policy
    and Δ = √(2δ) the constraint is ½ sᵀFs ≤ δ, the quadratic model of the KL bound of TRPO
    (Schulman et al. 2015, App. C), and this is exactly its step. ``B`` is unused (None):
    the model has no quadratic term.

    x comes exactly from a diagonal or sparse M or a Preconditioner, and otherwise from CG
    on M x = g (M a dense matrix or an operator such as a
    :class:`~trustregion.operators.FisherOperator`). ‖x‖²_M = xᵀ(g - r) with the CG residual
    r: exact up to the drift of the recursive residual, unlike gᵀx, which also assumes
    xᵀr = 0 and loses that with orthogonality over many iterations; and it needs no extra
    product (TRPO codes spend one on sᵀFs). The multiplier is λ, the predicted reduction
    -gᵀs = Δ gᵀx/‖x‖_M, ``g_dual_norm_sq`` = gᵀx ≈ gᵀM⁻¹g and ``natural_gradient`` = x.

    When x is not usable (‖x‖²_M or gᵀx not positive and finite: M is not positive
    definite, or CG met a non-finite product before any progress) the step is zero, with
    status ``NOT_POSITIVE_DEFINITE`` or ``NONFINITE``. CG's last finite iterate is used
    when it is usable, with status ``NONFINITE``.

    Options
    -------
    rtol : float
        Relative residual tolerance of CG on M (default 1e-10).
    maxiter : int
        CG iterations, default 10·n as in ``scipy.sparse.linalg.cg``: in floating point CG
        needs more than the n iterations of exact arithmetic to reach ``rtol`` (n left
        relative errors of 1e-5 on well-conditioned 20×20 Fisher matrices). TRPO truncates
        at 10 (Schulman et al. 2015).
    """
    n = g.shape[0]
    rtol = check_nonnegative_scalar(rtol, "rtol")
    maxiter = check_maxiter(maxiter, "maxiter", 10 * n)
    if not g.any():
        return Step(
            np.zeros(n), 0.0, False, StepStatus.ZERO_GRADIENT, g_dual_norm_sq=0.0, residual_norm=0.0
        )
    if metric.has_direct_solve:
        x = metric.solve(g)
        x_norm_sq = float(np.dot(g, x))
        status, iterations, products, residual = StepStatus.BOUNDARY, 0, 0, 0.0
    else:
        run = run_truncated_cg(metric._operator(), g, rtol=rtol, maxiter=maxiter)
        x, iterations = run.x, run.iterations
        products, residual = run.operator_products, run.residual_norm
        x_norm_sq = float(np.dot(x, g - run.r))
        # x, once scaled, is a boundary step; CG on M stops on non-positive curvature only
        # where M is not positive definite.
        status = step_status(
            run.code, converged=StepStatus.BOUNDARY, follows_negative_curvature=False
        )
    g_dual = float(np.dot(g, x))
    if not (x_norm_sq > 0.0 and g_dual > 0.0 and math.isfinite(x_norm_sq + g_dual)):
        if status is not StepStatus.NONFINITE:
            status = StepStatus.NOT_POSITIVE_DEFINITE
        return Step(
            np.zeros(n),
            0.0,
            False,
            status,
            iterations=iterations,
            operator_products=products,
            residual_norm=residual,
        )
    x_norm = math.sqrt(x_norm_sq)
    s = (-radius / x_norm) * x
    return Step(
        s,
        radius * g_dual / x_norm,
        True,
        status,
        multiplier=x_norm / radius,
        iterations=iterations,
        operator_products=products,
        residual_norm=residual,
        g_dual_norm_sq=g_dual,
        natural_gradient=x,
    )
