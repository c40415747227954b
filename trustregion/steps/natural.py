"""The natural-gradient step."""

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._status import StepStatus
from .._validation import as_float_vector, check_maxiter, check_nonnegative_scalar, \
    check_positive_scalar
from ..subproblems import as_metric
from ..subproblems.natural import natural_direction


@dataclass(frozen=True)
class NaturalStep:
    """Outcome of :func:`natural_step`.

    Attributes
    ----------
    step : ndarray
        s = ∓α·x, with x ≈ M⁻¹g (the sign of descent, or of ascent with ``maximize``).
    direction : ndarray
        x ≈ M⁻¹g from CG.
    g_dual_norm_sq : float
        gᵀx ≈ gᵀM⁻¹g, the squared natural-gradient norm.
    quadratic_divergence : float
        ½ sᵀMs, the quadratic model of the divergence the step incurs.
    predicted_improvement : float
        α·gᵀx = ``|gᵀs|``, the first-order change of the objective.
    cg_iterations : int
    cg_residual_norm : float
    status : StepStatus
        ``BOUNDARY`` when CG converged, ``MAX_ITER`` when it stopped at ``cg_maxiter``
        (TRPO's and NPG's normal practice), ``NONFINITE`` or ``NOT_POSITIVE_DEFINITE``
        (then the step is zero unless CG's last finite iterate was usable).
    """

    step: np.ndarray
    direction: np.ndarray
    g_dual_norm_sq: float
    quadratic_divergence: float
    predicted_improvement: float
    cg_iterations: int
    cg_residual_norm: float
    status: StepStatus


def natural_step(gradient, metric, *, step_size: Optional[float] = None,
                 max_divergence: Optional[float] = None, maximize: bool = False,
                 cg_maxiter: int = 10, cg_rtol: float = 1e-10) -> NaturalStep:
    """The natural-gradient step for an objective with gradient g, in the metric M.

    x ≈ M⁻¹g comes from CG on M (Amari 1998; Kakade 2001, the natural policy gradient), and
    ‖x‖²_M = xᵀ(g - r) from its residual, with no extra product. Exactly one of:

    * ``step_size`` α: s = ∓α x;
    * ``max_divergence`` δ: s = ∓√(2δ / ‖x‖²_M) x, so that ½ sᵀMs = δ — the step of the
      linear model in the ellipsoid ½ sᵀMs ≤ δ, as :func:`~trustregion.solve_subproblem`
      with ``method="natural"`` and radius √(2δ).

    No line search: :func:`constrained_step` adds one.

    Parameters
    ----------
    gradient : array_like
        g, finite.
    metric : array, sparse matrix, LinearOperator, callable or Preconditioner
        M, symmetric positive definite (a Fisher operator, usually damped).
    maximize : bool
        Step along +M⁻¹g (ascent) instead of -M⁻¹g (descent).
    cg_maxiter, cg_rtol : int, float
        CG's iteration limit (10, as TRPO and NPG codes use) and relative tolerance.

    Raises
    ------
    ValueError
        Unless exactly one of ``step_size`` and ``max_divergence`` is given, positive and
        finite; for a non-finite or mis-shaped gradient or metric.
    """
    g = as_float_vector(gradient, "gradient")
    if (step_size is None) == (max_divergence is None):
        raise ValueError("give exactly one of step_size and max_divergence")
    if step_size is not None:
        alpha = check_positive_scalar(step_size, "step_size")
    else:
        delta = check_positive_scalar(max_divergence, "max_divergence")
    cg_maxiter = check_maxiter(cg_maxiter, "cg_maxiter", 10)
    cg_rtol = check_nonnegative_scalar(cg_rtol, "cg_rtol")
    m = as_metric(metric, g.shape[0])
    found = natural_direction(g, m, rtol=cg_rtol, maxiter=cg_maxiter)
    if not found.usable:
        return NaturalStep(np.zeros_like(g), np.zeros_like(g), 0.0, 0.0, 0.0, found.iterations,
                           found.residual_norm, found.status)
    if step_size is None:
        alpha = math.sqrt(2.0 * delta / found.x_norm_sq)
    sign = 1.0 if maximize else -1.0
    return NaturalStep(sign * alpha * found.x, found.x, found.g_dual_norm_sq,
                       0.5 * alpha * alpha * found.x_norm_sq, alpha * found.g_dual_norm_sq,
                       found.iterations, found.residual_norm, found.status)
