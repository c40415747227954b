"""Moré–Sorensen: the exact solution of the trust-region subproblem for dense B."""

import math

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from .._status import StepStatus
from .._validation import check_maxiter, check_nonnegative_scalar
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step

# A fixed start vector for inverse iteration (deterministic, and generic: no structure
# that could leave it orthogonal to an eigenvector of a structured test matrix).
_RNG_SEED = 20260127


def more_sorensen(g: np.ndarray, B: SymmetricOperator, radius: float, metric: Metric, *,
                  rtol: float = 1e-10, hard_case_rtol: float = 1e-10, maxiter=None) -> Step:
    """Global minimiser of gᵀs + ½ sᵀBs subject to ‖s‖_M ≤ Δ, B dense and possibly indefinite.

    s solves the subproblem if and only if, for some λ ≥ 0, (B + λM)s = -g, B + λM ⪰ 0 and
    λ(Δ - ‖s‖_M) = 0 (Gay 1981; Moré & Sorensen 1983; Nocedal & Wright 2006, Thm 4.1).
    With M = LLᵀ the problem is reduced to the Euclidean one for L⁻¹BL⁻ᵀ and L⁻¹g. Then:

    * λ is bracketed by [λ_L, λ_U] from Gershgorin bounds and ‖g‖/Δ (Conn, Gould & Toint
      2000, §7.3.8), and found by safeguarded Newton iterations on the secular equation
      1/‖s(λ)‖ - 1/Δ = 0, each with one Cholesky factorisation B + λI = RᵀR (N&W Alg. 4.3);
      a failed factorisation raises λ_L.
    * In the (nearly) hard case, where ‖s(λ)‖ < Δ although λ is close to -λ₁, a unit z with
      small ‖Rz‖ is found by inverse iteration with R, and s + τz, ‖s + τz‖ = Δ, is
      accepted once τ²‖Rz‖² ≤ hard_case_rtol·(sᵀ(B + λI)s + λΔ²) (Moré & Sorensen 1983,
      Lemma 3.4), which bounds the relative error of the model value by that tolerance.
    * Should the safeguarded iteration fail to meet its tests within ``maxiter``
      factorisations (λ pinned at -λ₁ to the last bits), the subproblem is solved in the
      eigenbasis of B instead, at the cost of one symmetric eigendecomposition.

    Options
    -------
    rtol : float
        Boundary tolerance |‖s‖_M - Δ| ≤ rtol·Δ (default 1e-10).
    hard_case_rtol : float
        Relative model-value tolerance of the hard-case step (default 1e-10).
    maxiter : int
        Factorisations before the eigendecomposition safeguard (default 50).
    """
    rtol = check_nonnegative_scalar(rtol, "rtol")
    hard_case_rtol = check_nonnegative_scalar(hard_case_rtol, "hard_case_rtol")
    maxiter = check_maxiter(maxiter, "maxiter", 50)
    H = B.to_dense()
    L = metric.cholesky()
    if L is not None:
        # Euclidean problem in y = Lᵀs: gradient L⁻¹g, Hessian L⁻¹BL⁻ᵀ.
        g_t = sla.solve_triangular(L, g, lower=True)
        H = sla.solve_triangular(L, sla.solve_triangular(L, H, lower=True).T, lower=True)
        H = 0.5 * (H + H.T)
    else:
        g_t = g
    y, lam, status, iterations = _euclidean_more_sorensen(g_t, H, radius, rtol,
                                                         hard_case_rtol, maxiter)
    s = y if L is None else sla.solve_triangular(L, y, lower=True, trans="T")
    model = np.dot(g_t, y) + 0.5 * np.dot(y, H @ y)
    ynorm = math.sqrt(np.dot(y, y))
    return Step(s, -model, status is not StepStatus.INTERIOR, status, multiplier=lam,
                iterations=iterations, operator_products=0 if B.explicit is not None else B.n,
                residual_norm=abs(ynorm - radius) if status is not StepStatus.INTERIOR else 0.0)


def _euclidean_more_sorensen(g, H, radius, rtol, hard_case_rtol, maxiter):
    n = g.shape[0]
    gnorm = math.sqrt(np.dot(g, g))
    diag = np.diagonal(H)
    absrow = np.abs(H).sum(axis=1)
    offrow = absrow - np.abs(diag)
    gershgorin_lo = float(np.min(diag - offrow))
    gershgorin_hi = float(np.max(diag + offrow))
    hnorm = min(float(np.linalg.norm(H)), float(absrow.max()))
    lam_lo = max(0.0, -float(diag.min()), gnorm / radius - min(gershgorin_hi, hnorm))
    lam_hi = max(0.0, gnorm / radius + min(-gershgorin_lo, hnorm))
    if gnorm == 0.0:
        # No secular equation to solve: s = 0 if H ⪰ 0, else Δ times an eigenvector of λ₁.
        return _eigen_solution(g, H, radius, rtol) + (0,)
    lam = 0.0 if lam_lo == 0.0 else _inside(lam_lo, lam_hi)
    work = np.empty_like(H, order="F")
    z0 = np.random.default_rng(_RNG_SEED).standard_normal(n)
    for it in range(1, maxiter + 1):
        work[:] = H
        work.flat[::n + 1] += lam
        R, info = lapack.dpotrf(work, lower=False, clean=True, overwrite_a=True)
        if info != 0:
            lam_lo = max(lam_lo, lam)
            lam = _inside(lam_lo, lam_hi)
            continue
        p = _chol_solve(R, -g)
        pnorm = math.sqrt(np.dot(p, p))
        if lam == 0.0 and pnorm <= radius:
            return p, 0.0, (StepStatus.INTERIOR if gnorm > 0 else StepStatus.ZERO_GRADIENT), it
        if abs(pnorm - radius) <= rtol * radius:
            return p, lam, StepStatus.BOUNDARY, it
        if pnorm < radius:
            lam_hi = lam
            z = _smallest_singular_direction(R, z0)
            Rz = R @ z
            curvature = float(np.dot(Rz, Rz))  # zᵀ(H + λI)z ≥ λ + λ₁
            lam_lo = max(lam_lo, lam - curvature)
            tau = _hard_case_tau(p, z, pnorm, radius)
            Rp = R @ p
            if tau * tau * curvature <= hard_case_rtol * (np.dot(Rp, Rp) + lam * radius ** 2):
                # The test also ends nearly hard but easy cases with an equally accurate
                # step; only λ pinned at -λ₁ (zᵀ(H + λI)z ≈ λ + λ₁ ≈ 0) is the hard case.
                hard = curvature <= 1e-3 * lam
                return p + tau * z, lam, StepStatus.HARD_CASE if hard else StepStatus.BOUNDARY, it
            # λ_L = λ - zᵀ(H + λI)z is now a sharp bound on -λ₁: step close to it rather
            # than to the middle of the bracket, so the hard case ends in a few steps.
            fallback = lam_lo + 0.01 * (lam_hi - lam_lo)
        else:
            lam_lo = lam
            fallback = _inside(lam_lo, lam_hi)
        # Newton on 1/‖p(λ)‖ - 1/Δ: with Rᵀq = p, the step is (‖p‖/‖q‖)²(‖p‖ - Δ)/Δ.
        q = lapack.dtrtrs(R, p, lower=False, trans=1)[0]
        lam_newton = lam + (pnorm * pnorm / np.dot(q, q)) * (pnorm - radius) / radius
        lam = lam_newton if lam_lo < lam_newton < lam_hi else fallback
        if lam_hi - lam_lo <= 1e-15 * lam_hi:
            break
    return _eigen_solution(g, H, radius, rtol) + (maxiter,)


def _inside(lo, hi):
    """A safeguarded λ in (lo, hi): Moré–Sorensen's max(√(lo·hi), lo + θ(hi - lo)), θ = 0.01."""
    return max(math.sqrt(lo * hi), lo + 0.01 * (hi - lo))


def _chol_solve(R, b):
    y = lapack.dtrtrs(R, b, lower=False, trans=1)[0]
    return lapack.dtrtrs(R, y, lower=False, trans=0)[0]


def _smallest_singular_direction(R, z0):
    """A unit z with ‖Rz‖ small: two steps of inverse iteration with RᵀR from a fixed start."""
    z = z0
    for _ in range(2):
        z = _chol_solve(R, z)
        z /= np.linalg.norm(z)
    return z


def _hard_case_tau(p, z, pnorm, radius):
    """The root of ‖p + τz‖ = Δ of smaller |τ|, in cancellation-free form (same model value
    for both roots to first order since z is nearly an eigenvector)."""
    pz = float(np.dot(p, z))
    gap = radius * radius - pnorm * pnorm
    disc = math.sqrt(pz * pz + gap)
    return gap / (pz + disc) if pz > 0 else -gap / (disc - pz)


def _eigen_solution(g, H, radius, rtol):
    """The subproblem solved in the eigenbasis H = VΛVᵀ (the safeguard of the hard case)."""
    evals, V = np.linalg.eigh(H)
    c = V.T @ g
    lam1 = evals[0]
    scale = max(abs(evals).max(), 1e-300)
    small = np.abs(c) <= 1e-14 * max(np.linalg.norm(c), 1e-300)

    def norm_at(lam):
        return math.sqrt(np.sum((c / (evals + lam)) ** 2))

    lam_lo = max(0.0, -lam1)
    if lam1 > 0 and norm_at(0.0) <= radius:
        return V @ (-c / evals), 0.0, StepStatus.INTERIOR
    # ‖y(λ)‖ at λ → -λ₁⁺ with the components along λ₁ dropped (the hard case) or kept.
    degenerate = evals <= lam1 + 1e-12 * scale
    if np.all(small[degenerate]):
        denom = evals + lam_lo
        y = np.where(degenerate, 0.0, -c / np.where(degenerate, 1.0, denom))
        ynorm = float(np.linalg.norm(y))
        if ynorm <= radius:
            v = V[:, 0]
            y_full = V @ y
            tau = _hard_case_tau(y_full, v, ynorm, radius)
            return y_full + tau * v, lam_lo, StepStatus.HARD_CASE
    lo, hi = lam_lo, lam_lo + np.linalg.norm(c) / radius + scale * 1e-15
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if norm_at(mid) > radius:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-16 * hi:
            break
    lam = hi
    return V @ (-c / (evals + lam)), lam, StepStatus.BOUNDARY
