"""Finite-difference Jacobians that never evaluate outside the bounds.

One mechanism serves the objective's gradient (a Jacobian with one row), the dense
finite-difference Hessian (the Jacobian of the gradient) and constraint Jacobians.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

SCHEMES = ("2-point", "3-point", "cs")
_EPS = np.finfo(np.float64).eps
# Nocedal & Wright (2006), §8.1: the truncation error grows with h and the rounding error
# with u/h, so h ∝ √u balances them for one-sided differences and h ∝ u^(1/3) for
# central ones; the complex step has no rounding error to balance (Squire & Trapp 1998)
# and takes scipy's √u.
_DEFAULT_REL_STEP = {"2-point": _EPS**0.5, "3-point": _EPS ** (1.0 / 3.0), "cs": _EPS**0.5}


def approx_jacobian(
    fun: Callable[[np.ndarray], Any],
    x: np.ndarray,
    f0: Any,
    scheme: str,
    *,
    rel_step: float | None = None,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> np.ndarray:
    """The Jacobian ∂f/∂x of ``fun: Rⁿ → Rᵐ`` at x by finite differences, shape (m, n).

    Column j uses the step hⱼ = ``rel_step``·max(1, |xⱼ|) (signed like xⱼ, as scipy's
    ``approx_derivative``), and for

    * ``"2-point"``: (f(x + hⱼeⱼ) - f(x)) / hⱼ, error O(h);
    * ``"3-point"``: (f(x + hⱼeⱼ) - f(x - hⱼeⱼ)) / 2hⱼ, error O(h²), or near a bound the
      one-sided (-3f(x) + 4f(x + hⱼeⱼ) - f(x + 2hⱼeⱼ)) / 2hⱼ, also O(h²);
    * ``"cs"``: Im f(x + i·hⱼeⱼ) / hⱼ, the complex step (Squire & Trapp 1998), exact to
      rounding; ``fun`` must accept complex x and be analytic.

    Every point evaluated lies in [lo, hi] (for x in the box): a step that would leave the
    box is reversed, and where neither side has room for it, it is shortened to the room
    on the wider side. The step actually taken, (xⱼ + hⱼ) - xⱼ, is the divisor, which
    removes the rounding error of forming x + h.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> array_like`` of shape (m,) or a scalar (m = 1); given a new array.
    x : ndarray, shape (n,)
    f0 : ndarray, shape (m,)
        fun(x), already known.
    scheme : {"2-point", "3-point", "cs"}
    rel_step : float, optional
        Relative step; defaults √u, u^(1/3), √u (u = machine epsilon).
    lo, hi : ndarray, shape (n,), optional
        Bounds (±inf for none).
    """
    n = x.shape[0]
    f0 = np.atleast_1d(np.asarray(f0, dtype=np.float64))
    rel = _DEFAULT_REL_STEP[scheme] if rel_step is None else float(rel_step)
    h = rel * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))
    jacobian = np.empty((f0.shape[0], n))
    if scheme == "cs":
        for j in range(n):
            point = x.astype(np.complex128)
            point[j] += 1j * h[j]
            jacobian[:, j] = np.atleast_1d(fun(point)).imag / h[j]
        return jacobian
    lo = np.full(n, -np.inf) if lo is None else lo
    hi = np.full(n, np.inf) if hi is None else hi
    one_sided = scheme == "2-point"
    h, central = _fit_steps(x, h, lo, hi, reach=1.0 if one_sided else 2.0, central=not one_sided)

    def at(j: int, step: float) -> tuple[np.ndarray, float]:
        point = x.copy()
        point[j] = x[j] + step
        return np.atleast_1d(np.asarray(fun(point), dtype=np.float64)), point[j] - x[j]

    for j in range(n):
        if h[j] == 0.0:
            # lo = hi: a fixed variable has no direction to differentiate in, and a
            # feasible method never moves it.
            jacobian[:, j] = 0.0
        elif one_sided:
            f1, dx = at(j, h[j])
            jacobian[:, j] = (f1 - f0) / dx
        elif central[j]:
            f_plus, dx = at(j, h[j])
            f_minus, _ = at(j, -dx)
            jacobian[:, j] = (f_plus - f_minus) / (2.0 * dx)
        else:
            f1, dx = at(j, h[j])
            f2, _ = at(j, 2.0 * dx)
            jacobian[:, j] = (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * dx)
    return jacobian


def _fit_steps(
    x: np.ndarray, h: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, reach: float, central: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Steps that keep x ± h (central) or x + reach·h (one-sided) inside [lo, hi].

    Returns the steps and, per coordinate, whether the central formula fits; where it
    does not, the one-sided formula runs in the direction with room, with the step cut to
    that room if the full one does not fit."""
    room_up, room_down = hi - x, x - lo
    fits_central = (
        np.abs(h) <= np.minimum(room_up, room_down) if central else np.zeros(x.shape, dtype=bool)
    )
    fits_ahead = np.where(h > 0, reach * h <= room_up, -reach * h <= room_down)
    fits_behind = np.where(h > 0, reach * h <= room_down, -reach * h <= room_up)
    wider = np.where(room_up >= room_down, 1.0, -1.0)
    widest_room = np.maximum(room_up, room_down) / reach
    steps = np.where(
        fits_central | fits_ahead,
        h,
        np.where(fits_behind, -h, wider * np.minimum(np.abs(h), widest_room)),
    )
    return steps, fits_central
