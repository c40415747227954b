"""Mathematical properties of the trust-region subproblem solvers and of ``tr.cg``.

Every quantity is checked against mathematics computed independently in
``tests/reference.py`` (numpy/scipy only): feasibility in the M-norm, the Cauchy
decrease, the global minimum value (eigendecomposition + secular equation,
hard case included), the KKT conditions of the exact solution, the closed-form
natural-gradient step, and ``numpy.linalg.solve`` for CG.

Tolerances are relative to the natural magnitude of the model terms,
``model_scale(g, B, s) = ||g|| ||s|| + 1/2 ||B|| ||s||^2`` (which bounds |m(s)|,
and is what a backward-stable computation errs by, times eps): absolute
tolerances would be meaningless for the tiny (1e-8) and huge (1e8) radii that
the strategies draw.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# tests/ is not a package: pytest puts it on sys.path, beside this module.
from reference import (
    cauchy_decrease,
    cauchy_point,
    global_tr_solution,
    m_norm,
    model_scale,
    model_value,
    natural_step,
)
from scipy.sparse.linalg import aslinearoperator
from strategies import HARD_KINDS, KINDS, PD_KINDS, Subproblem, spd_systems, subproblems

import trustregion as tr

pytestmark = pytest.mark.filterwarnings("error")

# Derandomized, no example database on disk, no deadline (the first call of a numba
# kernel compiles).  TR_HYPOTHESIS_EXAMPLES=500 (say) makes a thorough run, and
# TR_HYPOTHESIS_RANDOM=1 a randomized one.
_EXAMPLES = int(os.environ.get("TR_HYPOTHESIS_EXAMPLES", "40"))
_DERANDOMIZE = os.environ.get("TR_HYPOTHESIS_RANDOM", "0") in ("", "0")
PROPS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=_DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KRYLOV_METHODS = ("steihaug", "gltr")
GENERAL_METHODS = ("cauchy", "steihaug", "gltr", "exact")

FEAS_RTOL = 1e-8  # ||s||_M <= radius (1 + FEAS_RTOL)
CAUCHY_RTOL = 1e-10  # -m(s) >= cauchy decrease - CAUCHY_RTOL * scale
PRED_RTOL = 1e-10  # predicted_reduction == -m(s)  (rounding)
GLOBAL_RTOL = 1e-8  # |m(s) - m*| <= GLOBAL_RTOL * scale


# --------------------------------------------------------------------------- helpers


def _as_form(A, form):
    """The same symmetric matrix in another representation accepted by the library."""
    if form == "dense":
        return A
    if form == "sparse":
        return sp.csr_array(A)
    if form == "linop":
        return aslinearoperator(A)
    if form == "callable":
        A_ = np.array(A)
        return lambda v: A_ @ v
    raise ValueError(form)


def _metric_arg(problem: Subproblem, form: str):
    """Metric argument: 1-D diagonals are passed as such, 2-D ones in ``form``."""
    if problem.M is None or problem.M.ndim == 1:
        return problem.M
    return _as_form(problem.M, form)


def _solve(problem: Subproblem, method, *, B_form="dense", M_form="dense", **options):
    return tr.solve_subproblem(
        problem.g,
        _as_form(problem.B, B_form),
        problem.radius,
        method=method,
        M=_metric_arg(problem, M_form),
        **options,
    )


def _scale(problem: Subproblem, *steps):
    return max(model_scale(problem.g, problem.B, s) for s in steps)


def _check_step_basics(problem: Subproblem, step):
    """Finite, right shape, feasible, predicted reduction consistent with s, Cauchy decrease."""
    s = np.asarray(step.s)
    assert s.shape == (problem.n,)
    assert np.isfinite(s).all(), "step contains non-finite entries"
    norm = m_norm(s, problem.M)
    assert norm <= problem.radius * (1.0 + FEAS_RTOL), (
        f"infeasible step: ||s||_M / radius - 1 = {norm / problem.radius - 1.0:.3e}"
    )
    m = model_value(problem.g, problem.B, s)
    scale_s = model_scale(problem.g, problem.B, s)
    pred = float(step.predicted_reduction)
    assert np.isfinite(pred)
    assert abs(pred + m) <= PRED_RTOL * scale_s + 1e-300, (
        f"predicted_reduction {pred!r} but -m(s) = {-m!r} (scale {scale_s:.3e})"
    )
    s_c, dec_c = cauchy_point(problem.g, problem.B, problem.radius, problem.M)
    tol = CAUCHY_RTOL * max(scale_s, model_scale(problem.g, problem.B, s_c))
    assert -m >= dec_c - tol - 1e-300, (
        f"decrease {-m!r} below the Cauchy decrease {dec_c!r} (tol {tol:.3e})"
    )
    if step.on_boundary:
        assert norm >= problem.radius * (1.0 - 1e-6), "on_boundary but ||s||_M < radius"
    return m


def _check_global(problem: Subproblem, step, ref, rtol=GLOBAL_RTOL):
    m = model_value(problem.g, problem.B, step.s)
    tol = rtol * _scale(problem, step.s, ref.s)
    assert abs(m - ref.model_value) <= tol + 1e-300, (
        f"model value {m!r} vs global minimum {ref.model_value!r}: "
        f"difference {m - ref.model_value:.3e} > tol {tol:.3e}"
    )


def _far_from_hard_case(mu, lam):
    """lam* + mu_1 is not small compared with the spectrum: B + lam* M is safely positive
    definite, so the problem is (far) off the hard case and its minimiser is unique."""
    return mu[0] + lam > 1e-3 * (np.max(np.abs(mu)) + lam)


def _word(name):
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


# --------------------------------------------------------------------------- the reference itself


@PROPS
@given(problem=subproblems())
def test_reference_satisfies_global_optimality_conditions(problem):
    """Moré–Sorensen: s* is a global minimiser iff (B + lam M) s* = -g, B + lam M PSD,
    lam >= 0, ||s*||_M <= radius and lam (radius - ||s*||_M) = 0.  Guards the yardstick."""
    ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
    M = problem.M_dense
    s, lam = ref.s, ref.lam
    nB = np.linalg.norm(problem.B, 2)
    nM = np.linalg.norm(M, 2)
    ns = np.linalg.norm(s)
    assert lam >= 0.0
    res = np.linalg.norm((problem.B + lam * M) @ s + problem.g)
    assert res <= 1e-10 * (np.linalg.norm(problem.g) + (nB + lam * nM) * ns) + 1e-300
    assert np.linalg.eigvalsh(problem.B + lam * M).min() >= -1e-10 * (nB + lam * nM)
    norm = m_norm(s, problem.M)
    assert norm <= problem.radius * (1 + 1e-12)
    assert lam * abs(problem.radius - norm) * problem.radius <= 1e-10 * (
        np.linalg.norm(problem.g) * problem.radius + (nB + lam * nM) * problem.radius**2
    )
    assert (
        abs(ref.model_value - model_value(problem.g, problem.B, s))
        <= 1e-12 * _scale(problem, s) + 1e-300
    )
    if problem.kind == "hard":
        assert ref.lam == pytest.approx(-problem.info["min_eig"], rel=1e-6, abs=1e-12 * nB)


def test_reference_hard_case_branches():
    """Exact hard case (explicit formula) and nearly hard case (secular equation with the root
    a hair above -lambda_1) agree, and match the textbook value."""
    B = np.diag([-1.0, 1.0, 3.0])
    g = np.array([0.0, 1.0, 0.0])
    exact = global_tr_solution(g, B, 1.0)
    assert exact.hard_case
    assert exact.model_value == pytest.approx(-0.75, rel=1e-14)
    assert exact.lam == 1.0
    for eps in (1e-15, 1e-12, 1e-9):
        near = global_tr_solution(g + np.array([eps, 0.0, 0.0]), B, 1.0)
        assert not near.hard_case
        assert near.model_value == pytest.approx(-0.75, abs=2 * eps)
        assert np.linalg.norm(near.s) == pytest.approx(1.0, rel=1e-14)
    # zero gradient, indefinite: radius times the leftmost eigenvector
    z = global_tr_solution(np.zeros(3), B, 2.0)
    assert z.model_value == pytest.approx(-2.0, rel=1e-14)
    assert abs(z.s[0]) == pytest.approx(2.0, rel=1e-14)
    # with a metric: M = diag(4, 1, 1) halves the admissible first coordinate
    zm = global_tr_solution(np.zeros(3), B, 2.0, np.array([4.0, 1.0, 1.0]))
    assert abs(zm.s[0]) == pytest.approx(1.0, rel=1e-14)
    assert zm.lam == pytest.approx(0.25, rel=1e-14)


def test_reference_against_brute_force_2d():
    rng = np.random.default_rng(12345)
    theta = np.linspace(0.0, 2.0 * np.pi, 400_001)
    circle = np.vstack([np.cos(theta), np.sin(theta)])
    for trial in range(40):
        A = rng.standard_normal((2, 2))
        B = A + A.T
        g = rng.standard_normal(2) if trial % 5 else np.zeros(2)
        if trial % 7 == 3:  # hard case
            w, Q = np.linalg.eigh(B)
            g = Q[:, 1] * 0.01
        r = 10.0 ** rng.uniform(-1, 1)
        S = r * circle
        best = np.min(g @ S + 0.5 * np.einsum("ij,ik,kj->j", S, B, S))
        if np.linalg.eigvalsh(B).min() > 0:
            sn = -np.linalg.solve(B, g)
            if np.linalg.norm(sn) <= r:
                best = min(best, model_value(g, B, sn))
        ref = global_tr_solution(g, B, r)
        scale = np.linalg.norm(g) * r + np.linalg.norm(B, 2) * r * r
        assert ref.model_value <= best + 1e-12 * scale
        assert ref.model_value >= best - 1e-8 * scale  # grid resolution


# --------------------------------------------------------------------------- all methods


@pytest.mark.parametrize("method", GENERAL_METHODS)
@PROPS
@given(
    problem=subproblems(),
    forms=st.tuples(
        st.sampled_from(["dense", "sparse", "linop", "callable"]),
        st.sampled_from(["dense", "sparse", "linop", "callable"]),
    ),
)
def test_feasible_consistent_and_cauchy_decrease(method, problem, forms):
    B_form, M_form = forms
    step = _solve(problem, method, B_form=B_form, M_form=M_form)
    _check_step_basics(problem, step)


@PROPS
@given(
    problem=subproblems(kinds=PD_KINDS),
    forms=st.tuples(
        st.sampled_from(["dense", "sparse", "linop", "callable"]),
        st.sampled_from(["dense", "sparse", "linop", "callable"]),
    ),
)
def test_dogleg_on_positive_definite(problem, forms):
    step = _solve(problem, "dogleg", B_form=forms[0], M_form=forms[1])
    _check_step_basics(problem, step)
    # the dogleg path ends at the Newton step: an interior Newton step is taken exactly
    ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
    if ref.interior and problem.kind == "posdef":
        _check_global(problem, step, ref)


@PROPS
@given(problem=subproblems(kinds=("indefinite", "hard", "zero_g_indefinite")))
def test_dogleg_on_indefinite_falls_back_to_cauchy(problem):
    step = _solve(problem, "dogleg")
    _check_step_basics(problem, step)
    if np.any(problem.g != 0):
        assert step.status == tr.StepStatus.NOT_POSITIVE_DEFINITE
        dec = cauchy_decrease(problem.g, problem.B, problem.radius, problem.M)
        s_c, _ = cauchy_point(problem.g, problem.B, problem.radius, problem.M)
        assert -model_value(problem.g, problem.B, step.s) == pytest.approx(
            dec, rel=1e-8, abs=1e-10 * _scale(problem, s_c) + 1e-300
        )


@pytest.mark.parametrize("method", GENERAL_METHODS + ("dogleg",))
@PROPS
@given(problem=subproblems(max_n=20), exponent=st.sampled_from([-300, -100, 100, 300]))
def test_invariant_under_scaling_of_the_model(method, problem, exponent):
    """min (c g)^T s + 1/2 s^T (c B) s has the minimisers of the unscaled problem (c > 0).
    With c a power of two every floating-point operation of a scale-covariant algorithm is
    exactly scaled, so only absolute thresholds, overflow or underflow can change the step;
    c = 2^-300..2^300 (~1e-90..1e90) keeps every square of the data in range."""
    if method == "dogleg" and not problem.positive_definite:
        return
    c = 2.0**exponent
    base = _solve(problem, method)
    scaled = tr.solve_subproblem(
        c * problem.g, c * problem.B, problem.radius, method=method, M=problem.M
    )
    assert np.isfinite(scaled.s).all()
    assert m_norm(scaled.s, problem.M) <= problem.radius * (1 + FEAS_RTOL)
    assert scaled.status == base.status
    m_base = model_value(problem.g, problem.B, base.s)
    m_scaled = model_value(problem.g, problem.B, scaled.s)
    tol = 1e-10 * _scale(problem, base.s, scaled.s)
    assert abs(m_scaled - m_base) <= tol + 1e-300, (
        f"unscaled model value {m_base!r}, from the scaled problem {m_scaled!r}"
    )
    assert scaled.predicted_reduction == pytest.approx(
        c * base.predicted_reduction, rel=1e-10, abs=1e-10 * c * _scale(problem, base.s)
    )


# --------------------------------------------------------------------------- global minimum


@PROPS
@given(
    problem=subproblems(),
    forms=st.tuples(
        st.sampled_from(["dense", "sparse", "linop"]),
        st.sampled_from(["dense", "sparse", "linop"]),
    ),
)
def test_exact_is_global_minimum_and_satisfies_kkt(problem, forms):
    step = _solve(problem, "exact", B_form=forms[0], M_form=forms[1])
    _check_step_basics(problem, step)
    ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
    _check_global(problem, step, ref)

    # multiplier conditions
    s = np.asarray(step.s)
    lam = step.multiplier
    assert lam is not None and np.isfinite(lam)
    lam = float(lam)
    M = problem.M_dense
    nB, nM, ns = np.linalg.norm(problem.B, 2), np.linalg.norm(M, 2), np.linalg.norm(s)
    assert lam >= 0.0
    res = np.linalg.norm((problem.B + lam * M) @ s + problem.g)
    # Moré-Sorensen's nearly-hard-case termination certifies the model value (checked above
    # to 1e-8), which leaves a KKT residual of order sqrt(hard_case_rtol) = 1e-5 possible.
    assert res <= 1e-6 * (np.linalg.norm(problem.g) + (nB + lam * nM) * ns) + 1e-300, (
        f"||(B + lam M) s + g|| = {res:.3e}"
    )
    assert np.linalg.eigvalsh(problem.B + lam * M).min() >= -1e-8 * (nB + lam * nM), (
        "B + lam M is not positive semidefinite"
    )
    # HARD_CASE means g is (numerically) orthogonal to the leftmost eigenvectors, so that
    # lam = -lambda_1; it cannot be the answer when the multiplier is far above -lambda_1.
    mu = sla.eigvalsh(problem.B, M)  # eigenvalues of the pencil (B, M)
    if _far_from_hard_case(mu, ref.lam):
        assert step.status != tr.StepStatus.HARD_CASE, (
            f"HARD_CASE reported, but lam* = {ref.lam!r} is far from -lambda_1 = {-mu[0]!r}"
        )
        # ... and then B + lam* M is positive definite and the minimiser s* is unique, with
        # condition number kappa = (mu_max + lam*) / (mu_min + lam*): the step itself must be
        # accurate, not only its model value.
        kappa = (mu[-1] + ref.lam) / (mu[0] + ref.lam)
        err = m_norm(s - ref.s, problem.M)
        assert err <= 1e-9 * kappa * m_norm(ref.s, problem.M) + 1e-300, (
            f"||s - s*||_M / ||s*||_M = {err / m_norm(ref.s, problem.M):.3e} for a unique "
            f"minimiser with condition number {kappa:.3e}"
        )
    r = problem.radius
    if ref.interior and m_norm(ref.s, problem.M) <= 0.99 * r and mu[0] > 1e-3 * np.max(np.abs(mu)):
        # a unique, strictly interior minimiser: the Newton step, lam = 0
        assert step.status == tr.StepStatus.INTERIOR
        assert lam == 0.0
        assert not step.on_boundary
    if not ref.interior:
        # every minimiser is on the boundary
        assert step.on_boundary
        assert m_norm(s, problem.M) == pytest.approx(r, rel=1e-8)
    gap = lam * abs(r - m_norm(s, problem.M)) * r
    assert gap <= 1e-8 * (np.linalg.norm(problem.g) * r + (nB + lam * nM) * r * r), (
        f"complementarity violated: lam = {lam!r}, radius - ||s||_M = {r - m_norm(s, problem.M)!r}"
    )


@PROPS
@given(problem=subproblems(kinds=tuple(k for k in KINDS if k not in HARD_KINDS + ("illcond",))))
def test_gltr_is_global_minimum_off_the_hard_case(problem):
    """GLTR off the hard case is the global minimiser once Lanczos has converged.

    The default maxiter is n; in floating point (no reorthogonalisation) Lanczos may need
    more than n steps even for condition numbers ~1e3, and then MAX_ITER is the honest
    answer -- the step must still be feasible and beat Cauchy, and with 10 n iterations
    it must converge."""
    step = _solve(problem, "gltr")
    _check_step_basics(problem, step)
    if step.status == tr.StepStatus.MAX_ITER:
        step = _solve(problem, "gltr", maxiter=10 * problem.n)
        _check_step_basics(problem, step)
        assert step.status != tr.StepStatus.MAX_ITER, "no convergence within 10 n iterations"
    assert step.success
    ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
    _check_global(problem, step, ref)
    mu = sla.eigvalsh(problem.B, problem.M_dense)
    if _far_from_hard_case(mu, ref.lam):
        assert step.status != tr.StepStatus.HARD_CASE, (
            f"HARD_CASE reported, but lam* = {ref.lam!r} is far from -lambda_1 = {-mu[0]!r}"
        )
    if step.multiplier is not None:
        lam = float(step.multiplier)
        M = problem.M_dense
        s = np.asarray(step.s)
        assert lam >= 0.0
        res = np.linalg.norm((problem.B + lam * M) @ s + problem.g)
        nB, nM = np.linalg.norm(problem.B, 2), np.linalg.norm(M, 2)
        assert (
            res <= 1e-5 * (np.linalg.norm(problem.g) + (nB + lam * nM) * np.linalg.norm(s)) + 1e-300
        )


@pytest.mark.parametrize("seed", [110, 217])
def test_gltr_indefinite_step_reaches_the_boundary(seed):
    """B indefinite: every minimiser lies on the boundary, whatever the status (found with
    radius 1e8, where lam* + lambda_1 ~ 1e-9: numerically nearly the hard case)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 20))
    B = np.diag(rng.uniform(-1, 1, n))
    g = rng.standard_normal(n)
    radius = 1e8
    ref = global_tr_solution(g, B, radius)
    for maxiter in (n, 10 * n):
        step = tr.solve_subproblem(g, B, radius, method="gltr", maxiter=maxiter)
        if step.status == tr.StepStatus.MAX_ITER:
            continue
        assert np.linalg.norm(step.s) == pytest.approx(radius, rel=1e-8), step.status
        problem = Subproblem(
            g=g,
            B=B,
            radius=radius,
            M=None,
            kind="indefinite",
            radius_mode="huge",
            seed=seed,
            metric="none",
        )
        _check_global(problem, step, ref)


@PROPS
@given(problem=subproblems(kinds=("illcond",)))
def test_gltr_ill_conditioned_when_converged(problem):
    """Condition number 1e9: unpreconditioned Lanczos cannot be expected to converge within
    the default n iterations in floating point, but MAX_ITER must then be reported; a step
    reported as converged must be the global minimiser (up to what rtol = 1e-8 allows on a
    condition number of 1e9: |m - m*| <~ ||r||^2 / lambda_min = 1e-7 |m*|)."""
    step = _solve(problem, "gltr")
    _check_step_basics(problem, step)
    if step.status != tr.StepStatus.MAX_ITER:
        assert step.success
        ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
        _check_global(problem, step, ref, rtol=1e-6)


@PROPS
@given(problem=subproblems(kinds=("posdef",), radius_modes=("normal", "huge")))
def test_steihaug_reaches_interior_newton_step(problem):
    """Steihaug's iterates grow monotonically in the M-norm: an interior Newton step is found."""
    ref = global_tr_solution(problem.g, problem.B, problem.radius, problem.M)
    step = _solve(problem, "steihaug")
    _check_step_basics(problem, step)
    if step.status == tr.StepStatus.MAX_ITER:  # see test_gltr_is_global_minimum_off_the_hard_case
        step = _solve(problem, "steihaug", maxiter=10 * problem.n)
        _check_step_basics(problem, step)
        assert step.status != tr.StepStatus.MAX_ITER
    if ref.interior and m_norm(ref.s, problem.M) <= 0.9 * problem.radius:
        _check_global(problem, step, ref)


def test_zero_gradient_positive_definite_gives_zero_step():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 6))
    B = A @ A.T + np.eye(6)
    for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact"):
        step = tr.solve_subproblem(np.zeros(6), B, 1.0, method=method)
        assert np.array_equal(step.s, np.zeros(6)), method
        assert step.predicted_reduction == 0.0


def test_exact_zero_gradient_indefinite_follows_negative_curvature():
    B = np.diag([-2.0, 1.0, 3.0])
    step = tr.solve_subproblem(np.zeros(3), B, 0.5, method="exact")
    assert abs(abs(step.s[0]) - 0.5) <= 1e-12
    assert np.allclose(step.s[1:], 0.0, atol=1e-12)
    assert step.predicted_reduction == pytest.approx(0.25, rel=1e-12)
    assert step.multiplier == pytest.approx(2.0, rel=1e-12)


ONE_D = [
    # (g, b, radius)
    (1.0, 2.0, 1.0),  # interior Newton step -1/2
    (1.0, 2.0, 0.1),  # boundary
    (-3.0, 0.5, 1e8),  # interior, huge radius
    (1.0, 0.0, 2.0),  # linear
    (1.0, -1.0, 1e-8),  # negative curvature, tiny radius
    (1.0, -1.0, 1.0),
    (1.0, -1.0, 1e8),  # negative curvature, huge radius
    (1.0, -3.0, 4e8),
    (0.3463964459891802, -1.7232508305434757, 163407336.6424979),
]


@pytest.mark.parametrize(
    "method,g,b,radius",
    [
        (method, *case)
        for case in ONE_D
        for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact")
        if method != "dogleg" or case[1] > 0  # dogleg: B positive definite
    ],
)
def test_one_dimensional_closed_form(method, g, b, radius):
    """n = 1: the minimiser is -g/b if b > 0 and |g|/b <= radius, else -sign(g) radius, and
    every method (the Cauchy point is the whole Krylov space) must find it."""
    s_star = -g / b if (b > 0 and abs(g) / b <= radius) else -np.sign(g) * radius
    step = tr.solve_subproblem(np.array([g]), np.array([[b]]), radius, method=method)
    assert step.s.shape == (1,)
    assert step.s[0] == pytest.approx(s_star, rel=1e-10), f"s = {step.s[0]!r}, s* = {s_star!r}"
    m_star = g * s_star + 0.5 * b * s_star**2
    assert step.predicted_reduction == pytest.approx(-m_star, rel=1e-10)


@pytest.mark.parametrize("radius", [1e-8, 1e-6, 1e-4, 1e-2, 1.0])
@pytest.mark.parametrize("g", [[1.0, 0.3], [1.0, -2.0], [0.3, 0.7]])
def test_exact_easy_case_step_is_accurate(g, radius):
    """Well-conditioned easy case (B SPD): the minimiser is unique, s = -(B + lam I)^{-1} g with
    ||s|| = radius; "exact" must return it to near machine precision, small radii included."""
    B = np.array([[2.0, 1.0], [1.0, 2.0]])
    g = np.asarray(g)
    step = tr.solve_subproblem(g, B, radius, method="exact")
    ref = global_tr_solution(g, B, radius)
    assert np.linalg.norm(step.s - ref.s) <= 1e-10 * np.linalg.norm(ref.s)
    assert step.multiplier == pytest.approx(ref.lam, rel=1e-10)
    assert step.status in (tr.StepStatus.BOUNDARY, tr.StepStatus.INTERIOR)


def test_exact_textbook_hard_case():
    # B = diag(-1, 1), g = (0, 1): p = -(B + I)^+ g = (0, -1/2); radius 1 -> s = (+-sqrt(3)/2, -1/2)
    g = np.array([0.0, 1.0])
    B = np.diag([-1.0, 1.0])
    step = tr.solve_subproblem(g, B, 1.0, method="exact")
    assert step.s[1] == pytest.approx(-0.5, abs=1e-8)
    assert abs(step.s[0]) == pytest.approx(np.sqrt(3.0) / 2.0, abs=1e-8)
    assert step.multiplier == pytest.approx(1.0, abs=1e-8)
    # m* = -1/2 - 3/8 * ... : g^T s + 1/2 s^T B s = -1/2 + 1/2 (-3/4 + 1/4) = -3/4
    assert step.predicted_reduction == pytest.approx(0.75, rel=1e-12)
    assert step.on_boundary


# --------------------------------------------------------------------------- natural gradient


@PROPS
@given(problem=subproblems(), M_form=st.sampled_from(["dense", "sparse", "linop", "callable"]))
def test_natural_matches_closed_form(problem, M_form):
    M_arg = _metric_arg(problem, M_form)
    step = tr.solve_subproblem(
        problem.g,
        None,
        problem.radius,
        method="natural",
        M=M_arg,
        rtol=1e-13,
        maxiter=20 * problem.n,
    )
    s = np.asarray(step.s)
    assert np.isfinite(s).all()
    s_ref, gd, mult = natural_step(problem.g, problem.radius, problem.M)
    if gd == 0.0:
        assert np.array_equal(s, np.zeros(problem.n))
        assert step.predicted_reduction == 0.0
        return
    assert np.linalg.norm(s - s_ref) <= 1e-8 * np.linalg.norm(s_ref)
    assert m_norm(s, problem.M) == pytest.approx(problem.radius, rel=1e-10)
    assert step.predicted_reduction == pytest.approx(-(problem.g @ s), rel=1e-10)
    assert step.predicted_reduction == pytest.approx(problem.radius * np.sqrt(gd), rel=1e-8)
    assert step.g_dual_norm_sq == pytest.approx(gd, rel=1e-8)
    assert step.multiplier == pytest.approx(mult, rel=1e-8)
    assert step.on_boundary


@PROPS
@given(problem=subproblems(kinds=("posdef", "indefinite")))
def test_natural_default_options_feasible(problem):
    step = tr.solve_subproblem(problem.g, None, problem.radius, method="natural", M=problem.M)
    s = np.asarray(step.s)
    assert np.isfinite(s).all()
    assert m_norm(s, problem.M) <= problem.radius * (1 + FEAS_RTOL)
    # the linear model's minimum is -radius ||g||_{M^-1}; decrease can't exceed it
    _, gd, _ = natural_step(problem.g, problem.radius, problem.M)
    assert step.predicted_reduction <= problem.radius * np.sqrt(gd) * (1 + 1e-8)
    assert step.predicted_reduction == pytest.approx(-(problem.g @ s), rel=1e-10)
    if step.success:
        assert step.predicted_reduction >= problem.radius * np.sqrt(gd) * (1 - 1e-6)


def test_jacobi_preconditioner_as_metric():
    rng = np.random.default_rng(7)
    n = 12
    C = rng.standard_normal((n, n))
    D = np.diag(10.0 ** rng.uniform(-1, 1, n))
    B = D @ (C @ C.T + n * np.eye(n)) @ D
    B = 0.5 * (B + B.T)
    g = rng.standard_normal(n)
    Mdiag = np.diag(B).copy()
    for radius in (1e-3, 0.1, 10.0, 1e3):
        step = tr.solve_subproblem(
            g,
            None,
            radius,
            method="natural",
            M=tr.JacobiPreconditioner(B),
            rtol=1e-13,
            maxiter=20 * n,
        )
        s_ref, _, _ = natural_step(g, radius, Mdiag)
        assert np.linalg.norm(step.s - s_ref) <= 1e-8 * np.linalg.norm(s_ref)
        for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact"):
            step = tr.solve_subproblem(g, B, radius, method=method, M=tr.JacobiPreconditioner(B))
            problem = Subproblem(
                g=g,
                B=B,
                radius=radius,
                M=Mdiag,
                kind="posdef",
                radius_mode="normal",
                seed=0,
                metric="diag",
            )
            _check_step_basics(problem, step)
            if method in ("gltr", "exact"):
                _check_global(problem, step, global_tr_solution(g, B, radius, Mdiag))


# --------------------------------------------------------------------------- conjugate gradients


def _cg_forms(A):
    return {
        "dense": A,
        "sparse": sp.csr_matrix(A),
        "sparse_array": sp.csr_array(A),
        "linop": aslinearoperator(A),
        "callable": (lambda v, A=A: A @ v),
    }


@pytest.mark.parametrize("form", ["dense", "sparse", "sparse_array", "linop", "callable"])
@settings(
    max_examples=max(1, _EXAMPLES * 5 // 8), deadline=None, derandomize=_DERANDOMIZE, database=None
)
@given(system=spd_systems(max_n=60, max_log_cond=4.0))
def test_cg_matches_numpy_solve(form, system):
    A, b, _ = system
    n = b.size
    x_true = np.linalg.solve(A, b)
    res = tr.cg(_cg_forms(A)[form], b, rtol=1e-10, maxiter=20 * n)
    assert res.status == tr.CGStatus.CONVERGED
    assert res.success
    true_res = np.linalg.norm(b - A @ res.x)
    assert true_res <= 1e-8 * np.linalg.norm(b)
    cond = np.linalg.cond(A)
    assert np.linalg.norm(res.x - x_true) <= 1e-8 * cond * np.linalg.norm(x_true)
    # the reported residual is the stopping quantity and describes the returned x
    assert res.residual_norm <= 1e-10 * np.linalg.norm(b) * (1 + 1e-8)
    assert true_res <= res.residual_norm + 1e-9 * np.linalg.norm(b)
    assert res.operator_products >= res.iterations >= 1


def test_cg_stopping_rule_matches_scipy_convention():
    rng = np.random.default_rng(1)
    n = 40
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.logspace(0, 3, n)) @ Q.T
    A = 0.5 * (A + A.T)
    b = rng.standard_normal(n)
    for rtol, atol in ((1e-3, 0.0), (1e-6, 0.0), (1e-12, 1e-4), (0.0, 1e-2)):
        res = tr.cg(A, b, rtol=rtol, atol=atol, maxiter=50 * n)
        assert res.status == tr.CGStatus.CONVERGED
        target = max(rtol * np.linalg.norm(b), atol)
        assert res.residual_norm <= target
        assert np.linalg.norm(b - A @ res.x) <= target * 1.01 + 1e-12 * np.linalg.norm(b)


def test_cg_preconditioners():
    rng = np.random.default_rng(2)
    n = 50
    C = rng.standard_normal((n, n))
    C = C @ C.T / n + np.eye(n)  # well conditioned
    d = 10.0 ** rng.uniform(-2, 2, n)
    A = (d[:, None] * C) * d[None, :]  # badly scaled: Jacobi fixes it
    A = 0.5 * (A + A.T)
    b = rng.standard_normal(n)
    x_true = np.linalg.solve(A, b)
    plain = tr.cg(A, b, rtol=1e-10, maxiter=100 * n)
    jac = tr.cg(A, b, M=tr.JacobiPreconditioner(A), rtol=1e-10, maxiter=100 * n)
    inv_diag = tr.cg(A, b, M=np.diag(1.0 / np.diag(A)), rtol=1e-10, maxiter=100 * n)
    inv_diag_fn = tr.cg(A, b, M=lambda r: r / np.diag(A), rtol=1e-10, maxiter=100 * n)
    for res in (plain, jac, inv_diag, inv_diag_fn):
        assert res.status == tr.CGStatus.CONVERGED
        assert np.linalg.norm(res.x - x_true) <= 1e-5 * np.linalg.norm(x_true)
    assert jac.iterations < plain.iterations
    # scipy convention: M approximates A^{-1}; Jacobi == multiplication by diag(A)^{-1}.
    # The three apply it by different arithmetic (in the kernel, by a dense product, by a
    # callable), so rounding, and with it the last iteration or two, may differ by CPU.
    for other in (inv_diag, inv_diag_fn):
        assert abs(jac.iterations - other.iterations) <= max(2, jac.iterations // 10)
    # the exact inverse as preconditioner converges in one step
    exact = tr.cg(A, b, M=np.linalg.inv(A), rtol=1e-8)
    assert exact.status == tr.CGStatus.CONVERGED
    assert exact.iterations <= 2
    assert np.linalg.norm(exact.x - x_true) <= 1e-6 * np.linalg.norm(x_true)


def test_cg_x0_and_callback():
    rng = np.random.default_rng(4)
    n = 30
    B = rng.standard_normal((n, n))
    A = B @ B.T + n * np.eye(n)
    b = rng.standard_normal(n)
    x_true = np.linalg.solve(A, b)
    x0 = rng.standard_normal(n)
    x0_copy = x0.copy()
    seen = []
    res = tr.cg(A, b, x0=x0, rtol=1e-12, callback=lambda xk: seen.append(np.array(xk)))
    assert np.array_equal(x0, x0_copy), "x0 modified in place"
    assert res.status == tr.CGStatus.CONVERGED
    assert np.linalg.norm(res.x - x_true) <= 1e-10 * np.linalg.norm(x_true)
    assert len(seen) == res.iterations
    assert np.allclose(seen[-1], res.x)
    # starting at the solution: nothing to do
    res0 = tr.cg(A, b, x0=x_true, rtol=1e-8)
    assert res0.iterations == 0
    assert res0.status == tr.CGStatus.CONVERGED
    assert np.allclose(res0.x, x_true, rtol=0, atol=1e-14 * np.linalg.norm(x_true))


def test_cg_zero_rhs():
    A = np.diag([1.0, 2.0, 3.0])
    res = tr.cg(A, np.zeros(3))
    assert np.array_equal(res.x, np.zeros(3))
    assert res.iterations == 0
    assert res.status == tr.CGStatus.CONVERGED
    assert res.success


def test_cg_negative_curvature():
    A = np.diag([1.0, -1.0, 2.0])
    for b in (np.array([0.0, 1.0, 0.0]), np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 0.5])):
        res = tr.cg(A, b)
        assert res.status == tr.CGStatus.NEGATIVE_CURVATURE
        assert not res.success
        assert np.isfinite(res.x).all()
        assert np.isfinite(res.residual_norm)


def test_cg_max_iter():
    n = 60
    A = np.diag(np.logspace(0, 6, n))
    b = np.ones(n)
    res = tr.cg(A, b, rtol=1e-12, maxiter=3)
    assert res.status == tr.CGStatus.MAX_ITER
    assert res.iterations == 3
    assert not res.success
    assert np.isfinite(res.x).all()
    # the residual reported is the one of the returned x
    assert res.residual_norm == pytest.approx(np.linalg.norm(b - A @ res.x), rel=1e-8)


# --------------------------------------------------------------------------- non-finite operators


def _nan_after(A, k):
    calls = [0]

    def matvec(v):
        calls[0] += 1
        if calls[0] > k:
            return np.full(A.shape[0], np.nan)
        return A @ v

    return matvec


def _spd_and_vector(seed, n):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n, n))
    return C @ C.T + np.eye(n), rng.standard_normal(n)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_cg_nonfinite_operator(k):
    A, b = _spd_and_vector(5, 20)
    res = tr.cg(_nan_after(A, k), b, rtol=1e-12)
    assert res.status == tr.CGStatus.NONFINITE
    assert not res.success
    assert np.isfinite(res.x).all()


@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("method", KRYLOV_METHODS)
def test_subproblem_nonfinite_operator(method, k):
    B, g = _spd_and_vector(6, 20)  # SPD, interior Newton step: the iteration must reach the NaN
    radius = 1e8
    step = tr.solve_subproblem(g, _nan_after(B, k), radius, method=method, rtol=1e-14)
    assert step.status == tr.StepStatus.NONFINITE
    assert not step.success
    assert np.isfinite(step.s).all()
    assert np.linalg.norm(step.s) <= radius * (1 + FEAS_RTOL)
    assert np.isfinite(step.predicted_reduction)
    if k > 0:  # the last finite iterate still decreases the model at least as much as Cauchy
        assert -model_value(g, B, step.s) >= cauchy_decrease(g, B, radius) * (1 - 1e-10)


@pytest.mark.parametrize("k", [0, 1])
def test_natural_nonfinite_metric(k):
    M, g = _spd_and_vector(8, 10)
    step = tr.solve_subproblem(g, None, 1.0, method="natural", M=_nan_after(M, k))
    assert step.status == tr.StepStatus.NONFINITE
    assert np.isfinite(step.s).all()


# --------------------------------------------------------------------------- work accounting


def _counted(A):
    calls = [0]

    def matvec(v):
        calls[0] += 1
        return A @ v

    return matvec, calls


@pytest.mark.parametrize(
    "method,definite",
    [
        (method, definite)
        for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact")
        for definite in (True, False)
        if method != "dogleg" or definite
    ],
)
def test_operator_products_counts_the_products(method, definite):
    rng = np.random.default_rng(11)
    n = 15
    C = rng.standard_normal((n, n))
    B = C @ C.T + np.eye(n) if definite else C + C.T
    g = rng.standard_normal(n)
    matvec, calls = _counted(B)
    step = tr.solve_subproblem(g, matvec, 1.0 if not definite else 1e3, method=method)
    assert step.operator_products == calls[0]
    assert step.iterations >= 0


@pytest.mark.parametrize("with_x0", [False, True])
def test_cg_operator_products_counts_the_products(with_x0):
    rng = np.random.default_rng(12)
    n = 15
    C = rng.standard_normal((n, n))
    A = C @ C.T + np.eye(n)
    b = rng.standard_normal(n)
    matvec, calls = _counted(A)
    res = tr.cg(matvec, b, x0=rng.standard_normal(n) if with_x0 else None, rtol=1e-10)
    assert res.operator_products == calls[0]
    assert res.iterations <= res.operator_products <= res.iterations + 1


# --------------------------------------------------------------------------- inputs untouched


@pytest.mark.parametrize("method", ["cauchy", "dogleg", "steihaug", "gltr", "exact", "natural"])
@pytest.mark.parametrize("metric", ["none", "diag", "dense"])
def test_inputs_not_modified(method, metric):
    rng = np.random.default_rng(9)
    n = 8
    C = rng.standard_normal((n, n))
    B = C @ C.T + np.eye(n) if method == "dogleg" else C + C.T
    g = rng.standard_normal(n)
    if metric == "none":
        M = None
    elif metric == "diag":
        M = rng.uniform(0.5, 2.0, n)
    else:
        D = rng.standard_normal((n, n))
        M = D @ D.T + np.eye(n)
    g0, B0 = g.copy(), B.copy()
    M0 = None if M is None else M.copy()
    step = tr.solve_subproblem(g, None if method == "natural" else B, 0.7, method=method, M=M)
    assert np.array_equal(g, g0)
    assert np.array_equal(B, B0)
    if M is not None:
        assert np.array_equal(M, M0)
    # the step is a fresh array: writing to it does not touch the inputs
    step.s[...] = 123.0
    assert np.array_equal(g, g0) and np.array_equal(B, B0)


def test_cg_inputs_not_modified():
    rng = np.random.default_rng(10)
    n = 10
    C = rng.standard_normal((n, n))
    A = C @ C.T + np.eye(n)
    b = rng.standard_normal(n)
    x0 = rng.standard_normal(n)
    Minv = np.diag(1.0 / np.diag(A))
    A0, b0, x00, Minv0 = A.copy(), b.copy(), x0.copy(), Minv.copy()
    tr.cg(A, b, x0=x0, M=Minv)
    assert np.array_equal(A, A0) and np.array_equal(b, b0)
    assert np.array_equal(x0, x00) and np.array_equal(Minv, Minv0)


# --------------------------------------------------------------------------- bad input


def _good():
    g = np.array([1.0, -2.0, 0.5])
    B = np.diag([2.0, 1.0, -1.0])
    return g, B


BAD_INPUTS = [
    # (description, kwargs overriding the good call, accepted argument names)
    ("radius zero", dict(radius=0.0), ("radius",)),
    ("radius negative", dict(radius=-1.0), ("radius",)),
    ("radius nan", dict(radius=np.nan), ("radius",)),
    ("radius inf", dict(radius=np.inf), ("radius",)),
    ("g nan", dict(g=np.array([1.0, np.nan, 0.0])), ("g",)),
    ("g inf", dict(g=np.array([1.0, np.inf, 0.0])), ("g",)),
    ("g 2-D", dict(g=np.ones((3, 1))), ("g",)),
    ("g wrong length", dict(g=np.ones(4)), ("g", "B")),
    ("B not square", dict(B=np.ones((3, 2))), ("B",)),
    ("B wrong size", dict(B=np.eye(4)), ("B", "g")),
    ("B nan", dict(B=np.diag([1.0, np.nan, 1.0])), ("B",)),
    ("B None", dict(B=None), ("B",)),
    ("unknown method", dict(method="newton"), ("method",)),
    ("M not PD (diag)", dict(M=np.array([1.0, -1.0, 1.0])), ("M",)),
    ("M zero diag", dict(M=np.array([1.0, 0.0, 1.0])), ("M",)),
    ("M not PD (dense)", dict(M=np.diag([1.0, -1.0, 1.0]), method="exact"), ("M",)),
    ("M wrong size", dict(M=np.ones(4)), ("M",)),
    ("M wrong shape", dict(M=np.eye(4)), ("M",)),
]


@pytest.mark.parametrize("desc,override,names", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_value_error_naming_argument(desc, override, names):
    g, B = _good()
    kwargs = dict(g=g, B=B, radius=1.0, method="steihaug", M=None)
    kwargs.update(override)
    with pytest.raises(ValueError) as excinfo:
        tr.solve_subproblem(kwargs.pop("g"), kwargs.pop("B"), kwargs.pop("radius"), **kwargs)
    msg = str(excinfo.value)
    assert any(_word(name).search(msg) for name in names), (
        f"ValueError message {msg!r} does not name any of {names}"
    )


@pytest.mark.parametrize("method", ["cauchy", "dogleg", "steihaug", "gltr", "exact"])
def test_bad_radius_each_method(method):
    g, B = _good()
    for radius in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"radius"):
            tr.solve_subproblem(g, np.abs(B), radius, method=method)


def test_natural_rejects_a_matrix():
    g, B = _good()
    with pytest.raises(ValueError) as excinfo:
        tr.solve_subproblem(g, B, 1.0, method="natural")
    assert _word("B").search(str(excinfo.value))


def test_cg_bad_input():
    A = np.eye(3)
    with pytest.raises(ValueError, match=r"\bb\b"):
        tr.cg(A, np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError):
        tr.cg(A, np.ones(4))
    with pytest.raises(ValueError, match=r"rtol"):
        tr.cg(A, np.ones(3), rtol=-1.0)
