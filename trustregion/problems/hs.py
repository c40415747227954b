"""Constrained test problems of Hock and Schittkowski.

W. Hock and K. Schittkowski, *Test Examples for Nonlinear Programming Codes*, Lecture
Notes in Economics and Mathematical Systems 187, Springer, Berlin, 1981.

Each problem is a :class:`ConstrainedProblem` with the published starting point
(feasible or not, as published), optimal value and, where published, solution.
Constraints come in two groups, equalities c_eq(x) = 0 and inequalities
c_ineq(x) ≥ 0 (scipy's ``'ineq'`` convention); simple bounds are kept apart in
``bounds``.

The objective and the constraints of each problem are written once, as plain
arithmetic; exact first and second derivatives follow from evaluating the same
expressions on second-order forward-mode jets (value, gradient, Hessian), so no
derivative is coded by hand.

>>> p = HS["hs071"]()
>>> p.n, p.eq(p.x_star).shape, p.ineq_jac(p.x0).shape
(4, (1,), (1, 4))
>>> abs(p.fun(p.x_star) - p.f_star) < 1e-6
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, NonlinearConstraint

__all__ = ["ConstrainedProblem", "HS"]

_REFERENCE = (
    "W. Hock, K. Schittkowski, Test Examples for Nonlinear Programming Codes, "
    "Lecture Notes in Economics and Mathematical Systems 187, Springer, 1981"
)


# --------------------------------------------------------------------------------------
# second-order forward-mode jets


class _Jet:
    """A scalar function of x carried with its gradient ``g`` and Hessian ``h`` (None in a
    first-order jet, which gradients and Jacobians use: the Hessian terms' outer products
    cost most of a jet's arithmetic)."""

    __slots__ = ("v", "g", "h")
    __array_priority__ = 1000  # keep numpy scalars from absorbing jets

    def __init__(self, v: float, g: np.ndarray, h: np.ndarray | None) -> None:
        self.v = v
        self.g = g
        self.h = h

    def _chain(self, f0: float, f1: float, f2: float) -> _Jet:
        """φ(self) from φ, φ', φ'' at self.v."""
        if self.h is None:
            return _Jet(f0, f1 * self.g, None)
        return _Jet(f0, f1 * self.g, f1 * self.h + f2 * np.outer(self.g, self.g))

    def __add__(self, o: _Jet | float) -> _Jet:
        if isinstance(o, _Jet):
            return _Jet(self.v + o.v, self.g + o.g, None if self.h is None else self.h + o.h)
        return _Jet(self.v + o, self.g, self.h)

    __radd__ = __add__

    def __neg__(self) -> _Jet:
        return _Jet(-self.v, -self.g, None if self.h is None else -self.h)

    def __pos__(self) -> _Jet:
        return self

    def __sub__(self, o: _Jet | float) -> _Jet:
        return self + (-o)

    def __rsub__(self, o: float) -> _Jet:
        return (-self) + o

    def __mul__(self, o: _Jet | float) -> _Jet:
        if isinstance(o, _Jet):
            g = self.v * o.g + o.v * self.g
            if self.h is None or o.h is None:  # jets of one product share their order
                return _Jet(self.v * o.v, g, None)
            gg = np.outer(self.g, o.g)
            return _Jet(self.v * o.v, g, self.v * o.h + o.v * self.h + gg + gg.T)
        return _Jet(self.v * o, self.g * o, None if self.h is None else self.h * o)

    __rmul__ = __mul__

    def __truediv__(self, o: _Jet | float) -> _Jet:
        if isinstance(o, _Jet):
            return self * o**-1
        return self * (1.0 / o)

    def __rtruediv__(self, o: float) -> _Jet:
        return o * self**-1

    def __pow__(self, p: float) -> _Jet:
        v = self.v
        d1 = 0.0 if p == 0 else p * v ** (p - 1)
        d2 = 0.0 if p in (0, 1) else p * (p - 1) * v ** (p - 2)
        return self._chain(v**p, d1, d2)


def _sin(a: _Jet | float) -> _Jet | float:
    if isinstance(a, _Jet):
        s = math.sin(a.v)
        return a._chain(s, math.cos(a.v), -s)
    return math.sin(a)


def _cos(a: _Jet | float) -> _Jet | float:
    if isinstance(a, _Jet):
        c = math.cos(a.v)
        return a._chain(c, -math.sin(a.v), -c)
    return math.cos(a)


def _exp(a: _Jet | float) -> _Jet | float:
    if isinstance(a, _Jet):
        e = math.exp(a.v)
        return a._chain(e, e, e)
    return math.exp(a)


def _log(a: _Jet | float) -> _Jet | float:
    if isinstance(a, _Jet):
        return a._chain(math.log(a.v), 1.0 / a.v, -1.0 / a.v**2)
    return math.log(a)


def _seed(x: np.ndarray, order: int) -> list[_Jet]:
    """The coordinate functions x_i as jets at x, of first or second order."""
    n = len(x)
    eye = np.eye(n)
    zero = np.zeros((n, n)) if order == 2 else None
    return [_Jet(float(x[i]), eye[i], zero) for i in range(n)]


def _lift(c: _Jet | float, n: int) -> _Jet:
    """A constant (an expression that does not depend on x) as a jet."""
    if isinstance(c, _Jet):
        return c
    return _Jet(float(c), np.zeros(n), np.zeros((n, n)))


# --------------------------------------------------------------------------------------
# the problem class


def _none(x: Sequence[Any]) -> tuple[()]:
    return ()


@dataclass(frozen=True, eq=False)
class ConstrainedProblem:
    """A Hock–Schittkowski problem: minimise f(x) subject to c_eq(x) = 0,
    c_ineq(x) ≥ 0 and lb ≤ x ≤ ub.

    Attributes
    ----------
    name : str
        ``"hsNNN"``, e.g. ``"hs071"``.
    number : int
        The problem's number in Hock and Schittkowski (1981).
    n : int
        Number of variables.
    x0 : ndarray
        The published starting point (not necessarily feasible).
    f_star : float
        The published optimal value.
    x_star : ndarray or None
        The published solution.
    reference : str
        Where the problem comes from.
    bounds : scipy.optimize.Bounds or None
        Simple bounds, ±inf where a side is unbounded; None if there are none.

    Notes
    -----
    ``objective``, ``equalities`` and ``inequalities`` are the defining expressions:
    functions of a sequence of variables returning a scalar or a tuple of scalars.
    They are evaluated on floats for values and on jets for exact derivatives.
    """

    name: str
    number: int
    n: int
    x0: np.ndarray
    f_star: float
    x_star: np.ndarray | None
    reference: str
    bounds: Bounds | None
    objective: Callable[..., Any] = field(repr=False)
    equalities: Callable[..., Sequence[Any]] = field(default=_none, repr=False)
    inequalities: Callable[..., Sequence[Any]] = field(default=_none, repr=False)

    # -- internal evaluation helpers --------------------------------------------------

    def _values(self, fn: Callable[..., Sequence[Any]], x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.array([float(c) for c in fn([float(t) for t in x])], dtype=float)

    def _jets(self, fn: Callable[..., Sequence[Any]], x: ArrayLike, order: int) -> list[_Jet]:
        return [_lift(c, self.n) for c in fn(_seed(np.asarray(x, dtype=float), order))]

    def _jac(self, fn: Callable[..., Sequence[Any]], x: ArrayLike) -> np.ndarray:
        jets = self._jets(fn, x, 1)
        if not jets:
            return np.zeros((0, self.n))
        return np.array([j.g for j in jets])

    def _hessp(self, fn: Callable[..., Sequence[Any]], x: ArrayLike, v: ArrayLike) -> np.ndarray:
        jets = self._jets(fn, x, 2)
        v = np.asarray(v, dtype=float)
        if v.shape != (len(jets),):
            raise ValueError(f"v must have shape ({len(jets)},), got {v.shape}")
        out = np.zeros((self.n, self.n))
        for vi, j in zip(v, jets, strict=False):
            out += vi * j.h
        return out

    # -- objective --------------------------------------------------------------------

    def fun(self, x: ArrayLike) -> float:
        """Objective value f(x)."""
        return float(self.objective([float(t) for t in np.asarray(x, dtype=float)]))

    def grad(self, x: ArrayLike) -> np.ndarray:
        """Gradient ∇f(x), shape (n,)."""
        return _lift(self.objective(_seed(np.asarray(x, dtype=float), 1)), self.n).g.copy()

    def hess(self, x: ArrayLike) -> np.ndarray:
        """Dense Hessian ∇²f(x), shape (n, n)."""
        h = _lift(self.objective(_seed(np.asarray(x, dtype=float), 2)), self.n).h
        assert h is not None  # a second-order seed gives second-order jets
        return h.copy()

    def hessp(self, x: ArrayLike, v: ArrayLike) -> np.ndarray:
        """Hessian-vector product ∇²f(x) v."""
        return self.hess(x) @ np.asarray(v, dtype=float)

    # -- constraints ------------------------------------------------------------------

    def eq(self, x: ArrayLike) -> np.ndarray:
        """Equality constraint values c_eq(x), shape (m_eq,); feasible where zero."""
        return self._values(self.equalities, x)

    def eq_jac(self, x: ArrayLike) -> np.ndarray:
        """Jacobian of c_eq, shape (m_eq, n)."""
        return self._jac(self.equalities, x)

    def eq_hessp(self, x: ArrayLike, v: ArrayLike) -> np.ndarray:
        """Σ v_i ∇²c_eq,i(x), shape (n, n)."""
        return self._hessp(self.equalities, x, v)

    def ineq(self, x: ArrayLike) -> np.ndarray:
        """Inequality constraint values c_ineq(x), shape (m_ineq,); feasible where ≥ 0."""
        return self._values(self.inequalities, x)

    def ineq_jac(self, x: ArrayLike) -> np.ndarray:
        """Jacobian of c_ineq, shape (m_ineq, n)."""
        return self._jac(self.inequalities, x)

    def ineq_hessp(self, x: ArrayLike, v: ArrayLike) -> np.ndarray:
        """Σ v_i ∇²c_ineq,i(x), shape (n, n)."""
        return self._hessp(self.inequalities, x, v)

    @property
    def m_eq(self) -> int:
        """Number of equality constraints."""
        return len(self.equalities(list(np.asarray(self.x0, dtype=float))))

    @property
    def m_ineq(self) -> int:
        """Number of inequality constraints."""
        return len(self.inequalities(list(np.asarray(self.x0, dtype=float))))

    def scipy_constraints(self) -> list[NonlinearConstraint]:
        """The constraints as scipy ``NonlinearConstraint`` objects (for ``trust-constr``).

        Returns
        -------
        list of scipy.optimize.NonlinearConstraint
            Equalities with lb = ub = 0, inequalities with lb = 0, ub = inf, each with
            exact ``jac`` and ``hess``; empty groups are left out.
        """
        out = []
        if self.m_eq:
            out.append(
                NonlinearConstraint(
                    self.eq,
                    np.zeros(self.m_eq),
                    np.zeros(self.m_eq),
                    jac=self.eq_jac,
                    hess=self.eq_hessp,
                )
            )
        if self.m_ineq:
            out.append(
                NonlinearConstraint(
                    self.ineq,
                    np.zeros(self.m_ineq),
                    np.full(self.m_ineq, np.inf),
                    jac=self.ineq_jac,
                    hess=self.ineq_hessp,
                )
            )
        return out


def _make(
    number: int,
    x0: ArrayLike,
    f_star: float,
    x_star: ArrayLike | None,
    objective: Callable[..., Any],
    equalities: Callable[..., Sequence[Any]] = _none,
    inequalities: Callable[..., Sequence[Any]] = _none,
    lb: ArrayLike | None = None,
    ub: ArrayLike | None = None,
    note: str = "",
) -> ConstrainedProblem:
    x0 = np.asarray(x0, dtype=float)
    n = x0.size
    bounds = None
    if lb is not None or ub is not None:
        lo = np.full(n, -np.inf) if lb is None else np.asarray(lb, dtype=float)
        hi = np.full(n, np.inf) if ub is None else np.asarray(ub, dtype=float)
        bounds = Bounds(lo, hi)
    ref = f"{_REFERENCE}, problem {number}" + (f"; {note}" if note else "")
    return ConstrainedProblem(
        name=f"hs{number:03d}",
        number=number,
        n=n,
        x0=x0,
        f_star=float(f_star),
        x_star=None if x_star is None else np.asarray(x_star, dtype=float),
        reference=ref,
        bounds=bounds,
        objective=objective,
        equalities=equalities,
        inequalities=inequalities,
    )


_INF = np.inf
_S2 = math.sqrt(2.0)


def _rosenbrock(x: Sequence[Any]) -> Any:
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


# --------------------------------------------------------------------------------------
# the problems


def hs001() -> ConstrainedProblem:
    """HS 1: Rosenbrock with the bound x₂ ≥ -1.5; f* = 0 at (1, 1)."""
    return _make(1, [-2, 1], 0.0, [1, 1], _rosenbrock, lb=[-_INF, -1.5])


def hs002() -> ConstrainedProblem:
    """HS 2: Rosenbrock with x₂ ≥ 1.5, active at the solution; f* = 0.0504261879."""
    a = math.sqrt(598 / 1200)
    x1 = 2 * a * math.cos(math.acos(1 / (400 * a**3)) / 3)
    return _make(
        2,
        [-2, 1],
        0.0504261879,
        [x1, 1.5],
        _rosenbrock,
        lb=[-_INF, 1.5],
        note="x*₁ = 2a cos(arccos(1/(400a³))/3), a = (598/1200)^½",
    )


def hs003() -> ConstrainedProblem:
    """HS 3: x₂ + 10⁻⁵(x₂ - x₁)² with x₂ ≥ 0; f* = 0 at (0, 0)."""
    return _make(3, [10, 1], 0.0, [0, 0], lambda x: x[1] + 1e-5 * (x[1] - x[0]) ** 2, lb=[-_INF, 0])


def hs004() -> ConstrainedProblem:
    """HS 4: (x₁ + 1)³/3 + x₂ with x₁ ≥ 1, x₂ ≥ 0; f* = 8/3 at (1, 0)."""
    return _make(4, [1.125, 0.125], 8 / 3, [1, 0], lambda x: (x[0] + 1) ** 3 / 3 + x[1], lb=[1, 0])


def hs005() -> ConstrainedProblem:
    """HS 5: sin(x₁ + x₂) + (x₁ - x₂)² - 1.5x₁ + 2.5x₂ + 1 in a box;
    f* = -√3/2 - π/3."""
    return _make(
        5,
        [0, 0],
        -math.sqrt(3) / 2 - math.pi / 3,
        [-math.pi / 3 + 0.5, -math.pi / 3 - 0.5],
        lambda x: _sin(x[0] + x[1]) + (x[0] - x[1]) ** 2 - 1.5 * x[0] + 2.5 * x[1] + 1,
        lb=[-1.5, -3],
        ub=[4, 3],
    )


def hs006() -> ConstrainedProblem:
    """HS 6: (1 - x₁)² subject to 10(x₂ - x₁²) = 0; f* = 0 at (1, 1)."""
    return _make(
        6,
        [-1.2, 1],
        0.0,
        [1, 1],
        lambda x: (1 - x[0]) ** 2,
        equalities=lambda x: (10 * (x[1] - x[0] ** 2),),
    )


def hs007() -> ConstrainedProblem:
    """HS 7: ln(1 + x₁²) - x₂ subject to (1 + x₁²)² + x₂² = 4; f* = -√3 at (0, √3)."""
    return _make(
        7,
        [2, 2],
        -math.sqrt(3),
        [0, math.sqrt(3)],
        lambda x: _log(1 + x[0] ** 2) - x[1],
        equalities=lambda x: ((1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4,),
    )


def hs009() -> ConstrainedProblem:
    """HS 9: sin(πx₁/12)cos(πx₂/16) subject to 4x₁ - 3x₂ = 0; f* = -1/2 at
    (12k - 3, 16k - 4), here k = 0."""
    return _make(
        9,
        [0, 0],
        -0.5,
        [-3, -4],
        lambda x: _sin(math.pi * x[0] / 12) * _cos(math.pi * x[1] / 16),
        equalities=lambda x: (4 * x[0] - 3 * x[1],),
    )


def hs010() -> ConstrainedProblem:
    """HS 10: x₁ - x₂ subject to -3x₁² + 2x₁x₂ - x₂² + 1 ≥ 0; f* = -1 at (0, 1)."""
    return _make(
        10,
        [-10, 10],
        -1.0,
        [0, 1],
        lambda x: x[0] - x[1],
        inequalities=lambda x: (-3 * x[0] ** 2 + 2 * x[0] * x[1] - x[1] ** 2 + 1,),
    )


def hs011() -> ConstrainedProblem:
    """HS 11: (x₁ - 5)² + x₂² - 25 subject to x₂ - x₁² ≥ 0; f* = -8.498464223 at
    x₁* = (a - 1/a)/√6, a = (7.5√6 + √338.5)^(1/3), x₂* = x₁*²."""
    a = (7.5 * math.sqrt(6) + math.sqrt(338.5)) ** (1 / 3)
    x1 = (a - 1 / a) / math.sqrt(6)
    return _make(
        11,
        [4.9, 0.1],
        -8.498464223,
        [x1, x1**2],
        lambda x: (x[0] - 5) ** 2 + x[1] ** 2 - 25,
        inequalities=lambda x: (-(x[0] ** 2) + x[1],),
    )


def hs012() -> ConstrainedProblem:
    """HS 12: x₁²/2 + x₂² - x₁x₂ - 7x₁ - 7x₂ subject to 25 - 4x₁² - x₂² ≥ 0;
    f* = -30 at (2, 3)."""
    return _make(
        12,
        [0, 0],
        -30.0,
        [2, 3],
        lambda x: 0.5 * x[0] ** 2 + x[1] ** 2 - x[0] * x[1] - 7 * x[0] - 7 * x[1],
        inequalities=lambda x: (25 - 4 * x[0] ** 2 - x[1] ** 2,),
    )


def hs013() -> ConstrainedProblem:
    """HS 13: (x₁ - 2)² + x₂² subject to (1 - x₁)³ - x₂ ≥ 0, x ≥ 0; f* = 1 at (1, 0),
    where the constraint qualification fails (no KKT multipliers)."""
    return _make(
        13,
        [-2, -2],
        1.0,
        [1, 0],
        lambda x: (x[0] - 2) ** 2 + x[1] ** 2,
        inequalities=lambda x: ((1 - x[0]) ** 3 - x[1],),
        lb=[0, 0],
    )


def hs014() -> ConstrainedProblem:
    """HS 14: (x₁ - 2)² + (x₂ - 1)² subject to x₁ - 2x₂ + 1 = 0 and
    1 - x₁²/4 - x₂² ≥ 0; f* = 9 - 23√7/8."""
    r7 = math.sqrt(7)
    return _make(
        14,
        [2, 2],
        9 - 23 * r7 / 8,
        [(r7 - 1) / 2, (r7 + 1) / 4],
        lambda x: (x[0] - 2) ** 2 + (x[1] - 1) ** 2,
        equalities=lambda x: (x[0] - 2 * x[1] + 1,),
        inequalities=lambda x: (-(x[0] ** 2) / 4 - x[1] ** 2 + 1,),
    )


def hs015() -> ConstrainedProblem:
    """HS 15: Rosenbrock subject to x₁x₂ ≥ 1, x₁ + x₂² ≥ 0, x₁ ≤ 1/2;
    f* = 306.5 at (0.5, 2)."""
    return _make(
        15,
        [-2, 1],
        306.5,
        [0.5, 2],
        _rosenbrock,
        inequalities=lambda x: (x[0] * x[1] - 1, x[0] + x[1] ** 2),
        ub=[0.5, _INF],
    )


def hs016() -> ConstrainedProblem:
    """HS 16: Rosenbrock subject to x₁ + x₂² ≥ 0, x₁² + x₂ ≥ 0, -1/2 ≤ x₁ ≤ 1/2,
    x₂ ≤ 1; f* = 0.25 at (0.5, 0.25)."""
    return _make(
        16,
        [-2, 1],
        0.25,
        [0.5, 0.25],
        _rosenbrock,
        inequalities=lambda x: (x[0] + x[1] ** 2, x[0] ** 2 + x[1]),
        lb=[-0.5, -_INF],
        ub=[0.5, 1],
    )


def hs017() -> ConstrainedProblem:
    """HS 17: Rosenbrock subject to x₂² - x₁ ≥ 0, x₁² - x₂ ≥ 0, -1/2 ≤ x₁ ≤ 1/2,
    x₂ ≤ 1; f* = 1 at (0, 0)."""
    return _make(
        17,
        [-2, 1],
        1.0,
        [0, 0],
        _rosenbrock,
        inequalities=lambda x: (x[1] ** 2 - x[0], x[0] ** 2 - x[1]),
        lb=[-0.5, -_INF],
        ub=[0.5, 1],
    )


def hs018() -> ConstrainedProblem:
    """HS 18: x₁²/100 + x₂² subject to x₁x₂ ≥ 25, x₁² + x₂² ≥ 25, 2 ≤ x₁ ≤ 50,
    0 ≤ x₂ ≤ 50; f* = 5 at (√250, √2.5)."""
    return _make(
        18,
        [2, 2],
        5.0,
        [math.sqrt(250), math.sqrt(2.5)],
        lambda x: 0.01 * x[0] ** 2 + x[1] ** 2,
        inequalities=lambda x: (x[0] * x[1] - 25, x[0] ** 2 + x[1] ** 2 - 25),
        lb=[2, 0],
        ub=[50, 50],
    )


def hs019() -> ConstrainedProblem:
    """HS 19: (x₁ - 10)³ + (x₂ - 20)³ subject to two circles and bounds;
    f* = -6961.81381."""
    x1 = 14.095
    x2 = 5 - math.sqrt(82.81 - (x1 - 6) ** 2)
    return _make(
        19,
        [20.1, 5.84],
        -6961.81381,
        [x1, x2],
        lambda x: (x[0] - 10) ** 3 + (x[1] - 20) ** 3,
        inequalities=lambda x: (
            (x[0] - 5) ** 2 + (x[1] - 5) ** 2 - 100,
            -((x[1] - 5) ** 2) - (x[0] - 6) ** 2 + 82.81,
        ),
        lb=[13, 0],
        ub=[100, 100],
        note="x* = (14.095, 5 - (82.81 - 8.095²)^½) = (14.095, 0.84296079)",
    )


def hs021() -> ConstrainedProblem:
    """HS 21: x₁²/100 + x₂² - 100 subject to 10x₁ - x₂ - 10 ≥ 0, 2 ≤ x₁ ≤ 50,
    -50 ≤ x₂ ≤ 50; f* = -99.96 at (2, 0)."""
    return _make(
        21,
        [-1, -1],
        -99.96,
        [2, 0],
        lambda x: 0.01 * x[0] ** 2 + x[1] ** 2 - 100,
        inequalities=lambda x: (10 * x[0] - x[1] - 10,),
        lb=[2, -50],
        ub=[50, 50],
    )


def hs022() -> ConstrainedProblem:
    """HS 22: (x₁ - 2)² + (x₂ - 1)² subject to 2 - x₁ - x₂ ≥ 0, x₂ - x₁² ≥ 0;
    f* = 1 at (1, 1)."""
    return _make(
        22,
        [2, 2],
        1.0,
        [1, 1],
        lambda x: (x[0] - 2) ** 2 + (x[1] - 1) ** 2,
        inequalities=lambda x: (-x[0] - x[1] + 2, -(x[0] ** 2) + x[1]),
    )


def hs026() -> ConstrainedProblem:
    """HS 26: (x₁ - x₂)² + (x₂ - x₃)⁴ subject to (1 + x₂²)x₁ + x₃⁴ - 3 = 0;
    f* = 0 at (1, 1, 1)."""
    return _make(
        26,
        [-2.6, 2, 2],
        0.0,
        [1, 1, 1],
        lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4,
        equalities=lambda x: ((1 + x[1] ** 2) * x[0] + x[2] ** 4 - 3,),
    )


def hs027() -> ConstrainedProblem:
    """HS 27: (x₁ - 1)²/100 + (x₂ - x₁²)² subject to x₁ + x₃² + 1 = 0;
    f* = 0.04 at (-1, 1, 0)."""
    return _make(
        27,
        [2, 2, 2],
        0.04,
        [-1, 1, 0],
        lambda x: 0.01 * (x[0] - 1) ** 2 + (x[1] - x[0] ** 2) ** 2,
        equalities=lambda x: (x[0] + x[2] ** 2 + 1,),
    )


def hs028() -> ConstrainedProblem:
    """HS 28: (x₁ + x₂)² + (x₂ + x₃)² subject to x₁ + 2x₂ + 3x₃ - 1 = 0;
    f* = 0 at (1/2, -1/2, 1/2)."""
    return _make(
        28,
        [-4, 1, 1],
        0.0,
        [0.5, -0.5, 0.5],
        lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2,
        equalities=lambda x: (x[0] + 2 * x[1] + 3 * x[2] - 1,),
    )


def hs029() -> ConstrainedProblem:
    """HS 29: -x₁x₂x₃ subject to 48 - x₁² - 2x₂² - 4x₃² ≥ 0; f* = -16√2 at
    (4, 2√2, 2)."""
    return _make(
        29,
        [1, 1, 1],
        -16 * _S2,
        [4, 2 * _S2, 2],
        lambda x: -x[0] * x[1] * x[2],
        inequalities=lambda x: (-(x[0] ** 2) - 2 * x[1] ** 2 - 4 * x[2] ** 2 + 48,),
    )


def hs032() -> ConstrainedProblem:
    """HS 32: (x₁ + 3x₂ + x₃)² + 4(x₁ - x₂)² subject to 1 - x₁ - x₂ - x₃ = 0,
    6x₂ + 4x₃ - x₁³ - 3 ≥ 0, x ≥ 0; f* = 1 at (0, 0, 1)."""
    return _make(
        32,
        [0.1, 0.7, 0.2],
        1.0,
        [0, 0, 1],
        lambda x: (x[0] + 3 * x[1] + x[2]) ** 2 + 4 * (x[0] - x[1]) ** 2,
        equalities=lambda x: (1 - x[0] - x[1] - x[2],),
        inequalities=lambda x: (6 * x[1] + 4 * x[2] - x[0] ** 3 - 3,),
        lb=[0, 0, 0],
    )


def hs035() -> ConstrainedProblem:
    """HS 35 (Beale): a convex quadratic subject to 3 - x₁ - x₂ - 2x₃ ≥ 0, x ≥ 0;
    f* = 1/9 at (4/3, 7/9, 4/9)."""
    return _make(
        35,
        [0.5, 0.5, 0.5],
        1 / 9,
        [4 / 3, 7 / 9, 4 / 9],
        lambda x: (
            9
            - 8 * x[0]
            - 6 * x[1]
            - 4 * x[2]
            + 2 * x[0] ** 2
            + 2 * x[1] ** 2
            + x[2] ** 2
            + 2 * x[0] * x[1]
            + 2 * x[0] * x[2]
        ),
        inequalities=lambda x: (3 - x[0] - x[1] - 2 * x[2],),
        lb=[0, 0, 0],
    )


def hs038() -> ConstrainedProblem:
    """HS 38 (Colville): the four-variable Wood function in the box -10 ≤ x ≤ 10;
    f* = 0 at (1, 1, 1, 1)."""
    return _make(
        38,
        [-3, -1, -3, -1],
        0.0,
        [1, 1, 1, 1],
        lambda x: (
            100 * (x[1] - x[0] ** 2) ** 2
            + (1 - x[0]) ** 2
            + 90 * (x[3] - x[2] ** 2) ** 2
            + (1 - x[2]) ** 2
            + 10.1 * ((x[1] - 1) ** 2 + (x[3] - 1) ** 2)
            + 19.8 * (x[1] - 1) * (x[3] - 1)
        ),
        lb=[-10] * 4,
        ub=[10] * 4,
    )


def hs039() -> ConstrainedProblem:
    """HS 39: -x₁ subject to x₂ - x₁³ - x₃² = 0, x₁² - x₂ - x₄² = 0;
    f* = -1 at (1, 1, 0, 0)."""
    return _make(
        39,
        [2, 2, 2, 2],
        -1.0,
        [1, 1, 0, 0],
        lambda x: -x[0],
        equalities=lambda x: (x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2),
    )


def hs040() -> ConstrainedProblem:
    """HS 40: -x₁x₂x₃x₄ subject to three equalities; f* = -1/4 at
    (2^(-1/3), 2^(-1/2), 2^(-11/12), 2^(-1/4))."""
    return _make(
        40,
        [0.8] * 4,
        -0.25,
        [2 ** (-1 / 3), 2 ** (-1 / 2), 2 ** (-11 / 12), 2 ** (-1 / 4)],
        lambda x: -x[0] * x[1] * x[2] * x[3],
        equalities=lambda x: (x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]),
    )


def hs041() -> ConstrainedProblem:
    """HS 41: 2 - x₁x₂x₃ subject to x₁ + 2x₂ + 2x₃ - x₄ = 0, 0 ≤ x₁,₂,₃ ≤ 1,
    0 ≤ x₄ ≤ 2; f* = 52/27 at (2/3, 1/3, 1/3, 2)."""
    return _make(
        41,
        [2, 2, 2, 2],
        52 / 27,
        [2 / 3, 1 / 3, 1 / 3, 2],
        lambda x: 2 - x[0] * x[1] * x[2],
        equalities=lambda x: (x[0] + 2 * x[1] + 2 * x[2] - x[3],),
        lb=[0, 0, 0, 0],
        ub=[1, 1, 1, 2],
    )


def hs042() -> ConstrainedProblem:
    """HS 42: Σ (xᵢ - i)² subject to x₁ - 2 = 0, x₃² + x₄² - 2 = 0;
    f* = 28 - 10√2 at (2, 2, 0.6√2, 0.8√2)."""
    return _make(
        42,
        [1, 1, 1, 1],
        28 - 10 * _S2,
        [2, 2, 0.6 * _S2, 0.8 * _S2],
        lambda x: (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + (x[2] - 3) ** 2 + (x[3] - 4) ** 2,
        equalities=lambda x: (x[0] - 2, x[2] ** 2 + x[3] ** 2 - 2),
    )


def hs043() -> ConstrainedProblem:
    """HS 43 (Rosen–Suzuki): a convex quadratic subject to three convex quadratic
    inequalities; f* = -44 at (0, 1, 2, -1)."""
    return _make(
        43,
        [0, 0, 0, 0],
        -44.0,
        [0, 1, 2, -1],
        lambda x: (
            x[0] ** 2
            + x[1] ** 2
            + 2 * x[2] ** 2
            + x[3] ** 2
            - 5 * x[0]
            - 5 * x[1]
            - 21 * x[2]
            + 7 * x[3]
        ),
        inequalities=lambda x: (
            8 - x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - x[3] ** 2 - x[0] + x[1] - x[2] + x[3],
            10 - x[0] ** 2 - 2 * x[1] ** 2 - x[2] ** 2 - 2 * x[3] ** 2 + x[0] + x[3],
            5 - 2 * x[0] ** 2 - x[1] ** 2 - x[2] ** 2 - 2 * x[0] + x[1] + x[3],
        ),
    )


def hs046() -> ConstrainedProblem:
    """HS 46: (x₁ - x₂)² + (x₃ - 1)² + (x₄ - 1)⁴ + (x₅ - 1)⁶ subject to
    x₁²x₄ + sin(x₄ - x₅) - 1 = 0, x₂ + x₃⁴x₄² - 2 = 0; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        46,
        [_S2 / 2, 1.75, 0.5, 2, 2],
        0.0,
        [1] * 5,
        lambda x: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
        equalities=lambda x: (
            x[0] ** 2 * x[3] + _sin(x[3] - x[4]) - 1,
            x[1] + x[2] ** 4 * x[3] ** 2 - 2,
        ),
    )


def hs047() -> ConstrainedProblem:
    """HS 47: (x₁ - x₂)² + (x₂ - x₃)³ + (x₃ - x₄)⁴ + (x₄ - x₅)⁴ subject to three
    equalities; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        47,
        [2, _S2, -1, 2 - _S2, 0.5],
        0.0,
        [1] * 5,
        lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 3 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4,
        equalities=lambda x: (
            x[0] + x[1] ** 2 + x[2] ** 3 - 3,
            x[1] - x[2] ** 2 + x[3] - 1,
            x[0] * x[4] - 1,
        ),
    )


def hs048() -> ConstrainedProblem:
    """HS 48: (x₁ - 1)² + (x₂ - x₃)² + (x₄ - x₅)² subject to Σxᵢ - 5 = 0,
    x₃ - 2(x₄ + x₅) + 3 = 0; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        48,
        [3, 5, -3, 2, -2],
        0.0,
        [1] * 5,
        lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
        equalities=lambda x: (x[0] + x[1] + x[2] + x[3] + x[4] - 5, x[2] - 2 * (x[3] + x[4]) + 3),
    )


def hs049() -> ConstrainedProblem:
    """HS 49: (x₁ - x₂)² + (x₃ - 1)² + (x₄ - 1)⁴ + (x₅ - 1)⁶ subject to two linear
    equalities; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        49,
        [10, 7, 2, -3, 0.8],
        0.0,
        [1] * 5,
        lambda x: (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
        equalities=lambda x: (x[0] + x[1] + x[2] + 4 * x[3] - 7, x[2] + 5 * x[4] - 6),
    )


def hs050() -> ConstrainedProblem:
    """HS 50: (x₁ - x₂)² + (x₂ - x₃)² + (x₃ - x₄)⁴ + (x₄ - x₅)² subject to three
    linear equalities; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        50,
        [35, -31, 11, 5, -5],
        0.0,
        [1] * 5,
        lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 2,
        equalities=lambda x: (
            x[0] + 2 * x[1] + 3 * x[2] - 6,
            x[1] + 2 * x[2] + 3 * x[3] - 6,
            x[2] + 2 * x[3] + 3 * x[4] - 6,
        ),
    )


def _hs51_objective(x: Sequence[Any]) -> Any:
    return (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2


def hs051() -> ConstrainedProblem:
    """HS 51: (x₁ - x₂)² + (x₂ + x₃ - 2)² + (x₄ - 1)² + (x₅ - 1)² subject to three
    linear equalities; f* = 0 at (1, 1, 1, 1, 1)."""
    return _make(
        51,
        [2.5, 0.5, 2, -1, 0.5],
        0.0,
        [1] * 5,
        _hs51_objective,
        equalities=lambda x: (x[0] + 3 * x[1] - 4, x[2] + x[3] - 2 * x[4], x[1] - x[4]),
    )


def _hs52_objective(x: Sequence[Any]) -> Any:
    return (4 * x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2


def _hs52_equalities(x: Sequence[Any]) -> Any:
    return (x[0] + 3 * x[1], x[2] + x[3] - 2 * x[4], x[1] - x[4])


def hs052() -> ConstrainedProblem:
    """HS 52: (4x₁ - x₂)² + (x₂ + x₃ - 2)² + (x₄ - 1)² + (x₅ - 1)² subject to three
    linear equalities; f* = 1859/349 at (-33, 11, 180, -158, 11)/349."""
    return _make(
        52,
        [2] * 5,
        1859 / 349,
        np.array([-33, 11, 180, -158, 11]) / 349,
        _hs52_objective,
        equalities=_hs52_equalities,
    )


def hs053() -> ConstrainedProblem:
    """HS 53: the objective of HS 51 with the constraints of HS 52 and the box
    -10 ≤ x ≤ 10; f* = 176/43 at (-33, 11, 27, -5, 11)/43."""
    return _make(
        53,
        [2] * 5,
        176 / 43,
        np.array([-33, 11, 27, -5, 11]) / 43,
        _hs51_objective,
        equalities=_hs52_equalities,
        lb=[-10] * 5,
        ub=[10] * 5,
    )


def hs060() -> ConstrainedProblem:
    """HS 60: (x₁ - 1)² + (x₁ - x₂)² + (x₂ - x₃)⁴ subject to
    x₁(1 + x₂²) + x₃⁴ - 4 - 3√2 = 0, -10 ≤ x ≤ 10; f* = 0.0325682002."""
    return _make(
        60,
        [2, 2, 2],
        0.0325682002,
        [1.104859024, 1.196674194, 1.535262257],
        lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 4,
        equalities=lambda x: (x[0] * (1 + x[1] ** 2) + x[2] ** 4 - 4 - 3 * _S2,),
        lb=[-10] * 3,
        ub=[10] * 3,
    )


def hs065() -> ConstrainedProblem:
    """HS 65: (x₁ - x₂)² + (x₁ + x₂ - 10)²/9 + (x₃ - 5)² subject to
    48 - Σxᵢ² ≥ 0 and bounds; f* = 0.9535288567 at x₁* = x₂* = 3.650461821 and
    x₃* = (48 - 2x₁*²)^½ = 4.620417404 (the constraint is active)."""
    x1 = 3.650461821
    return _make(
        65,
        [-5, 5, 0],
        0.9535288567,
        [x1, x1, math.sqrt(48 - 2 * x1**2)],
        lambda x: (x[0] - x[1]) ** 2 + (x[0] + x[1] - 10) ** 2 / 9 + (x[2] - 5) ** 2,
        inequalities=lambda x: (48 - x[0] ** 2 - x[1] ** 2 - x[2] ** 2,),
        lb=[-4.5, -4.5, -5],
        ub=[4.5, 4.5, 5],
        note="x*₃ recomputed from the active constraint",
    )


def hs071() -> ConstrainedProblem:
    """HS 71: x₁x₄(x₁ + x₂ + x₃) + x₃ subject to x₁x₂x₃x₄ - 25 ≥ 0,
    Σxᵢ² - 40 = 0, 1 ≤ x ≤ 5; f* = 17.0140173."""
    return _make(
        71,
        [1, 5, 5, 1],
        17.0140173,
        [1, 4.7429994, 3.8211503, 1.3794082],
        lambda x: x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2],
        equalities=lambda x: (x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 - 40,),
        inequalities=lambda x: (x[0] * x[1] * x[2] * x[3] - 25,),
        lb=[1] * 4,
        ub=[5] * 4,
    )


def hs076() -> ConstrainedProblem:
    """HS 76: a convex quadratic subject to three linear inequalities and x ≥ 0;
    f* = -4.681818181 (= -103/22) at (3/11, 23/11, 0, 6/11)."""
    return _make(
        76,
        [0.5] * 4,
        -4.681818181,
        [0.2727273, 2.090909, 0, 0.5454545],
        lambda x: (
            x[0] ** 2
            + 0.5 * x[1] ** 2
            + x[2] ** 2
            + 0.5 * x[3] ** 2
            - x[0] * x[2]
            + x[2] * x[3]
            - x[0]
            - 3 * x[1]
            + x[2]
            - x[3]
        ),
        inequalities=lambda x: (
            5 - x[0] - 2 * x[1] - x[2] - x[3],
            4 - 3 * x[0] - x[1] - 2 * x[2] + x[3],
            x[1] + 4 * x[2] - 1.5,
        ),
        lb=[0] * 4,
    )


def hs077() -> ConstrainedProblem:
    """HS 77: (x₁ - 1)² + (x₁ - x₂)² + (x₃ - 1)² + (x₄ - 1)⁴ + (x₅ - 1)⁶ subject to
    two nonlinear equalities; f* = 0.24150513 (x* refined, see ``reference``)."""
    return _make(
        77,
        [2] * 5,
        0.24150513,
        [1.1661721897, 1.1821113888, 1.3802570431, 1.5060362736, 0.6109201960],
        lambda x: (
            (x[0] - 1) ** 2
            + (x[0] - x[1]) ** 2
            + (x[2] - 1) ** 2
            + (x[3] - 1) ** 4
            + (x[4] - 1) ** 6
        ),
        equalities=lambda x: (
            x[0] ** 2 * x[3] + _sin(x[3] - x[4]) - 2 * _S2,
            x[1] + x[2] ** 4 * x[3] ** 2 - 8 - _S2,
        ),
        note="x* is published to seven digits, (1.166172, 1.182111, 1.380257, "
        "1.506036, 0.6109203), at which f is 1e-6 (relative) below f*; it is "
        "stored refined to ten digits, which round to the published ones "
        "but for x*5 (0.6109202)",
    )


def _hs78_equalities(x: Sequence[Any]) -> Any:
    return (
        x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 + x[4] ** 2 - 10,
        x[1] * x[2] - 5 * x[3] * x[4],
        x[0] ** 3 + x[1] ** 3 + 1,
    )


def hs078() -> ConstrainedProblem:
    """HS 78: x₁x₂x₃x₄x₅ subject to three nonlinear equalities; f* = -2.91970041."""
    return _make(
        78,
        [-2, 1.5, 2, -1, -1],
        -2.91970041,
        [-1.717142, 1.595708, 1.827248, -0.7636429, -0.7636435],
        lambda x: x[0] * x[1] * x[2] * x[3] * x[4],
        equalities=_hs78_equalities,
    )


def hs079() -> ConstrainedProblem:
    """HS 79: (x₁ - 1)² + (x₁ - x₂)² + (x₂ - x₃)² + (x₃ - x₄)⁴ + (x₄ - x₅)⁴ subject to
    three nonlinear equalities; f* = 0.0787768209."""
    return _make(
        79,
        [2] * 5,
        0.0787768209,
        [1.191127, 1.362603, 1.472818, 1.635017, 1.679081],
        lambda x: (
            (x[0] - 1) ** 2
            + (x[0] - x[1]) ** 2
            + (x[1] - x[2]) ** 2
            + (x[2] - x[3]) ** 4
            + (x[3] - x[4]) ** 4
        ),
        equalities=lambda x: (
            x[0] + x[1] ** 2 + x[2] ** 3 - 2 - 3 * _S2,
            x[1] - x[2] ** 2 + x[3] + 2 - 2 * _S2,
            x[0] * x[4] - 2,
        ),
    )


def hs080() -> ConstrainedProblem:
    """HS 80: exp(x₁x₂x₃x₄x₅) subject to the equalities of HS 78 and bounds;
    f* = 0.0539498478."""
    return _make(
        80,
        [-2, 2, 2, -1, -1],
        0.0539498478,
        [-1.717143, 1.595709, 1.827247, -0.7636413, -0.7636450],
        lambda x: _exp(x[0] * x[1] * x[2] * x[3] * x[4]),
        equalities=_hs78_equalities,
        lb=[-2.3, -2.3, -3.2, -3.2, -3.2],
        ub=[2.3, 2.3, 3.2, 3.2, 3.2],
    )


def hs100() -> ConstrainedProblem:
    """HS 100: a seven-variable polynomial subject to four nonlinear inequalities;
    f* = 680.6300573."""
    return _make(
        100,
        [1, 2, 0, 4, 0, 1, 1],
        680.6300573,
        [2.330499, 1.951372, -0.4775414, 4.365726, -0.6244870, 1.038131, 1.594227],
        lambda x: (
            (x[0] - 10) ** 2
            + 5 * (x[1] - 12) ** 2
            + x[2] ** 4
            + 3 * (x[3] - 11) ** 2
            + 10 * x[4] ** 6
            + 7 * x[5] ** 2
            + x[6] ** 4
            - 4 * x[5] * x[6]
            - 10 * x[5]
            - 8 * x[6]
        ),
        inequalities=lambda x: (
            127 - 2 * x[0] ** 2 - 3 * x[1] ** 4 - x[2] - 4 * x[3] ** 2 - 5 * x[4],
            282 - 7 * x[0] - 3 * x[1] - 10 * x[2] ** 2 - x[3] + x[4],
            196 - 23 * x[0] - x[1] ** 2 - 6 * x[5] ** 2 + 8 * x[6],
            -4 * x[0] ** 2 - x[1] ** 2 + 3 * x[0] * x[1] - 2 * x[2] ** 2 - 5 * x[5] + 11 * x[6],
        ),
    )


HS = {
    b.__name__: b
    for b in (
        hs001,
        hs002,
        hs003,
        hs004,
        hs005,
        hs006,
        hs007,
        hs009,
        hs010,
        hs011,
        hs012,
        hs013,
        hs014,
        hs015,
        hs016,
        hs017,
        hs018,
        hs019,
        hs021,
        hs022,
        hs026,
        hs027,
        hs028,
        hs029,
        hs032,
        hs035,
        hs038,
        hs039,
        hs040,
        hs041,
        hs042,
        hs043,
        hs046,
        hs047,
        hs048,
        hs049,
        hs050,
        hs051,
        hs052,
        hs053,
        hs060,
        hs065,
        hs071,
        hs076,
        hs077,
        hs078,
        hs079,
        hs080,
        hs100,
    )
}
"""Builders of the Hock–Schittkowski problems, by name, in HS order."""
