"""Moré–Sorensen: the exact solution of the trust-region subproblem for dense B."""

import math

import numpy as np
import scipy.linalg as sla
from scipy.linalg import blas, lapack

from .._status import StepStatus
from .._validation import check_maxiter, check_nonnegative_scalar
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step

_EPS = np.finfo(np.float64).eps
# λ + λ₁ below this fraction of λ counts as λ pinned at -λ₁: the (nearly) hard case.
_HARD_CASE_GAP = 1e-3
# Start vector of inverse iteration: sin(k·φ), φ the golden ratio, never periodic.
_GOLDEN = 0.5 * (1.0 + math.sqrt(5.0))


def more_sorensen(g: np.ndarray, B: SymmetricOperator, radius: float, metric: Metric, *,
                  rtol: float = 1e-10, hard_case_rtol: float = 1e-10, maxiter=None) -> Step:
    """Global minimiser of gᵀs + ½ sᵀBs subject to ‖s‖_M ≤ Δ, B dense and possibly indefinite.

    s solves the subproblem if and only if, for some λ ≥ 0, (B + λM)s = -g, B + λM ⪰ 0 and
    λ(Δ - ‖s‖_M) = 0 (Gay 1981; Moré & Sorensen 1983; Nocedal & Wright 2006, Thm 4.1).
    With M = LLᵀ the problem is reduced to the Euclidean one for L⁻¹BL⁻ᵀ and L⁻¹g. Then:

    * λ is bracketed by [λ_L, λ_U] from Gershgorin bounds and ‖g‖/Δ (Conn, Gould & Toint
      2000, §7.3.8), and found by safeguarded Newton iterations on the secular equation
      1/‖s(λ)‖ - 1/Δ = 0, each with one Cholesky factorisation B + λI = RᵀR (N&W Alg. 4.3);
      a failed factorisation raises λ_L by what its failed pivot reveals.
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
        Boundary tolerance |‖s(λ)‖_M - Δ| ≤ rtol·Δ (default 1e-10); a step that meets it
        from outside is scaled onto the boundary.
    hard_case_rtol : float
        Relative model-value tolerance of the hard-case step (default 1e-10).
    maxiter : int
        Factorisations before the eigendecomposition safeguard (default 50).
    """
    rtol = check_nonnegative_scalar(rtol, "rtol")
    hard_case_rtol = check_nonnegative_scalar(hard_case_rtol, "hard_case_rtol")
    maxiter = check_maxiter(maxiter, "maxiter", 50)
    H = B.to_dense(copy=False)
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
    if gnorm == 0.0:
        # No secular equation to solve: s = 0 if H ⪰ 0, else Δ times an eigenvector of λ₁.
        return _eigen_solution(g, H, radius, rtol) + (0,)
    diag = np.diagonal(H)
    absrow = np.abs(H).sum(axis=1)
    offrow = absrow - np.abs(diag)
    gershgorin_lo = float(np.min(diag - offrow))
    gershgorin_hi = float(np.max(diag + offrow))
    hnorm = min(float(np.linalg.norm(H)), float(absrow.max()))
    lam_lo = max(0.0, -float(diag.min()), gnorm / radius - min(gershgorin_hi, hnorm))
    lam_hi = max(0.0, gnorm / radius + min(-gershgorin_lo, hnorm))
    work = np.empty((n, n))
    work_diagonal = work.ravel()[::n + 1]  # a view: adds λ without the flat iterator
    lam = 0.0 if lam_lo == 0.0 else _inside(lam_lo, lam_hi)
    # H is symmetric, so the C-ordered copy's transpose is H + λI in Fortran order:
    # LAPACK factorises it in place, with no transposing copy.
    minus_g = -g
    for it in range(1, maxiter + 1):
        np.copyto(work, H)
        if lam != 0.0:
            work_diagonal += lam
        R, info = lapack.dpotrf(work.T, lower=False, clean=False, overwrite_a=True)
        if info != 0:
            # H + λI is not positive definite: λ < -λ₁. The failed pivot gives a sharper
            # λ_L than λ itself (Moré & Sorensen 1983, §3; CGT Alg. 7.3.1).
            lam_lo = max(lam_lo, lam + _pivot_deficit(R, H, lam, info))
            lam = _inside(lam_lo, lam_hi)
            continue
        p = lapack.dpotrs(R, minus_g, lower=False)[0]
        pnorm = math.sqrt(np.dot(p, p))
        if lam == 0.0 and pnorm <= radius:
            return p, 0.0, StepStatus.INTERIOR, it
        if abs(pnorm - radius) <= rtol * radius:
            # Accept; a step just outside is pulled onto the boundary, so that every step
            # is feasible whatever rtol (the model value moves by O(rtol)).
            return (p * (radius / pnorm) if pnorm > radius else p), lam, StepStatus.BOUNDARY, it
        if pnorm < radius:
            lam_hi = lam
            z = _smallest_singular_direction(R, n)
            Rz = _upper_matvec(R, z)
            curvature = float(np.dot(Rz, Rz))  # zᵀ(H + λI)z ≥ λ + λ₁
            lam_lo = max(lam_lo, lam - curvature)
            # The hard-case step only where λ is pinned near -λ₁ (zᵀ(H + λI)z ≈ λ + λ₁ ≪ λ);
            # elsewhere Newton converges, and τz would only perturb (H + λI)s = -g.
            if curvature <= _HARD_CASE_GAP * lam:
                tau = _hard_case_tau(p, z, pnorm, radius)
                Rp = _upper_matvec(R, p)
                if tau * tau * curvature <= hard_case_rtol * (np.dot(Rp, Rp)
                                                              + lam * radius ** 2):
                    return p + tau * z, lam, StepStatus.HARD_CASE, it
            # λ_L = λ - zᵀ(H + λI)z is now a sharp bound on -λ₁: step close to it rather
            # than to the middle of the bracket, so the hard case ends in a few steps.
            fallback = lam_lo + 0.01 * (lam_hi - lam_lo)
        else:
            lam_lo = lam
            fallback = _inside(lam_lo, lam_hi)
        # Newton on 1/‖p(λ)‖ - 1/Δ: with Rᵀq = p, the step is (‖p‖/‖q‖)²(‖p‖ - Δ)/Δ.
        q = lapack.dtrtrs(R, p, lower=False, trans=1)[0]
        lam_newton = lam + (pnorm * pnorm / np.dot(q, q)) * (pnorm - radius) / radius
        lam_newton = lam_newton if lam_lo < lam_newton < lam_hi else fallback
        # Near the pole at -λ₁, ‖s(λ)‖ can be too sensitive for λ's last bits: a Newton
        # step that no longer moves λ still moves a few ulps toward the root, so that the
        # right side (‖s‖ < Δ) and with it the hard-case step are reached.
        nudge = 4.0 * _EPS * lam
        if abs(lam_newton - lam) < nudge:
            lam_newton = lam + (nudge if pnorm > radius else -nudge)
        lam = lam_newton
    return _eigen_solution(g, H, radius, rtol) + (maxiter,)


def _inside(lo, hi):
    """A safeguarded λ in (lo, hi): Moré–Sorensen's max(√(lo·hi), lo + θ(hi - lo)), θ = 0.01."""
    return max(math.sqrt(lo * hi), lo + 0.01 * (hi - lo))


def _pivot_deficit(R, H, lam, info):
    """A lower bound on -λ₁ - λ from a Cholesky factorisation of H + λI that failed.

    With k = info - 1 valid columns R₁₁, the next pivot is d = h_kk + λ - ‖r‖², r = R₁₁⁻ᵀa
    (a = H[:k, k]), and d ≤ 0. Adding δ = -d to that diagonal entry makes the leading
    minor singular with null vector v = [-R₁₁⁻¹r; 1], so vᵀ(H + λI)v = -δ and, by the
    Rayleigh quotient, -λ₁ ≥ λ + δ/‖v‖² (Moré & Sorensen 1983, §3; Conn, Gould & Toint
    2000, §7.3.4). Returns δ/‖v‖² (0 if the partial factor is unusable).
    """
    k = info - 1
    if k == 0:
        return max(-(H[0, 0] + lam), 0.0)
    R11 = R[:k, :k]
    if not (np.isfinite(np.diagonal(R11)).all() and (np.diagonal(R11) > 0).all()):
        return 0.0
    r = lapack.dtrtrs(R11, H[:k, k], lower=False, trans=1)[0]
    delta = np.dot(r, r) - (H[k, k] + lam)
    if not delta > 0.0:
        return 0.0
    v = lapack.dtrtrs(R11, r, lower=False, trans=0)[0]
    return delta / (1.0 + np.dot(v, v))


def _upper_matvec(R, x):
    """R x for the upper triangle of R (dpotrf leaves its lower part unspecified)."""
    return blas.dtrmv(R, x, lower=False)


def _smallest_singular_direction(R, n):
    """A unit z with ‖Rz‖ small: two steps of inverse iteration with RᵀR from a fixed,
    generic start vector (deterministic, with no structure a test matrix could share)."""
    z = np.sin(np.arange(1.0, n + 1.0) * _GOLDEN)
    for _ in range(2):
        z = lapack.dpotrs(R, z, lower=False)[0]
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
    """The subproblem solved in the eigenbasis H = VΛVᵀ (the safeguard of the hard case).

    With c = Vᵀg, y(λ) = -c/(Λ + λ); λ* ≥ max(0, -λ₁) solves ‖y(λ)‖ = Δ by bisection. When
    ‖y‖ stays below Δ as λ → -λ₁ (the hard case: c vanishes on the eigenspace of λ₁), or λ*
    is within rounding of -λ₁, the component along the first eigenvector is set so that
    ‖y‖ = Δ exactly (Moré & Sorensen 1983, §3).
    """
    evals, V = np.linalg.eigh(H)
    c = V.T @ g
    lam1 = evals[0]
    if lam1 > 0 and np.linalg.norm(c / evals) <= radius:
        return V @ (-c / evals), 0.0, StepStatus.INTERIOR
    lam_lo = max(0.0, -lam1)
    tail = slice(1, None)

    def y_at(lam):
        with np.errstate(divide="ignore", invalid="ignore"):
            return -c / (evals + lam)

    lo, hi = lam_lo, lam_lo + np.linalg.norm(c) / radius + 1e-15 * max(abs(evals).max(), 1.0)
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:
            break
        y = y_at(mid)
        if np.all(np.isfinite(y)) and np.linalg.norm(y) > radius:
            lo = mid
        else:
            hi = mid
    y = y_at(hi)
    status = StepStatus.BOUNDARY
    rest = float(np.linalg.norm(y[tail]))
    if not np.isfinite(y[0]) or np.linalg.norm(y) < radius * (1.0 - rtol):
        # Hard or numerically hard case: the first component takes up the slack.
        sign = -1.0 if c[0] > 0 else 1.0
        y[0] = sign * math.sqrt(max(radius * radius - rest * rest, 0.0))
        status = StepStatus.HARD_CASE if abs(c[0]) <= _EPS * np.linalg.norm(c) else status
    return V @ y, hi, status
