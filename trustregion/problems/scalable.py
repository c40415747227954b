"""Scalable unconstrained problems from the CUTEst collection (Gould, Orban & Toint 2015),
usable at n = 10³ to 10⁵, with their standard starting points.

Each is a sum of terms coupling a few variables, so f, ∇f and ∇²f·v cost O(n) and ∇²f is
a sparse (banded or arrowhead) matrix. Together with the banded Moré–Garbow–Hillstrom
problems (extended Rosenbrock, extended Powell singular, discrete boundary value, Broyden
tridiagonal), which are written sparsely in :mod:`.mgh`, they form the "cutest" suite.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike


@dataclass(frozen=True, eq=False)
class ScalableProblem:
    """An unconstrained problem of any dimension n, with exact derivatives.

    Attributes: ``name``, ``n``, ``x0`` (standard start), ``f_star`` (the minimal value, or
    None where it depends on n and is not published), ``x_star`` (a minimiser where known),
    ``reference``; methods ``fun``, ``grad``, ``hessp`` and ``hess`` (a scipy sparse matrix),
    the same protocol as the Moré–Garbow–Hillstrom problems.
    """

    name: str
    n: int
    x0: np.ndarray
    f_star: float | None
    x_star: np.ndarray | None
    reference: str
    objective: Callable[[np.ndarray], float] = field(repr=False)
    gradient: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    hessian: Callable[[np.ndarray], Any] = field(repr=False)

    def fun(self, x: ArrayLike) -> float:
        return float(self.objective(np.asarray(x, dtype=float)))

    def grad(self, x: ArrayLike) -> np.ndarray:
        return self.gradient(np.asarray(x, dtype=float))

    def hess(self, x: ArrayLike) -> sp.csr_matrix:
        return self.hessian(np.asarray(x, dtype=float))

    def hessp(self, x: ArrayLike, v: ArrayLike) -> np.ndarray:
        return self.hess(x) @ np.asarray(v, dtype=float)


def _tridiagonal(
    lower: np.ndarray, main: np.ndarray, upper: np.ndarray | None = None
) -> sp.csr_matrix:
    """A symmetric (or, with ``upper``, general) tridiagonal CSR matrix."""
    upper = lower if upper is None else upper
    return sp.diags([lower, main, upper], [-1, 0, 1], format="csr")


# ---- CUTEst-style sums --------------------------------------------------------------------


def generalized_rosenbrock(n: int = 1000) -> ScalableProblem:
    """GENROSE: f = 1 + Σᵢ₌₂ⁿ 100(xᵢ - xᵢ₋₁²)² + (xᵢ - 1)²; f* = 1 at x = 1;
    x⁰ᵢ = i/(n+1) (CUTEst)."""

    def fun(x: np.ndarray) -> float:
        u, v = x[:-1], x[1:]
        return 1.0 + np.sum(100.0 * (v - u * u) ** 2 + (v - 1.0) ** 2)

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[:-1], x[1:]
        w = v - u * u
        g = np.zeros_like(x)
        g[1:] += 200.0 * w + 2.0 * (v - 1.0)
        g[:-1] += -400.0 * u * w
        return g

    def hess(x: np.ndarray) -> sp.csr_matrix:
        u, v = x[:-1], x[1:]
        main = np.zeros_like(x)
        main[1:] += 202.0
        main[:-1] += 1200.0 * u * u - 400.0 * v
        return _tridiagonal(-400.0 * u, main)

    return ScalableProblem(
        "generalized_rosenbrock",
        n,
        np.arange(1, n + 1) / (n + 1),
        1.0,
        np.ones(n),
        "CUTEst GENROSE",
        fun,
        grad,
        hess,
    )


def arwhead(n: int = 1000) -> ScalableProblem:
    """ARWHEAD: f = Σᵢ₌₁ⁿ⁻¹ (xᵢ² + xₙ²)² - 4xᵢ + 3, an arrowhead Hessian; f* = 0 at
    x = (1, …, 1, 0); x⁰ = 1 (CUTEst)."""

    def fun(x: np.ndarray) -> float:
        s = x[:-1] ** 2 + x[-1] ** 2
        return np.sum(s * s - 4.0 * x[:-1] + 3.0)

    def grad(x: np.ndarray) -> np.ndarray:
        s = x[:-1] ** 2 + x[-1] ** 2
        g = np.empty_like(x)
        g[:-1] = 4.0 * s * x[:-1] - 4.0
        g[-1] = np.sum(4.0 * s * x[-1])
        return g

    def hess(x: np.ndarray) -> sp.csr_matrix:
        u, z = x[:-1], x[-1]
        s = u * u + z * z
        diag = np.empty_like(x)
        diag[:-1] = 4.0 * s + 8.0 * u * u
        diag[-1] = np.sum(4.0 * s + 8.0 * z * z)
        last = 8.0 * u * z
        rows = np.concatenate([np.arange(n), np.arange(n - 1), np.full(n - 1, n - 1)])
        cols = np.concatenate([np.arange(n), np.full(n - 1, n - 1), np.arange(n - 1)])
        return sp.csr_matrix((np.concatenate([diag, last, last]), (rows, cols)), shape=(n, n))

    x_star = np.ones(n)
    x_star[-1] = 0.0
    return ScalableProblem("arwhead", n, np.ones(n), 0.0, x_star, "CUTEst ARWHEAD", fun, grad, hess)


def tridia(n: int = 1000) -> ScalableProblem:
    """TRIDIA: f = (x₁ - 1)² + Σᵢ₌₂ⁿ i(2xᵢ - xᵢ₋₁)², a convex quadratic; f* = 0 at
    xᵢ = 2^(1-i); x⁰ = 1 (CUTEst, α = 2, β = 1, γ = 1, δ = 1)."""
    i = np.arange(2, n + 1, dtype=float)

    def fun(x: np.ndarray) -> float:
        return (x[0] - 1.0) ** 2 + np.sum(i * (2.0 * x[1:] - x[:-1]) ** 2)

    def grad(x: np.ndarray) -> np.ndarray:
        r = 2.0 * i * (2.0 * x[1:] - x[:-1])
        g = np.zeros_like(x)
        g[0] = 2.0 * (x[0] - 1.0)
        g[1:] += 2.0 * r
        g[:-1] -= r
        return g

    def hess(x: np.ndarray) -> sp.csr_matrix:
        main = np.zeros(n)
        main[0] = 2.0
        main[1:] += 8.0 * i
        main[:-1] += 2.0 * i
        return _tridiagonal(-4.0 * i, main)

    return ScalableProblem(
        "tridia", n, np.ones(n), 0.0, 2.0 ** -np.arange(n), "CUTEst TRIDIA", fun, grad, hess
    )


def dqdrtic(n: int = 1000) -> ScalableProblem:
    """DQDRTIC: f = Σᵢ₌₁ⁿ⁻² xᵢ² + 100xᵢ₊₁² + 100xᵢ₊₂²; f* = 0 at 0; x⁰ = 3 (CUTEst)."""
    weights = np.zeros(n)
    weights[:-2] += 1.0
    weights[1:-1] += 100.0
    weights[2:] += 100.0
    return ScalableProblem(
        "dqdrtic",
        n,
        np.full(n, 3.0),
        0.0,
        np.zeros(n),
        "CUTEst DQDRTIC",
        lambda x: np.sum(weights * x * x),
        lambda x: 2.0 * weights * x,
        lambda x: sp.diags(2.0 * weights, format="csr"),
    )


def liarwhd(n: int = 1000) -> ScalableProblem:
    """LIARWHD: f = Σ 4(xᵢ² - x₁)² + (xᵢ - 1)²; f* = 0 at x = 1; x⁰ = 4 (CUTEst)."""

    def fun(x: np.ndarray) -> float:
        return np.sum(4.0 * (x * x - x[0]) ** 2 + (x - 1.0) ** 2)

    def grad(x: np.ndarray) -> np.ndarray:
        w = x * x - x[0]
        g = 16.0 * w * x + 2.0 * (x - 1.0)
        g[0] -= np.sum(8.0 * w)
        return g

    def hess(x: np.ndarray) -> sp.csr_matrix:
        w = x * x - x[0]
        diag = 16.0 * w + 32.0 * x * x + 2.0
        # x₁ is the subtracted variable of every term (8 each, n terms) and, in the first
        # term, also the squared one, whose cross derivative adds 2·(-16x₁).
        diag[0] += 8.0 * n - 32.0 * x[0]
        cross = -16.0 * x[1:]  # ∂²/∂xᵢ∂x₁ of 4(xᵢ² - x₁)², i ≥ 2
        others = np.arange(1, n)
        rows = np.concatenate([np.arange(n), np.zeros(n - 1, dtype=int), others])
        cols = np.concatenate([np.arange(n), others, np.zeros(n - 1, dtype=int)])
        return sp.csr_matrix((np.concatenate([diag, cross, cross]), (rows, cols)), shape=(n, n))

    return ScalableProblem(
        "liarwhd", n, np.full(n, 4.0), 0.0, np.ones(n), "CUTEst LIARWHD", fun, grad, hess
    )


def quartc(n: int = 1000) -> ScalableProblem:
    """QUARTC: f = Σ (xᵢ - i)⁴; f* = 0 at xᵢ = i, where the Hessian vanishes; x⁰ = 2
    (CUTEst)."""
    i = np.arange(1, n + 1, dtype=float)
    return ScalableProblem(
        "quartc",
        n,
        np.full(n, 2.0),
        0.0,
        i.copy(),
        "CUTEst QUARTC",
        lambda x: np.sum((x - i) ** 4),
        lambda x: 4.0 * (x - i) ** 3,
        lambda x: sp.diags(12.0 * (x - i) ** 2, format="csr"),
    )


def engval1(n: int = 1000) -> ScalableProblem:
    """ENGVAL1: f = Σᵢ₌₁ⁿ⁻¹ (xᵢ² + xᵢ₊₁²)² - 4xᵢ + 3; x⁰ = 2 (CUTEst). f* depends on n."""

    def fun(x: np.ndarray) -> float:
        s = x[:-1] ** 2 + x[1:] ** 2
        return np.sum(s * s - 4.0 * x[:-1] + 3.0)

    def grad(x: np.ndarray) -> np.ndarray:
        s = x[:-1] ** 2 + x[1:] ** 2
        g = np.zeros_like(x)
        g[:-1] += 4.0 * s * x[:-1] - 4.0
        g[1:] += 4.0 * s * x[1:]
        return g

    def hess(x: np.ndarray) -> sp.csr_matrix:
        u, v = x[:-1], x[1:]
        s = u * u + v * v
        main = np.zeros_like(x)
        main[:-1] += 4.0 * s + 8.0 * u * u
        main[1:] += 4.0 * s + 8.0 * v * v
        return _tridiagonal(8.0 * u * v, main)

    return ScalableProblem(
        "engval1", n, np.full(n, 2.0), None, None, "CUTEst ENGVAL1", fun, grad, hess
    )


CUTEST = {
    f.__name__: f
    for f in (generalized_rosenbrock, arwhead, tridia, dqdrtic, liarwhd, quartc, engval1)
}
