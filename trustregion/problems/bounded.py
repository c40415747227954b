"""Bound-constrained variants: problems of the other suites inside a box that cuts off
their unconstrained minimiser, with the minimal value where it follows in closed form."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds


@dataclass(frozen=True, eq=False)
class BoundedProblem:
    """A problem with bounds lo ≤ x ≤ hi (``bounds``, a ``scipy.optimize.Bounds``).

    ``fun``, ``grad``, ``hessp`` and ``hess`` are those of the unconstrained ``base``
    problem; ``x0`` is the base start projected onto the box; ``f_star`` and ``x_star``
    are the box problem's own (None where not known in closed form).
    """

    base: Any
    bounds: Bounds
    f_star: float | None
    x_star: np.ndarray | None
    description: str

    @property
    def name(self) -> str:
        return f"{self.base.name}_box"

    @property
    def n(self) -> int:
        return self.base.n

    @property
    def x0(self) -> np.ndarray:
        return np.clip(self.base.x0, self.bounds.lb, self.bounds.ub)

    @property
    def reference(self) -> str:
        return f"{self.base.reference}; box: {self.description}"

    def fun(self, x: ArrayLike) -> float:
        return self.base.fun(x)

    def grad(self, x: ArrayLike) -> np.ndarray:
        return self.base.grad(x)

    def hessp(self, x: ArrayLike, v: ArrayLike) -> np.ndarray:
        return self.base.hessp(x, v)

    def hess(self, x: ArrayLike) -> Any:
        return self.base.hess(x)


def rosenbrock_box(get: Callable[..., Any]) -> BoundedProblem:
    """Rosenbrock with x₁ ≤ 0.8: the minimum moves to (0.8, 0.64), f = (1 - 0.8)² = 0.04."""
    return BoundedProblem(
        get("rosenbrock"),
        Bounds([-2.0, -2.0], [0.8, 2.0]),
        0.04,
        np.array([0.8, 0.64]),
        "x1 <= 0.8",
    )


def extended_rosenbrock_box(get: Callable[..., Any], n: int = 10) -> BoundedProblem:
    """Extended Rosenbrock with every odd-indexed variable ≤ 0.8: each pair ends at
    (0.8, 0.64), f = 0.04·n/2."""
    base = get("extended_rosenbrock", n)
    hi = np.full(n, np.inf)
    hi[0::2] = 0.8
    return BoundedProblem(
        base,
        Bounds(np.full(n, -np.inf), hi),
        0.02 * n,
        np.tile([0.8, 0.64], n // 2),
        "x_odd <= 0.8",
    )


def dqdrtic_box(get: Callable[..., Any], n: int = 100) -> BoundedProblem:
    """DQDRTIC, a separable convex quadratic Σ wᵢxᵢ², with x ≥ 1: the minimum is at the
    lower bounds, f = Σ wᵢ."""
    base = get("dqdrtic", n)
    return BoundedProblem(
        base, Bounds(np.ones(n), np.full(n, np.inf)), base.fun(np.ones(n)), np.ones(n), "x >= 1"
    )


def quartc_box(get: Callable[..., Any], n: int = 100) -> BoundedProblem:
    """QUARTC, Σ (xᵢ - i)⁴, with xᵢ ≤ i/2: separable, so each variable sits at its bound,
    f = Σ (i/2)⁴."""
    base = get("quartc", n)
    hi = np.arange(1, n + 1) / 2.0
    return BoundedProblem(
        base, Bounds(np.full(n, -np.inf), hi), float(np.sum(hi**4)), hi.copy(), "x_i <= i/2"
    )


def beale_box(get: Callable[..., Any]) -> BoundedProblem:
    """Beale (minimum 0 at (3, 0.5)) with x₁ ≤ 2.5: f* not in closed form."""
    return BoundedProblem(get("beale"), Bounds([-4.5, -4.5], [2.5, 4.5]), None, None, "x1 <= 2.5")


def wood_box(get: Callable[..., Any]) -> BoundedProblem:
    """Wood (minimum 0 at (1, 1, 1, 1)) with x ≤ 0.9: f* not in closed form, and more than
    one local minimum (from x₀ the trust-region path and L-BFGS-B's reach different ones)."""
    return BoundedProblem(
        get("wood"), Bounds(np.full(4, -10.0), np.full(4, 0.9)), None, None, "x <= 0.9"
    )


BOUNDED = {
    f.__name__: f
    for f in (rosenbrock_box, extended_rosenbrock_box, dqdrtic_box, quartc_box, beale_box, wood_box)
}
