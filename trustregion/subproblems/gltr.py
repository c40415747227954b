"""The generalized Lanczos trust-region method (GLTR)."""

import math

import numpy as np

from .. import _kernels as K
from .._status import StepStatus, step_status
from .._validation import check_maxiter, check_nonnegative_scalar
from ..operators import SymmetricOperator
from ._metric import Metric
from ._step import Step

_EMPTY = np.empty(0)  # the kernels read an empty inverse diagonal as M = I
_INITIAL_VECTORS = 16  # rows of the Lanczos-vector store before it first doubles
# Reorthogonalisation by default up to this n, where its O(k²n) cost stays small.
_REORTHOGONALIZE_MAX_N = 2000


def gltr(
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    metric: Metric,
    *,
    rtol: float = 1e-8,
    maxiter: int | None = None,
    reorthogonalize: bool | None = None,
) -> Step:
    """GLTR: the global minimiser of gᵀs + ½ sᵀBs, ‖s‖_M ≤ Δ, over growing Krylov spaces.

    Preconditioned Lanczos builds an M-orthonormal basis Q_k of the Krylov space
    K_k(M⁻¹B, M⁻¹g) with QᵀBQ = T_k tridiagonal; each iteration solves the tridiagonal
    trust-region subproblem min γ₀h₀ + ½hᵀT_kh, ‖h‖ ≤ Δ by Moré–Sorensen in O(k) per
    factorisation, and s = Q_k h (Gould, Lucidi, Roma & Toint, SIAM J. Optim. 9, 1999;
    Conn, Gould & Toint 2000, §7.5.4). While the solution is interior the iterates coincide
    with those of CG; unlike Steihaug–Toint the method continues on the boundary, so on
    indefinite problems it reaches the global minimum over the Krylov space (the global
    minimum outright off the hard case once the space is large enough).

    Stops when ‖(B + λM)s + g‖_{M⁻¹} ≤ rtol·‖g‖_{M⁻¹}, on a Lanczos breakdown (the Krylov
    space is invariant: the solution is exact), or at ``maxiter``.

    Memory: the Lanczos vectors are kept to form s, so k iterations hold k vectors of
    length n (O(k·n), grown in place as needed; 2k with reorthogonalisation against a
    general, non-diagonal M), nothing of size n² or (2n+1)×n.

    Options
    -------
    rtol : float
        Relative tolerance on the residual (default 1e-8).
    maxiter : int
        Lanczos iterations, default n.
    reorthogonalize : bool, optional
        M-orthogonalise each Lanczos vector against all earlier ones. It keeps the computed
        s the minimiser over the Krylov space that h describes: without it, lost
        orthogonality lets ‖s‖_M drift from ‖h‖ and stalls convergence on ill-conditioned
        and nearly hard problems. It costs O(k·n) per iteration, O(k²·n) in all (and
        doubles the stored vectors for a non-diagonal M), which for a large sparse B soon
        outweighs the products. Default: on for n ≤ 2000, off above; either way s is
        measured after the run and kept feasible.
    """
    n = g.shape[0]
    rtol = check_nonnegative_scalar(rtol, "rtol")
    maxiter = max(check_maxiter(maxiter, "maxiter", n), 1)
    if reorthogonalize is None:
        reorthogonalize = n <= _REORTHOGONALIZE_MAX_N
    if not g.any():
        return Step(np.zeros(n), 0.0, False, StepStatus.ZERO_GRADIENT, residual_norm=0.0)
    s, h, diag, off, state, code = _lanczos(g, B, radius, metric, rtol, maxiter, reorthogonalize)
    k = state.iterations
    # One product per completed iteration, plus one if a non-finite product ended the run.
    products = k + (1 if code == K.NONFINITE and state.gradient_norm > 0 else 0)
    krylov_model = _tridiagonal_model(state.gradient_norm, diag[:k], off[: k - 1], h[:k])
    if reorthogonalize:
        # The Lanczos vectors are M-orthonormal to working precision, so m(s) is the
        # tridiagonal model value and ‖s‖_M = ‖h‖: no further product is needed.
        model, snorm = krylov_model, math.sqrt(np.dot(h[:k], h[:k]))
    else:
        products += 1 if s.any() else 0  # the product _measured_model takes
        model, snorm = _measured_model(g, B, s, metric, radius, krylov_model)
    # Converged, the step is what the last tridiagonal solve made of it.
    status = step_status(state.tridiagonal_code if code == K.CONVERGED else code)
    return Step(
        s,
        -model,
        snorm >= radius * (1.0 - 1e-10),
        status,
        multiplier=state.multiplier,
        iterations=k,
        operator_products=products,
        residual_norm=state.residual_norm,
    )


def _lanczos(
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    metric: Metric,
    rtol: float,
    maxiter: int,
    reorthogonalize: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, K.GLTRState, int]:
    """Run the GLTR kernel to its end, serving its requests (products with B, solves
    with M, more storage for the Lanczos vectors). Returns (s, h, diag, off, state, code):
    the step, the tridiagonal T (diagonal, off-diagonal), its solution h, the kernel's
    state and its final code."""
    n = g.shape[0]
    diagonal_metric = metric.inverse_diagonal is not None
    q, u, w, w_prev, r, s = (np.empty(n) for _ in range(6))
    z = np.empty(n) if diagonal_metric else metric.solve(g)
    diag, off, h = np.empty(maxiter), np.empty(maxiter), np.zeros(maxiter)
    state = K.GLTRState()
    rows = min(maxiter, _INITIAL_VECTORS)
    store = {"Q": np.empty((rows, n))}
    # The w_j = M q_j are kept only where M is the caller's operator (see the kernel).
    store["W"] = np.empty((rows if reorthogonalize and not diagonal_metric else 0, n))

    def call(resume: int) -> int:
        return K.gltr(
            *B.kernel_args,
            metric.inverse_diagonal if diagonal_metric else _EMPTY,
            diagonal_metric,
            g,
            q,
            u,
            w,
            w_prev,
            r,
            z,
            diag,
            off,
            h,
            store["Q"],
            store["W"],
            reorthogonalize,
            s,
            state.array,
            radius,
            rtol,
            maxiter,
            resume,
        )

    code = call(K.START)
    while code in (K.NEEDS_PRODUCT, K.NEEDS_PRECONDITIONER, K.NEEDS_STORAGE):
        if code == K.NEEDS_STORAGE:
            for vectors in store.values():
                if vectors.shape[0]:
                    # In place where the allocator can (realloc, which for large blocks
                    # remaps pages): no transient second copy of the whole store.
                    vectors.resize((min(2 * vectors.shape[0], maxiter), n), refcheck=False)
            code = call(K.RESUME)
        elif code == K.NEEDS_PRODUCT:
            u[:] = B.apply(q)
            code = call(K.HAVE_PRODUCT)
        else:
            z[:] = metric.solve(r)
            code = call(K.HAVE_PRECONDITIONED)
    return s, h, diag, off, state, code


def _tridiagonal_model(gamma0: float, diag: np.ndarray, off: np.ndarray, h: np.ndarray) -> float:
    """m(s) = γ₀h₀ + ½hᵀTh, the model on the Krylov space (0 before any iteration)."""
    if not h.shape[0]:
        return 0.0
    Th = diag * h
    Th[:-1] += off * h[1:]
    Th[1:] += off * h[:-1]
    return gamma0 * h[0] + 0.5 * np.dot(h, Th)


def _measured_model(
    g: np.ndarray,
    B: SymmetricOperator,
    s: np.ndarray,
    metric: Metric,
    radius: float,
    krylov_model: float,
) -> tuple[float, float]:
    """(m(s), ‖s‖_M) measured on s itself, s pulled back onto the region if rounding left
    it there. Without reorthogonalisation the Lanczos vectors lose M-orthogonality, and
    the tridiagonal values can drift from m(s) and ‖s‖_M; this costs one more product.
    Should that product not be finite, the Krylov model value stands."""
    Bs = B.apply(s) if s.any() else np.zeros_like(s)
    snorm = metric.norm(s)
    if snorm > radius:
        scale = radius / snorm
        s *= scale
        Bs *= scale
        snorm = radius
    model = np.dot(g, s) + 0.5 * np.dot(s, Bs) if np.isfinite(Bs).all() else math.nan
    return (model if math.isfinite(model) else krylov_model), snorm
