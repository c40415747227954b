"""The Moré–Garbow–Hillstrom unconstrained test problems.

J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing Unconstrained Optimization
Software", ACM Transactions on Mathematical Software 7(1), 1981, 17–41 (MGH below).

Each problem ``k`` of the paper is written as residuals ``f_1, ..., f_m`` with
``f(x) = sum_i f_i(x)^2``; here every builder returns a :class:`~._base.Problem`
holding the residual ``r``, its Jacobian ``J`` and the weighted residual Hessian
``S(x, w) = sum_i w_i hess(f_i)(x)``. Indices in the formulas of the docstrings are
1-based as in the paper; the code is 0-based.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ._base import Problem

__all__ = ["BUILDERS"]

_REF = (
    "J. J. Moré, B. S. Garbow, K. E. Hillstrom, Testing Unconstrained Optimization "
    "Software, ACM Trans. Math. Softw. 7(1), 1981, 17-41, problem {k}"
)


def _sparse(rows: ArrayLike, cols: ArrayLike, vals: ArrayLike, m: int, n: int) -> sp.csr_matrix:
    """A CSR matrix from coordinates: the banded problems (21, 22, 28, 30) keep J and the
    residual Hessians sparse, so that the same definition serves n = 10 and n = 10⁵."""
    return sp.csr_matrix((vals, (rows, cols)), shape=(m, n))


def _problem(
    name: str,
    number: int,
    x0: ArrayLike,
    m: int,
    res: Callable[[np.ndarray], np.ndarray],
    jac: Callable[[np.ndarray], Any],
    shess: Callable[[np.ndarray, np.ndarray], Any],
    f_star: float | None = None,
    x_star: np.ndarray | None = None,
    note: str = "",
) -> Problem:
    x0 = np.asarray(x0, dtype=float)
    ref = _REF.format(k=number) + (f"; {note}" if note else "")
    return Problem(
        name=name,
        number=number,
        n=x0.size,
        m=m,
        x0=x0,
        f_star=f_star,
        x_star=x_star,
        reference=ref,
        residual_fn=res,
        jacobian_fn=jac,
        weighted_hess_fn=shess,
    )


# ----------------------------------------------------------------------------- 1
def rosenbrock() -> Problem:
    """MGH problem 1, Rosenbrock: ``f1 = 10(x2 - x1^2)``, ``f2 = 1 - x1``; n = m = 2."""

    def res(x: np.ndarray) -> np.ndarray:
        return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])

    def jac(x: np.ndarray) -> np.ndarray:
        return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.array([[-20.0 * w[0], 0.0], [0.0, 0.0]])

    return _problem("rosenbrock", 1, [-1.2, 1.0], 2, res, jac, shess, 0.0, np.ones(2))


# ----------------------------------------------------------------------------- 2
def freudenstein_roth() -> Problem:
    """MGH problem 2, Freudenstein and Roth; n = m = 2.

    ``f1 = -13 + x1 + ((5 - x2) x2 - 2) x2``, ``f2 = -29 + x1 + ((x2 + 1) x2 - 14) x2``;
    ``f = 0`` at ``(5, 4)`` (a local minimum ``48.9842...`` also exists).
    """

    def res(x: np.ndarray) -> np.ndarray:
        a, b = x
        return np.array(
            [-13.0 + a + ((5.0 - b) * b - 2.0) * b, -29.0 + a + ((b + 1.0) * b - 14.0) * b]
        )

    def jac(x: np.ndarray) -> np.ndarray:
        b = x[1]
        return np.array([[1.0, 10.0 * b - 3.0 * b**2 - 2.0], [1.0, 3.0 * b**2 + 2.0 * b - 14.0]])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        b = x[1]
        return np.array([[0.0, 0.0], [0.0, w[0] * (10.0 - 6.0 * b) + w[1] * (6.0 * b + 2.0)]])

    return _problem(
        "freudenstein_roth", 2, [0.5, -2.0], 2, res, jac, shess, 0.0, np.array([5.0, 4.0])
    )


# ----------------------------------------------------------------------------- 3
def powell_badly_scaled() -> Problem:
    """MGH problem 3, Powell badly scaled: ``f1 = 1e4 x1 x2 - 1``,
    ``f2 = exp(-x1) + exp(-x2) - 1.0001``; ``f = 0`` at ``(1.098...e-5, 9.106...)``."""

    def res(x: np.ndarray) -> np.ndarray:
        return np.array([1e4 * x[0] * x[1] - 1.0, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])

    def jac(x: np.ndarray) -> np.ndarray:
        return np.array([[1e4 * x[1], 1e4 * x[0]], [-np.exp(-x[0]), -np.exp(-x[1])]])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.array([[w[1] * np.exp(-x[0]), 1e4 * w[0]], [1e4 * w[0], w[1] * np.exp(-x[1])]])

    return _problem("powell_badly_scaled", 3, [0.0, 1.0], 2, res, jac, shess, 0.0)


# ----------------------------------------------------------------------------- 4
def brown_badly_scaled() -> Problem:
    """MGH problem 4, Brown badly scaled: ``f1 = x1 - 1e6``, ``f2 = x2 - 2e-6``,
    ``f3 = x1 x2 - 2``; n = 2, m = 3; ``f = 0`` at ``(1e6, 2e-6)``."""

    def res(x: np.ndarray) -> np.ndarray:
        return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])

    def jac(x: np.ndarray) -> np.ndarray:
        return np.array([[1.0, 0.0], [0.0, 1.0], [x[1], x[0]]])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.array([[0.0, w[2]], [w[2], 0.0]])

    return _problem(
        "brown_badly_scaled", 4, [1.0, 1.0], 3, res, jac, shess, 0.0, np.array([1e6, 2e-6])
    )


# ----------------------------------------------------------------------------- 5
_BEALE_Y = np.array([1.5, 2.25, 2.625])


def beale() -> Problem:
    """MGH problem 5, Beale: ``f_i = y_i - x1 (1 - x2^i)``, ``y = (1.5, 2.25, 2.625)``;
    n = 2, m = 3; ``f = 0`` at ``(3, 0.5)``."""
    i = np.arange(1.0, 4.0)

    def res(x: np.ndarray) -> np.ndarray:
        return _BEALE_Y - x[0] * (1.0 - x[1] ** i)

    def jac(x: np.ndarray) -> np.ndarray:
        p = np.array([1.0, x[1], x[1] ** 2])  # x2^(i-1)
        return np.column_stack([-(1.0 - x[1] ** i), x[0] * i * p])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        p = np.array([1.0, x[1], x[1] ** 2])
        pp = np.array([0.0, 2.0, 6.0 * x[1]])  # i (i-1) x2^(i-2)
        off = w @ (i * p)
        return np.array([[0.0, off], [off, x[0] * (w @ pp)]])

    return _problem("beale", 5, [1.0, 1.0], 3, res, jac, shess, 0.0, np.array([3.0, 0.5]))


# ----------------------------------------------------------------------------- 6
def jennrich_sampson() -> Problem:
    """MGH problem 6, Jennrich and Sampson: ``f_i = 2 + 2i - (exp(i x1) + exp(i x2))``;
    n = 2, m = 10; ``f = 124.362...`` at ``x1 = x2 = 0.2578...``."""
    i = np.arange(1.0, 11.0)

    def res(x: np.ndarray) -> np.ndarray:
        return 2.0 + 2.0 * i - (np.exp(i * x[0]) + np.exp(i * x[1]))

    def jac(x: np.ndarray) -> np.ndarray:
        return np.column_stack([-i * np.exp(i * x[0]), -i * np.exp(i * x[1])])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag([-(w * i**2) @ np.exp(i * x[0]), -(w * i**2) @ np.exp(i * x[1])])

    return _problem("jennrich_sampson", 6, [0.3, 0.4], 10, res, jac, shess, 124.362)


# ----------------------------------------------------------------------------- 7
def helical_valley() -> Problem:
    """MGH problem 7, helical valley; n = m = 3.

    ``f1 = 10 (x3 - 10 theta(x1, x2))``, ``f2 = 10 (sqrt(x1^2 + x2^2) - 1)``, ``f3 = x3``,
    with ``2 pi theta = arctan(x2 / x1)`` for ``x1 > 0`` and ``arctan(x2 / x1) + pi`` for
    ``x1 < 0``; ``f = 0`` at ``(1, 0, 0)``.
    """
    tau = 2.0 * np.pi

    def theta(x: np.ndarray) -> float:
        t = np.arctan2(x[1], x[0]) / tau  # in (-1/2, 1/2]
        return t % 1.0 if x[0] < 0.0 else t  # x1 < 0: arctan(x2/x1)/(2 pi) + 1/2

    def res(x: np.ndarray) -> np.ndarray:
        rho = np.hypot(x[0], x[1])
        return np.array([10.0 * (x[2] - 10.0 * theta(x)), 10.0 * (rho - 1.0), x[2]])

    def jac(x: np.ndarray) -> np.ndarray:
        r2 = x[0] ** 2 + x[1] ** 2
        rho = np.sqrt(r2)
        return np.array(
            [
                [100.0 * x[1] / (tau * r2), -100.0 * x[0] / (tau * r2), 10.0],
                [10.0 * x[0] / rho, 10.0 * x[1] / rho, 0.0],
                [0.0, 0.0, 1.0],
            ]
        )

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        a, b = x[0], x[1]
        r2 = a * a + b * b
        rho = np.sqrt(r2)
        h_theta = np.array([[2.0 * a * b, b * b - a * a], [b * b - a * a, -2.0 * a * b]]) / (
            tau * r2 * r2
        )
        h_rho = np.eye(2) / rho - np.outer([a, b], [a, b]) / (rho * r2)
        out = np.zeros((3, 3))
        out[:2, :2] = -100.0 * w[0] * h_theta + 10.0 * w[1] * h_rho
        return out

    return _problem(
        "helical_valley", 7, [-1.0, 0.0, 0.0], 3, res, jac, shess, 0.0, np.array([1.0, 0.0, 0.0])
    )


# ----------------------------------------------------------------------------- 8
_BARD_Y = np.array(
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
)


def bard() -> Problem:
    """MGH problem 8, Bard: ``f_i = y_i - (x1 + u_i / (v_i x2 + w_i x3))`` with
    ``u_i = i``, ``v_i = 16 - i``, ``w_i = min(u_i, v_i)``; n = 3, m = 15;
    ``f = 8.21487...e-3`` (and ``17.4286...`` at ``(0.8406..., -inf, -inf)``)."""
    u = np.arange(1.0, 16.0)
    v = 16.0 - u
    wc = np.minimum(u, v)

    def res(x: np.ndarray) -> np.ndarray:
        return _BARD_Y - (x[0] + u / (v * x[1] + wc * x[2]))

    def jac(x: np.ndarray) -> np.ndarray:
        d2 = (v * x[1] + wc * x[2]) ** 2
        return np.column_stack([-np.ones(15), u * v / d2, u * wc / d2])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        d3 = (v * x[1] + wc * x[2]) ** 3
        c = -2.0 * w * u / d3
        out = np.zeros((3, 3))
        out[1, 1] = c @ (v * v)
        out[1, 2] = out[2, 1] = c @ (v * wc)
        out[2, 2] = c @ (wc * wc)
        return out

    return _problem("bard", 8, [1.0, 1.0, 1.0], 15, res, jac, shess, 8.21487e-3)


# ----------------------------------------------------------------------------- 9
_GAUSS_Y_HALF = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989])
_GAUSS_Y = np.concatenate([_GAUSS_Y_HALF, _GAUSS_Y_HALF[-2::-1]])


def gaussian() -> Problem:
    """MGH problem 9, Gaussian: ``f_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i``,
    ``t_i = (8 - i) / 2``; n = 3, m = 15; ``f = 1.12793...e-8``."""
    t = (8.0 - np.arange(1.0, 16.0)) / 2.0

    def res(x: np.ndarray) -> np.ndarray:
        return x[0] * np.exp(-x[1] * (t - x[2]) ** 2 / 2.0) - _GAUSS_Y

    def jac(x: np.ndarray) -> np.ndarray:
        s = t - x[2]
        e = np.exp(-x[1] * s**2 / 2.0)
        return np.column_stack([e, -x[0] * e * s**2 / 2.0, x[0] * e * x[1] * s])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        s = t - x[2]
        e = np.exp(-x[1] * s**2 / 2.0)
        g1, g2 = -(s**2) / 2.0, x[1] * s  # d/dx2, d/dx3 of the exponent
        we, wxe = w * e, w * x[0] * e
        out = np.zeros((3, 3))
        out[0, 1] = out[1, 0] = we @ g1
        out[0, 2] = out[2, 0] = we @ g2
        out[1, 1] = wxe @ (g1 * g1)
        out[1, 2] = out[2, 1] = wxe @ (g1 * g2 + s)
        out[2, 2] = wxe @ (g2 * g2 - x[1])
        return out

    return _problem("gaussian", 9, [0.4, 1.0, 0.0], 15, res, jac, shess, 1.12793e-8)


# ---------------------------------------------------------------------------- 10
_MEYER_Y = np.array(
    [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
     8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872],
    dtype=float,
)  # fmt: skip


def meyer() -> Problem:
    """MGH problem 10, Meyer: ``f_i = x1 exp(x2 / (t_i + x3)) - y_i``,
    ``t_i = 45 + 5 i``; n = 3, m = 16; ``f = 87.9458...``."""
    t = 45.0 + 5.0 * np.arange(1.0, 17.0)

    def res(x: np.ndarray) -> np.ndarray:
        return x[0] * np.exp(x[1] / (t + x[2])) - _MEYER_Y

    def jac(x: np.ndarray) -> np.ndarray:
        q = t + x[2]
        e = np.exp(x[1] / q)
        return np.column_stack([e, x[0] * e / q, -x[0] * e * x[1] / q**2])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        q = t + x[2]
        e = np.exp(x[1] / q)
        h1, h2 = 1.0 / q, -x[1] / q**2  # gradient of the exponent in (x2, x3)
        we, wxe = w * e, w * x[0] * e
        out = np.zeros((3, 3))
        out[0, 1] = out[1, 0] = we @ h1
        out[0, 2] = out[2, 0] = we @ h2
        out[1, 1] = wxe @ (h1 * h1)
        out[1, 2] = out[2, 1] = wxe @ (h1 * h2 - 1.0 / q**2)
        out[2, 2] = wxe @ (h2 * h2 + 2.0 * x[1] / q**3)
        return out

    return _problem("meyer", 10, [0.02, 4000.0, 250.0], 16, res, jac, shess, 87.9458)


# ---------------------------------------------------------------------------- 11
def gulf(m: int = 99) -> Problem:
    """MGH problem 11, Gulf research and development; n = 3, ``3 <= m <= 100``.

    ``f_i = exp(-|y_i - x2|^x3 / x1) - t_i`` with ``t_i = i / 100`` and
    ``y_i = 25 + (-50 log t_i)^(2/3)`` (the paper's typeset "m i" is a minus sign);
    ``f = 0`` at ``(50, 25, 1.5)``. ``m = 99`` is used here, so that ``y_i > 25`` and
    every residual is smooth at the solution.
    """
    t = np.arange(1.0, m + 1.0) / 100.0
    y = 25.0 + (-50.0 * np.log(t)) ** (2.0 / 3.0)

    def parts(x: np.ndarray) -> tuple[np.ndarray, ...]:
        d = y - x[1]
        a = np.abs(d)
        safe_a = np.where(a > 0.0, a, 1.0)
        safe_d = np.where(a > 0.0, d, 1.0)
        g = np.where(a > 0.0, safe_a ** x[2], 0.0) / x[0]  # |d|^x3 / x1
        log_a = np.log(safe_a)
        # gradient and Hessian of h = log g = x3 log|d| - log x1 (valid where a > 0)
        hg = np.column_stack([np.full_like(d, -1.0 / x[0]), -x[2] / safe_d, log_a])
        return g, hg, safe_d, a > 0.0

    def res(x: np.ndarray) -> np.ndarray:
        return np.exp(-parts(x)[0]) - t

    def jac(x: np.ndarray) -> np.ndarray:
        g, hg, _, ok = parts(x)
        grad_g = np.where(ok[:, None], g[:, None] * hg, 0.0)
        return -np.exp(-g)[:, None] * grad_g

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        g, hg, safe_d, ok = parts(x)
        hh = np.zeros((t.size, 3, 3))
        hh[:, 0, 0] = 1.0 / x[0] ** 2
        hh[:, 1, 1] = -x[2] / safe_d**2
        hh[:, 1, 2] = hh[:, 2, 1] = -1.0 / safe_d
        hess_g = g[:, None, None] * (hg[:, :, None] * hg[:, None, :] + hh)
        grad_g = g[:, None] * hg
        hess_r = np.exp(-g)[:, None, None] * (grad_g[:, :, None] * grad_g[:, None, :] - hess_g)
        hess_r = np.where(ok[:, None, None], hess_r, 0.0)
        return np.einsum("i,ijk->jk", w, hess_r)

    return _problem(
        "gulf",
        11,
        [5.0, 2.5, 0.15],
        m,
        res,
        jac,
        shess,
        0.0,
        np.array([50.0, 25.0, 1.5]),
        note=f"m = {m}",
    )


# ---------------------------------------------------------------------------- 12
def box_3d(m: int = 10) -> Problem:
    """MGH problem 12, Box three-dimensional; n = 3, m = 10.

    ``f_i = exp(-t_i x1) - exp(-t_i x2) - x3 (exp(-t_i) - exp(-10 t_i))``,
    ``t_i = 0.1 i``; ``f = 0`` at ``(1, 10, 1)`` (also ``(10, 1, -1)`` and
    ``x1 = x2, x3 = 0``).
    """
    t = 0.1 * np.arange(1.0, m + 1.0)
    c = np.exp(-t) - np.exp(-10.0 * t)

    def res(x: np.ndarray) -> np.ndarray:
        return np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * c

    def jac(x: np.ndarray) -> np.ndarray:
        return np.column_stack([-t * np.exp(-t * x[0]), t * np.exp(-t * x[1]), -c])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        wt2 = w * t * t
        return np.diag([wt2 @ np.exp(-t * x[0]), -(wt2 @ np.exp(-t * x[1])), 0.0])

    return _problem(
        "box_3d", 12, [0.0, 10.0, 20.0], m, res, jac, shess, 0.0, np.array([1.0, 10.0, 1.0])
    )


# ------------------------------------------------------------------------ 13, 22
_S5, _S10 = np.sqrt(5.0), np.sqrt(10.0)


def _powell_singular_pieces(n: int) -> tuple[Callable[..., Any], ...]:
    def res(x: np.ndarray) -> np.ndarray:
        a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
        r = np.empty(n)
        r[0::4] = a + 10.0 * b
        r[1::4] = _S5 * (c - d)
        r[2::4] = (b - 2.0 * c) ** 2
        r[3::4] = _S10 * (a - d) ** 2
        return r

    k = np.arange(0, n, 4)

    def jac(x: np.ndarray) -> sp.csr_matrix:
        a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
        p = 2.0 * (b - 2.0 * c)
        q = 2.0 * _S10 * (a - d)
        ones = np.ones(k.size)
        rows = np.concatenate([k, k, k + 1, k + 1, k + 2, k + 2, k + 3, k + 3])
        cols = np.concatenate([k, k + 1, k + 2, k + 3, k + 1, k + 2, k, k + 3])
        vals = np.concatenate([ones, 10.0 * ones, _S5 * ones, -_S5 * ones, p, -2.0 * p, q, -q])
        return _sparse(rows, cols, vals, n, n)

    def shess(x: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
        w2, w3 = 2.0 * w[2::4], 2.0 * _S10 * w[3::4]
        # (b - 2c)^2 has Hessian 2 [1 -2; -2 4] on (b, c); (a - d)^2 has 2 [1 -1; -1 1]
        rows = np.concatenate([k + 1, k + 1, k + 2, k + 2, k, k, k + 3, k + 3])
        cols = np.concatenate([k + 1, k + 2, k + 1, k + 2, k, k + 3, k, k + 3])
        vals = np.concatenate([w2, -2.0 * w2, -2.0 * w2, 4.0 * w2, w3, -w3, -w3, w3])
        return _sparse(rows, cols, vals, n, n)

    return res, jac, shess


def powell_singular() -> Problem:
    """MGH problem 13, Powell singular: ``f1 = x1 + 10 x2``, ``f2 = 5^(1/2) (x3 - x4)``,
    ``f3 = (x2 - 2 x3)^2``, ``f4 = 10^(1/2) (x1 - x4)^2``; n = m = 4; ``f = 0`` at 0."""
    res, jac, shess = _powell_singular_pieces(4)
    return _problem(
        "powell_singular", 13, [3.0, -1.0, 0.0, 1.0], 4, res, jac, shess, 0.0, np.zeros(4)
    )


def extended_powell(n: int = 12) -> Problem:
    """MGH problem 22, extended Powell singular: problem 13 repeated on each block of
    four variables; n = m a multiple of 4; ``x0 = (3, -1, 0, 1, ...)``; ``f = 0`` at 0."""
    res, jac, shess = _powell_singular_pieces(n)
    x0 = np.tile([3.0, -1.0, 0.0, 1.0], n // 4)
    return _problem("extended_powell", 22, x0, n, res, jac, shess, 0.0, np.zeros(n))


# ---------------------------------------------------------------------------- 14
def wood() -> Problem:
    """MGH problem 14, Wood; n = 4, m = 6: ``f1 = 10 (x2 - x1^2)``, ``f2 = 1 - x1``,
    ``f3 = 90^(1/2) (x4 - x3^2)``, ``f4 = 1 - x3``, ``f5 = 10^(1/2) (x2 + x4 - 2)``,
    ``f6 = 10^(-1/2) (x2 - x4)``; ``f = 0`` at ``(1, 1, 1, 1)``."""
    s90 = np.sqrt(90.0)

    def res(x: np.ndarray) -> np.ndarray:
        return np.array(
            [
                10.0 * (x[1] - x[0] ** 2),
                1.0 - x[0],
                s90 * (x[3] - x[2] ** 2),
                1.0 - x[2],
                _S10 * (x[1] + x[3] - 2.0),
                (x[1] - x[3]) / _S10,
            ]
        )

    def jac(x: np.ndarray) -> np.ndarray:
        j = np.zeros((6, 4))
        j[0, 0], j[0, 1] = -20.0 * x[0], 10.0
        j[1, 0] = -1.0
        j[2, 2], j[2, 3] = -2.0 * s90 * x[2], s90
        j[3, 2] = -1.0
        j[4, 1] = j[4, 3] = _S10
        j[5, 1], j[5, 3] = 1.0 / _S10, -1.0 / _S10
        return j

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag([-20.0 * w[0], 0.0, -2.0 * s90 * w[2], 0.0])

    return _problem("wood", 14, [-3.0, -1.0, -3.0, -1.0], 6, res, jac, shess, 0.0, np.ones(4))


# ---------------------------------------------------------------------------- 15
_KO_Y = np.array(
    [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
)
_KO_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def kowalik_osborne() -> Problem:
    """MGH problem 15, Kowalik and Osborne:
    ``f_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4)``; n = 4, m = 11;
    ``f = 3.07505...e-4`` (and ``1.02734...e-3`` at ``(+inf, -14.07..., -inf, -inf)``)."""
    u = _KO_U

    def res(x: np.ndarray) -> np.ndarray:
        return _KO_Y - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])

    def jac(x: np.ndarray) -> np.ndarray:
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        grad_model = np.column_stack(
            [num / den, x[0] * u / den, -x[0] * num * u / den**2, -x[0] * num / den**2]
        )
        return -grad_model

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        h = np.zeros((4, 4))
        h[0, 1] = w @ (u / den)
        h[0, 2] = w @ (-num * u / den**2)
        h[0, 3] = w @ (-num / den**2)
        h[1, 2] = w @ (-x[0] * u * u / den**2)
        h[1, 3] = w @ (-x[0] * u / den**2)
        h[2, 2] = w @ (2.0 * x[0] * num * u * u / den**3)
        h[2, 3] = w @ (2.0 * x[0] * num * u / den**3)
        h[3, 3] = w @ (2.0 * x[0] * num / den**3)
        h = h + np.triu(h, 1).T
        return -h  # residual = y - model

    return _problem(
        "kowalik_osborne", 15, [0.25, 0.39, 0.415, 0.39], 11, res, jac, shess, 3.07505e-4
    )


# ---------------------------------------------------------------------------- 16
def brown_dennis(m: int = 20) -> Problem:
    """MGH problem 16, Brown and Dennis; n = 4, m = 20:
    ``f_i = (x1 + t_i x2 - exp(t_i))^2 + (x3 + x4 sin(t_i) - cos(t_i))^2``, ``t_i = i / 5``;
    ``f = 85822.2...``."""
    t = np.arange(1.0, m + 1.0) / 5.0
    ga = np.column_stack([np.ones(m), t, np.zeros(m), np.zeros(m)])  # grad of the first term
    gb = np.column_stack([np.zeros(m), np.zeros(m), np.ones(m), np.sin(t)])

    def ab(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[0] + t * x[1] - np.exp(t), x[2] + x[3] * np.sin(t) - np.cos(t)

    def res(x: np.ndarray) -> np.ndarray:
        a, b = ab(x)
        return a * a + b * b

    def jac(x: np.ndarray) -> np.ndarray:
        a, b = ab(x)
        return 2.0 * (a[:, None] * ga + b[:, None] * gb)

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return 2.0 * (ga.T @ (w[:, None] * ga) + gb.T @ (w[:, None] * gb))

    return _problem("brown_dennis", 16, [25.0, 5.0, -5.0, -1.0], m, res, jac, shess, 85822.2)


# ---------------------------------------------------------------------------- 17
_OSB1_Y = np.array(
    [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751,
     0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490,
     0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]
)  # fmt: skip


def osborne1() -> Problem:
    """MGH problem 17, Osborne 1:
    ``f_i = y_i - (x1 + x2 exp(-t_i x4) + x3 exp(-t_i x5))``, ``t_i = 10 (i - 1)``;
    n = 5, m = 33; ``f = 5.46489...e-5``."""
    t = 10.0 * np.arange(33.0)

    def res(x: np.ndarray) -> np.ndarray:
        return _OSB1_Y - (x[0] + x[1] * np.exp(-t * x[3]) + x[2] * np.exp(-t * x[4]))

    def jac(x: np.ndarray) -> np.ndarray:
        e1, e2 = np.exp(-t * x[3]), np.exp(-t * x[4])
        return np.column_stack([-np.ones(33), -e1, -e2, t * x[1] * e1, t * x[2] * e2])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        e1, e2 = np.exp(-t * x[3]), np.exp(-t * x[4])
        h = np.zeros((5, 5))
        h[1, 3] = h[3, 1] = w @ (t * e1)
        h[2, 4] = h[4, 2] = w @ (t * e2)
        h[3, 3] = -x[1] * (w @ (t * t * e1))
        h[4, 4] = -x[2] * (w @ (t * t * e2))
        return h

    return _problem("osborne1", 17, [0.5, 1.5, -1.0, 0.01, 0.02], 33, res, jac, shess, 5.46489e-5)


# ---------------------------------------------------------------------------- 18
def biggs_exp6(m: int = 13) -> Problem:
    """MGH problem 18, Biggs EXP6; n = 6, m = 13:
    ``f_i = x3 exp(-t_i x1) - x4 exp(-t_i x2) + x6 exp(-t_i x5) - y_i``, ``t_i = 0.1 i``,
    ``y_i = exp(-t_i) - 5 exp(-10 t_i) + 3 exp(-4 t_i)``; ``f = 0`` at
    ``(1, 10, 1, 5, 4, 3)`` (a local minimum ``5.65565...e-3`` also exists for m = 13)."""
    t = 0.1 * np.arange(1.0, m + 1.0)
    y = np.exp(-t) - 5.0 * np.exp(-10.0 * t) + 3.0 * np.exp(-4.0 * t)

    def res(x: np.ndarray) -> np.ndarray:
        return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y

    def jac(x: np.ndarray) -> np.ndarray:
        e0, e1, e4 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
        return np.column_stack([-t * x[2] * e0, t * x[3] * e1, e0, -e1, -t * x[5] * e4, e4])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        e0, e1, e4 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
        h = np.zeros((6, 6))
        h[0, 0] = x[2] * (w @ (t * t * e0))
        h[0, 2] = h[2, 0] = -(w @ (t * e0))
        h[1, 1] = -x[3] * (w @ (t * t * e1))
        h[1, 3] = h[3, 1] = w @ (t * e1)
        h[4, 4] = x[5] * (w @ (t * t * e4))
        h[4, 5] = h[5, 4] = -(w @ (t * e4))
        return h

    return _problem(
        "biggs_exp6",
        18,
        [1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        m,
        res,
        jac,
        shess,
        0.0,
        np.array([1.0, 10.0, 1.0, 5.0, 4.0, 3.0]),
    )


# ---------------------------------------------------------------------------- 19
_OSB2_Y = np.array(
    [1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746,
     0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649,
     0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395,
     0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653,
     0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739,
     0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054]
)  # fmt: skip


def osborne2() -> Problem:
    """MGH problem 19, Osborne 2; n = 11, m = 65:
    ``f_i = y_i - (x1 exp(-t_i x5) + x2 exp(-(t_i - x9)^2 x6)
    + x3 exp(-(t_i - x10)^2 x7) + x4 exp(-(t_i - x11)^2 x8))``, ``t_i = (i - 1) / 10``;
    ``f = 4.01377...e-2``."""
    t = np.arange(65.0) / 10.0

    def res(x: np.ndarray) -> np.ndarray:
        model = x[0] * np.exp(-t * x[4])
        for k in range(1, 4):
            model = model + x[k] * np.exp(-((t - x[7 + k]) ** 2) * x[4 + k])
        return _OSB2_Y - model

    def jac(x: np.ndarray) -> np.ndarray:
        g = np.zeros((65, 11))  # gradient of the model
        e = np.exp(-t * x[4])
        g[:, 0] = e
        g[:, 4] = -t * x[0] * e
        for k in range(1, 4):
            s = t - x[7 + k]
            e = np.exp(-(s**2) * x[4 + k])
            g[:, k] = e
            g[:, 4 + k] = -(s**2) * x[k] * e
            g[:, 7 + k] = 2.0 * s * x[4 + k] * x[k] * e
        return -g

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        h = np.zeros((11, 11))  # weighted Hessian of the model
        e = np.exp(-t * x[4])
        h[0, 4] = h[4, 0] = -(w @ (t * e))
        h[4, 4] = x[0] * (w @ (t * t * e))
        for k in range(1, 4):
            a, b = 4 + k, 7 + k
            s = t - x[b]
            e = np.exp(-(s**2) * x[a])
            ga, gb = -(s**2), 2.0 * s * x[a]  # exponent gradient in (x_a, x_b)
            we, wce = w * e, w * x[k] * e
            h[k, a] = h[a, k] = we @ ga
            h[k, b] = h[b, k] = we @ gb
            h[a, a] = wce @ (ga * ga)
            h[a, b] = h[b, a] = wce @ (ga * gb + 2.0 * s)
            h[b, b] = wce @ (gb * gb - 2.0 * x[a])
        return -h

    x0 = [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5]
    return _problem("osborne2", 19, x0, 65, res, jac, shess, 4.01377e-2)


# ---------------------------------------------------------------------------- 20
_WATSON_F = {6: 2.28767e-3, 9: 1.39976e-6, 12: 4.72238e-10}


def watson(n: int = 9) -> Problem:
    """MGH problem 20, Watson; ``2 <= n <= 31``, m = 31.

    For ``i = 1..29`` with ``t_i = i / 29``:
    ``f_i = sum_{j=2}^n (j-1) x_j t_i^(j-2) - (sum_{j=1}^n x_j t_i^(j-1))^2 - 1``;
    ``f_30 = x1``, ``f_31 = x2 - x1^2 - 1``; ``x0 = 0``; ``f = 2.28767...e-3`` (n = 6),
    ``1.39976...e-6`` (n = 9), ``4.72238...e-10`` (n = 12).
    """
    t = np.arange(1.0, 30.0) / 29.0
    k = np.arange(n, dtype=float)
    p = t[:, None] ** k[None, :]  # t^(j-1)
    q = np.zeros((29, n))
    q[:, 1:] = k[1:] * t[:, None] ** (k[1:] - 1.0)  # (j-1) t^(j-2)

    def res(x: np.ndarray) -> np.ndarray:
        a = p @ x
        r = np.empty(31)
        r[:29] = q @ x - a * a - 1.0
        r[29] = x[0]
        r[30] = x[1] - x[0] ** 2 - 1.0
        return r

    def jac(x: np.ndarray) -> np.ndarray:
        a = p @ x
        j = np.zeros((31, n))
        j[:29] = q - 2.0 * a[:, None] * p
        j[29, 0] = 1.0
        j[30, 0], j[30, 1] = -2.0 * x[0], 1.0
        return j

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        h = -2.0 * (p.T @ (w[:29, None] * p))
        h[0, 0] -= 2.0 * w[30]
        return h

    return _problem("watson", 20, np.zeros(n), 31, res, jac, shess, _WATSON_F.get(n))


# ---------------------------------------------------------------------------- 21
def extended_rosenbrock(n: int = 10) -> Problem:
    """MGH problem 21, extended Rosenbrock; n = m even:
    ``f_{2i-1} = 10 (x_{2i} - x_{2i-1}^2)``, ``f_{2i} = 1 - x_{2i-1}``;
    ``x0 = (-1.2, 1, ...)``; ``f = 0`` at ``(1, ..., 1)``."""
    k = np.arange(0, n, 2)

    def res(x: np.ndarray) -> np.ndarray:
        r = np.empty(n)
        r[0::2] = 10.0 * (x[1::2] - x[0::2] ** 2)
        r[1::2] = 1.0 - x[0::2]
        return r

    def jac(x: np.ndarray) -> sp.csr_matrix:
        return _sparse(
            np.concatenate([k, k, k + 1]),
            np.concatenate([k, k + 1, k]),
            np.concatenate([-20.0 * x[0::2], np.full(k.size, 10.0), -np.ones(k.size)]),
            n,
            n,
        )

    def shess(x: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
        d = np.zeros(n)
        d[0::2] = -20.0 * w[0::2]
        return sp.diags(d, format="csr")

    x0 = np.tile([-1.2, 1.0], n // 2)
    return _problem("extended_rosenbrock", 21, x0, n, res, jac, shess, 0.0, np.ones(n))


# ---------------------------------------------------------------------------- 23
_PEN1_F = {4: 2.24997e-5, 10: 7.08765e-5}


def penalty1(n: int = 10) -> Problem:
    """MGH problem 23, penalty function I; m = n + 1:
    ``f_i = a^(1/2) (x_i - 1)`` for ``i <= n``, ``f_{n+1} = sum x_j^2 - 1/4``,
    ``a = 1e-5``; ``x0 = (1, 2, ..., n)``; ``f = 2.24997...e-5`` (n = 4),
    ``7.08765...e-5`` (n = 10)."""
    sa = np.sqrt(1e-5)

    def res(x: np.ndarray) -> np.ndarray:
        return np.append(sa * (x - 1.0), x @ x - 0.25)

    def jac(x: np.ndarray) -> np.ndarray:
        return np.vstack([sa * np.eye(n), 2.0 * x])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return 2.0 * w[n] * np.eye(n)

    return _problem("penalty1", 23, np.arange(1.0, n + 1.0), n + 1, res, jac, shess, _PEN1_F.get(n))


# ---------------------------------------------------------------------------- 24
_PEN2_F = {4: 9.37629e-6, 10: 2.93660e-4}


def penalty2(n: int = 10) -> Problem:
    """MGH problem 24, penalty function II; m = 2n, ``a = 1e-5``:
    ``f_1 = x1 - 0.2``;
    ``f_i = a^(1/2) (exp(x_i / 10) + exp(x_{i-1} / 10) - y_i)`` for ``2 <= i <= n``;
    ``f_i = a^(1/2) (exp(x_{i-n+1} / 10) - exp(-1/10))`` for ``n < i < 2n``;
    ``f_{2n} = sum_j (n - j + 1) x_j^2 - 1``; ``y_i = exp(i/10) + exp((i-1)/10)``;
    ``x0 = (1/2, ..., 1/2)``; ``f = 9.37629...e-6`` (n = 4), ``2.93660...e-4`` (n = 10)."""
    sa = np.sqrt(1e-5)
    i = np.arange(2.0, n + 1.0)
    y = np.exp(i / 10.0) + np.exp((i - 1.0) / 10.0)
    c = n - np.arange(n, dtype=float)  # n - j + 1
    rows_a = np.arange(1, n)  # residuals 2..n (0-based rows 1..n-1)
    rows_b = np.arange(n, 2 * n - 1)  # residuals n+1..2n-1, variable x_{i-n+1}

    def res(x: np.ndarray) -> np.ndarray:
        e = np.exp(x / 10.0)
        return np.concatenate(
            [[x[0] - 0.2], sa * (e[1:] + e[:-1] - y), sa * (e[1:] - np.exp(-0.1)), [c @ x**2 - 1.0]]
        )

    def jac(x: np.ndarray) -> np.ndarray:
        de = sa * np.exp(x / 10.0) / 10.0
        j = np.zeros((2 * n, n))
        j[0, 0] = 1.0
        j[rows_a, rows_a] = de[1:]
        j[rows_a, rows_a - 1] = de[:-1]
        j[rows_b, rows_b - n + 1] = de[1:]
        j[-1] = 2.0 * c * x
        return j

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        dde = sa * np.exp(x / 10.0) / 100.0
        d = 2.0 * w[-1] * c
        d[1:] += w[rows_a] * dde[1:] + w[rows_b] * dde[1:]
        d[:-1] += w[rows_a] * dde[:-1]
        return np.diag(d)

    return _problem("penalty2", 24, np.full(n, 0.5), 2 * n, res, jac, shess, _PEN2_F.get(n))


# ---------------------------------------------------------------------------- 25
def variably_dimensioned(n: int = 10) -> Problem:
    """MGH problem 25, variably dimensioned; m = n + 2:
    ``f_i = x_i - 1`` (i <= n), ``f_{n+1} = sum_j j (x_j - 1)``, ``f_{n+2} = f_{n+1}^2``;
    ``x0_j = 1 - j / n``; ``f = 0`` at ``(1, ..., 1)``."""
    jj = np.arange(1.0, n + 1.0)

    def res(x: np.ndarray) -> np.ndarray:
        s = jj @ (x - 1.0)
        return np.concatenate([x - 1.0, [s, s * s]])

    def jac(x: np.ndarray) -> np.ndarray:
        s = jj @ (x - 1.0)
        return np.vstack([np.eye(n), jj, 2.0 * s * jj])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return 2.0 * w[n + 1] * np.outer(jj, jj)

    return _problem(
        "variably_dimensioned", 25, 1.0 - jj / n, n + 2, res, jac, shess, 0.0, np.ones(n)
    )


# ---------------------------------------------------------------------------- 26
def trigonometric(n: int = 10) -> Problem:
    """MGH problem 26, trigonometric; m = n:
    ``f_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i``; ``x0 = (1/n, ..., 1/n)``;
    ``f = 0``."""
    i = np.arange(1.0, n + 1.0)

    def res(x: np.ndarray) -> np.ndarray:
        return n - np.cos(x).sum() + i * (1.0 - np.cos(x)) - np.sin(x)

    def jac(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.sin(x), (n, n)) + np.diag(i * np.sin(x) - np.cos(x))

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag(w.sum() * np.cos(x) + w * (i * np.cos(x) + np.sin(x)))

    return _problem("trigonometric", 26, np.full(n, 1.0 / n), n, res, jac, shess, 0.0)


# ---------------------------------------------------------------------------- 27
def brown_almost_linear(n: int = 10) -> Problem:
    """MGH problem 27, Brown almost-linear; m = n:
    ``f_i = x_i + sum_j x_j - (n + 1)`` (i < n), ``f_n = prod_j x_j - 1``;
    ``x0 = (1/2, ..., 1/2)``; ``f = 0`` at ``(1, ..., 1)`` (and at
    ``(alpha, ..., alpha, alpha^(1-n))``); ``f = 1`` at ``(0, ..., 0, n + 1)``."""

    def prod_without_one(x: np.ndarray) -> np.ndarray:
        """``q_k = prod_{j != k} x_j`` from exclusive prefix and suffix products."""
        before = np.concatenate([[1.0], np.cumprod(x[:-1])])
        after = np.concatenate([np.cumprod(x[:0:-1])[::-1], [1.0]])
        return before * after

    def prod_without_two(x: np.ndarray) -> np.ndarray:
        """``M_kl = prod_{j not in {k, l}} x_j`` for ``k != l``, zero diagonal."""
        zeros = np.flatnonzero(x == 0.0)
        out = np.zeros((n, n))
        if zeros.size == 0:
            out = np.prod(x) / np.outer(x, x)
        elif zeros.size == 1:
            z = zeros[0]
            rest = np.delete(x, z)  # all nonzero
            col = np.insert(np.prod(rest) / rest, z, 0.0)
            out[z, :] = col
            out[:, z] = col
        elif zeros.size == 2:
            z1, z2 = zeros
            out[z1, z2] = out[z2, z1] = np.prod(np.delete(x, zeros))
        np.fill_diagonal(out, 0.0)
        return out

    def res(x: np.ndarray) -> np.ndarray:
        return np.append(x[:-1] + x.sum() - (n + 1.0), np.prod(x) - 1.0)

    def jac(x: np.ndarray) -> np.ndarray:
        return np.vstack([np.eye(n)[:-1] + 1.0, prod_without_one(x)])

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return w[-1] * prod_without_two(x)

    return _problem("brown_almost_linear", 27, np.full(n, 0.5), n, res, jac, shess, 0.0, np.ones(n))


# ------------------------------------------------------------------------ 28, 29
def _grid(n: int) -> tuple[float, np.ndarray]:
    h = 1.0 / (n + 1.0)
    t = h * np.arange(1.0, n + 1.0)
    return h, t


def discrete_boundary_value(n: int = 10) -> Problem:
    """MGH problem 28, discrete boundary value; m = n, ``h = 1/(n+1)``, ``t_i = i h``:
    ``f_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2`` with
    ``x_0 = x_{n+1} = 0``; ``x0_j = t_j (t_j - 1)``; ``f = 0``."""
    h, t = _grid(n)

    def res(x: np.ndarray) -> np.ndarray:
        xp = np.concatenate([[0.0], x, [0.0]])
        return 2.0 * x - xp[:-2] - xp[2:] + h * h * (x + t + 1.0) ** 3 / 2.0

    def jac(x: np.ndarray) -> sp.csr_matrix:
        off = -np.ones(n - 1)
        return sp.diags(
            [off, 2.0 + 1.5 * h * h * (x + t + 1.0) ** 2, off], [-1, 0, 1], format="csr"
        )

    def shess(x: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
        return sp.diags(3.0 * h * h * w * (x + t + 1.0), format="csr")

    return _problem("discrete_boundary_value", 28, t * (t - 1.0), n, res, jac, shess, 0.0)


def discrete_integral_equation(n: int = 10) -> Problem:
    """MGH problem 29, discrete integral equation; m = n, ``h = 1/(n+1)``, ``t_i = i h``:
    ``f_i = x_i + h [(1 - t_i) sum_{j<=i} t_j (x_j + t_j + 1)^3
    + t_i sum_{j>i} (1 - t_j) (x_j + t_j + 1)^3] / 2``; ``x0_j = t_j (t_j - 1)``;
    ``f = 0``."""
    h, t = _grid(n)
    lower = np.tril(np.ones((n, n), dtype=bool))
    kernel = np.where(lower, np.outer(1.0 - t, t), np.outer(t, 1.0 - t))

    def res(x: np.ndarray) -> np.ndarray:
        return x + 0.5 * h * (kernel @ (x + t + 1.0) ** 3)

    def jac(x: np.ndarray) -> np.ndarray:
        return np.eye(n) + 0.5 * h * kernel * (3.0 * (x + t + 1.0) ** 2)[None, :]

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag(0.5 * h * (kernel.T @ w) * 6.0 * (x + t + 1.0))

    return _problem("discrete_integral_equation", 29, t * (t - 1.0), n, res, jac, shess, 0.0)


# ---------------------------------------------------------------------------- 30
def broyden_tridiagonal(n: int = 10) -> Problem:
    """MGH problem 30, Broyden tridiagonal; m = n:
    ``f_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1`` with ``x_0 = x_{n+1} = 0``;
    ``x0 = (-1, ..., -1)``; ``f = 0``."""

    def res(x: np.ndarray) -> np.ndarray:
        xp = np.concatenate([[0.0], x, [0.0]])
        return (3.0 - 2.0 * x) * x - xp[:-2] - 2.0 * xp[2:] + 1.0

    def jac(x: np.ndarray) -> sp.csr_matrix:
        return sp.diags(
            [-np.ones(n - 1), 3.0 - 4.0 * x, -2.0 * np.ones(n - 1)], [-1, 0, 1], format="csr"
        )

    def shess(x: np.ndarray, w: np.ndarray) -> sp.csr_matrix:
        return sp.diags(-4.0 * w, format="csr")

    return _problem("broyden_tridiagonal", 30, -np.ones(n), n, res, jac, shess, 0.0)


# ---------------------------------------------------------------------------- 31
def broyden_banded(n: int = 10) -> Problem:
    """MGH problem 31, Broyden banded; m = n, ``ml = 5``, ``mu = 1``:
    ``f_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j)`` with
    ``J_i = {j != i : max(1, i - ml) <= j <= min(n, i + mu)}``; ``x0 = (-1, ..., -1)``;
    ``f = 0``."""
    i = np.arange(n)
    diff = i[None, :] - i[:, None]  # j - i
    band = ((diff >= -5) & (diff <= 1) & (diff != 0)).astype(float)

    def res(x: np.ndarray) -> np.ndarray:
        return x * (2.0 + 5.0 * x * x) + 1.0 - band @ (x * (1.0 + x))

    def jac(x: np.ndarray) -> np.ndarray:
        return np.diag(2.0 + 15.0 * x * x) - band * (1.0 + 2.0 * x)[None, :]

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag(30.0 * w * x - 2.0 * (band.T @ w))

    return _problem("broyden_banded", 31, -np.ones(n), n, res, jac, shess, 0.0)


# ------------------------------------------------------------------- 32, 33, 34
def _linear(
    name: str,
    number: int,
    a: np.ndarray,
    b: np.ndarray,
    x0: ArrayLike,
    f_star: float,
    x_star: np.ndarray | None,
) -> Problem:
    def res(x: np.ndarray) -> np.ndarray:
        return a @ x - b

    def jac(x: np.ndarray) -> np.ndarray:
        return a.copy()

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.zeros((a.shape[1], a.shape[1]))

    return _problem(name, number, x0, a.shape[0], res, jac, shess, f_star, x_star,
                    note=f"m = {a.shape[0]}")  # fmt: skip


def linear_full_rank(n: int = 5) -> Problem:
    """MGH problem 32, linear function — full rank; m = 2n (m = 10 for the standard
    n = 5): ``f_i = x_i - (2/m) sum_j x_j - 1`` (i <= n), ``f_i = -(2/m) sum_j x_j - 1``
    (i > n); ``x0 = (1, ..., 1)``; ``f = m - n`` at ``(-1, ..., -1)``."""
    m = 2 * n
    a = -(2.0 / m) * np.ones((m, n))
    a[:n] += np.eye(n)
    return _linear("linear_full_rank", 32, a, np.ones(m), np.ones(n), float(m - n), -np.ones(n))


def linear_rank1(n: int = 5) -> Problem:
    """MGH problem 33, linear function — rank 1; m = 2n (m = 10 for n = 5):
    ``f_i = i (sum_j j x_j) - 1``; ``x0 = (1, ..., 1)``; ``f = m (m - 1) / (2 (2m + 1))``
    wherever ``sum_j j x_j = 3 / (2m + 1)``."""
    m = 2 * n
    a = np.outer(np.arange(1.0, m + 1.0), np.arange(1.0, n + 1.0))
    x_star = np.zeros(n)
    x_star[0] = 3.0 / (2.0 * m + 1.0)
    f_star = m * (m - 1.0) / (2.0 * (2.0 * m + 1.0))
    return _linear("linear_rank1", 33, a, np.ones(m), np.ones(n), f_star, x_star)


def linear_rank1_zero(n: int = 5) -> Problem:
    """MGH problem 34, linear function — rank 1 with zero columns and rows; ``n >= 3``,
    m = 2n (m = 10 for n = 5): ``f_1 = f_m = -1``,
    ``f_i = (i - 1) (sum_{j=2}^{n-1} j x_j) - 1`` for ``2 <= i <= m - 1``;
    ``x0 = (1, ..., 1)``; ``f = (m^2 + 3m - 6) / (2 (2m - 3))`` wherever
    ``sum_{j=2}^{n-1} j x_j = 3 / (2m - 3)``."""
    m = 2 * n
    coeff = np.arange(1.0, n + 1.0)
    coeff[0] = coeff[-1] = 0.0
    rows = np.arange(m) * 1.0  # i - 1
    rows[-1] = 0.0
    a = np.outer(rows, coeff)
    x_star = np.zeros(n)
    x_star[1] = 3.0 / (2.0 * (2.0 * m - 3.0))
    f_star = (m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0))
    return _linear("linear_rank1_zero", 34, a, np.ones(m), np.ones(n), f_star, x_star)


# ---------------------------------------------------------------------------- 35
_CHEBYQUAD_F = {8: 3.51687e-3, 10: 6.50395e-3}


def chebyquad(n: int = 8) -> Problem:
    """MGH problem 35, Chebyquad; m = n:
    ``f_i = (1/n) sum_j T_i(x_j) - int_0^1 T_i``, ``T_i`` the Chebyshev polynomial
    shifted to ``[0, 1]`` (integral ``0`` for odd ``i``, ``-1 / (i^2 - 1)`` for even
    ``i``); ``x0_j = j / (n + 1)``; ``f = 0`` for ``n <= 7`` and ``n = 9``,
    ``3.51687...e-3`` (n = 8), ``6.50395...e-3`` (n = 10)."""
    m = n
    i = np.arange(1, m + 1)
    integral = np.zeros(m)
    integral[1::2] = -1.0 / (i[1::2] ** 2 - 1.0)  # even i

    def cheb(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Values, first and second derivatives (in y = 2x - 1) of T_1..T_m at x."""
        y = 2.0 * x - 1.0
        val, d1, d2 = np.zeros((m, n)), np.zeros((m, n)), np.zeros((m, n))
        tp, t = np.ones(n), y.copy()
        dp, d = np.zeros(n), np.ones(n)
        ddp, dd = np.zeros(n), np.zeros(n)
        for k in range(m):
            val[k], d1[k], d2[k] = t, d, dd
            t_next = 2.0 * y * t - tp
            d_next = 2.0 * t + 2.0 * y * d - dp
            dd_next = 4.0 * d + 2.0 * y * dd - ddp
            tp, t, dp, d, ddp, dd = t, t_next, d, d_next, dd, dd_next
        return val, d1, d2

    def res(x: np.ndarray) -> np.ndarray:
        return cheb(x)[0].mean(axis=1) - integral

    def jac(x: np.ndarray) -> np.ndarray:
        return 2.0 * cheb(x)[1] / n

    def shess(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.diag(4.0 * (w @ cheb(x)[2]) / n)

    x0 = np.arange(1.0, n + 1.0) / (n + 1.0)
    f_star = 0.0 if (n <= 7 or n == 9) else _CHEBYQUAD_F.get(n)
    return _problem("chebyquad", 35, x0, m, res, jac, shess, f_star)


# ------------------------------------------------------------------- registry
# name -> (builder, default n or None for fixed dimension, (validity test for n, text))
_ANY_N = (lambda n: n >= 1, "n >= 1")
_EVEN_N = (lambda n: n >= 2 and n % 2 == 0, "n even and >= 2")
_FOUR_N = (lambda n: n >= 4 and n % 4 == 0, "n a positive multiple of 4")

# name: (builder, default n or None for a fixed dimension, (validity test of n, its text))
BUILDERS: dict[
    str, tuple[Callable[..., Problem], int | None, tuple[Callable[[int], bool], str] | None]
] = {
    "rosenbrock": (rosenbrock, None, None),
    "freudenstein_roth": (freudenstein_roth, None, None),
    "powell_badly_scaled": (powell_badly_scaled, None, None),
    "brown_badly_scaled": (brown_badly_scaled, None, None),
    "beale": (beale, None, None),
    "jennrich_sampson": (jennrich_sampson, None, None),
    "helical_valley": (helical_valley, None, None),
    "bard": (bard, None, None),
    "gaussian": (gaussian, None, None),
    "meyer": (meyer, None, None),
    "gulf": (gulf, None, None),
    "box_3d": (box_3d, None, None),
    "powell_singular": (powell_singular, None, None),
    "wood": (wood, None, None),
    "kowalik_osborne": (kowalik_osborne, None, None),
    "brown_dennis": (brown_dennis, None, None),
    "osborne1": (osborne1, None, None),
    "biggs_exp6": (biggs_exp6, None, None),
    "osborne2": (osborne2, None, None),
    "watson": (watson, 9, (lambda n: 2 <= n <= 31, "2 <= n <= 31")),
    "extended_rosenbrock": (extended_rosenbrock, 10, _EVEN_N),
    "extended_powell": (extended_powell, 12, _FOUR_N),
    "penalty1": (penalty1, 10, _ANY_N),
    "penalty2": (penalty2, 10, _ANY_N),
    "variably_dimensioned": (variably_dimensioned, 10, _ANY_N),
    "trigonometric": (trigonometric, 10, _ANY_N),
    "brown_almost_linear": (brown_almost_linear, 10, _ANY_N),
    "discrete_boundary_value": (discrete_boundary_value, 10, _ANY_N),
    "discrete_integral_equation": (discrete_integral_equation, 10, _ANY_N),
    "broyden_tridiagonal": (broyden_tridiagonal, 10, _ANY_N),
    "broyden_banded": (broyden_banded, 10, _ANY_N),
    "linear_full_rank": (linear_full_rank, 5, _ANY_N),
    "linear_rank1": (linear_rank1, 5, _ANY_N),
    "linear_rank1_zero": (linear_rank1_zero, 5, (lambda n: n >= 3, "n >= 3")),
    "chebyquad": (chebyquad, 8, _ANY_N),
}
