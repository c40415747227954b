"""Numba kernels: the inner loops of the Krylov and subproblem solvers.

Every function here is a plain ``@njit(cache=True)`` function over float64 arrays and
scalars, with no Python objects inside, so that it caches (where Numba finds a writable
cache directory: see :func:`cache_writable`).

Each iterative algorithm is one kernel written in reverse-communication style (as ARPACK
and GALAHAD's GLTR are): it runs until it needs something it cannot compute itself and
returns a request code, and the caller supplies it and resumes.

* With an explicit dense or CSR operator and a diagonal (or no) preconditioner the kernel
  computes its own products, so a whole solve is one call.
* With a Python callable operator (``kind = EXTERNAL``), which a Numba loop cannot call,
  the kernel asks for each product (``NEEDS_PRODUCT``); with a general preconditioner it
  asks for each preconditioned residual (``NEEDS_PRECONDITIONER``). The Python driver is
  then a few lines, and the algorithm itself is still written once.

Keeping one entry point per algorithm, and few helper functions, also keeps the first-call
compile time down: Numba compiles every function separately and then optimises each entry
point together with everything it calls, so the kernels write their short vector loops
inline instead of calling small helpers. For the same reason they use plain loops rather
than ``np.dot`` on vectors or slice assignment, whose generic implementations cost seconds
of compile time; a dot product is never the cost that matters next to a product.

Iteration state that survives between calls lives in small float64 arrays whose slots are
named by the ``S_*`` and ``L_*`` constants below. The Python drivers read them through
:class:`TruncatedCGState` and :class:`GLTRState`, so that the slot layout stays this
module's business; the terminal codes become public statuses in :mod:`trustregion._status`.

Each kernel checks the shapes of its arguments against each other when it starts (O(1),
so the checks cost nothing next to the work) and raises ``ValueError`` rather than read or
write out of bounds: Numba does not check indices. The entries of a CSR ``indices`` array
are the one thing not checked here (O(nnz)); :func:`trustregion.as_operator` checks them.

Operators are described by ``(kind, dense, data, indices, indptr, shift)``: ``kind`` is
:data:`DENSE` (``dense`` holds the matrix), :data:`CSR` (``data``, ``indices``, ``indptr``
hold it) or :data:`EXTERNAL`; ``shift`` adds ``shift * I`` (damping) to a stored matrix.
"""

import math

import numpy as np
from numba import njit
from numba.core.caching import FunctionCache


def cache_writable(probe) -> bool:
    """Whether Numba can cache the kernels of ``probe``'s file anywhere.

    ``cache=True`` makes Numba look for a writable directory when a function is decorated
    (NUMBA_CACHE_DIR, the package's ``__pycache__``, the user's cache directory) and raise
    if there is none: a read-only install with a read-only HOME could not even import the
    package. Numba's own search is asked, for a function of that file; without a place to
    write, the kernels are compiled in each process instead of cached. Each module of
    kernels asks once, before it decorates any.
    """
    try:
        FunctionCache(probe)
    except RuntimeError:
        return False
    return True


_CACHE = cache_writable(cache_writable)

# Floating-point licences of the kernels, given in this one place: reassociation (so that
# LLVM can vectorise sums and dot products instead of waiting on one accumulator) and
# fused multiply-adds. Deliberately without 'nnan'/'ninf', which would let the compiler
# delete the isfinite checks that catch non-finite products.
_FASTMATH = {"reassoc", "contract"}
# The tridiagonal trust-region solve and the scaled norm rely on the order of their
# operations to stay in range: reassociating (h/‖h‖)·w into (h·w)/‖h‖ underflows to 0 for
# ‖h‖ ~ 1e-108. They are O(k) next to the Lanczos work, so they keep only contraction.
_IN_ORDER = {"contract"}

# Termination and request codes shared by the kernels and the Python drivers;
# ``trustregion._status`` translates the terminal ones into the public enums.
CONTINUE = -1
CONVERGED = 0
MAX_ITER = 1
NEGATIVE_CURVATURE = 2
NONFINITE = 3
BOUNDARY = 4
BREAKDOWN = 6  # the preconditioner is not positive definite: rᵀM⁻¹r <= 0 with r != 0
NEEDS_PRECONDITIONER = 5
NEEDS_PRODUCT = 7
NEEDS_STORAGE = 8
INVALID_RHS = 9  # b has a non-finite entry (found before any work)
INVALID_OPERATOR = 10  # the stored matrix has a non-finite entry (likewise)

# How a kernel call resumes.
START = 0
START_FROM_ZERO = 4  # truncated_cg only: x₀ = 0, the kernel sets x and r
RESUME = 1  # carry on (after a storage request)
HAVE_PRODUCT = 2  # the requested product has been written
HAVE_PRECONDITIONED = 3  # z = M⁻¹r has been written

DENSE = 0
CSR = 1
EXTERNAL = 2
# Below this dimension a dense product is cheaper as a loop than as a BLAS call.
_BLAS_MIN_DIMENSION = 128

# Slots of the truncated-CG state vector.
S_RZ = 0  # rᵀz, with z = M⁻¹r
S_RR = 1  # rᵀr
S_XMX = 2  # ‖x‖²_M
S_XMP = 3  # xᵀMp
S_PMP = 4  # ‖p‖²_M
S_ALPHA = 5  # last step length
S_ITER = 6  # iterations (products) so far
S_TOL = 7  # the residual tolerance max(rtol‖b‖, atol)
TCG_STATE_SIZE = 8

# Slots of the GLTR state vector.
L_GAMMA0 = 0  # γ₀ = ‖g‖_{M⁻¹}
L_GAMMA = 1  # the last off-diagonal γ_k
L_LAM = 2  # multiplier of the tridiagonal subproblem
L_RES = 3  # ‖(B + λM)s + g‖_{M⁻¹} = γ_{k+1} |h_k|
L_TRIDIAG = 4  # TRIDIAG_* code of the last tridiagonal solve
L_ITER = 5  # completed Lanczos iterations k (T is k×k)
GLTR_STATE_SIZE = 6
# The tridiagonal secular equation is cheap to solve to near machine precision.
_TRIDIAG_RTOL = 1e-13
# γ_{k+1} below this fraction of |δ_k| + γ_k is a (lucky) Lanczos breakdown.
_LANCZOS_BREAKDOWN = 1e-12

# Codes of the tridiagonal trust-region solve, distinct from the codes above so that one
# table in ``trustregion._status`` translates every terminal code.
TRIDIAG_INTERIOR = 11
TRIDIAG_BOUNDARY = 12
TRIDIAG_HARD_CASE = 13


def _slot(index, kind, doc):
    """A read-only property: the state vector's entry ``index`` as ``kind``."""
    return property(lambda self: kind(self.array[index]), doc=doc)


class TruncatedCGState:
    """The state vector of :func:`truncated_cg` (``array``, handed to the kernel), with
    named read access for its driver."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = np.empty(TCG_STATE_SIZE)

    iterations = _slot(S_ITER, int, "Iterations so far, one product with A each.")

    @property
    def residual_norm(self) -> float:
        """‖r‖₂ as the CG recurrence carries it (before a final boundary step)."""
        return math.sqrt(self.array[S_RR])


class GLTRState:
    """The state vector of :func:`gltr` (``array``, handed to the kernel), with named read
    access for its driver."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = np.zeros(GLTR_STATE_SIZE)

    iterations = _slot(
        L_ITER, int, "Completed Lanczos iterations k (T is k×k, k Lanczos vectors are stored)."
    )
    gradient_norm = _slot(
        L_GAMMA0, float, "γ₀ = ‖g‖_{M⁻¹}; 0 until the first Lanczos vector is formed."
    )
    multiplier = _slot(L_LAM, float, "λ of the last tridiagonal trust-region solve.")
    residual_norm = _slot(
        L_RES, float, "‖(B + λM)s + g‖_{M⁻¹} = γ_{k+1}|h_k| after the last iteration."
    )
    tridiagonal_code = _slot(
        L_TRIDIAG, int, "The ``TRIDIAG_*`` outcome of the last tridiagonal solve."
    )


@njit(cache=_CACHE, fastmath=_FASTMATH)
def explicit_matvec(kind, dense, data, indices, indptr, shift, v, out):
    """``out = (A + shift I) v`` for a dense or CSR matrix ``A``."""
    n = out.shape[0]
    if (
        v.shape[0] != n
        or (kind == DENSE and (dense.shape[0] != n or dense.shape[1] != n))
        or (kind == CSR and indptr.shape[0] != n + 1)
    ):
        raise ValueError("explicit_matvec: A, v and out do not have matching dimensions")
    if kind == DENSE:
        if n >= _BLAS_MIN_DIMENSION:
            np.dot(dense, v, out)
        else:
            for i in range(n):
                acc = 0.0
                for j in range(n):
                    acc += dense[i, j] * v[j]
                out[i] = acc
    else:
        start = indptr[0]
        for i in range(out.shape[0]):
            end = indptr[i + 1]
            acc = 0.0
            for k in range(start, end):
                acc += data[k] * v[indices[k]]
            out[i] = acc
            start = end
    if shift != 0.0:
        for i in range(out.shape[0]):
            out[i] += shift * v[i]


@njit(cache=_CACHE, fastmath=_FASTMATH)
def boundary_fraction(xmx, xmp, pmp, radius_sq):
    """The root τ ≥ 0 of ‖x + τp‖²_M = Δ², given ‖x‖²_M, xᵀMp, ‖p‖²_M and Δ².

    The quadratic is ``pmp τ² + 2 xmp τ + (xmx - Δ²) = 0``. Because ``x`` is inside the
    region, the constant term is ≤ 0 and the roots have opposite signs; the positive one is
    ``(-b + √(b² - ac)) / a``. When ``b = xmp > 0`` that formula subtracts nearly equal
    numbers, so the algebraically equal form ``-c / (b + √(b² - ac))`` is used instead
    (the cancellation-free quadratic root; Conn, Gould & Toint 2000, §7.5.1).
    """
    c = xmx - radius_sq
    if c >= 0.0:
        return 0.0
    disc = np.sqrt(xmp * xmp - pmp * c)
    if xmp > 0.0:
        return -c / (xmp + disc)
    return (disc - xmp) / pmp


# --------------------------------------------------------------------------------------
# Truncated (Steihaug–Toint) conjugate gradients; plain CG is the case Δ = ∞
# --------------------------------------------------------------------------------------


@njit(cache=_CACHE, fastmath=_FASTMATH)
def truncated_cg(
    kind,
    dense,
    data,
    indices,
    indptr,
    shift,
    inv_diag,
    precondition,
    b,
    x,
    work,
    state,
    radius_sq,
    rtol,
    atol,
    maxiter,
    check_inputs,
    resume,
):
    """Preconditioned CG on A x = b, truncated at the boundary ‖x‖_M = Δ.

    Plain CG (Nocedal & Wright 2006, Alg. 5.3) is the case ``radius_sq = inf``. With a
    finite radius this is Steihaug–Toint CG (Steihaug 1983; Toint 1981; Conn, Gould & Toint
    2000, Alg. 7.5.1): a direction of non-positive curvature, or a step that would leave
    ‖x‖_M ≤ Δ, is followed to the boundary and ends the iteration. ‖x‖_M, xᵀMp and ‖p‖_M
    are carried by recurrences (CGT eq. 7.5.5–7.5.7), so only M⁻¹ is ever applied.
    Without a radius, pᵀAp ≤ 0 ends the iteration with ``NEGATIVE_CURVATURE`` and x
    unchanged: it is never divided by.

    The residual ``r = b - A x`` stays consistent with ``x`` also after a final boundary
    step, so callers can evaluate the model without another product. The stopping rule is
    ‖r‖₂ ≤ max(rtol·‖b‖₂, atol); b = 0 gives x = 0 at once. The kernel forms ‖b‖², rᵀz
    and pᵀAp as they are, so callers scale b to order one first (``run_truncated_cg`` does). A non-finite pᵀAp ends the
    iteration with ``NONFINITE`` before x and r are touched, so they hold the last finite
    iterate. With ``check_inputs``, a non-finite entry of b or of a stored matrix is
    reported at the start (``INVALID_RHS``, ``INVALID_OPERATOR``), before any work.

    Start with ``resume = START_FROM_ZERO`` (x₀ = 0: the kernel sets x and r = b) or
    ``START`` (the caller has set x = x₀ and r = b - A x₀); unless ``precondition``, z must
    then hold M⁻¹r. With ``precondition`` the kernel forms z = M⁻¹r itself from
    ``inv_diag``, the inverse of a diagonal M (empty for M = I). It returns a terminal code,
    or ``NEEDS_PRODUCT`` (write A p into ``Ap``, resume with ``HAVE_PRODUCT``; only for
    ``kind = EXTERNAL``), or ``NEEDS_PRECONDITIONER`` (write M⁻¹r into ``z``, resume with
    ``HAVE_PRECONDITIONED``; only without ``precondition``). ``state`` is the ``array`` of
    a :class:`TruncatedCGState`; its ``S_ITER`` slot counts iterations, one product each. r, z, p and Ap are the rows of ``work`` (4×n), so that a
    call unboxes one argument for them, not four.
    """
    n = x.shape[0]
    if (
        b.shape[0] != n
        or work.shape[0] < 4
        or work.shape[1] != n
        or state.shape[0] < TCG_STATE_SIZE
        or (inv_diag.shape[0] != 0 and inv_diag.shape[0] != n)
    ):
        raise ValueError("truncated_cg: b, x, work, state and inv_diag do not match")
    r, z, p, Ap = work[0], work[1], work[2], work[3]
    phase = resume
    if phase == START or phase == START_FROM_ZERO:
        # Inputs not validated by the caller are checked here, before any work, rather
        # than by separate calls: on a small system each call costs as much as the solve.
        if check_inputs and not all_finite(b):
            return INVALID_RHS
        if check_inputs and kind == CSR and not all_finite(data):
            return INVALID_OPERATOR
        if check_inputs and kind == DENSE:
            acc = 0.0  # as in all_finite, over the rows of the 2-D array
            for i in range(n):
                for j in range(n):
                    acc += dense[i, j] - dense[i, j]
            if acc != 0.0:
                return INVALID_OPERATOR
        state.fill(0.0)
        bnorm = np.sqrt(_dot(b, b))
        state[S_TOL] = max(rtol * bnorm, atol)
        if bnorm == 0.0:
            x.fill(0.0)
            r.fill(0.0)
            return CONVERGED
        if phase == START_FROM_ZERO:
            for i in range(n):
                x[i] = 0.0
                r[i] = b[i]
        if precondition:
            _apply_inverse_diagonal(inv_diag, r, z)
        rz = _dot(r, z)
        rr = _dot(r, r)
        for i in range(n):
            p[i] = z[i]
        state[S_RZ] = rz
        state[S_RR] = rr
        state[S_PMP] = rz
        if np.sqrt(rr) <= state[S_TOL]:
            return CONVERGED
        if not np.isfinite(rz):
            return NONFINITE
        if rz <= 0.0:
            return BREAKDOWN
        phase = RESUME
    while True:
        if phase == RESUME:
            if state[S_ITER] >= maxiter:
                return MAX_ITER
            if kind == EXTERNAL:
                return NEEDS_PRODUCT
            explicit_matvec(kind, dense, data, indices, indptr, shift, p, Ap)
            phase = HAVE_PRODUCT
        if phase == HAVE_PRODUCT:
            state[S_ITER] += 1.0
            kappa = _dot(p, Ap)
            if not np.isfinite(kappa):
                return NONFINITE
            alpha = state[S_RZ] / kappa if kappa > 0.0 else 0.0
            xmx = state[S_XMX] + alpha * (2.0 * state[S_XMP] + alpha * state[S_PMP])
            # Without a radius ‖x‖²_M is never compared: it may overflow to inf = Δ² when
            # x is huge, which is not the boundary of an unbounded region.
            bounded = radius_sq < np.inf
            if kappa <= 0.0 or (bounded and xmx >= radius_sq):
                if kappa <= 0.0 and not bounded:
                    return NEGATIVE_CURVATURE
                tau = boundary_fraction(state[S_XMX], state[S_XMP], state[S_PMP], radius_sq)
                if kappa <= 0.0 and tau > 0.0:
                    # Along negative curvature both boundary points are candidates (N&W
                    # Alg. 7.2): the other root is (‖x‖²_M - Δ²)/(‖p‖²_M τ) ≤ 0, and with
                    # r = b - Ax the model changes by -τ rᵀp + ½τ²κ; keep the lower.
                    tau_back = (state[S_XMX] - radius_sq) / (state[S_PMP] * tau)
                    rp = _dot(r, p)
                    if (
                        -tau_back * rp + 0.5 * tau_back * tau_back * kappa
                        < -tau * rp + 0.5 * tau * tau * kappa
                    ):
                        tau = tau_back
                for i in range(n):
                    x[i] += tau * p[i]
                    r[i] -= tau * Ap[i]
                state[S_XMX] = radius_sq
                return NEGATIVE_CURVATURE if kappa <= 0.0 else BOUNDARY
            rr = 0.0
            for i in range(n):
                x[i] += alpha * p[i]
                ri = r[i] - alpha * Ap[i]
                r[i] = ri
                rr += ri * ri
            state[S_RR] = rr
            state[S_XMX] = xmx
            state[S_ALPHA] = alpha
            if np.sqrt(rr) <= state[S_TOL]:
                return CONVERGED
            if not precondition:
                return NEEDS_PRECONDITIONER
            if inv_diag.shape[0] > 0:
                _apply_inverse_diagonal(inv_diag, r, z)
            phase = HAVE_PRECONDITIONED
        # phase == HAVE_PRECONDITIONED: p = z + βp and the M-norm recurrences. With M = I,
        # z is r itself and rᵀz is the rᵀr just computed: no copy and no second sum.
        identity = precondition and inv_diag.shape[0] == 0
        zr = r if identity else z
        rz = state[S_RR] if identity else _dot(r, z)
        if not np.isfinite(rz):
            return NONFINITE
        if rz <= 0.0:
            return BREAKDOWN
        beta = rz / state[S_RZ]
        state[S_XMP] = beta * (state[S_XMP] + state[S_ALPHA] * state[S_PMP])
        state[S_PMP] = rz + beta * beta * state[S_PMP]
        state[S_RZ] = rz
        for i in range(n):
            p[i] = zr[i] + beta * p[i]
        phase = RESUME


# --------------------------------------------------------------------------------------
# GLTR: Lanczos and the tridiagonal trust-region subproblem
# --------------------------------------------------------------------------------------


@njit(cache=_CACHE, fastmath=_FASTMATH)
def gltr(
    kind,
    dense,
    data,
    indices,
    indptr,
    shift,
    inv_diag,
    precondition,
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
    Q,
    W,
    reorthogonalize,
    s,
    lstate,
    radius,
    rtol,
    maxiter,
    resume,
):
    """GLTR (Gould, Lucidi, Roma & Toint 1999) in reverse communication.

    Preconditioned Lanczos keeps w_k (in the space of g) and q_k = M⁻¹w_k, with QᵀMQ = I
    and QᵀBQ = T tridiagonal (GLRT §2). Iteration k extends T by one row and solves the
    tridiagonal subproblem min γ₀h₀ + ½hᵀTh, ‖h‖ ≤ Δ (``h[:k+1]``), so that s = Qh is
    the minimiser over the Krylov space. Stops when ‖(B + λM)s + g‖_{M⁻¹} = γ_{k+1}|h_k|
    ≤ rtol·γ₀ (GLRT Thm 5.8), on γ_{k+1} = 0 (an invariant subspace: the solution is
    exact), at ``maxiter``, or on a non-finite product (s from the last finite iteration).

    The Lanczos vectors are stored in the rows of ``Q``; when it is full the kernel returns
    ``NEEDS_STORAGE`` and the caller resumes (``RESUME``) with a larger copy, so memory is
    O(k·n) for k iterations. With ``reorthogonalize`` each new residual is M-orthogonalised
    against all earlier q_j (modified Gram–Schmidt, r ← r - (q_jᵀr) w_j, using
    q_jᵀw_i = δ_ij): in floating point Lanczos loses orthogonality, and with it both the
    meaning of h and the convergence (Paige 1976; Golub & Van Loan 2013, §10.3). For a
    diagonal M, w_j = M q_j is formed from the stored q_j; for a general M, whose products
    are the caller's, the w_j are stored in the rows of ``W`` (empty otherwise). Other requests as in :func:`truncated_cg`: ``NEEDS_PRODUCT``
    (write B q into ``u``), ``NEEDS_PRECONDITIONER`` (write M⁻¹r into ``z``). At START,
    z must hold M⁻¹g unless ``precondition``. On a terminal code, ``s`` holds the step and
    ``lstate[L_ITER]`` the number of completed iterations.
    """
    n = g.shape[0]
    for v in (q, u, w, w_prev, r, z, s):
        if v.shape[0] != n:
            raise ValueError("gltr: the work vectors must have the length of g")
    if (
        diag.shape[0] < maxiter
        or off.shape[0] < maxiter
        or h.shape[0] < maxiter
        or Q.shape[1] != n
        or (W.shape[0] > 0 and W.shape[1] != n)
        or lstate.shape[0] < GLTR_STATE_SIZE
        or (inv_diag.shape[0] != 0 and inv_diag.shape[0] != n)
    ):
        raise ValueError("gltr: diag, off, h, Q, W, lstate or inv_diag do not match g")
    phase = resume
    code = CONTINUE
    if phase == START:
        if precondition:
            _apply_inverse_diagonal(inv_diag, g, z)
        gz = _dot(g, z)
        lstate.fill(0.0)
        w_prev.fill(0.0)
        if not np.isfinite(gz):
            code = NONFINITE
        elif gz <= 0.0:
            code = BREAKDOWN
        else:
            gamma0 = np.sqrt(gz)
            for i in range(n):
                w[i] = g[i] / gamma0
                q[i] = z[i] / gamma0
            lstate[L_GAMMA0] = gamma0
        phase = RESUME
    while code == CONTINUE:
        k = int(lstate[L_ITER])
        if phase == RESUME:
            if k >= maxiter:
                code = MAX_ITER
                break
            store_w = reorthogonalize and not precondition
            if k >= Q.shape[0] or (store_w and k >= W.shape[0]):
                return NEEDS_STORAGE
            for j in range(n):
                Q[k, j] = q[j]
            if store_w:
                for j in range(n):
                    W[k, j] = w[j]
            if kind == EXTERNAL:
                return NEEDS_PRODUCT
            explicit_matvec(kind, dense, data, indices, indptr, shift, q, u)
            phase = HAVE_PRODUCT
        if phase == HAVE_PRODUCT:
            # r = B q_k - δ_k w_k - γ_k w_{k-1}
            delta = _dot(q, u)
            if not np.isfinite(delta):
                code = NONFINITE
                break
            gamma = lstate[L_GAMMA]
            for i in range(n):
                r[i] = u[i] - delta * w[i] - gamma * w_prev[i]
            if reorthogonalize:
                identity = inv_diag.shape[0] == 0
                for j in range(k + 1):
                    coef = 0.0
                    for i in range(n):
                        coef += Q[j, i] * r[i]
                    if not precondition:
                        for i in range(n):
                            r[i] -= coef * W[j, i]
                    elif identity:
                        for i in range(n):
                            r[i] -= coef * Q[j, i]
                    else:
                        for i in range(n):
                            r[i] -= coef * Q[j, i] / inv_diag[i]
            diag[k] = delta
            if not precondition:
                return NEEDS_PRECONDITIONER
            _apply_inverse_diagonal(inv_diag, r, z)
        # phase == HAVE_PRECONDITIONED: γ_{k+1} = √(rᵀz), the tridiagonal solve, and the
        # next Lanczos vectors.
        rz = _dot(r, z)
        if not np.isfinite(rz):
            code = NONFINITE
            break
        if rz < 0.0:
            code = BREAKDOWN
            break
        gamma = np.sqrt(rz)
        if gamma <= _LANCZOS_BREAKDOWN * (abs(diag[k]) + lstate[L_GAMMA]):
            # γ_{k+1} is rounding noise: the Krylov space is invariant and T_k is exact.
            # Normalising r would inject a vector of noise, not orthogonal to Q.
            gamma = 0.0
        rhs = np.zeros(k + 1)  # the Krylov space's gradient is γ₀e₁
        rhs[0] = lstate[L_GAMMA0]
        lam, tcode, _ = tridiagonal_tr_solve(
            diag[: k + 1], off[:k], rhs, radius, _TRIDIAG_RTOL, h[: k + 1]
        )
        lstate[L_ITER] = k + 1
        lstate[L_LAM] = lam
        lstate[L_TRIDIAG] = tcode
        lstate[L_RES] = gamma * abs(h[k])
        lstate[L_GAMMA] = gamma
        off[k] = gamma
        if lstate[L_RES] <= rtol * lstate[L_GAMMA0] or gamma == 0.0:
            code = CONVERGED
            break
        for i in range(n):
            w_prev[i] = w[i]
            w[i] = r[i] / gamma
            q[i] = z[i] / gamma
        phase = RESUME
    # s = Σ hᵢ Qᵢ over the completed iterations.
    s.fill(0.0)
    for i in range(int(lstate[L_ITER])):
        hi = h[i]
        for j in range(n):
            s[j] += hi * Q[i, j]
    return code


@njit(cache=_CACHE, fastmath=_IN_ORDER)
def _ldl(diag, off, lam, pivmin, dpiv, lmul):
    """LDLᵀ of T + λI for symmetric tridiagonal T; returns the number of pivots ≤ 0.

    By Sylvester's law of inertia that count is the number of eigenvalues of T ≤ -λ (a
    Sturm count; Golub & Van Loan 2013, §8.4.1). A zero pivot is replaced by -``pivmin``,
    tiny relative to ‖T‖, as LAPACK's dstebz does, so the recurrence never divides by zero.
    """
    count = 0
    d = diag[0] + lam
    for i in range(diag.shape[0]):
        if i > 0:
            lmul[i] = off[i - 1] / d
            d = diag[i] + lam - lmul[i] * off[i - 1]
        if d == 0.0:
            d = -pivmin
        if d < 0.0:
            count += 1
        dpiv[i] = d
    return count


@njit(cache=_CACHE, fastmath=_IN_ORDER)
def _ldl_solve(dpiv, lmul, v):
    """v ← (T + λI)⁻¹ v in place, with the factors from :func:`_ldl`."""
    k = v.shape[0]
    for i in range(1, k):
        v[i] -= lmul[i] * v[i - 1]
    for i in range(k):
        v[i] /= dpiv[i]
    for i in range(k - 2, -1, -1):
        v[i] -= lmul[i + 1] * v[i + 1]


@njit(cache=_CACHE, fastmath=_IN_ORDER)
def tridiagonal_tr_solve(diag, off, c, radius, rtol, h):
    """Global minimiser of cᵀh + ½ hᵀTh subject to ‖h‖₂ ≤ Δ, T symmetric tridiagonal.

    Moré–Sorensen (1983) on a tridiagonal matrix, where each factorisation costs O(k):
    the smallest eigenvalue λ₁ of T is found by Sturm bisection; if T is positive definite
    and the Newton point lies inside, it is the solution; otherwise λ > max(0, -λ₁) solves
    the secular equation ‖h(λ)‖ = Δ by safeguarded Newton on 1/‖h(λ)‖ - 1/Δ (Nocedal &
    Wright 2006, Alg. 4.3), which converges monotonically from the left of the root. If
    even just right of -λ₁ the step is shorter than Δ (the hard case: c has no component
    along the eigenvectors of λ₁), an eigenvector of λ₁ from inverse iteration is added to
    reach the boundary. ``rtol`` bounds |‖h‖ - Δ|/Δ. GLTR calls this with c = γ₀e₁ on the
    Lanczos tridiagonal; "exact" with c = Qᵀg on the Householder tridiagonal form of B.

    Returns ``(lam, code, factorisations)``; ``h`` receives the solution.
    """
    k = diag.shape[0]
    if off.shape[0] < k - 1 or c.shape[0] != k or h.shape[0] != k:
        raise ValueError("tridiagonal_tr_solve: off, c and h do not match diag")
    dpiv = np.empty(k)
    lmul = np.zeros(k)
    work = np.empty(k)
    eps = 2.220446049250313e-16
    cnorm = _norm(c)
    factorisations = 0
    # Gershgorin bounds bracket λ₁ and bound ‖T‖.
    lo = np.inf
    hi = np.inf
    tnorm = 0.0
    for i in range(k):
        row = (abs(off[i - 1]) if i > 0 else 0.0) + (abs(off[i]) if i < k - 1 else 0.0)
        lo = min(lo, diag[i] - row)
        hi = min(hi, diag[i])
        tnorm = max(tnorm, abs(diag[i]) + row)
    # Every threshold below is relative to ‖T‖, ‖c‖ or Δ, so that the solve is invariant
    # under scaling of the data: an absolute one (such as a bare eps) decides differently
    # for T scaled by 1e-95 and turned boundary solutions into false hard cases.
    pivmin = max(eps * eps * tnorm, 1e-300)
    while hi - lo > 4.0 * eps * max(max(abs(lo), abs(hi)), 1e-300):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _ldl(diag, off, -mid, pivmin, dpiv, lmul) > 0:
            hi = mid
        else:
            lo = mid
    lam1 = lo
    h.fill(0.0)
    if cnorm == 0.0 and lam1 >= 0.0:
        return 0.0, TRIDIAG_INTERIOR, factorisations
    lam_lo = max(0.0, -lam1)
    lam_hi = lam_lo + cnorm / radius + eps * tnorm
    # Start at λ = 0 when T is positive definite, else just right of -λ₁.
    shift = 0.0 if lam1 > 0.0 else 1e-14 * max(max(tnorm, cnorm / radius), 1e-300)
    lam = lam_lo + shift
    while _ldl(diag, off, lam, pivmin, dpiv, lmul) > 0:
        shift = 4.0 * max(shift, 1e-300)
        lam = lam_lo + shift
    factorisations += 1
    for i in range(k):
        h[i] = -c[i]
    _ldl_solve(dpiv, lmul, h)
    hnorm = _norm(h)
    if lam == 0.0 and hnorm <= radius:
        return 0.0, TRIDIAG_INTERIOR, factorisations
    hard_case = hnorm < radius
    if not hard_case:
        lam_hi = max(lam_hi, 2.0 * lam)
        for _ in range(200):
            if abs(hnorm - radius) <= rtol * radius or lam_hi - lam_lo <= eps * lam_hi:
                break
            if hnorm > radius:
                lam_lo = lam
            else:
                lam_hi = lam
            # Newton on 1/‖h(λ)‖ - 1/Δ; its derivative needs hᵀ(T + λI)⁻¹h = ‖h‖² ûᵀ(T + λI)⁻¹û
            # with û = h/‖h‖. Formed as the relative error over ûᵀ(T + λI)⁻¹û ~ 1/λ, as
            # hᵀ(T + λI)⁻¹h ~ Δ²/λ underflows to 0 for Δ ≲ 1e-108 (ZeroDivisionError).
            for i in range(k):
                work[i] = h[i] / hnorm
            _ldl_solve(dpiv, lmul, work)
            uw = 0.0
            for i in range(k):
                uw += (h[i] / hnorm) * work[i]
            lam_new = lam + ((hnorm - radius) / radius) / uw
            lam = lam_new if lam_lo < lam_new < lam_hi else 0.5 * (lam_lo + lam_hi)
            while _ldl(diag, off, lam, pivmin, dpiv, lmul) > 0 and lam < lam_hi:
                lam_lo = lam
                lam = 0.5 * (lam_lo + lam_hi)
            factorisations += 1
            for i in range(k):
                h[i] = -c[i]
            _ldl_solve(dpiv, lmul, h)
            hnorm = _norm(h)
        if abs(hnorm - radius) > rtol * radius:
            # The bracket shrank to rounding level with ‖h‖ still off Δ: the root lies
            # within an ulp of the pole at -λ₁ (a nearly hard case). Finish as in the hard
            # case, from the right end of the bracket, where ‖h‖ < Δ.
            lam = lam_hi
            _ldl(diag, off, lam, pivmin, dpiv, lmul)
            factorisations += 1
            for i in range(k):
                h[i] = -c[i]
            _ldl_solve(dpiv, lmul, h)
            hnorm = _norm(h)
            hard_case = hnorm < radius
        if hnorm > radius:
            # Within rtol but outside: scaled onto the boundary, so that every step is
            # feasible whatever rtol (the model value moves by O(rtol)).
            for i in range(k):
                h[i] *= radius / hnorm
    if hard_case:
        # T + λI is (nearly) singular along the eigenvector v of λ₁ and the right-hand side
        # has (almost) no component along it. Add τv so that ‖h + τv‖ = Δ (Moré & Sorensen
        # 1983, §3); both roots give the same model value when v is an eigenvector, so take
        # the one of smaller magnitude, in cancellation-free form.
        # Inverse iteration from (1, 1/2, 1/3, …): no sign pattern or period, so not
        # orthogonal to an eigenvector of a structured T (ones is, to (1, -1)).
        for i in range(k):
            work[i] = 1.0 / (i + 1.0)
        for _ in range(3):
            _ldl_solve(dpiv, lmul, work)
            nv = _norm(work)
            for i in range(k):
                work[i] /= nv
        # In units of Δ, so that Δ² cannot underflow: τ/Δ solves t² + 2(hᵀv/Δ)t = 1 - ‖h‖²/Δ².
        hv = _dot(h, work) / radius
        ratio = hnorm / radius
        gap = (1.0 - ratio) * (1.0 + ratio)
        disc = np.sqrt(hv * hv + gap)
        tau = radius * (gap / (hv + disc) if hv > 0.0 else -gap / (disc - hv))
        for i in range(k):
            h[i] += tau * work[i]
        return lam, TRIDIAG_HARD_CASE, factorisations
    return lam, TRIDIAG_BOUNDARY, factorisations


@njit(cache=_CACHE, fastmath=_FASTMATH)
def gauss_newton_model(jac, model_jac, model_f, d, update_scale, g, norms):
    """The Gauss–Newton model's data at a new iterate, for a dense J (m, n), in one pass
    over each matrix: ``norms`` receives the column norms ‖J_:j‖ of the user's J, ``g`` the
    gradient J̃ᵀf̃ of the model's (rescaled, for a robust loss) J̃ and f̃, and, when
    ``update_scale``, d_j = max(d_j, ‖J_:j‖) (Moré's scaling: D never shrinks)."""
    m, n = jac.shape
    if (
        model_jac.shape[0] != m
        or model_jac.shape[1] != n
        or model_f.shape[0] != m
        or d.shape[0] != n
        or g.shape[0] != n
        or norms.shape[0] != n
    ):
        raise ValueError("gauss_newton_model: the shapes do not match")
    for j in range(n):
        g[j] = 0.0
        norms[j] = 0.0
    for i in range(m):
        for j in range(n):
            norms[j] += jac[i, j] * jac[i, j]
            g[j] += model_jac[i, j] * model_f[i]
    for j in range(n):
        norms[j] = np.sqrt(norms[j])
        if update_scale:
            d[j] = max(d[j], norms[j])


@njit(cache=_CACHE, fastmath=_FASTMATH)
def trial_point(x, p, d, g, lo, hi, out):
    """The trial point of a step p from x: ``out`` = x + p, projected onto [lo, hi] when
    the bounds are given (empty lo and hi: none). Returns (‖Ds‖₂, gᵀs, finite) for the
    step s = out - x actually taken, D = diag(d): the sizes the ratio test and the region
    update need, in one pass; finite is whether x + p is. ‖Ds‖ is scaled by its largest
    entry, as LAPACK's dnrm2, so that it neither overflows nor underflows."""
    n = x.shape[0]
    bounded = lo.shape[0] > 0
    if (
        p.shape[0] != n
        or d.shape[0] != n
        or g.shape[0] != n
        or out.shape[0] != n
        or (bounded and (lo.shape[0] != n or hi.shape[0] != n))
    ):
        raise ValueError("trial_point: x, p, d, g, lo, hi and out do not match")
    slope = 0.0
    big = 0.0
    acc = 0.0
    for i in range(n):
        v = x[i] + p[i]
        acc += v - v  # 0 for finite v, NaN otherwise (see all_finite)
        if bounded:
            v = min(max(v, lo[i]), hi[i])
        out[i] = v
        s = v - x[i]
        slope += g[i] * s
        big = max(big, abs(d[i] * s))
    size = big
    if 0.0 < big < np.inf:
        acc2 = 0.0
        for i in range(n):
            t = d[i] * (out[i] - x[i]) / big
            acc2 += t * t
        size = big * np.sqrt(acc2)
    return size, slope, acc == 0.0


@njit(cache=_CACHE, fastmath=_FASTMATH)
def half_sum_of_squares(f):
    """½Σfᵢ²: inf where the sum overflows (compiled, without numpy's warning)."""
    acc = 0.0
    for i in range(f.shape[0]):
        acc += f[i] * f[i]
    return 0.5 * acc


@njit(cache=_CACHE, fastmath=_FASTMATH)
def max_ratio(numerator, denominator):
    """maxⱼ |aⱼ|/bⱼ over the bⱼ > 0 (0 if there are none): a scale-invariant size of a
    gradient, each component measured against its own scale."""
    if numerator.shape[0] != denominator.shape[0]:
        raise ValueError("max_ratio: the arrays do not match")
    big = 0.0
    for j in range(numerator.shape[0]):
        if denominator[j] > 0.0:
            big = max(big, abs(numerator[j]) / denominator[j])
    return big


@njit(cache=_CACHE, fastmath=_IN_ORDER)
def svd_tr_step(sigma, c, vt, d, cutoff, radius, rtol, z, p):
    """The Levenberg–Marquardt step from the thin SVD JD⁻¹ = U diag(σ) Vᵀ and c = Uᵀf:

        minimise ½‖f + Jp‖²  subject to  ‖Dp‖₂ ≤ Δ   (D = diag(d) > 0).

    In y = VᵀDp the model is ½‖c + diag(σ)y‖² plus a constant, and its minimiser in the
    ball is y(λ)ᵢ = -σᵢcᵢ/(σᵢ² + λ). The Gauss–Newton step (λ = 0) is yᵢ = -cᵢ/σᵢ over the
    σᵢ > ``cutoff`` (the others count as zero: the minimum-norm step of a rank-deficient
    J), taken when ‖y‖ ≤ (1 + rtol)Δ. Otherwise λ > 0 solves ‖y(λ)‖ = Δ by Newton's
    method on 1/‖y(λ)‖ - 1/Δ from λ = 0, which is concave in λ, so the iterates increase
    monotonically to the root (Hebden 1973; Moré 1978, §5); they stop once
    ‖y‖ ≤ (1 + rtol)Δ (Moré: 10% costs nothing in the convergence theory), and a y still
    outside is scaled onto the boundary. The Hessian diag(σ²) is positive semidefinite
    and σᵢcᵢ = 0 wherever σᵢ = 0, so there is no hard case. ``z`` receives y; ``p``
    receives the step p = D⁻¹Vy.

    Returns ``(lam, predicted)``: λ (0 for the Gauss–Newton step) and the predicted
    reduction m(0) - m(p) ≥ 0.
    """
    k = sigma.shape[0]
    n = p.shape[0]
    if c.shape[0] != k or z.shape[0] != k or vt.shape[0] != k or vt.shape[1] != n:
        raise ValueError("svd_tr_step: sigma, c, z, vt and p do not match")
    if d.shape[0] != n:
        raise ValueError("svd_tr_step: d does not match p")
    predicted = 0.0
    for i in range(k):
        if sigma[i] > cutoff:
            z[i] = -c[i] / sigma[i]
            predicted += c[i] * c[i]
        else:
            z[i] = 0.0
    predicted *= 0.5
    size = _norm(z)
    lam = 0.0
    if size > (1.0 + rtol) * radius:
        for _ in range(100):
            # ‖y‖² ψ'(λ)·‖y‖ = Σ (σᵢcᵢ)²/(σᵢ² + λ)³, in units that cannot overflow
            slope = 0.0
            for i in range(k):
                if z[i] != 0.0:
                    slope += z[i] * z[i] / (sigma[i] * sigma[i] + lam)
            lam += (size - radius) / radius * (size * size) / slope
            for i in range(k):
                z[i] = -sigma[i] * c[i] / (sigma[i] * sigma[i] + lam) if sigma[i] > cutoff else 0.0
            size = _norm(z)
            if size <= (1.0 + rtol) * radius:
                break
        if size > radius:
            # within rtol but outside: onto the boundary, as tridiagonal_tr_solve does
            for i in range(k):
                z[i] *= radius / size
        predicted = 0.0
        for i in range(k):
            predicted -= (sigma[i] * c[i] + 0.5 * sigma[i] * sigma[i] * z[i]) * z[i]
    for j in range(n):
        acc = 0.0
        for i in range(k):
            acc += vt[i, j] * z[i]
        p[j] = acc / d[j]
    return lam, max(predicted, 0.0)


# One-sided Jacobi beats LAPACK's call overhead on the few columns of curve fitting and
# loses to its blocked algorithms on many: past this many columns, least_squares
# factorises by LAPACK from Python instead.
JACOBI_MAX_COLUMNS = 32
_JACOBI_SWEEPS = 30


@njit(cache=_CACHE, fastmath=_FASTMATH)
def scaled_svd(jac, f, d, a, qtf, sigma, c, vt):
    """The SVD JD⁻¹ = U diag(σ) Vᵀ that the Levenberg–Marquardt step needs
    (:func:`svd_tr_step`), for J (m, n), f (m,) and d (n,) > 0: ``sigma`` (n,) receives σ
    (in no particular order; n - m of them are zero when m < n), ``c`` (n,) receives Uᵀf
    and ``vt`` (n, n) receives Vᵀ. ``a`` (n, m) (JD⁻¹ transposed, so that its columns
    are contiguous) and ``qtf`` (m,) are work. Returns the largest σ.

    JD⁻¹, scaled by a power of two so that its squares stay in range, is first reduced
    by Householder QR (JD⁻¹ = QR, with Qᵀf alongside); R then goes to one-sided Jacobi
    (Hestenes 1958), which rotates pairs of its columns until all are orthogonal to
    working precision, |w_pᵀw_q| ≤ u‖w_p‖‖w_q‖: then W = RV, σⱼ = ‖wⱼ‖ and
    cⱼ = wⱼᵀ(Qᵀf)/σⱼ. Jacobi on a triangular factor computes the singular values to high
    relative accuracy (Demmel & Veselić 1992), and for the few columns of curve fitting
    costs less than LAPACK's call overhead (past JACOBI_MAX_COLUMNS columns, LAPACK's
    blocked SVD wins: callers use it there).
    """
    m, n = jac.shape
    if (
        f.shape[0] != m
        or d.shape[0] != n
        or a.shape[0] != n
        or a.shape[1] != m
        or qtf.shape[0] != m
        or sigma.shape[0] != n
        or c.shape[0] != n
        or vt.shape[0] != n
        or vt.shape[1] != n
    ):
        raise ValueError("scaled_svd: the shapes do not match")
    # Reciprocals, not divisions, in the O(mn) loops: they cost a rounding and save
    # most of the time on the few columns of curve fitting.
    big = 0.0
    for j in range(n):
        column = 0.0
        for i in range(m):
            column = max(column, abs(jac[i, j]))
        big = max(big, column / d[j])
    scale = power_of_two(big, np.inf)
    for j in range(n):
        inverse = (1.0 / d[j]) / scale  # exact division: scale is a power of two
        for i in range(m):
            a[j, i] = jac[i, j] * inverse
    for i in range(m):
        qtf[i] = f[i]
    k = min(m, n)
    for j in range(k):
        # H = I - τvvᵀ, v = (1, A[j+1:, j]/v₀), maps column j of A below the diagonal to zero
        tail = 0.0
        for i in range(j + 1, m):
            tail += a[j, i] * a[j, i]
        if tail == 0.0:
            continue
        x0 = a[j, j]
        beta = -np.sqrt(x0 * x0 + tail) if x0 >= 0.0 else np.sqrt(x0 * x0 + tail)
        tau = (beta - x0) / beta
        inverse = 1.0 / (x0 - beta)
        for i in range(j + 1, m):
            a[j, i] *= inverse
        for col in range(j + 1, n):
            w = a[col, j]
            for i in range(j + 1, m):
                w += a[j, i] * a[col, i]
            w *= tau
            a[col, j] -= w
            for i in range(j + 1, m):
                a[col, i] -= w * a[j, i]
        w = qtf[j]
        for i in range(j + 1, m):
            w += a[j, i] * qtf[i]
        w *= tau
        qtf[j] -= w
        for i in range(j + 1, m):
            qtf[i] -= w * a[j, i]
        a[j, j] = beta
        for i in range(j + 1, k):  # R's part below the diagonal (v is not needed again)
            a[j, i] = 0.0
    for i in range(n):
        for j in range(n):
            vt[i, j] = 1.0 if i == j else 0.0
    largest = 0.0
    for _ in range(_JACOBI_SWEEPS):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha = 0.0
                beta = 0.0
                gamma = 0.0
                for i in range(k):
                    alpha += a[p, i] * a[p, i]
                    beta += a[q, i] * a[q, i]
                    gamma += a[p, i] * a[q, i]
                if gamma == 0.0 or abs(gamma) <= _EPS * np.sqrt(alpha * beta):
                    continue
                rotated = True
                # The rotation that zeroes w_pᵀw_q: t = tan θ, the root of
                # t² + 2ζt - 1 = 0 of smaller magnitude (Rutishauser's formula).
                diff = beta - alpha
                if abs(diff) * 1e-150 > abs(gamma):
                    t = gamma / diff  # 1/(2ζ), to first order, where ζ² would overflow
                else:
                    zeta = diff / (2.0 * gamma)
                    t = 1.0 / (abs(zeta) + np.sqrt(1.0 + zeta * zeta))
                    if zeta < 0.0:
                        t = -t
                cs = 1.0 / np.sqrt(1.0 + t * t)
                sn = cs * t
                for i in range(k):
                    wp, wq = a[p, i], a[q, i]
                    a[p, i] = cs * wp - sn * wq
                    a[q, i] = sn * wp + cs * wq
                for j in range(n):
                    vp, vq = vt[p, j], vt[q, j]
                    vt[p, j] = cs * vp - sn * vq
                    vt[q, j] = sn * vp + cs * vq
        if not rotated:
            break
    for j in range(n):
        size = 0.0
        acc = 0.0
        for i in range(k):
            size += a[j, i] * a[j, i]
            acc += a[j, i] * qtf[i]
        size = np.sqrt(size)
        c[j] = acc / size if size > 0.0 else 0.0
        sigma[j] = size * scale
        largest = max(largest, sigma[j])
    return largest


@njit(cache=_CACHE, fastmath=_FASTMATH)
def householder_apply(reflectors, tau, x, transpose):
    """x ← Qᵀx (``transpose``) or Qx, Q = H₀H₁⋯H_{n-2} from LAPACK's dsytrd (lower).

    Hᵢ = I - τᵢvᵢvᵢᵀ with vᵢ = (0, …, 0, 1, a[i+2:, i]), the 1 at position i + 1
    (LAPACK Users' Guide, dsytrd, UPLO = 'L'). ``reflectors`` is the transpose of dsytrd's
    output, so that each vᵢ's stored tail is the contiguous row ``reflectors[i, i+2:]``.
    """
    n = x.shape[0]
    if reflectors.shape[0] < n - 1 or reflectors.shape[1] != n or tau.shape[0] < n - 1:
        raise ValueError("householder_apply: reflectors and tau do not match x")
    for step in range(n - 1):
        i = step if transpose else n - 2 - step
        t = tau[i]
        if t == 0.0:
            continue
        d = x[i + 1]
        for j in range(i + 2, n):
            d += reflectors[i, j] * x[j]
        d *= t
        x[i + 1] -= d
        for j in range(i + 2, n):
            x[j] -= d * reflectors[i, j]


@njit(cache=_CACHE, fastmath=_FASTMATH)
def all_finite(v):
    """Whether every entry of the 1-D array v is finite. x - x is 0 for finite x and NaN
    for ±inf and NaN, so one branch-free (vectorisable) sum decides, with no overflow."""
    acc = 0.0
    for i in range(v.shape[0]):
        acc += v[i] - v[i]
    return acc == 0.0


@njit(cache=_CACHE, fastmath=_FASTMATH)
def max_abs(v):
    """max|vᵢ| of a 1-D array (0 for an empty one; NaN entries are skipped): the size the
    drivers rescale by, in one pass and with no temporary array."""
    big = 0.0
    for i in range(v.shape[0]):
        big = max(big, abs(v[i]))
    return big


# Entries within these bounds have squares, and sums of up to 10²⁰ squares, well inside
# the float64 range; beyond them the norm is scaled.
_EPS = np.finfo(np.float64).eps
_SQUARES_SAFE_LOW = 1e-140
_SQUARES_SAFE_HIGH = 1e140
# Scales within 2^±32 of 1 put nothing at risk: the data are left as they are.
_RESCALE_FREE_EXPONENT = 32


@njit(cache=_CACHE, fastmath=_FASTMATH)
def norm2(v):
    """‖v‖₂: √(v·v) where the entries' squares neither overflow nor underflow, otherwise
    scaled by max|vᵢ| first (LAPACK's dnrm2). Non-finite entries give inf or NaN."""
    big = max_abs(v)
    if _SQUARES_SAFE_LOW < big < _SQUARES_SAFE_HIGH:
        return np.sqrt(_dot(v, v))
    if big == 0.0 and all_finite(v):
        return 0.0
    if not all_finite(v):
        return _dot(v, v)  # inf, or NaN where there is one
    return _norm(v)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def power_of_two(a, b):
    """The power of two nearest the geometric mean of the positive finite ones among a
    and b (pass b = inf for one magnitude), or 1.0 if there are none or it is within
    2^±32 of 1: dividing by it is exact, and keeps squared norms in range."""
    total = 0.0
    count = 0
    if 0.0 < a < np.inf:
        total += np.log2(a)
        count += 1
    if 0.0 < b < np.inf:
        total += np.log2(b)
        count += 1
    if count == 0:
        return 1.0
    exponent = np.rint(total / count)
    if abs(exponent) <= _RESCALE_FREE_EXPONENT:
        return 1.0
    return np.ldexp(1.0, int(exponent))


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _dot(a, b):
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    return acc


@njit(cache=_CACHE, fastmath=_IN_ORDER)
def _norm(v):
    """‖v‖₂ without overflow or underflow in the squares: scaled by max|vᵢ| first, as
    LAPACK's dnrm2 does (an h of entries 1e-212 has ‖h‖² = 0). Two passes, for the short
    vectors of the tridiagonal solve only."""
    big = 0.0
    for i in range(v.shape[0]):
        big = max(big, abs(v[i]))
    if big == 0.0 or not np.isfinite(big):
        return big
    acc = 0.0
    for i in range(v.shape[0]):
        t = v[i] / big
        acc += t * t
    return big * np.sqrt(acc)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _apply_inverse_diagonal(inv_diag, r, z):
    """z = M⁻¹ r for diagonal M given by its inverse diagonal (empty array: M = I)."""
    if inv_diag.shape[0] == 0:
        for i in range(r.shape[0]):
            z[i] = r[i]
    else:
        for i in range(r.shape[0]):
            z[i] = inv_diag[i] * r[i]


@njit(cache=_CACHE)
def greedy_column_groups(col_ptr, col_rows, row_ptr, row_cols, groups):
    """Colour the columns of an m×n sparsity pattern greedily, in column order, into
    structurally orthogonal groups (no two columns of a group share a row): Curtis,
    Powell & Reid (1974), "On the estimation of sparse Jacobian matrices". Column j takes
    the smallest group that no earlier column sharing a row with it has taken.

    The pattern comes twice, as CSC (``col_ptr``, ``col_rows``) and as CSR (``row_ptr``,
    ``row_cols``), all int64, without duplicates; the group of each column is
    written into ``groups`` (int64, length n) and the number of groups is returned. The
    work is Σᵢ (entries of row i)², so O(nnz) for a banded pattern; every index is
    checked, which costs no more than the colouring itself.
    """
    n = col_ptr.shape[0] - 1
    m = row_ptr.shape[0] - 1
    nnz = col_rows.shape[0]
    if (
        n < 0
        or m < 0
        or groups.shape[0] != n
        or row_cols.shape[0] != nnz
        or col_ptr[0] != 0
        or row_ptr[0] != 0
        or col_ptr[n] != nnz
        or row_ptr[m] != nnz
    ):
        raise ValueError("greedy_column_groups: the CSC and CSR patterns or groups do not match")
    for j in range(n):
        if col_ptr[j + 1] < col_ptr[j]:
            raise ValueError("greedy_column_groups: col_ptr is not non-decreasing")
    for i in range(m):
        if row_ptr[i + 1] < row_ptr[i]:
            raise ValueError("greedy_column_groups: row_ptr is not non-decreasing")
    for p in range(nnz):
        if col_rows[p] < 0 or col_rows[p] >= m or row_cols[p] < 0 or row_cols[p] >= n:
            raise ValueError("greedy_column_groups: an index lies outside the pattern")
    # taken[c] == j: group c already holds a column that shares a row with column j.
    taken = np.full(n, -1, dtype=np.int64)
    count = 0
    for j in range(n):
        for p in range(col_ptr[j], col_ptr[j + 1]):
            i = col_rows[p]
            for q in range(row_ptr[i], row_ptr[i + 1]):
                k = row_cols[q]
                if k < j:  # the columns after j are not coloured yet
                    taken[groups[k]] = j
        c = 0
        while taken[c] == j:
            c += 1
        groups[j] = c
        if c == count:
            count += 1
    return count
