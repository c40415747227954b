"""Independent numpy/scipy reference solutions for trust-region subproblems.

Nothing in this module imports ``trustregion``: it is the yardstick the library
is measured against.

The subproblem is

    minimise   m(s) = g^T s + 1/2 s^T B s      subject to   ||s||_M = sqrt(s^T M s) <= radius

with B symmetric (possibly indefinite or singular) and M symmetric positive
definite (``None`` means the identity, a 1-D array means ``diag(M)``).

Method used by :func:`global_tr_minimum`
----------------------------------------
With the Cholesky factorisation M = L L^T and y = L^T s the problem becomes the
Euclidean one  min gt^T y + 1/2 y^T Bt y, ||y|| <= radius,  where
gt = L^{-1} g and Bt = L^{-1} B L^{-T}.  With the eigendecomposition
Bt = Q diag(w) Q^T (w ascending) and gamma = Q^T gt the global solution is
(Moré & Sorensen 1983; Conn, Gould & Toint 2000, ch. 7)

    y(lam) = -(diag(w) + lam I)^{-1} gamma,    lam >= max(0, -w_1),
    lam * (radius - ||y||) = 0.

The secular equation ||y(lam)|| = radius is solved in the *shifted* variable
t = lam + w_1 >= 0, so that all denominators are  d_i + t  with d_i = w_i - w_1 >= 0
computed exactly; eigenvalues within a few ulps of w_1 are treated as exactly
equal to w_1 (set E).  Working with t keeps full relative accuracy even when the
root lies extremely close to the pole (the "nearly hard case", t ~ 1e-17):
``brentq`` with rtol = 4 eps locates t to ~1e-15 relative precision, and
||y(t)|| is a smooth function of log t.  The function solved is
1/||y(t)|| - 1/radius, which is monotone increasing and nearly linear.

The hard case (gamma_E == 0 exactly and ||p|| <= radius with p the
pseudo-inverse solution at lam = -w_1) is handled explicitly: the solution is
y = p + tau q_1 with tau = sqrt(radius^2 - ||p||^2).  A gamma_E that is tiny but
non-zero is handled by the secular equation, whose solution converges to the
same point, so the model value is continuous across the two branches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.optimize import brentq

__all__ = [
    "ReferenceSolution",
    "apply",
    "cauchy_decrease",
    "cauchy_point",
    "dense",
    "global_tr_minimum",
    "global_tr_solution",
    "m_norm",
    "metric_matrix",
    "model_scale",
    "model_value",
    "natural_step",
]

_EPS = np.finfo(float).eps


# --------------------------------------------------------------------------- helpers


def dense(B):
    """Dense float64 copy of a matrix given as ndarray / scipy.sparse / LinearOperator."""
    if B is None:
        return None
    if sp.issparse(B):
        return np.asarray(B.toarray(), dtype=float)
    if isinstance(B, np.ndarray):
        return np.array(B, dtype=float)
    # scipy LinearOperator or anything with matmat / @
    n = B.shape[1]
    return np.asarray(B @ np.eye(n), dtype=float)


def metric_matrix(M, n):
    """Dense M for M given as None (identity), 1-D diagonal, or a 2-D matrix."""
    if M is None:
        return np.eye(n)
    if isinstance(M, np.ndarray) and M.ndim == 1:
        return np.diag(np.asarray(M, dtype=float))
    return dense(M)


def apply(B, s):
    """B @ s for ndarray / sparse / LinearOperator / None (zero matrix)."""
    s = np.asarray(s, dtype=float)
    if B is None:
        return np.zeros_like(s)
    return np.asarray(B @ s, dtype=float).reshape(-1)


def model_value(g, B, s):
    """m(s) = g^T s + 1/2 s^T B s   (B=None: linear model g^T s)."""
    g = np.asarray(g, dtype=float)
    s = np.asarray(s, dtype=float)
    return float(g @ s + 0.5 * (s @ apply(B, s)))


def m_norm(s, M=None):
    """||s||_M = sqrt(s^T M s); M None / 1-D diagonal / 2-D."""
    s = np.asarray(s, dtype=float)
    if M is None:
        return float(np.linalg.norm(s))
    if isinstance(M, np.ndarray) and M.ndim == 1:
        return float(np.sqrt(np.sum(M * s * s)))
    return float(np.sqrt(max(s @ apply(M, s), 0.0)))


def model_scale(g, B, s):
    """Natural magnitude of the model terms at s: ||g|| ||s|| + 1/2 ||B||_2 ||s||^2.

    |m(s)| <= model_scale(g, B, s) always, and a backward-stable evaluation or
    solve makes errors of order eps * model_scale; it is the yardstick for
    "relative" tolerances on model values.
    """
    g = np.asarray(g, dtype=float)
    ns = float(np.linalg.norm(s))
    nB = 0.0 if B is None else float(np.linalg.norm(dense(B), 2))
    return float(np.linalg.norm(g)) * ns + 0.5 * nB * ns * ns


def _cholesky_factor(M, n):
    """Lower-triangular L with M = L L^T (None for the identity, a vector for diagonal M)."""
    if M is None:
        return None
    if isinstance(M, np.ndarray) and M.ndim == 1:
        d = np.asarray(M, dtype=float)
        if np.any(~(d > 0)):
            raise ValueError("M must be positive definite")
        return np.sqrt(d)
    Md = dense(M)
    Md = 0.5 * (Md + Md.T)
    return sla.cholesky(Md, lower=True)


def _solve_L(L, v):
    if L is None:
        return np.array(v, dtype=float)
    if L.ndim == 1:
        return v / L if v.ndim == 1 else v / L[:, None]
    return sla.solve_triangular(L, v, lower=True)


def _solve_LT(L, v):
    if L is None:
        return np.array(v, dtype=float)
    if L.ndim == 1:
        return v / L
    return sla.solve_triangular(L, v, lower=True, trans="T")


def _safe_norm(z):
    """Euclidean norm without overflow (inf if any entry is inf)."""
    a = np.abs(z)
    if a.size == 0:
        return 0.0
    m = float(np.max(a))
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.sqrt(np.sum((a / m) ** 2)))


# --------------------------------------------------------------------------- global solution


@dataclass(frozen=True)
class ReferenceSolution:
    s: np.ndarray  # the global minimiser (one of them when not unique)
    lam: float  # Lagrange multiplier: (B + lam M) s = -g, lam >= 0
    model_value: float  # m(s*) computed in the eigenbasis (accurate to ~eps * scale)
    hard_case: bool  # solved by the explicit hard-case formula
    interior: bool  # ||s||_M < radius and lam == 0
    min_eig: float  # smallest eigenvalue of the pencil (B, M)


def _solve_eigenbasis(gamma, w, radius):
    """Solve min gamma^T y + 1/2 sum w_i y_i^2, ||y|| <= radius (w ascending).

    Returns (y, lam, model_value, hard_case, interior, w_used).
    """
    n = w.size
    wabs = float(np.max(np.abs(w))) if n else 0.0
    tol = 64.0 * _EPS * wabs
    w = np.array(w, dtype=float)
    w1 = float(w[0])
    if abs(w1) <= tol:
        w1 = 0.0
    d = w - w1
    d[d <= tol] = 0.0
    E = d == 0.0
    w_used = d + w1  # eigenvalues with the cluster at w1 made exact
    gnorm = _safe_norm(gamma)
    t_min = max(0.0, w1)  # lam = t - w1 >= 0

    def y_of(t):
        if t > 0.0:
            return -gamma / (d + t)
        y = np.zeros(n)
        y[~E] = -gamma[~E] / d[~E]
        return y

    def ynorm(t):
        if t == 0.0 and np.any(gamma[E] != 0.0):
            return np.inf
        return _safe_norm(y_of(t))

    def model(y):
        return float(gamma @ y + 0.5 * np.sum(w_used * y * y))

    if ynorm(t_min) <= radius:
        if t_min > 0.0:  # w1 > 0: Newton step is interior
            y = y_of(t_min)
            return y, 0.0, model(y), False, True, w_used
        # t_min == 0, i.e. w1 <= 0, gamma_E == 0 and ||p|| <= radius
        y = y_of(0.0)
        if w1 == 0.0:  # PSD singular, g in range: min-norm minimiser
            return y, 0.0, model(y), False, True, w_used
        tau = np.sqrt(max(radius * radius - _safe_norm(y) ** 2, 0.0))
        y = y.copy()
        y[0] += tau  # E contains index 0; any sign is optimal
        return y, -w1, model(y), True, False, w_used

    # boundary solution, root of 1/||y(t)|| - 1/radius on (t_min, t_hi]
    def f(t):
        return 1.0 / ynorm(t) - 1.0 / radius

    t_hi = gnorm / radius
    if not t_hi > t_min:
        t_hi = max(t_min, t_hi) * 2.0 + np.finfo(float).tiny
    f_hi = f(t_hi)
    while f_hi < 0.0:
        t_hi *= 2.0
        f_hi = f(t_hi)
    if f_hi == 0.0:
        t = t_hi
    else:
        t = brentq(f, t_min, t_hi, xtol=1e-300, rtol=4.0 * _EPS, maxiter=5000)
    y = y_of(t) if t > 0.0 else y_of(np.finfo(float).tiny)
    lam = max(t - w1, 0.0)
    return y, lam, model(y), False, False, w_used


def global_tr_solution(g, B, radius, M=None) -> ReferenceSolution:
    """Global minimiser of g^T s + 1/2 s^T B s  s.t.  ||s||_M <= radius, with diagnostics."""
    g = np.asarray(g, dtype=float).reshape(-1)
    n = g.size
    Bd = dense(B)
    if Bd is None:
        Bd = np.zeros((n, n))
    Bd = 0.5 * (Bd + Bd.T)
    radius = float(radius)
    if not (radius > 0.0 and np.isfinite(radius)):
        raise ValueError("radius must be positive and finite")
    L = _cholesky_factor(M, n)
    gt = _solve_L(L, g)
    if L is None:
        Bt = Bd
    elif L.ndim == 1:
        Bt = Bd / np.outer(L, L)
    else:
        X = sla.solve_triangular(L, Bd, lower=True)  # L^{-1} B
        Bt = sla.solve_triangular(L, X.T, lower=True)  # L^{-1} B L^{-T}
    Bt = 0.5 * (Bt + Bt.T)
    w, Q = np.linalg.eigh(Bt)
    gamma = Q.T @ gt
    y, lam, mval, hard, interior, _ = _solve_eigenbasis(gamma, w, radius)
    s = _solve_LT(L, Q @ y)
    return ReferenceSolution(
        s=s,
        lam=float(lam),
        model_value=float(mval),
        hard_case=hard,
        interior=interior,
        min_eig=float(w[0]),
    )


def global_tr_minimum(g, B, radius, M=None):
    """Return (s, lam, model_value) of the global trust-region minimiser.

    ``B`` may be a dense array, scipy sparse matrix, LinearOperator or ``None``
    (zero).  ``M`` may be ``None`` (identity), a 1-D array (diagonal) or an SPD
    matrix.  Accurate to ~1e-12 relative to :func:`model_scale` at the solution.
    """
    sol = global_tr_solution(g, B, radius, M)
    return sol.s, sol.lam, sol.model_value


# --------------------------------------------------------------------------- Cauchy point


def _metric_solve(M, v):
    """M^{-1} v for None / 1-D diagonal / SPD matrix (Cholesky)."""
    v = np.asarray(v, dtype=float)
    if M is None:
        return v.copy()
    if isinstance(M, np.ndarray) and M.ndim == 1:
        return v / M
    Md = dense(M)
    return sla.cho_solve(sla.cho_factor(0.5 * (Md + Md.T), lower=True), v)


def cauchy_point(g, B, radius, M=None):
    """Minimiser of the model along -M^{-1} g inside the M-norm ball (closed form).

    s(alpha) = -alpha d, d = M^{-1} g:  ||s(alpha)||_M = alpha sqrt(g^T d),
    m(s(alpha)) = -alpha g^T d + 1/2 alpha^2 d^T B d.
    """
    g = np.asarray(g, dtype=float).reshape(-1)
    d = _metric_solve(M, g)
    gd = float(g @ d)
    if not gd > 0.0:
        return np.zeros_like(g), 0.0
    kappa = float(d @ apply(B, d))
    alpha_max = float(radius) / np.sqrt(gd)
    if kappa <= 0.0:
        alpha = alpha_max
    else:
        alpha = min(gd / kappa, alpha_max)
    decrease = alpha * (gd - 0.5 * alpha * kappa)
    return -alpha * d, float(decrease)


def cauchy_decrease(g, B, radius, M=None):
    """Model decrease  -m(s_C) >= 0  of the Cauchy point along -M^{-1} g (closed form)."""
    return cauchy_point(g, B, radius, M)[1]


def natural_step(g, radius, M=None):
    """Closed form minimiser of the linear model: s = -radius M^{-1} g / ||M^{-1} g||_M.

    Returns (s, g^T M^{-1} g, multiplier = sqrt(g^T M^{-1} g) / radius).
    """
    g = np.asarray(g, dtype=float).reshape(-1)
    d = _metric_solve(M, g)
    gd = float(g @ d)
    if not gd > 0.0:
        return np.zeros_like(g), 0.0, 0.0
    # ||d||_M = sqrt(d^T M d) = sqrt(g^T M^{-1} g)
    return -float(radius) * d / np.sqrt(gd), gd, np.sqrt(gd) / float(radius)
