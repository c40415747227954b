"""Each Numba kernel against a plain numpy reference written here.

Marked ``kernels``: CI runs these again with ``NUMBA_DISABLE_JIT=1`` so that the kernel
bodies execute as Python (coverage, readable tracebacks).
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from trustregion import _gauss_newton_iteration as G
from trustregion import _iteration as T
from trustregion import _kernels as K
from trustregion._minimize._machine import option_array
from trustregion._minimize._options import TrustRegionOptions

pytestmark = pytest.mark.kernels

E1 = np.empty(0)
EI = np.empty(0, dtype=np.uint64)
EP = np.empty(0, dtype=np.int64)
E2 = np.empty((0, 0))


def dense_args(A, shift=0.0):
    return (K.DENSE, np.ascontiguousarray(A), E1, EI, EP, shift)


def csr_args(A, shift=0.0):
    csr = sp.csr_matrix(A)
    return (
        K.CSR,
        E2,
        csr.data.astype(float),
        csr.indices.astype(np.uint64),
        csr.indptr.astype(np.int64),
        shift,
    )


def spd(rng, n, cond=100.0):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


class Poisoned:
    """A @ v for the first products, then a vector of ``value`` from product ``bad`` on."""

    def __init__(self, A, bad, value):
        self.A, self.bad, self.value, self.calls = A, bad, value, 0

    def __matmul__(self, v):
        self.calls += 1
        return self.A @ v if self.calls < self.bad else np.full(v.shape[0], self.value)


def symmetric(rng, n, lo=-1.0, hi=5.0):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.linspace(lo, hi, n)) @ Q.T


# ---- products -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_all_finite():
    assert K.all_finite(np.array([1.0, -1e308, 1e308, 0.0]))  # no overflow on huge values
    for bad in (np.inf, -np.inf, np.nan):
        assert not K.all_finite(np.array([1.0, bad, 2.0]))
    assert K.all_finite(np.empty(0))


def test_max_abs():
    assert K.max_abs(np.array([1.0, -3e300, 2.0])) == 3e300
    assert K.max_abs(np.array([-1e-320, 0.0])) == 1e-320
    assert K.max_abs(np.empty(0)) == 0.0
    assert K.max_abs(np.array([np.nan, -2.0])) == 2.0  # NaN is left to the finiteness checks


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e-150, 1e150, 1e200, 1e-310])
def test_norm2_is_the_euclidean_norm_at_every_scale(scale):
    v = np.array([3.0, -4.0, 0.0, 12.0]) * scale
    expected = 13.0 * scale  # (3, 4, 12) is a Pythagorean quadruple: ‖v‖ = 13 exactly
    assert K.norm2(v) == pytest.approx(expected, rel=1e-13, abs=1e-323)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_norm2_of_zero_and_of_non_finite_vectors():
    assert K.norm2(np.zeros(3)) == 0.0
    assert K.norm2(np.array([1.0, np.inf])) == np.inf
    assert np.isnan(K.norm2(np.array([1.0, np.nan])))
    assert np.isnan(K.norm2(np.array([np.nan, 0.0])))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (1.0, np.inf, 1.0),
        (2.0**40, np.inf, 2.0**40),
        (2.0**-40, np.inf, 2.0**-40),
        (3.0 * 2.0**50, np.inf, 2.0**52),  # log2 = 51.58 rounds to 52
        (2.0**100, 2.0**-20, 2.0**40),  # the geometric mean's exponent
        (2.0**20, 2.0**30, 1.0),  # within 2^±32 of 1: no scaling
        (0.0, np.nan, 1.0),
        (np.inf, 0.0, 1.0),
    ],
)
def test_power_of_two_is_nearest_the_geometric_mean(a, b, expected):
    assert K.power_of_two(a, b) == expected


@pytest.mark.parametrize("shift", [0.0, 0.3])
@pytest.mark.parametrize("form", [dense_args, csr_args])
def test_explicit_matvec_matches_numpy(form, shift):
    rng = np.random.default_rng(0)
    A = sp.random(40, 40, density=0.2, random_state=1).toarray()
    v = rng.standard_normal(40)
    out = np.empty(40)
    K.explicit_matvec(*form(A, shift), v, out)
    np.testing.assert_allclose(out, A @ v + shift * v, rtol=1e-13, atol=1e-13)


# ---- boundary step --------------------------------------------------------------------


@pytest.mark.parametrize("x_scale", [0.0, 0.5, 0.999999])
def test_boundary_fraction_solves_the_quadratic(x_scale):
    rng = np.random.default_rng(2)
    for _ in range(50):
        x = rng.standard_normal(5)
        x *= x_scale / max(np.linalg.norm(x), 1e-300)
        p = rng.standard_normal(5) * 10.0 ** rng.uniform(-3, 3)
        tau = K.boundary_fraction(x @ x, x @ p, p @ p, 1.0)
        assert tau >= 0.0
        assert math.isclose(np.linalg.norm(x + tau * p), 1.0, rel_tol=1e-12)


def test_boundary_fraction_is_cancellation_free():
    # ‖x‖² = 1/4, xᵀp = 1e8, ‖p‖² = 1, Δ = 1: the textbook root (-b + √(b² - ac))/a
    # subtracts two numbers equal to all 16 digits and returns 0; the root is 3.75e-9.
    tau = K.boundary_fraction(0.25, 1e8, 1.0, 1.0)
    exact = 0.75 / (1e8 + math.sqrt(1e16 + 0.75))
    assert math.isclose(tau, exact, rel_tol=1e-14)
    naive = (-1e8 + math.sqrt(1e16 + 0.75)) / 1.0
    assert naive == 0.0  # what the stable form avoids


# ---- truncated CG ---------------------------------------------------------------------


def reference_truncated_cg(A, b, inv_diag, radius, tol, maxiter):
    """Textbook preconditioned Steihaug–Toint CG in numpy (N&W Alg. 7.2, CGT Alg. 7.5.1)."""
    Mdiag = 1.0 / inv_diag
    x = np.zeros_like(b)
    r = b.copy()
    z = inv_diag * r
    p = z.copy()
    for it in range(1, maxiter + 1):
        Ap = A @ p
        kappa = p @ Ap
        alpha = (r @ z) / kappa if kappa > 0 else 0.0
        trial = x + alpha * p
        if kappa <= 0 or np.sqrt(trial @ (Mdiag * trial)) >= radius:
            why = "negative_curvature" if kappa <= 0 else "boundary"
            if not np.isfinite(radius):
                return x, why, it
            a, bq, c = p @ (Mdiag * p), x @ (Mdiag * p), x @ (Mdiag * x) - radius**2
            roots = [(-bq + np.sqrt(bq * bq - a * c)) / a]
            if kappa <= 0:  # both boundary points are candidates (N&W Alg. 7.2)
                roots.append((-bq - np.sqrt(bq * bq - a * c)) / a)
            model = lambda v: -b @ v + 0.5 * v @ A @ v  # noqa: E731
            return min((x + t * p for t in roots), key=model), why, it
        x = x + alpha * p
        r_new = r - alpha * Ap
        if np.linalg.norm(r_new) <= tol:
            return x, "converged", it
        z_new = inv_diag * r_new
        beta = (r_new @ z_new) / (r @ z)
        p = z_new + beta * p
        r, z = r_new, z_new
    return x, "max_iter", maxiter


def run_kernel_tcg(args, b, inv_diag, radius, tol, maxiter, external_A=None):
    n = b.shape[0]
    x = np.empty(n)
    work = np.empty((4, n))
    r, z, p, Ap = work
    state = K.TruncatedCGState()
    # tol as an absolute tolerance: rtol = 0, atol = tol.
    call = args + (inv_diag, True, b, x, work, state.array, radius**2, 0.0, tol, maxiter, True)
    code = K.truncated_cg(*call, K.START_FROM_ZERO)
    while code == K.NEEDS_PRODUCT:
        Ap[:] = external_A @ p
        code = K.truncated_cg(*call, K.HAVE_PRODUCT)
    return x, r, code, state.iterations


CODES = {
    "converged": K.CONVERGED,
    "boundary": K.BOUNDARY,
    "negative_curvature": K.NEGATIVE_CURVATURE,
    "max_iter": K.MAX_ITER,
}


@pytest.mark.parametrize("radius", [math.inf, 0.3, 30.0])
@pytest.mark.parametrize("definite", [True, False])
@pytest.mark.parametrize("form", ["dense", "csr", "external"])
def test_truncated_cg_matches_numpy_reference(form, definite, radius):
    rng = np.random.default_rng(3)
    n = 25
    A = spd(rng, n) if definite else symmetric(rng, n)
    b = rng.standard_normal(n)
    inv_diag = 1.0 / rng.uniform(0.5, 2.0, n)
    if not definite and not np.isfinite(radius):
        radius = 1e6
    args = {
        "dense": dense_args(A),
        "csr": csr_args(A),
        "external": (K.EXTERNAL, E2, E1, EI, EP, 0.0),
    }[form]
    x, r, code, iters = run_kernel_tcg(args, b, inv_diag, radius, 1e-10, 3 * n, external_A=A)
    x_ref, why, it_ref = reference_truncated_cg(A, b, inv_diag, radius, 1e-10, 3 * n)
    assert code == CODES[why]
    # Rounding differs between the kernel and numpy (fused multiply-adds, summation order,
    # the CPU's vector width: AMD and Intel machines disagree), and near the tolerance one
    # side may need an iteration more. The solution and the stop reason are what must
    # agree; the counts only roughly.
    assert abs(iters - it_ref) <= max(2, it_ref // 10)
    np.testing.assert_allclose(x, x_ref, rtol=1e-8, atol=1e-10 * np.linalg.norm(x_ref))
    # r stays the residual of x, also after a boundary step.
    np.testing.assert_allclose(r, b - A @ x, atol=1e-9 * np.linalg.norm(b))


def test_truncated_cg_reports_negative_curvature_without_moving():
    A = np.diag([1.0, -1.0])
    b = np.array([1.0, 1.0])
    x, r, code, iters = run_kernel_tcg(dense_args(A), b, E1, math.inf, 1e-12, 10)
    assert code == K.NEGATIVE_CURVATURE
    assert np.isfinite(x).all()
    np.testing.assert_allclose(r, b - A @ x)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_truncated_cg_nonfinite_product_keeps_last_iterate():
    n = 6
    A = spd(np.random.default_rng(4), n)
    b = np.ones(n)
    x, r, code, iters = run_kernel_tcg(
        (K.EXTERNAL, E2, E1, EI, EP, 0.0),
        b,
        E1,
        math.inf,
        1e-14,
        10,
        external_A=Poisoned(A, 3, np.nan),
    )
    assert code == K.NONFINITE and iters == 3
    assert np.isfinite(x).all() and np.isfinite(r).all()
    np.testing.assert_allclose(r, b - A @ x, atol=1e-12)


# ---- tridiagonal trust-region subproblem ------------------------------------------------


def reference_tridiagonal(diag, off, c0, radius):
    """Global minimum of c0 h0 + ½hᵀTh, ‖h‖ ≤ Δ via eigh and bisection on λ."""
    T = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    evals, V = np.linalg.eigh(T)
    c = c0 * V[0]
    if evals[0] > 0 and np.linalg.norm(c / evals) <= radius:
        return V @ (-c / evals)
    lo = max(0.0, -evals[0])
    mask = np.abs(c) > 1e-14 * abs(c0)
    hi = lo + abs(c0) / radius + 1.0
    f = lambda lam: np.linalg.norm(c[mask] / (evals[mask] + lam)) - radius  # noqa: E731
    if f(lo + 1e-15 * max(1.0, hi)) < 0:  # hard case
        y = np.where(mask, -c / np.where(mask, evals + lo, 1.0), 0.0)
        y[0] = math.sqrt(max(radius**2 - y @ y, 0.0))
        return V @ y
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return V @ (-c / (evals + hi))


def tri_model(diag, off, c0, h):
    T = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    return c0 * h[0] + 0.5 * h @ T @ h


@pytest.mark.parametrize("seed", range(12))
def test_tridiagonal_tr_solve_is_the_global_minimum(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 30))
    diag = rng.standard_normal(k) * 3.0 + (2.0 if seed % 3 == 0 else 0.0)
    off = rng.uniform(0.1, 2.0, max(k - 1, 0))
    c0 = float(rng.uniform(0.1, 3.0))
    radius = float(10.0 ** rng.uniform(-2, 2))
    h = np.empty(k)
    c = np.zeros(k)
    c[0] = c0
    lam, code, _ = K.tridiagonal_tr_solve(diag, off, c, radius, 1e-13, h)
    assert np.linalg.norm(h) <= radius * (1 + 1e-10)
    ref = reference_tridiagonal(diag, off, c0, radius)
    m, m_ref = tri_model(diag, off, c0, h), tri_model(diag, off, c0, ref)
    assert m <= m_ref + 1e-10 * max(1.0, abs(m_ref))
    # Optimality: (T + λI)h = -c0 e1 with λ ≥ 0 and T + λI ⪰ 0.
    T = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    rhs = np.zeros(k)
    rhs[0] = -c0
    np.testing.assert_allclose(
        (T + lam * np.eye(k)) @ h, rhs, atol=1e-8 * max(1.0, np.abs(T).max() * radius, c0)
    )
    assert lam >= 0 and np.linalg.eigvalsh(T + lam * np.eye(k))[0] >= -1e-9 * max(1, lam)
    assert code in (K.TRIDIAG_INTERIOR, K.TRIDIAG_BOUNDARY, K.TRIDIAG_HARD_CASE)


@pytest.mark.parametrize(
    "beta, rho",
    [(2.0**-316, 1.0), (2.0**316, 1.0), (1.0, 2.0**-400), (1.0, 2.0**400), (2.0**300, 2.0**-400)],
)
def test_tridiagonal_tr_solve_is_scale_invariant(beta, rho):
    """Substituting h = ρu shows that (βT, βρc, ρΔ) has the solution ρ·h(T, c, Δ) with
    multiplier βλ. Scaling by powers of two is exact, so a solver whose thresholds are all
    relative returns exactly that; an absolute eps made T ~ 1e-95 a false hard case, and
    hᵀ(T + λI)⁻¹h ~ Δ²/λ underflowed to 0 (ZeroDivisionError) for Δ ≲ 1e-108."""
    rng = np.random.default_rng(10)
    for _ in range(300):
        k = int(rng.integers(1, 12))
        diag = rng.standard_normal(k) * 3.0
        off = rng.uniform(0.1, 2.0, k - 1) * (rng.random(k - 1) > 0.3)  # some blocks
        c = rng.standard_normal(k) * (rng.random(k) > 0.5)  # some hard cases
        radius = float(10.0 ** rng.uniform(-2, 2))
        h, h_scaled = np.empty(k), np.empty(k)
        lam, code, _ = K.tridiagonal_tr_solve(diag, off, c, radius, 1e-13, h)
        lam_s, code_s, _ = K.tridiagonal_tr_solve(
            beta * diag, beta * off, beta * rho * c, rho * radius, 1e-13, h_scaled
        )
        assert code_s == code
        np.testing.assert_allclose(h_scaled / rho, h, rtol=1e-12, atol=1e-14 * radius)
        assert math.isclose(lam_s / beta, lam, rel_tol=1e-12, abs_tol=1e-300)


def test_tridiagonal_tr_solve_hard_case():
    # T = diag(1, -2) with a zero coupling: e1 has no component along the eigenvector of
    # the smallest eigenvalue -2, and the radius exceeds ‖h(2)‖ = c0/3.
    diag = np.array([1.0, -2.0])
    off = np.array([0.0])
    h = np.empty(2)
    lam, code, _ = K.tridiagonal_tr_solve(diag, off, np.array([1.0, 0.0]), 1.0, 1e-13, h)
    assert code == K.TRIDIAG_HARD_CASE
    assert math.isclose(lam, 2.0, rel_tol=1e-10)
    assert math.isclose(np.linalg.norm(h), 1.0, rel_tol=1e-10)
    assert math.isclose(h[0], -1.0 / 3.0, rel_tol=1e-8)


# ---- GLTR -----------------------------------------------------------------------------


def run_kernel_gltr(
    args, g, inv_diag, radius, rtol, maxiter, external_B=None, reorthogonalize=True
):
    n = g.shape[0]
    q, u, w, w_prev, r, z, s = (np.empty(n) for _ in range(7))
    diag, off, h = np.empty(maxiter), np.empty(maxiter), np.zeros(maxiter)
    state = K.GLTRState()
    Q = np.empty((2, n))
    W = np.empty((0, n))  # a diagonal metric: the kernel forms w_j = M q_j itself
    while True:
        call = args + (
            inv_diag,
            True,
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
            state.array,
            radius,
            rtol,
            maxiter,
        )
        code = K.gltr(*call, K.START)
        while code in (K.NEEDS_PRODUCT, K.NEEDS_STORAGE):
            if code == K.NEEDS_STORAGE:
                Q = np.concatenate([Q, np.empty_like(Q)])
                call = call[:18] + (Q,) + call[19:]
                code = K.gltr(*call, K.RESUME)
            else:
                u[:] = external_B @ q
                code = K.gltr(*call, K.HAVE_PRODUCT)
        return s, code, state.iterations, state.multiplier


def reference_global(g, B, Mdiag, radius):
    """Global minimum with metric diag(Mdiag), by scaling to the Euclidean problem."""
    d = 1.0 / np.sqrt(Mdiag)
    y = reference_tridiagonal_dense(d * g, d[:, None] * B * d[None, :], radius)
    return d * y


def reference_tridiagonal_dense(g, H, radius):
    evals, V = np.linalg.eigh(H)
    c = V.T @ g
    if evals[0] > 0 and np.linalg.norm(c / evals) <= radius:
        return V @ (-c / evals)
    lo = max(0.0, -evals[0])
    hi = lo + np.linalg.norm(g) / radius + 1.0
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.linalg.norm(c / (evals + mid)) > radius else (lo, mid)
    return V @ (-c / (evals + hi))


@pytest.mark.parametrize("reorthogonalize", [True, False])
@pytest.mark.parametrize("radius", [0.1, 1.0, 100.0])
@pytest.mark.parametrize("form", ["dense", "csr", "external"])
def test_gltr_reaches_the_global_minimum(form, radius, reorthogonalize):
    rng = np.random.default_rng(5)
    n = 20
    B = symmetric(rng, n, -2.0, 6.0) if radius < 100 else spd(rng, n, 50.0)
    g = rng.standard_normal(n)
    Mdiag = rng.uniform(0.5, 2.0, n)
    args = {
        "dense": dense_args(B),
        "csr": csr_args(B),
        "external": (K.EXTERNAL, E2, E1, EI, EP, 0.0),
    }[form]
    s, code, k, lam = run_kernel_gltr(
        args, g, 1.0 / Mdiag, radius, 1e-12, 4 * n, external_B=B, reorthogonalize=reorthogonalize
    )
    assert code == K.CONVERGED
    if reorthogonalize:  # exact arithmetic's bound on Lanczos steps holds again
        assert k <= n
    ref = reference_global(g, B, Mdiag, radius)
    model = lambda v: g @ v + 0.5 * v @ B @ v  # noqa: E731
    assert model(s) <= model(ref) + 1e-9 * max(1.0, abs(model(ref)))
    assert math.sqrt(s @ (Mdiag * s)) <= radius * (1 + 1e-10)
    np.testing.assert_allclose(B @ s + lam * Mdiag * s, -g, atol=1e-8 * np.linalg.norm(g))


# Run as Python (NUMBA_DISABLE_JIT=1) the kernels' arithmetic on inf warns; compiled it
# does not. What is tested is the result.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_gltr_nonfinite_product_returns_last_solution():
    rng = np.random.default_rng(6)
    n = 10
    B = symmetric(rng, n)
    g = rng.standard_normal(n)
    s, code, k, lam = run_kernel_gltr(
        (K.EXTERNAL, E2, E1, EI, EP, 0.0), g, E1, 1.0, 1e-12, n, external_B=Poisoned(B, 4, np.inf)
    )
    assert code == K.NONFINITE and k == 3
    assert np.isfinite(s).all() and np.linalg.norm(s) <= 1.0 + 1e-10


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("form", [dense_args, csr_args])
def test_truncated_cg_checks_inputs_before_any_work(form):
    A = np.eye(3)
    bad_A = A.copy()
    bad_A[1, 1] = np.nan
    x, work, state = np.empty(3), np.empty((4, 3)), K.TruncatedCGState().array

    def start(args, b, check):
        return K.truncated_cg(
            *args, E1, True, b, x, work, state, np.inf, 1e-8, 0.0, 10, check, K.START_FROM_ZERO
        )

    assert start(form(A), np.array([1.0, np.inf, 0.0]), True) == K.INVALID_RHS
    assert start(form(bad_A), np.ones(3), True) == K.INVALID_OPERATOR
    assert start(form(A), np.ones(3), True) == K.CONVERGED


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_householder_apply_matches_the_explicit_reflectors(n):
    """Q from LAPACK dsytrd's reflectors, formed in numpy: QᵀHQ is dsytrd's tridiagonal, and
    the kernel applies Qᵀ and Q."""
    from scipy.linalg import lapack

    H = symmetric(np.random.default_rng(n), n)
    reduced, d, e, tau, info = lapack.dsytrd(np.asfortranarray(H), lower=1)
    assert info == 0
    Q = np.eye(n)
    for i in range(n - 1):
        v = np.zeros(n)
        v[i + 1] = 1.0
        v[i + 2 :] = reduced[i + 2 :, i]
        Q = Q @ (np.eye(n) - tau[i] * np.outer(v, v))
    T = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    np.testing.assert_allclose(Q.T @ H @ Q, T, atol=1e-12)
    x = np.random.default_rng(0).standard_normal(n)
    for transpose, expected in ((True, Q.T @ x), (False, Q @ x)):
        y = x.copy()
        K.householder_apply(np.ascontiguousarray(reduced.T), tau, y, transpose)
        np.testing.assert_allclose(y, expected, atol=1e-13)


# ---- shape checks ---------------------------------------------------------------------


def _mismatched_calls():
    """One call per kernel whose arguments disagree in length by one element; each would
    read or write past an array's end if the kernel trusted it."""
    n = 4
    A, v, out = np.eye(n), np.ones(n), np.empty(n)
    x, work, state = np.empty(n), np.empty((4, n)), K.TruncatedCGState().array
    vecs = [np.empty(n) for _ in range(7)]
    diag, off, h = np.ones(n), np.ones(n), np.zeros(n)
    lstate = K.GLTRState().array
    return {
        "explicit_matvec dense": lambda: K.explicit_matvec(*dense_args(np.eye(n + 1)), v, out),
        "explicit_matvec csr": lambda: K.explicit_matvec(*csr_args(np.eye(n - 1)), v, out),
        "explicit_matvec v": lambda: K.explicit_matvec(*dense_args(A), np.ones(n - 1), out),
        "truncated_cg b": lambda: K.truncated_cg(
            *dense_args(A),
            E1,
            True,
            np.ones(n + 1),
            x,
            work,
            state,
            np.inf,
            1e-8,
            0.0,
            10,
            False,
            K.START_FROM_ZERO,
        ),
        "truncated_cg inv_diag": lambda: K.truncated_cg(
            *dense_args(A),
            np.ones(n - 1),
            True,
            v,
            x,
            work,
            state,
            np.inf,
            1e-8,
            0.0,
            10,
            False,
            K.START_FROM_ZERO,
        ),
        "gltr Q": lambda: K.gltr(
            *dense_args(A),
            E1,
            True,
            v,
            *vecs[:6],
            diag,
            off,
            h,
            np.empty((2, n - 1)),
            np.empty((0, n)),
            True,
            vecs[6],
            lstate,
            1.0,
            1e-8,
            n,
            K.START,
        ),
        "gltr maxiter": lambda: K.gltr(
            *dense_args(A),
            E1,
            True,
            v,
            *vecs[:6],
            diag,
            off,
            h,
            np.empty((2, n)),
            np.empty((0, n)),
            True,
            vecs[6],
            lstate,
            1.0,
            1e-8,
            n + 1,
            K.START,
        ),
        "tridiagonal_tr_solve": lambda: K.tridiagonal_tr_solve(
            diag, off[: n - 2], v, 1.0, 1e-13, h
        ),
        "householder_apply": lambda: K.householder_apply(np.eye(n - 1), np.ones(n - 2), v, True),
        "svd_tr_step c": lambda: K.svd_tr_step(
            np.ones(n), np.ones(n - 1), np.eye(n), np.ones(n), 0.0, 1.0, 0.1, np.empty(n), v
        ),
        "svd_tr_step d": lambda: K.svd_tr_step(
            np.ones(n), np.ones(n), np.eye(n), np.ones(n - 1), 0.0, 1.0, 0.1, np.empty(n), v
        ),
        "gauss_newton_model": lambda: K.gauss_newton_model(
            A, A, np.ones(n - 1), np.ones(n), True, np.empty(n), np.empty(n)
        ),
        "max_ratio": lambda: K.max_ratio(v, np.ones(n - 1)),
        "trial_point": lambda: K.trial_point(v, v, v, v, E1, E1, np.empty(n - 1)),
        "trial_point bounds": lambda: K.trial_point(v, v, v, v, v[:-1], v, np.empty(n)),
        "advance box": lambda: T.advance(*_iteration_state(n), np.empty((2, n - 1)), _options()),
        "advance hess": lambda: T.advance(
            *_iteration_state(n, hess=np.eye(n - 1)), NO_BOX, _options()
        ),
        "advance csr": lambda: T.advance(
            *_iteration_state(n, csr=csr_args(sp.eye(n - 1, format="csr"))), NO_BOX, _options()
        ),
        "scaled_svd": lambda: K.scaled_svd(
            A, np.ones(n - 1), np.ones(n), A.copy(), np.empty(n), *(np.empty(n),) * 2, A.copy()
        ),
        "advance gauss-newton": lambda: G.advance(
            *_gauss_newton_state(n, n), np.empty((2, n - 1)), np.zeros(G.OPTIONS_SIZE)
        ),
        "advance gauss-newton jacobians": lambda: G.advance(
            *_gauss_newton_state(n, n, m_jacobian=n - 1), NO_BOX, np.zeros(G.OPTIONS_SIZE)
        ),
        "advance_batch gauss-newton": lambda: G.advance_batch(
            *(a[None] for a in _gauss_newton_state(n, n)[:6]),
            np.zeros(G.OPTIONS_SIZE),
            np.zeros((1, 2), dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.zeros((1, n)),
            np.zeros((1, n)),
            np.zeros((1, n - 1, n)),  # J with a row too few
        ),
        "advance_batch": lambda: T.advance_batch(
            *(a[None] for a in _batch_state(n)),
            _options(),
            np.zeros((1, 3), dtype=np.int64),
            np.zeros(2, dtype=np.int64),  # one request too many
            *(np.zeros((1, n)),) * 2,
            np.zeros(1),
            np.zeros((1, n)),
            np.zeros((1, n, n)),
            np.zeros((1, n)),
        ),
    }


NO_BOX = np.empty((2, 0))  # advance without bounds


def _iteration_state(n, hess=None, csr=None):
    """The arguments of :func:`trustregion._iteration.advance` before ``box``: one
    problem's state with its model stored, dense (``hess``, n × n unless given) or CSR
    (``csr``, the kernels' (kind, dense, data, indices, indptr, shift) of a matrix)."""
    ints = np.zeros(T.INTS_SIZE, dtype=np.int64)
    ints[T.I_STEP_MODE] = T.STEP_DENSE if csr is None else T.STEP_SPARSE
    matrix = csr[1:5] if csr is not None else (np.eye(n) if hess is None else hess, E1, EI, EP)
    return np.zeros((T.V_ROWS, n)), *matrix, np.zeros(T.REAL_SIZE), ints


def _batch_state(n):
    """One problem's vectors, dense model, real and ints, as advance_batch takes them."""
    vectors, hess, *_, real, ints = _iteration_state(n)
    return vectors, hess, real, ints


def _options():
    return option_array(TrustRegionOptions())


def _gauss_newton_state(m, n, m_jacobian=None):
    """The arguments of :func:`trustregion._gauss_newton_iteration.advance` before
    ``box``, in MODE_DENSE: one problem of m residuals and n variables (the Jacobians
    with ``m_jacobian`` rows where given)."""
    rows = m if m_jacobian is None else m_jacobian
    return (
        np.zeros((G.V_ROWS, n)),
        np.zeros((3, m)),
        np.zeros((3, rows, n)),
        np.zeros((n, n)),
        np.zeros(G.REAL_SIZE),
        np.zeros(G.INTS_SIZE, dtype=np.int64),
    )


@pytest.mark.parametrize("name", sorted(_mismatched_calls()))
def test_kernels_refuse_mismatched_shapes(name):
    with pytest.raises(ValueError, match=name.split()[0]):
        _mismatched_calls()[name]()


# ---- the Levenberg–Marquardt kernels of least_squares ----


def _lm_case(rng, m, n, rank=None):
    J = rng.standard_normal((m, n)) * np.logspace(0, 3, n)
    if rank is not None:
        J[:, rank:] = J[:, :rank] @ rng.standard_normal((rank, n - rank))
    return J, rng.standard_normal(m), np.linalg.norm(J, axis=0)


def _lm_step(J, f, d, radius, rtol=0.1):
    U, sigma, Vt = np.linalg.svd(J / d, full_matrices=False)
    cutoff = sigma[0] * max(J.shape) * np.finfo(float).eps
    p, z = np.empty(J.shape[1]), np.empty(sigma.shape[0])
    lam, predicted = K.svd_tr_step(sigma, U.T @ f, Vt, d, cutoff, radius, rtol, z, p)
    return p, lam, predicted


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("radius", [1e-6, 1e-2, 1.0, 1e3])
def test_svd_tr_step_is_the_levenberg_marquardt_step(seed, radius):
    # KKT of min ½‖f + Jp‖² s.t. ‖Dp‖ ≤ Δ: (JᵀJ + λD²)p = -Jᵀf with λ ≥ 0, ‖Dp‖ ≤ Δ, and
    # ‖Dp‖ within rtol of Δ where λ > 0 (Moré's acceptance); the predicted reduction is
    # m(0) - m(p).
    rng = np.random.default_rng(seed)
    J, f, d = _lm_case(rng, 12, 4)
    p, lam, predicted = _lm_step(J, f, d, radius)
    size = np.linalg.norm(d * p)
    g = J.T @ f
    assert lam >= 0.0
    if lam > 0.0:
        assert 0.9 * radius <= size <= radius * (1 + 1e-12)
        # p solves the damped normal equations up to the final scaling onto ‖Dp‖ = Δ
        direction = np.linalg.solve(J.T @ J + lam * np.diag(d * d), -g)
        np.testing.assert_allclose(p / size, direction / np.linalg.norm(d * direction), rtol=1e-8)
    else:
        assert size <= 1.1 * radius
        np.testing.assert_allclose(J.T @ (J @ p + f), 0.0, atol=1e-9 * np.abs(g).max())
    model = 0.5 * np.sum((f + J @ p) ** 2)
    assert predicted == pytest.approx(0.5 * f @ f - model, rel=1e-9, abs=1e-12 * f @ f)


def test_svd_tr_step_takes_the_minimum_norm_step_of_a_rank_deficient_jacobian():
    rng = np.random.default_rng(7)
    J, f, d = _lm_case(rng, 10, 5, rank=3)
    p, lam, _ = _lm_step(J, f, d, 1e12)
    assert lam == 0.0
    np.testing.assert_allclose(d * p, -np.linalg.pinv(J / d) @ f, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    ("m", "n", "rank", "scale"),
    [
        (12, 4, None, 1.0),
        (40, 3, None, 1e-200),
        (9, 6, 2, 1e250),
        (3, 5, None, 1.0),
        (60, 32, None, 1.0),
    ],
)
def test_scaled_svd_is_an_svd_of_the_scaled_jacobian(m, n, rank, scale):
    # JD⁻¹ = U diag(σ) Vᵀ: σ are numpy's singular values (to rounding relative to σ₁; the
    # extreme scales leave numpy's squares in range only through LAPACK's own scaling),
    # V is orthogonal, c = Uᵀf reproduces D⁻¹Jᵀf = VΣc and ‖c‖ = ‖P_range f‖, for tall,
    # wide, rank-deficient and (n = JACOBI_MAX_COLUMNS) the widest matrices it takes.
    rng = np.random.default_rng(m * n)
    J, f, d = _lm_case(rng, m, n, rank=rank)
    J = J * scale
    d = np.abs(d * scale) + (d == 0)
    sigma, c, vt = np.empty(n), np.empty(n), np.empty((n, n))
    largest = K.scaled_svd(J, f, d, np.empty((n, m)), np.empty(m), sigma, c, vt)
    expected = np.linalg.svd(J / d, compute_uv=False)
    np.testing.assert_allclose(
        np.sort(sigma)[::-1][: expected.size], expected, atol=1e-13 * expected[0]
    )
    assert largest == pytest.approx(expected[0], rel=1e-13)
    np.testing.assert_allclose(vt @ vt.T, np.eye(n), atol=1e-13)
    np.testing.assert_allclose(
        vt.T @ (sigma * c), (J / d).T @ f, atol=1e-12 * np.abs(J / d).max() * np.abs(f).sum()
    )
    U = np.linalg.svd(J / d, full_matrices=False)[0][:, expected > 1e-12 * expected[0]]
    projected = U @ (U.T @ f)
    np.testing.assert_allclose(
        np.linalg.norm(c[sigma > 1e-12 * largest]), np.linalg.norm(projected), rtol=1e-10
    )


def test_svd_tr_step_zero_gradient_is_zero_step():
    J = np.eye(3)
    p, lam, predicted = _lm_step(J, np.zeros(3), np.ones(3), 1.0)
    assert lam == 0.0 and predicted == 0.0
    np.testing.assert_array_equal(p, 0.0)


@pytest.mark.parametrize("update", [True, False])
def test_gauss_newton_model_matches_numpy(update):
    rng = np.random.default_rng(3)
    J, f, _ = _lm_case(rng, 9, 4)
    model_J = J * rng.uniform(0.1, 1.0, size=(9, 1))
    d0 = np.array([1e-3, 1e9, 1.0, 50.0])
    d, g, norms = d0.copy(), np.empty(4), np.empty(4)
    K.gauss_newton_model(J, model_J, f, d, update, g, norms)
    np.testing.assert_allclose(norms, np.linalg.norm(J, axis=0), rtol=1e-13)
    np.testing.assert_allclose(g, model_J.T @ f, rtol=1e-12)
    np.testing.assert_array_equal(d, np.maximum(d0, norms) if update else d0)


def test_max_ratio_skips_zero_scales():
    assert K.max_ratio(np.array([3.0, -8.0, 5.0]), np.array([1.0, 4.0, 0.0])) == 3.0
    assert K.max_ratio(np.array([1.0]), np.array([0.0])) == 0.0


@pytest.mark.parametrize("bounded", [False, True])
def test_trial_point_measures_the_step_taken(bounded):
    rng = np.random.default_rng(5)
    x, p, d, g = (rng.standard_normal(6) for _ in range(4))
    d = np.abs(d) + 0.1
    lo, hi = (x - 0.3, x + 0.2) if bounded else (E1, E1)
    out = np.empty(6)
    size, slope, finite = K.trial_point(x, p, d, g, lo, hi, out)
    expected = np.clip(x + p, lo, hi) if bounded else x + p
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    np.testing.assert_allclose(size, np.linalg.norm(d * (expected - x)), rtol=1e-13)
    np.testing.assert_allclose(slope, g @ (expected - x), rtol=1e-12)
    assert finite


def test_trial_point_scales_and_flags_nonfinite():
    x, d, g = np.zeros(2), np.ones(2), np.ones(2)
    size, _, finite = K.trial_point(x, np.array([1e200, 1e200]), d, g, E1, E1, np.empty(2))
    assert size == pytest.approx(np.sqrt(2) * 1e200) and finite
    _, _, finite = K.trial_point(x, np.array([np.nan, 0.0]), d, g, E1, E1, np.empty(2))
    assert not finite


def test_half_sum_of_squares_overflows_to_inf():
    assert K.half_sum_of_squares(np.array([3.0, 4.0])) == 12.5
    with np.errstate(over="ignore"):  # numpy's scalars warn where the JIT is disabled
        assert K.half_sum_of_squares(np.array([1e200, 1e200])) == np.inf
