"""natural_step and constrained_step, the generic pieces of NPG and TRPO."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import log_softmax, softmax

import trustregion as tr


def spd(seed, n=6):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n, n))
    return C @ C.T + np.eye(n), rng.standard_normal(n)


@pytest.mark.parametrize("maximize", [False, True])
def test_natural_step_with_a_step_size(maximize):
    M, g = spd(0)
    res = tr.natural_step(g, M, step_size=0.3, maximize=maximize, cg_maxiter=50)
    x = np.linalg.solve(M, g)
    np.testing.assert_allclose(res.direction, x, rtol=1e-9)
    np.testing.assert_allclose(res.step, (0.3 if maximize else -0.3) * x, rtol=1e-9)
    assert res.g_dual_norm_sq == pytest.approx(g @ x, rel=1e-10)
    assert res.quadratic_divergence == pytest.approx(0.5 * res.step @ M @ res.step, rel=1e-9)
    assert res.predicted_improvement == pytest.approx(abs(g @ res.step), rel=1e-9)


def test_natural_step_normalised_to_a_divergence_even_with_truncated_cg():
    M, g = spd(1, n=40)
    for cg_maxiter in (3, 40):  # TRPO's truncated CG still lands exactly on ½ sᵀMs = δ
        res = tr.natural_step(g, M, max_divergence=0.01, cg_maxiter=cg_maxiter)
        assert 0.5 * res.step @ M @ res.step == pytest.approx(0.01, rel=1e-9)
        assert res.quadratic_divergence == pytest.approx(0.01, rel=1e-12)
        assert res.cg_iterations <= cg_maxiter
    assert res.status in (tr.StepStatus.BOUNDARY, tr.StepStatus.MAX_ITER)


@pytest.mark.parametrize("maximize", [False, True])
def test_natural_step_is_the_natural_subproblem_step(maximize):
    """The divergence-bounded natural step is solve_subproblem's, radius √(2δ), on ∓g."""
    M, g = spd(4, n=12)
    res = tr.natural_step(g, M, max_divergence=0.02, maximize=maximize)
    sub = tr.solve_subproblem(-g if maximize else g, None, np.sqrt(0.04), method="natural", M=M)
    np.testing.assert_allclose(res.step, sub.s, rtol=1e-14)
    assert res.predicted_improvement == pytest.approx(sub.predicted_reduction, rel=1e-14)
    assert res.status is sub.status


def test_natural_step_at_a_zero_gradient_is_zero():
    M, _ = spd(5)
    res = tr.natural_step(np.zeros(6), M, step_size=1.0)
    assert res.status is tr.StepStatus.ZERO_GRADIENT and res.status.success
    assert not res.step.any() and res.predicted_improvement == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"step_size": 1.0, "max_divergence": 0.1}, {"step_size": -1.0}, {"max_divergence": 0.0}],
)
def test_natural_step_needs_exactly_one_positive_scale(kwargs):
    M, g = spd(2)
    with pytest.raises(ValueError, match="step_size|max_divergence"):
        tr.natural_step(g, M, **kwargs)


# ---- maximise a linear function over a KL ball around a categorical distribution -------


def kl_ball_problem(seed=0, k=6):
    rng = np.random.default_rng(seed)
    c, theta0 = rng.standard_normal(k), rng.standard_normal(k)
    q, log_q = softmax(theta0), log_softmax(theta0)

    def objective(theta):  # cᵀp(θ), p = softmax(θ)
        return float(c @ softmax(theta))

    def divergence(theta):  # KL(p(θ) ‖ q)
        return float(softmax(theta) @ (log_softmax(theta) - log_q))

    def exact(delta):
        """max cᵀp s.t. KL(p‖q) ≤ δ: p* ∝ q·exp(c/λ), λ the root of KL(p*(λ)‖q) = δ."""
        lam = brentq(lambda l: divergence(log_q + c / l) - delta, 1e-3, 1e9, xtol=1e-14)
        return log_q + c / lam, objective(log_q + c / lam)

    gradient = q * (c - q @ c)  # ∇θ cᵀsoftmax(θ) at θ₀
    fisher = tr.FisherOperator.from_categorical(np.eye(k)[None], q[None])  # diag q - qqᵀ
    return theta0, objective, divergence, exact, gradient, fisher


@pytest.mark.parametrize("delta", [1e-2, 1e-3, 1e-4])
def test_constrained_step_against_the_exact_kl_ball_solution(delta):
    theta0, objective, divergence, exact, gradient, fisher = kl_ball_problem()
    res = tr.constrained_step(objective, theta0, gradient, divergence, fisher, delta, maximize=True)
    theta_star, f_star = exact(delta)
    f0 = objective(theta0)
    assert res.accepted and res.divergence <= delta
    # Feasible, so it cannot beat the optimum; first order in √δ, so it comes close.
    assert res.f <= f_star + 1e-15
    assert (f_star - res.f) / (f_star - f0) <= math.sqrt(delta)
    assert res.actual_improvement == pytest.approx(res.f - f0, rel=1e-12)
    # The step points where the exact solution lies (logits up to an added constant).
    u, v = res.x - theta0, theta_star - theta0
    u, v = u - u.mean(), v - v.mean()
    assert u @ v / np.linalg.norm(u) / np.linalg.norm(v) >= 1 - math.sqrt(delta)


def test_constrained_step_restores_the_start_point_when_nothing_is_acceptable():
    theta0, objective, divergence, exact, gradient, fisher = kl_ball_problem(1)
    res = tr.constrained_step(
        objective, theta0, gradient, lambda th: 1.0, fisher, 1e-3, maximize=True, max_backtracks=4
    )
    assert not res.accepted and res.step_fraction == 0.0 and res.divergence is None
    np.testing.assert_array_equal(res.x, theta0)
    assert res.f == objective(theta0) and res.line_search.evaluations == 5


def test_constrained_step_minimises_by_default():
    M, g = spd(3)
    res = tr.constrained_step(
        lambda x: 0.5 * x @ M @ x + g @ x, np.zeros(6), g, lambda x: 0.5 * x @ M @ x, M, 0.05
    )
    assert res.accepted and res.f < 0.0 and res.actual_improvement > 0.0
