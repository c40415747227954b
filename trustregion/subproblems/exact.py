"""Moré–Sorensen: the exact solution of the trust-region subproblem for dense B."""

import functools
import math

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from .. import _kernels as K
from .._status import StepStatus, step_status
from .._validation import all_finite, check_nonnegative_scalar
from ..operators import SymmetricOperator
from ._metric import Metric, scaled_norm
from ._step import Step

# Relative asymmetry of B beyond which it is refused (rounding in a product B = XᵀX or a
# symmetrised finite-difference Hessian stays far below).
_SYMMETRY_RTOL = 1e-8


def more_sorensen(
    g: np.ndarray, B: SymmetricOperator, radius: float, metric: Metric, *, rtol: float = 1e-12
) -> Step:
    """Global minimiser of gᵀs + ½ sᵀBs subject to ‖s‖_M ≤ Δ, B dense and possibly indefinite.

    s solves the subproblem if and only if, for some λ ≥ 0, (B + λM)s = -g, B + λM ⪰ 0 and
    λ(Δ - ‖s‖_M) = 0 (Gay 1981; Moré & Sorensen 1983; Nocedal & Wright 2006, Thm 4.1).
    With M = LLᵀ the problem is reduced to the Euclidean one for L⁻¹BL⁻ᵀ and L⁻¹g. Then:

    * When B has a positive diagonal, one Cholesky factorisation B = RᵀR tries λ = 0: if it
      succeeds and the Newton step -B⁻¹g lies inside the region, that step is the answer.
    * Otherwise B is reduced once to tridiagonal form, B = QTQᵀ (Householder, LAPACK
      dsytrd), which leaves the Euclidean region unchanged: h = Qᵀs solves the subproblem
      for T and c = Qᵀg. On T, Moré–Sorensen's safeguarded Newton iteration on the secular
      equation 1/‖h(λ)‖ - 1/Δ = 0 costs O(n) per factorisation T + λI = LDLᵀ instead of
      O(n³), λ₁ is bracketed exactly by Sturm bisection, and the hard case (c with no
      component along the eigenvectors of λ₁) is completed with an eigenvector from
      inverse iteration (Moré & Sorensen 1983, §3; see ``_kernels.tridiagonal_tr_solve``).
      The reduction costs about as much as four Cholesky factorisations, fewer than the
      Newton iteration usually takes on B itself.

    Options
    -------
    rtol : float
        Boundary tolerance |‖s‖_M - Δ| ≤ rtol·Δ (default 1e-12: on T an iteration costs
        O(n), and the safeguarded Newton iteration also stops at rounding level).

    A non-finite entry of B (formed from non-finite products) gives the zero step with
    status ``NONFINITE``, as the iterative methods report a non-finite product.

    Raises
    ------
    ValueError
        If B is not symmetric.
    """
    rtol = check_nonnegative_scalar(rtol, "rtol")
    products = 0 if B.explicit is not None else B.n
    H = B.to_dense(copy=False)
    if not all_finite(H):  # only products can be: stored matrices were checked
        return Step(
            np.zeros(g.shape[0]), 0.0, False, StepStatus.NONFINITE, operator_products=products
        )
    _check_symmetric(H)
    L = metric.cholesky()
    if L is not None:
        # Euclidean problem in y = Lᵀs: gradient L⁻¹g, Hessian L⁻¹BL⁻ᵀ.
        g = sla.solve_triangular(L, g, lower=True)
        H = sla.solve_triangular(L, sla.solve_triangular(L, H, lower=True).T, lower=True)
        H = 0.5 * (H + H.T)
        if not all_finite(H):  # overflow in L⁻¹BL⁻ᵀ for an extremely ill-conditioned M
            return Step(
                np.zeros(g.shape[0]), 0.0, False, StepStatus.NONFINITE, operator_products=products
            )
    y, lam, status, factorisations = _euclidean(g, H, radius, rtol)
    s = y if L is None else sla.solve_triangular(L, y, lower=True, trans="T")
    model = np.dot(g, y) + 0.5 * np.dot(y, H @ y)
    ynorm = math.sqrt(np.dot(y, y))
    on_boundary = status is not StepStatus.INTERIOR
    return Step(
        s,
        -model,
        on_boundary,
        status,
        multiplier=lam,
        iterations=factorisations,
        operator_products=products,
        residual_norm=abs(ynorm - radius) if on_boundary else 0.0,
    )


def _euclidean(
    g: np.ndarray, H: np.ndarray, radius: float, rtol: float
) -> tuple[np.ndarray, float, StepStatus, int]:
    """(y, λ, status, factorisations) for min gᵀy + ½yᵀHy, ‖y‖ ≤ Δ."""
    n = g.shape[0]
    # H is symmetric, so the C-ordered copy's transpose is H in Fortran order: LAPACK
    # works on it in place, with no transposing copy.
    work = H.copy()
    if np.diagonal(H).min() > 0.0:
        R, info = lapack.dpotrf(work.T, lower=False, clean=False, overwrite_a=True)
        if info == 0:
            p = lapack.dpotrs(R, -g, lower=False)[0]
            if scaled_norm(p) <= radius:  # ‖p‖² overflows when B is tiny
                return p, 0.0, StepStatus.INTERIOR, 1
        np.copyto(work, H)  # the factorisation, finished or not, overwrote it
    # The workspace query enables the blocked (level-3 BLAS) reduction: twice as fast at
    # n = 1000 as the default minimal workspace, which forces the unblocked one.
    lwork = int(lapack.dsytrd_lwork(n, lower=1)[0])
    reduced, diag, off, tau, info = lapack.dsytrd(work.T, lower=1, lwork=lwork, overwrite_a=1)
    reflectors = np.ascontiguousarray(reduced.T)  # row i holds reflector i's tail
    c = g.copy()
    K.householder_apply(reflectors, tau, c, True)
    h = np.empty(n)
    lam, code, factorisations = K.tridiagonal_tr_solve(diag, off, c, radius, rtol, h)
    K.householder_apply(reflectors, tau, h, False)
    return h, lam, step_status(code), factorisations


def _check_symmetric(H: np.ndarray) -> None:
    """Refuse a non-symmetric B, at the cost of two products rather than a transpose:
    uᵀHv - vᵀHu vanishes for all u, v exactly when H is symmetric, and fixed generic u, v
    expose any asymmetry larger than rounding."""
    u, v, unorm, vnorm = _probe_vectors(H.shape[0])
    Hu, Hv = H @ u, H @ v
    scale = math.sqrt(Hu @ Hu) * vnorm + math.sqrt(Hv @ Hv) * unorm
    if abs(np.dot(u, Hv) - np.dot(v, Hu)) > _SYMMETRY_RTOL * scale:
        raise ValueError("B must be symmetric for method='exact'")


@functools.lru_cache(maxsize=8)
def _probe_vectors(n: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    k = np.arange(1.0, n + 1.0)
    u, v = np.sin(k * 1.618033988749895), np.cos(k * 2.718281828459045)
    return u, v, math.sqrt(u @ u), math.sqrt(v @ v)
