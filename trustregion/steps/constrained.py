"""Improve an objective within a divergence bound: the generic TRPO step."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_vector
from ..linesearch import ConstraintAwareBacktracking, LineSearchResult
from ..operators import OperatorLike
from .natural import NaturalStep, natural_step


@dataclass(frozen=True)
class ConstrainedStep:
    """Outcome of :func:`constrained_step`.

    Attributes
    ----------
    x : ndarray
        The accepted point, or a copy of the start point when no fraction was accepted.
    accepted : bool
    step_fraction : float
        The accepted fraction of the full step (0 when none was).
    f : float
        The objective at ``x``.
    predicted_improvement : float
        The linear model's improvement for the accepted fraction (for the full step when
        nothing was accepted).
    actual_improvement : float
        The objective's improvement, in the direction asked for (0 when nothing was
        accepted).
    divergence : float or None
        D(x) at the accepted point (None when nothing was accepted).
    backtracks : int
        Step reductions made.
    natural : NaturalStep
        The full step and its CG statistics.
    line_search : LineSearchResult or None
        None when CG gave no usable direction and no search was made.
    """

    x: np.ndarray
    accepted: bool
    step_fraction: float
    f: float
    predicted_improvement: float
    actual_improvement: float
    divergence: float | None
    backtracks: int
    natural: NaturalStep
    line_search: LineSearchResult | None


def constrained_step(
    fun: Callable[[np.ndarray], float],
    x: ArrayLike,
    gradient: ArrayLike,
    divergence: Callable[[np.ndarray], float],
    metric: OperatorLike,
    max_divergence: float,
    *,
    maximize: bool = False,
    f0: float | None = None,
    cg_maxiter: int | None = None,
    cg_rtol: float = 1e-10,
    shrink: float = 0.5,
    max_backtracks: int = 30,
    accept_ratio: float = 1e-4,
) -> ConstrainedStep:
    """Improve f from x subject to D(x') ≤ δ, where D(x) = 0 and ∇D(x) = 0.

    The linear model of f and the quadratic model ½ sᵀMs of D (M = ∇²D(x), given as an
    operator — the Fisher matrix when D is a mean KL divergence) give the trust-region
    subproblem of :func:`natural_step` with ``max_divergence = δ``; its full step is then
    shrunk by :class:`~trustregion.linesearch.ConstraintAwareBacktracking` until the true
    improvement is at least ``accept_ratio`` of the predicted one and the true D ≤ δ. This
    is the TRPO update (Schulman et al. 2015, App. C) with f the surrogate objective, but
    nothing here is specific to policies.

    Parameters
    ----------
    fun : callable
        f(x').
    x : array_like
        The current point.
    gradient : array_like
        ∇f(x).
    divergence : callable
        D(x'), with D(x) = 0.
    metric : array, sparse matrix, LinearOperator, callable or Preconditioner
        M ≈ ∇²D(x), positive definite (damp it if needed).
    max_divergence : float
        δ > 0.
    maximize : bool
        Maximise f (TRPO's surrogate) instead of minimising it.
    f0 : float, optional
        f(x) if already known.
    cg_maxiter, cg_rtol : int, float
        CG on M, as in :func:`natural_step` (default: solved tightly, at most 10·n
        iterations).
    shrink, max_backtracks, accept_ratio : float, int, float
        The line search's ρ, number of reductions and required ratio of actual to
        predicted improvement. With the linear model's prediction, accepting at ratio c₁
        is Armijo's sufficient-decrease condition, so the defaults are those of the Armijo
        search (:class:`~trustregion.linesearch.BacktrackingLineSearch`): c₁ = 1e-4 and
        ρ = 0.5 (Nocedal & Wright 2006, §3.1 and Alg. 3.1), at most 30 reductions (to
        2⁻³⁰ of the full step). TRPO's are 10 CG iterations, 10 reductions and ratio 0.1
        (the reference implementation of Schulman et al. 2015), with ρ = 0.8 (as in
        sb3-contrib; the reference uses 0.5): :func:`rl_adapters.trpo_update` passes them.
    """
    x = as_float_vector(x, "x")
    full = natural_step(
        gradient,
        metric,
        max_divergence=max_divergence,
        maximize=maximize,
        cg_maxiter=cg_maxiter,
        cg_rtol=cg_rtol,
    )
    sign = -1.0 if maximize else 1.0  # the line search minimises sign·f
    f0 = float(fun(x)) if f0 is None else float(f0)
    search = ConstraintAwareBacktracking(
        shrink=shrink, max_backtracks=max_backtracks, accept_ratio=accept_ratio
    )
    if not full.predicted_improvement > 0.0:
        # CG gave no usable direction (status NONFINITE or NOT_POSITIVE_DEFINITE): stay.
        return ConstrainedStep(x.copy(), False, 0.0, f0, 0.0, 0.0, None, 0, full, None)
    result = search.search(
        lambda z: sign * float(fun(z)),
        x,
        full.step,
        sign * f0,
        full.predicted_improvement,
        constraint=divergence,
        max_constraint=max_divergence,
    )
    if not result.accepted:
        return ConstrainedStep(
            x.copy(),
            False,
            0.0,
            f0,
            full.predicted_improvement,
            0.0,
            None,
            result.backtracks,
            full,
            result,
        )
    fraction = result.step
    return ConstrainedStep(
        result.x,
        True,
        fraction,
        sign * result.f,
        fraction * full.predicted_improvement,
        sign * f0 - result.f,
        result.constraint,
        result.backtracks,
        full,
        result,
    )
