"""Bound constraints: the projected trust-region step of TRON (Lin & Moré 1999)."""

import warnings
from typing import NamedTuple, Optional

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds

from .._status import StepStatus
from .. import _kernels as K
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

    def project(self, x):
        return np.clip(x, self.lo, self.hi)

    def projected_gradient(self, x, g):
        """P(x - g) - x: zero exactly at the first-order points of the box problem."""
        return self.project(x - g) - x


def as_box(bounds, n) -> Box:
    """A :class:`Box` from a ``scipy.optimize.Bounds`` or a sequence of ``(lo, hi)`` pairs
    (``None`` for no bound)."""
    if isinstance(bounds, Bounds):
        lo = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,)).copy()
        hi = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,)).copy()
    else:
        pairs = list(bounds)
        if len(pairs) != n or any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"bounds must hold {n} (lo, hi) pairs, one per variable")
        lo = np.array([-np.inf if a is None else float(a) for a, _ in pairs])
        hi = np.array([np.inf if b is None else float(b) for _, b in pairs])
    if np.isnan(lo).any() or np.isnan(hi).any() or (lo > hi).any():
        raise ValueError("bounds must satisfy lo <= hi, without NaN")
    return Box(lo, hi)


def feasible_start(x0, box: Box):
    """x₀ projected onto the box, with a warning when that moved it."""
    x = box.project(x0)
    if not np.array_equal(x, x0):
        warnings.warn("x0 is outside the bounds; it was projected onto them",
                      RuntimeWarning, stacklevel=3)
    return x


class BoxStep(NamedTuple):
    s: np.ndarray
    predicted_reduction: float
    on_boundary: bool
    status: Optional[StepStatus] = None  # NONFINITE when the model could not be evaluated


def tron_step(g, B, radius, x, box: Box, rtol) -> BoxStep:
    """A feasible step for min q(s) = gᵀs + ½ sᵀBs, ‖s‖ ≤ Δ, lo ≤ x + s ≤ hi.

    1. The generalised Cauchy point along the projected-gradient path s(α) = P(x - αg) - x:
       from α₀ = min(Δ/‖g‖, ‖g‖²/gᵀBg), the largest α found by doubling or halving with
       q(s(α)) ≤ μ₀ gᵀs(α) and ‖s(α)‖ ≤ Δ.
    2. With the variables at a bound there held fixed, Steihaug–Toint CG on the free ones
       from the Cauchy point, then a projected search s = P(x_c + βw) - x, β = 1, ½, …,
       until q(s) ≤ q(s_c) + μ₀ ∇q(s_c)ᵀ(s - s_c) (Lin & Moré 1999, §2-3).

    The step is feasible and decreases q at least as much as the Cauchy point.
    """
    def q(s):
        Bs = B.apply(s)
        return float(g @ s + 0.5 * s @ Bs), Bs

    def path(alpha):
        return box.project(x - alpha * g) - x

    gnorm = float(np.linalg.norm(g))
    alpha = radius / gnorm  # ‖s(α)‖ ≤ α‖g‖ = Δ: projection only shortens the step
    # Start at the minimiser of q along -g when the curvature there is positive: before
    # the path's first bend that is the answer, so the search usually ends at its first
    # trial instead of after a run of halvings from the radius.
    curvature = float(g @ B.apply(g))
    if curvature > 0.0:
        alpha = min(alpha, gnorm * gnorm / curvature)
    s_c, q_c, Bs_c = None, 0.0, None
    for halvings in range(_MAX_SEARCH):  # halve until sufficient decrease
        s = path(alpha)
        value, Bs = q(s)
        if not np.isfinite(value):
            return BoxStep(np.zeros_like(x), 0.0, False, StepStatus.NONFINITE)
        if value <= _MU0 * float(g @ s):
            s_c, q_c, Bs_c = s, value, Bs
            break
        alpha *= 0.5
    if s_c is None or not s_c.any():
        return BoxStep(np.zeros_like(x), 0.0, False)
    for _ in range(_MAX_SEARCH if halvings == 0 else 0):  # extrapolate while it pays
        s = path(2.0 * alpha)
        if np.array_equal(s, s_c) or np.linalg.norm(s) > radius:
            break
        value, Bs = q(s)
        if value > _MU0 * float(g @ s) or value >= q_c:
            break
        alpha, s_c, q_c, Bs_c = 2.0 * alpha, s, value, Bs
    x_c = x + s_c
    free = (x_c > box.lo) & (x_c < box.hi)
    if free.any():
        grad_c = g + Bs_c
        reduced = _reduced_operator(B, free)
        w_free = solve_subproblem(grad_c[free], reduced, radius, method="steihaug",
                                  rtol=rtol).s
        w = np.zeros_like(x)
        w[free] = w_free
        beta = 1.0
        for _ in range(_MAX_SEARCH):
            s = box.project(x_c + beta * w) - x
            value, Bs = q(s)
            if value <= q_c + _MU0 * float(grad_c @ (s - s_c)):
                if value < q_c:
                    s_c, q_c = s, value
                break
            beta *= 0.5
    return BoxStep(s_c, -q_c, bool(np.linalg.norm(s_c) >= radius * (1 - 1e-10)))


def _reduced_operator(B, free):
    """B restricted to the free variables: B_FF, stored when B is (so that CG on it runs
    in one kernel call), otherwise v ↦ (B v̂)_F with v̂ zero off F."""
    if B.explicit is not None:
        e = B.explicit
        if e.kind == K.DENSE:
            reduced = e.dense[np.ix_(free, free)]
        else:
            reduced = sp.csr_matrix((e.data, e.indices, e.indptr), shape=B.shape)[free][:, free]
        return as_operator(reduced + e.shift * sp.eye(reduced.shape[0]) if e.shift else reduced)
    n = free.shape[0]

    def product(v):
        full = np.zeros(n)
        full[free] = v
        return B.apply(full)[free]

    return SymmetricOperator(int(free.sum()), product)
