"""Fuzzing ``solve_subproblem`` and ``cg`` over the scales 1e-150 … 1e150.

The trust-region subproblem has an exact scaling law. In

    min αgᵀs + ½β sᵀBs   subject to   ‖s‖_{μM} ≤ ρΔ

substitute s = (α/β)u: the objective becomes (α²/β)(gᵀu + ½uᵀBu) and the constraint
‖u‖_M ≤ βρΔ/(α√μ). So

    s*(αg, βB, ρΔ, μM) = (α/β) · u*(g, B, κΔ, M),   κ = βρ/(α√μ),

and the predicted reduction scales by α²/β. Every method, exact or not, computes a step
that depends on the data only through this law (a method is a sequence of scale-covariant
operations), so the step of the scaled problem must be (α/β) times the step of an
ordinary-sized one. The fuzz draws g, B and M at ordinary scales (``strategies.py``),
α, β and μ anywhere in 2^±498 ≈ 1e±150, and ρ such that κ stays ordinary (so that the
unscaled problem is an ordinary one, with an ordinary reference).

The scale factors are powers of two: scaling by them is exact, so the two solves differ
only where an implementation overflows, underflows or compares with an absolute
threshold, which is what this module is after; the tolerances are then tight.

For linear systems likewise: the solution of (βA) x = αb is (α/β) A⁻¹b.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reference import global_tr_solution, m_norm, model_scale, model_value
from strategies import spd_systems, subproblems

import trustregion as tr

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# 2^498 ≈ 1e150: the range the solvers promise.
EXPONENT = 498
exponents = st.integers(-EXPONENT, EXPONENT)
# κ = 2^k keeps the unscaled problem's radius within a factor 1e±6 of an ordinary one.
kappa_exponents = st.integers(-20, 20)

METHODS = ("steihaug", "gltr", "exact", "cauchy", "dogleg")
# Exact scaling leaves every operation's rounding unchanged; what is left is the
# difference between two problems' absolute thresholds, if any slipped through.
STEP_RTOL = 1e-9


def _scales(problem, a, b, m, k):
    """(α, β, μ, ρ) = (2^a, 4^i, 4^j, 2^r) with i = b // 2 and j = m // 2, and r chosen so
    that κ = βρ/(α√μ) = 2^k; None when ρ would leave 2^±498. β and μ are powers of four so
    that Cholesky factors (square roots) scale exactly too: otherwise an ill-conditioned B
    alone makes the steps differ by eps·cond(B). The Euclidean norm has no scale to vary:
    μ = 1 then."""
    i, j = b // 2, (0 if problem.M is None else m // 2)
    r = k + a + j - 2 * i
    if abs(r) > EXPONENT:
        return None
    return 2.0**a, 2.0 ** (2 * i), 2.0 ** (2 * j), 2.0**r


def _metric(problem, mu):
    return None if problem.M is None else mu * problem.M


@pytest.mark.parametrize("method", METHODS)
@FUZZ
@given(problem=subproblems(max_n=8), a=exponents, b=exponents, m=exponents, k=kappa_exponents)
def test_subproblem_step_follows_the_scaling_law(method, problem, a, b, m, k):
    scales = _scales(problem, a, b, m, k)
    assume(scales is not None)
    alpha, beta, mu, rho = scales
    unit_radius = 2.0**k * problem.radius
    if method == "dogleg":
        assume(problem.positive_definite)
    base = tr.solve_subproblem(problem.g, problem.B, unit_radius, method=method, M=problem.M)
    step = tr.solve_subproblem(
        alpha * problem.g,
        beta * problem.B,
        rho * problem.radius,
        method=method,
        M=_metric(problem, mu),
    )
    assert np.isfinite(step.s).all()
    assert step.status is base.status
    u = step.s * (beta / alpha)  # back to the unscaled problem's units
    scale = model_scale(problem.g, problem.B, base.s) + 1e-300
    np.testing.assert_allclose(
        u, base.s, rtol=STEP_RTOL, atol=STEP_RTOL * (np.linalg.norm(base.s) + unit_radius * 1e-6)
    )
    # The reduction (α²/β)·(the base one) is compared where it is a normal float: beyond,
    # it is inf or a subnormal number, exact to fewer digits.
    log_reduction = 2 * a - math.log2(beta) + math.log2(base.predicted_reduction + 1e-300)
    if -1000 < log_reduction < 1000:
        assert step.predicted_reduction * (beta / alpha) / alpha == pytest.approx(
            base.predicted_reduction, rel=STEP_RTOL, abs=STEP_RTOL * scale
        )
    if method in ("exact", "gltr") and base.status.success:
        # And the unscaled step is the global minimiser (gltr: off the hard case, where
        # its Krylov space may miss the eigenvector).
        ref = global_tr_solution(problem.g, problem.B, unit_radius, problem.M)
        if method == "exact" or not (ref.hard_case or problem.hard_case):
            assert model_value(problem.g, problem.B, u) <= ref.model_value + 1e-8 * scale
        assert m_norm(u, problem.M) <= unit_radius * (1 + 1e-9)


@FUZZ
@given(problem=subproblems(max_n=8, metric=("none", "diag", "dense")), a=exponents, m=exponents)
def test_natural_step_follows_the_scaling_law(problem, a, m):
    """The linear model's step -Δ M⁻¹g/‖M⁻¹g‖_M does not depend on ‖g‖, and scaling M by
    μ shrinks it by √μ."""
    assume(np.any(problem.g != 0))
    mu = 2.0 ** (2 * (m // 2))
    base = tr.solve_subproblem(problem.g, None, problem.radius, method="natural", M=problem.M)
    step = tr.solve_subproblem(
        2.0**a * problem.g, None, problem.radius, method="natural", M=_metric(problem, mu)
    )
    assert step.status is base.status
    root_mu = 1.0 if problem.M is None else 2.0 ** (m // 2)
    np.testing.assert_allclose(
        step.s * root_mu, base.s, rtol=STEP_RTOL, atol=STEP_RTOL * np.linalg.norm(base.s)
    )


@FUZZ
@given(system=spd_systems(max_n=12), a=exponents, b=exponents)
def test_cg_solution_follows_the_scaling_law(system, a, b):
    A, rhs, _ = system
    alpha, beta = 2.0**a, 2.0**b
    base = tr.cg(A, rhs, rtol=1e-10)
    res = tr.cg(beta * A, alpha * rhs, rtol=1e-10)
    assert res.status is base.status is tr.CGStatus.CONVERGED
    np.testing.assert_allclose(
        res.x * (beta / alpha), base.x, rtol=1e-12, atol=1e-12 * np.linalg.norm(base.x)
    )
    assert res.residual_norm / alpha == pytest.approx(base.residual_norm, rel=1e-12, abs=1e-300)
    assert math.isfinite(res.residual_norm)


HONEST_FAILURES = (
    tr.StepStatus.NONFINITE,
    tr.StepStatus.MAX_ITER,
    tr.StepStatus.NOT_POSITIVE_DEFINITE,
)


@pytest.mark.parametrize("method", METHODS)
@FUZZ
@given(problem=subproblems(max_n=8), a=exponents, b=exponents, m=exponents, r=exponents)
def test_subproblem_at_independent_scales_is_feasible_and_consistent(method, problem, a, b, m, r):
    """With α, β, ρ and μ drawn independently the unscaled problem can be extreme itself
    (a radius 1e300 times the Newton step, say), with no ordinary reference to compare
    with. The step must still be finite and feasible, and either claimed solved with a
    model decrease that is consistent with the step, or reported as a failure."""
    j = 0 if problem.M is None else m // 2
    alpha, beta, rho, mu = 2.0**a, 2.0**b, 2.0**r, 2.0 ** (2 * j)
    # The domain where an answer is promised (in log2, with margins for the instance's own
    # sizes and M's conditioning): the model's size α‖g‖‖s‖ + ½β‖B‖‖s‖² (‖s‖ ≲ ρΔ/√μ)
    # must be a float, or no answer is representable; and so must the slope-to-radius
    # ratio ‖g‖/Δ and the curvature along the gradient and along the radius,
    # ‖B‖(‖g‖/Δ)^±1, which the methods form. Each scale alone is anywhere in 1e±150.
    g_log = np.log2(np.linalg.norm(problem.g) + 1e-300) + a + j
    b_log = np.log2(np.linalg.norm(problem.B, 2) + 1e-300) + b
    d_log = np.log2(problem.radius) + r - j
    assume(max(abs(g_log + d_log), abs(b_log + 2 * d_log)) < 900)
    assume(max(abs(g_log - d_log), abs(b_log + g_log - d_log), abs(b_log - g_log + d_log)) < 900)
    M = _metric(problem, mu)
    radius = rho * problem.radius
    step = tr.solve_subproblem(alpha * problem.g, beta * problem.B, radius, method=method, M=M)
    assert np.isfinite(step.s).all()
    # ‖s‖_{μM} = √μ‖s‖_M, evaluated without squaring huge entries.
    root_mu = 2.0**j
    assert root_mu * m_norm(step.s / radius, problem.M) <= 1.0 + 1e-9
    assert step.status.success or step.status in HONEST_FAILURES
    if step.status.success:
        # -m(s) = -(αgᵀs + ½β sᵀBs), up to rounding errors of order eps times the model's
        # natural size α‖g‖‖s‖ + ½β‖B‖‖s‖² (``model_scale``; the terms may cancel), and, for
        # gltr, whose value comes from the Lanczos tridiagonal, eps·cond(B) relative (1e-9
        # on the strategies' ill-conditioned instances, at any scale).
        # Products are formed with the scaled data, never s·s, which underflows for tiny s.
        g, B, s = alpha * problem.g, beta * problem.B, step.s
        with np.errstate(over="ignore"):
            linear, quadratic = float(g @ s), 0.5 * float(s @ (B @ s))
            size = np.linalg.norm(g) * np.linalg.norm(s) + 0.5 * np.linalg.norm(
                B, 2
            ) * np.linalg.norm(s) * np.linalg.norm(s)
        assert step.predicted_reduction >= -1e-12 * size
        assert -(linear + quadratic) == pytest.approx(
            step.predicted_reduction, rel=1e-8, abs=1e-10 * size
        )
