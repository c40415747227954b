"""The natural-gradient step: the linear model in the M-ellipsoid (the TRPO step)."""

import math

import numpy as np

from .. import _kernels as K
from .._status import StepStatus
from .._validation import check_maxiter, check_nonnegative_scalar
from ..krylov import run_truncated_cg
from ._metric import Metric
from ._step import Step


def natural_step(g: np.ndarray, B, radius: float, metric: Metric, *, rtol: float = 1e-10,
                 maxiter=None) -> Step:
    """min gᵀs subject to ‖s‖_M ≤ Δ: s = -Δ M⁻¹g / ‖M⁻¹g‖_M.

    The linear model's minimiser over the ellipsoid lies on its boundary along the
    natural gradient M⁻¹g (Amari 1998; Kakade 2001). With M the Fisher matrix F of a policy
    and Δ = √(2δ) the constraint is ½ sᵀFs ≤ δ, the quadratic model of the KL bound of TRPO
    (Schulman et al. 2015, App. C), and this is exactly its step.

    x ≈ M⁻¹g comes from CG on M x = g (M an explicit matrix or an operator, such as a
    :class:`~trustregion.operators.FisherOperator`; truncated CG with a small ``maxiter`` is
    TRPO's practice), or exactly for a diagonal M or a Preconditioner. For CG iterates
    xᵀMx = gᵀx, so ‖x‖_M needs no extra product. The multiplier is λ = √(gᵀM⁻¹g)/Δ,
    with M s = -g/λ, and the predicted reduction -gᵀs = Δ√(gᵀM⁻¹g).

    Options
    -------
    rtol : float
        Relative residual tolerance of CG on M (default 1e-10).
    maxiter : int
        CG iterations (default n; TRPO uses 10).
    """
    n = g.shape[0]
    rtol = check_nonnegative_scalar(rtol, "rtol")
    maxiter = check_maxiter(maxiter, "maxiter", n)
    if not g.any():
        return Step(np.zeros(n), 0.0, False, StepStatus.ZERO_GRADIENT, g_dual_norm_sq=0.0,
                    residual_norm=0.0)
    if metric.has_direct_solve:
        x = metric.solve(g)
        code, iterations, products, residual = K.CONVERGED, 0, 0, 0.0
    else:
        run = run_truncated_cg(metric.operator, g, tol=rtol * math.sqrt(np.dot(g, g)),
                               maxiter=maxiter)
        x, code, iterations = run.x, run.code, run.iterations
        products, residual = run.operator_products, run.residual_norm
    g_dual = float(np.dot(g, x))
    if not (g_dual > 0.0 and math.isfinite(g_dual)):
        status = StepStatus.NONFINITE if code == K.NONFINITE else StepStatus.NOT_POSITIVE_DEFINITE
        return Step(np.zeros(n), 0.0, False, status, iterations=iterations,
                    operator_products=products, residual_norm=residual)
    root = math.sqrt(g_dual)
    s = (-radius / root) * x
    status = {K.CONVERGED: StepStatus.BOUNDARY, K.MAX_ITER: StepStatus.MAX_ITER,
              K.NONFINITE: StepStatus.NONFINITE}.get(code, StepStatus.NOT_POSITIVE_DEFINITE)
    return Step(s, radius * root, True, status, multiplier=root / radius,
                iterations=iterations, operator_products=products, residual_norm=residual,
                g_dual_norm_sq=g_dual)
