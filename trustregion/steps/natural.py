"""The natural-gradient step."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._status import StepStatus
from .._validation import (
    as_float_vector,
    check_maxiter,
    check_nonnegative_scalar,
    check_positive_scalar,
)
from ..operators import OperatorLike
from ..subproblems import solve_subproblem


@dataclass(frozen=True)
class NaturalStep:
    """Outcome of :func:`natural_step`.

    Attributes
    ----------
    step : ndarray
        s = ∓α·x, with x ≈ M⁻¹g (the sign of descent, or of ascent with ``maximize``).
    direction : ndarray
        x ≈ M⁻¹g (by CG unless M is diagonal, sparse or a Preconditioner).
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
        (TRPO's and NPG's normal practice), ``ZERO_GRADIENT`` for g = 0 (the zero step),
        ``NONFINITE`` or ``NOT_POSITIVE_DEFINITE`` (then the step is zero unless CG's last
        finite iterate was usable).
    """

    step: np.ndarray
    direction: np.ndarray
    g_dual_norm_sq: float
    quadratic_divergence: float
    predicted_improvement: float
    cg_iterations: int
    cg_residual_norm: float
    status: StepStatus


def natural_step(
    gradient: ArrayLike,
    metric: OperatorLike,
    *,
    step_size: float | None = None,
    max_divergence: float | None = None,
    maximize: bool = False,
    cg_maxiter: int | None = None,
    cg_rtol: float = 1e-10,
) -> NaturalStep:
    """The natural-gradient step for an objective with gradient g, in the metric M.

    x ≈ M⁻¹g is the natural gradient (Amari 1998; Kakade 2001, the natural policy
    gradient). Exactly one of:

    * ``step_size`` α: s = ∓α x;
    * ``max_divergence`` δ: s = ∓√(2δ / ‖x‖²_M) x, so that ½ sᵀMs = δ — the step of the
      linear model in the ellipsoid ½ sᵀMs ≤ δ.

    Both come from one solve of the trust-region subproblem min ±gᵀs, ‖s‖_M ≤ Δ,
    :func:`~trustregion.solve_subproblem` with ``method="natural"`` (Δ = √(2δ), or Δ = 1
    for a step size): its solution is s_Δ = ∓Δ x/‖x‖_M, it reports ±x
    (``natural_gradient``), and its multiplier λ = ‖x‖_M/Δ gives ‖x‖_M with no further
    product.

    No line search: :func:`constrained_step` adds one.

    Parameters
    ----------
    gradient : array_like
        g, finite.
    metric : array, sparse matrix, LinearOperator, callable or Preconditioner
        M, symmetric positive definite (a Fisher operator, usually damped).
    maximize : bool
        Step along +M⁻¹g (ascent) instead of -M⁻¹g (descent).
    cg_maxiter : int, optional
        CG's iteration limit on M, default 10·n (as ``scipy.sparse.linalg.cg``), enough for
        CG to reach ``cg_rtol`` in floating point. TRPO and NPG codes truncate CG at 10
        iterations, which :mod:`rl_adapters` passes (its ``cg_iters``).
    cg_rtol : float
        CG's relative residual tolerance (default 1e-10, a tight solve).

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
        radius = 1.0
    else:
        # √2·√δ: 2δ itself overflows for δ near the largest float.
        radius = math.sqrt(2.0) * math.sqrt(check_positive_scalar(max_divergence, "max_divergence"))
    cg_maxiter = check_maxiter(cg_maxiter, "cg_maxiter", 10 * g.shape[0])
    cg_rtol = check_nonnegative_scalar(cg_rtol, "cg_rtol")
    h = -g if maximize else g  # the step minimises hᵀs
    sub = solve_subproblem(
        h, None, radius, method="natural", M=metric, rtol=cg_rtol, maxiter=cg_maxiter
    )
    if not sub.on_boundary:
        # g = 0, or CG gave no usable direction (status NONFINITE or NOT_POSITIVE_DEFINITE).
        return NaturalStep(
            np.zeros_like(g),
            np.zeros_like(g),
            0.0,
            0.0,
            0.0,
            sub.iterations,
            sub.residual_norm,
            sub.status,
        )
    d = sub.natural_gradient  # M⁻¹h
    g_dual = sub.g_dual_norm_sq  # hᵀM⁻¹h = gᵀM⁻¹g
    # "natural" sets these three on every boundary step
    assert d is not None and g_dual is not None and sub.multiplier is not None
    x_norm = sub.multiplier * radius  # λ = ‖d‖_M/Δ
    if step_size is None:
        alpha, step = radius / x_norm, sub.s
    else:
        step = -alpha * d
    return NaturalStep(
        step,
        -d if maximize else d,
        g_dual,
        0.5 * (alpha * x_norm) ** 2,
        alpha * g_dual,
        sub.iterations,
        sub.residual_norm,
        sub.status,
    )
