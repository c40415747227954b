"""Bound constraints: the projected trust-region step of TRON (Lin & Moré 1999)."""

import warnings
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from scipy.linalg import norm  # BLAS nrm2 scales: np.linalg.norm overflows past 1e154
from scipy.optimize import Bounds

from .._status import StepStatus
from ..operators import SymmetricOperator, as_operator
from ..subproblems import solve_subproblem

# Sufficient-decrease constant of the projected searches (Lin & Moré 1999, eq. 2.5).
_MU0 = 0.01
# Halvings or doublings of the Cauchy search before it settles.
_MAX_SEARCH = 40


class Box(NamedTuple):
    """lo ≤ x ≤ hi, with ±inf for missing bounds."""

    lo: np.ndarray
    hi: np.ndarray

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.lo, self.hi)

    def projected_gradient(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """P(x - g) - x: zero exactly at the first-order points of the box problem."""
        return self.project(x - g) - x


def as_box(bounds: Bounds | Iterable[tuple[float | None, float | None]], n: int) -> Box:
    """A :class:`Box` from a ``scipy.optimize.Bounds`` or a sequence of ``(lo, hi)`` pairs
    (``None`` for no bound)."""
    # The messages are scipy's own, so that code checking them runs unchanged.
    mismatch = (
        f"The number of bounds is not compatible with the length of `x0`: bounds "
        f"must give one (lo, hi) per variable, {n} in all"
    )
    if isinstance(bounds, Bounds):
        try:
            lo = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,)).copy()
            hi = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,)).copy()
        except ValueError:
            raise ValueError(mismatch) from None
    else:
        pairs = list(bounds)
        if len(pairs) != n or any(len(pair) != 2 for pair in pairs):
            raise ValueError(mismatch)
        lo = np.array([-np.inf if a is None else float(a) for a, _ in pairs])
        hi = np.array([np.inf if b is None else float(b) for _, b in pairs])
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise ValueError("bounds must not be NaN")
    if (lo > hi).any():
        raise ValueError(
            "An upper bound is less than the corresponding lower bound: bounds "
            "must satisfy lo <= hi"
        )
    return Box(lo, hi)


def feasible_start(x0: np.ndarray, box: Box) -> np.ndarray:
    """x₀ projected onto the box, with a warning when that moved it."""
    x = box.project(x0)
    if not np.array_equal(x, x0):
        warnings.warn(
            "x0 is outside the bounds; it was projected onto them", RuntimeWarning, stacklevel=3
        )
    return x


class BoxStep(NamedTuple):
    s: np.ndarray
    predicted_reduction: float
    on_boundary: bool
    status: StepStatus | None = None  # NONFINITE when the model could not be evaluated


def tron_step(
    g: np.ndarray, B: SymmetricOperator, radius: float, x: np.ndarray, box: Box, rtol: float
) -> BoxStep:
    """A feasible step for min q(s) = gᵀs + ½ sᵀBs, ‖s‖ ≤ Δ, lo ≤ x + s ≤ hi.

    1. The generalised Cauchy point along the projected-gradient path s(α) = P(x - αg) - x:
       from α₀ = min(Δ/‖g‖, ‖g‖²/gᵀBg), the largest α found by doubling or halving with
       q(s(α)) ≤ μ₀ gᵀs(α) and ‖s(α)‖ ≤ Δ.
    2. Subspace passes from s₀ = s_c: with the variables at a bound at x + s_j held fixed,
       Steihaug–Toint CG (region ‖w‖ ≤ Δ) on the free ones, then a projected search
       s_{j+1} = P(x + s_j + βw) - x, β = 1, ½, …, until
       q(s_{j+1}) ≤ q(s_j) + μ₀ ∇q(s_j)ᵀ(s_{j+1} - s_j). The passes end when CG stops at
       its region's edge, when no new variable reaches a bound, or when the free
       gradient has fallen by ``rtol`` (Lin & Moré 1999, §2-3, their dspcg).

    The step is feasible and decreases q at least as much as the Cauchy point. As in
    TRON, each pass's CG is confined to ‖w‖ ≤ Δ, not the sum, so ‖s‖ may exceed Δ by
    the Cauchy step and earlier passes; the driver shrinks from min(Δ, ‖s‖).
    """
    cauchy = _generalised_cauchy_point(g, B, radius, x, box)
    if isinstance(cauchy, BoxStep):
        return cauchy  # no decrease along the path, or a non-finite model
    s, q_s = _subspace_passes(g, B, radius, x, box, rtol, *cauchy)
    return BoxStep(s, -q_s, bool(norm(s) >= radius * (1 - 1e-10)))


def _model(g: np.ndarray, B: SymmetricOperator, s: np.ndarray) -> tuple[float, np.ndarray]:
    """(q(s), Bs) for q(s) = gᵀs + ½ sᵀBs."""
    Bs = B.apply(s)
    return float(g @ s + 0.5 * s @ Bs), Bs


def _generalised_cauchy_point(
    g: np.ndarray, B: SymmetricOperator, radius: float, x: np.ndarray, box: Box
) -> tuple[np.ndarray, float, np.ndarray] | BoxStep:
    """(s_c, q(s_c), Bs_c): step 1 of :func:`tron_step`, the largest α found by halving
    (then doubling, when the first trial passed) with q(s(α)) ≤ μ₀ gᵀs(α) and
    ‖s(α)‖ ≤ Δ along s(α) = P(x - αg) - x; or a zero BoxStep when there is none."""

    def path(alpha: float) -> np.ndarray:
        return box.project(x - alpha * g) - x

    gnorm = float(norm(g))
    alpha = radius / gnorm  # ‖s(α)‖ ≤ α‖g‖ = Δ: projection only shortens the step
    # Start at the minimiser of q along -g when the curvature there is positive: before
    # the path's first bend that is the answer, so the search usually ends at its first
    # trial instead of after a run of halvings from the radius.
    curvature = float(g @ B.apply(g))
    if curvature > 0.0:
        alpha = min(alpha, gnorm * gnorm / curvature)
    for halvings in range(_MAX_SEARCH):  # noqa: B007 (read after the loop): halve to decrease
        s = path(alpha)
        value, Bs = _model(g, B, s)
        if not np.isfinite(value):
            return BoxStep(np.zeros_like(x), 0.0, False, StepStatus.NONFINITE)
        if value <= _MU0 * float(g @ s):
            break
        alpha *= 0.5
    else:
        return BoxStep(np.zeros_like(x), 0.0, False)
    if not s.any():
        return BoxStep(np.zeros_like(x), 0.0, False)
    for _ in range(_MAX_SEARCH if halvings == 0 else 0):  # extrapolate while it pays
        longer = path(2.0 * alpha)
        if np.array_equal(longer, s) or norm(longer) > radius:
            break
        longer_value, longer_Bs = _model(g, B, longer)
        if longer_value > _MU0 * float(g @ longer) or longer_value >= value:
            break
        alpha, s, value, Bs = 2.0 * alpha, longer, longer_value, longer_Bs
    return s, value, Bs


def _subspace_passes(
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    x: np.ndarray,
    box: Box,
    rtol: float,
    s: np.ndarray,
    q_s: float,
    Bs: np.ndarray,
) -> tuple[np.ndarray, float]:
    """(s, q(s)) after step 2 of :func:`tron_step` from the Cauchy step s (Lin & Moré's
    minor iterations): CG on the variables free at x + s, then a projected search along
    its direction; a pass that makes more variables active starts another on the
    smaller set, so there are at most n."""
    free = (x + s > box.lo) & (x + s < box.hi)
    first_norm: float | None = None
    for _ in range(x.shape[0]):
        if not free.any():
            break
        grad_s = g + Bs
        free_norm = float(norm(grad_s[free]))
        if first_norm is None:
            first_norm = free_norm
        elif free_norm <= rtol * first_norm:
            break
        cg = solve_subproblem(
            grad_s[free], _reduced_operator(B, free), radius, method="steihaug", rtol=rtol
        )
        w = np.zeros_like(x)
        w[free] = cg.s
        beta = 1.0
        for _ in range(_MAX_SEARCH):
            trial = box.project(x + s + beta * w) - x
            value, B_trial = _model(g, B, trial)
            if value <= q_s + _MU0 * float(grad_s @ (trial - s)):
                break
            beta *= 0.5
        else:
            break
        if not value < q_s:
            break
        s, q_s, Bs = trial, value, B_trial
        now_free = (x + s > box.lo) & (x + s < box.hi)
        if cg.on_boundary or np.array_equal(now_free, free):
            break  # CG reached the region's edge, or converged with no new bound
        free = now_free
    return s, q_s


def _reduced_operator(B: SymmetricOperator, free: np.ndarray) -> SymmetricOperator:
    """B restricted to the free variables: B_FF, stored when B is (so that CG on it runs
    in one kernel call), otherwise v ↦ (B v̂)_F with v̂ zero off F."""
    if B.explicit is not None:
        e = B.explicit
        if e.is_dense:
            reduced = e.dense[np.ix_(free, free)]  # a copy
            reduced[np.diag_indices_from(reduced)] += e.shift
        else:
            reduced = e.matrix()[free][:, free]
        return as_operator(reduced)
    n = free.shape[0]

    def product(v: np.ndarray) -> np.ndarray:
        full = np.zeros(n)
        full[free] = v
        return B.apply(full)[free]

    return SymmetricOperator(int(free.sum()), product)
