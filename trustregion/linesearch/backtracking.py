"""Backtracking searches: Armijo, and the constraint-aware variant TRPO uses."""

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_vector
from ._checks import count, finite, open_unit
from ._result import LineSearchResult, LineSearchStatus


class BacktrackingLineSearch:
    """Backtracking with the Armijo sufficient-decrease condition (Nocedal & Wright 2006,
    Alg. 3.1).

    Tries α = α₀, ρα₀, ρ²α₀, … and accepts the first with
    f(x + αd) ≤ f(x) + c₁ α ∇f(x)ᵀd. A non-finite value counts as a failed trial.

    Parameters
    ----------
    c1 : float
        Sufficient-decrease constant in (0, 1); 1e-4 is N&W's customary value (§3.1).
    shrink : float
        ρ in (0, 1), the factor applied after each failed trial.
    max_backtracks : int
        Reductions allowed (so at most ``max_backtracks + 1`` evaluations).
    """

    def __init__(self, *, c1: float = 1e-4, shrink: float = 0.5, max_backtracks: int = 30) -> None:
        self.c1 = open_unit(c1, "c1")
        self.shrink = open_unit(shrink, "shrink")
        self.max_backtracks = count(max_backtracks, "max_backtracks")

    def search(
        self,
        fun: Callable[..., float],
        x: ArrayLike,
        direction: ArrayLike,
        f0: float,
        slope: float,
        *,
        step: float = 1.0,
        args: Sequence[Any] = (),
    ) -> LineSearchResult:
        """Search along ``direction`` from ``x``, where f(x) = ``f0`` and ∇f(x)ᵀd = ``slope``.

        Raises
        ------
        ValueError
            If ``slope`` is not negative (d is not a descent direction), a vector is
            mis-shaped or non-finite, or ``step`` is not positive.
        """
        x = as_float_vector(x, "x")
        d = as_float_vector(direction, "direction", size=x.shape[0])
        f0 = finite(f0, "f0")
        slope = finite(slope, "slope")
        if not slope < 0.0:
            raise ValueError(f"slope must be negative (a descent direction), got {slope!r}")
        alpha = finite(step, "step")
        if not alpha > 0.0:
            raise ValueError(f"step must be positive, got {step!r}")

        def accept(alpha: float, f: float) -> bool:
            return f <= f0 + self.c1 * alpha * slope

        return _backtrack(fun, x, d, f0, alpha, self.shrink, self.max_backtracks, accept, args)


class ConstraintAwareBacktracking:
    """Shrink a full step until the actual decrease is a fair share of the predicted one and
    a constraint holds; otherwise restore the start point.

    Tries x + α s for α = 1, ρ, ρ², …, ρ^max_backtracks and accepts the first with

        f(x) - f(x + αs) > 0,   (f(x) - f(x + αs)) / (α·pred) ≥ accept_ratio,
        and constraint(x + αs) ≤ max_constraint,

    where pred > 0 is the decrease the model predicts for the full step. This is the line
    search of TRPO (Schulman et al. 2015, App. C, and its reference implementation), with f
    minus the surrogate objective, pred = gᵀs and the constraint the mean KL divergence;
    written generically so that any "improve within a bound" step can use it. The
    constraint is evaluated only for fractions that pass the decrease tests.

    The defaults are those of :class:`BacktrackingLineSearch`, with Armijo's c₁ = 1e-4 as
    the ratio; TRPO's own (ρ = 0.8, 10 reductions, ratio 0.1) are
    :class:`rl_adapters.TRPOConfig`'s, which passes them.

    Parameters
    ----------
    shrink : float
        ρ in (0, 1).
    max_backtracks : int
        Reductions allowed (``max_backtracks + 1`` fractions are tried).
    accept_ratio : float
        Required ratio of actual to predicted decrease, in (0, 1).
    """

    def __init__(
        self, *, shrink: float = 0.5, max_backtracks: int = 30, accept_ratio: float = 1e-4
    ) -> None:
        self.shrink = open_unit(shrink, "shrink")
        self.max_backtracks = count(max_backtracks, "max_backtracks")
        self.accept_ratio = open_unit(accept_ratio, "accept_ratio")

    def search(
        self,
        fun: Callable[..., float],
        x: ArrayLike,
        step_vector: ArrayLike,
        f0: float,
        predicted_reduction: float,
        *,
        constraint: Callable[..., float] | None = None,
        max_constraint: float = math.inf,
        args: Sequence[Any] = (),
    ) -> LineSearchResult:
        """Search along the full step ``step_vector`` from ``x`` (f(x) = ``f0``).

        ``constraint(x_new, *args)`` returns the constrained quantity (e.g. a divergence
        from x), which must not exceed ``max_constraint``.

        Raises
        ------
        ValueError
            If ``predicted_reduction`` is not positive, ``max_constraint`` is NaN, or a
            vector is mis-shaped or non-finite.
        """
        x = as_float_vector(x, "x")
        s = as_float_vector(step_vector, "step_vector", size=x.shape[0])
        f0 = finite(f0, "f0")
        pred = finite(predicted_reduction, "predicted_reduction")
        if not pred > 0.0:
            raise ValueError(f"predicted_reduction must be positive, got {predicted_reduction!r}")
        bound = float(max_constraint)
        if math.isnan(bound):
            raise ValueError("max_constraint must not be NaN")
        last_constraint: list[float | None] = [None]

        def accept(alpha: float, f: float) -> bool:
            actual = f0 - f
            if not (actual > 0.0 and actual >= self.accept_ratio * alpha * pred):
                return False
            if constraint is None:
                return True
            value = float(constraint(x + alpha * s, *args))
            last_constraint[0] = value
            return value <= bound  # NaN fails

        result = _backtrack(fun, x, s, f0, 1.0, self.shrink, self.max_backtracks, accept, args)
        return replace(result, constraint=last_constraint[0]) if result.accepted else result


def _backtrack(
    fun: Callable[..., float],
    x: np.ndarray,
    d: np.ndarray,
    f0: float,
    alpha: float,
    shrink: float,
    max_backtracks: int,
    accept: Callable[[float, float], bool],
    args: Sequence[Any],
) -> LineSearchResult:
    """The one backtracking loop: α, ρα, …; the start point when nothing is accepted."""
    steps: list[float] = []
    values: list[float] = []
    for backtracks in range(max_backtracks + 1):
        x_new = x + alpha * d
        f = float(fun(x_new, *args))
        steps.append(alpha)
        values.append(f)
        if math.isfinite(f) and accept(alpha, f):
            return LineSearchResult(
                True,
                alpha,
                x_new,
                f,
                f0,
                backtracks,
                len(values),
                0,
                tuple(steps),
                tuple(values),
                LineSearchStatus.ACCEPTED,
            )
        alpha *= shrink
    return LineSearchResult(
        False,
        0.0,
        x.copy(),
        f0,
        f0,
        max_backtracks,
        len(values),
        0,
        tuple(steps),
        tuple(values),
        LineSearchStatus.MAX_BACKTRACKS,
    )
