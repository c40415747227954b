"""Line searches against the conditions they promise."""

import math

import numpy as np
import pytest

from trustregion.linesearch import (
    BacktrackingLineSearch,
    ConstraintAwareBacktracking,
    LineSearchStatus,
    StrongWolfeLineSearch,
)


def quadratic(seed=0, n=5):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n, n))
    A = C @ C.T + np.eye(n)
    b = rng.standard_normal(n)
    return (lambda x: 0.5 * x @ A @ x - b @ x), (lambda x: A @ x - b), A, b


# ---- Armijo ---------------------------------------------------------------------------


def test_armijo_accepts_the_first_sufficient_decrease():
    fun, grad, A, b = quadratic()
    x = np.zeros(5)
    g = grad(x)
    d = -g
    search = BacktrackingLineSearch(c1=0.5, shrink=0.5)
    res = search.search(fun, x, d, fun(x), g @ d, step=8.0)
    assert res.accepted and res.status is LineSearchStatus.ACCEPTED
    assert res.f <= fun(x) + 0.5 * res.step * (g @ d)
    # every earlier trial failed the test, and the trials halve
    for alpha, f in zip(res.trial_steps[:-1], res.trial_values[:-1], strict=False):
        assert f > fun(x) + 0.5 * alpha * (g @ d)
    np.testing.assert_allclose(res.trial_steps, 8.0 * 0.5 ** np.arange(len(res.trial_steps)))
    assert res.backtracks == len(res.trial_steps) - 1 == res.evaluations - 1
    np.testing.assert_array_equal(res.x, x + res.step * d)


def test_armijo_shrinks_past_non_finite_values_and_keeps_inputs():
    def fun(x):
        return math.inf if x[0] > 1.0 else (x[0] - 0.5) ** 2

    x = np.array([0.0])
    x_before = x.copy()
    res = BacktrackingLineSearch().search(fun, x, np.array([1.0]), 0.25, -1.0, step=4.0)
    # 4 and 2 lie outside the domain, 1 gives no decrease, 0.5 reaches the minimiser.
    assert res.accepted and res.step == 0.5 and res.trial_steps == (4.0, 2.0, 1.0, 0.5)
    assert math.isinf(res.trial_values[0]) and math.isinf(res.trial_values[1])
    np.testing.assert_array_equal(x, x_before)


def test_armijo_gives_up_and_returns_the_start_point():
    res = BacktrackingLineSearch(max_backtracks=3).search(
        lambda x: 1.0 + x[0] ** 2, np.array([0.0]), np.array([1.0]), 0.0, -1.0
    )
    assert not res.accepted and res.status is LineSearchStatus.MAX_BACKTRACKS
    assert res.step == 0.0 and res.evaluations == 4 and res.f == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"c1": 0.0}, "c1"),
        ({"shrink": 1.0}, "shrink"),
        ({"max_backtracks": -1}, "max_backtracks"),
    ],
)
def test_armijo_validates_its_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BacktrackingLineSearch(**kwargs)


def test_armijo_refuses_an_ascent_direction():
    with pytest.raises(ValueError, match="slope"):
        BacktrackingLineSearch().search(lambda x: 0.0, np.zeros(2), np.ones(2), 0.0, 1.0)


# ---- constraint-aware backtracking ----------------------------------------------------


def test_constraint_aware_accepts_the_first_fraction_within_the_bound():
    """Minimise a linear f = gᵀx subject to ½ xᵀFx ≤ δ along a full step twice too long:
    the accepted fraction is the first power of ρ that brings ½α²sᵀFs under δ."""
    rng = np.random.default_rng(1)
    F = np.diag(rng.uniform(0.5, 2.0, 4))
    g = rng.standard_normal(4)
    delta = 0.01
    s = -np.linalg.solve(F, g)
    s *= 2.0 * math.sqrt(2 * delta / (s @ F @ s))  # ½ sᵀFs = 4δ
    search = ConstraintAwareBacktracking(shrink=0.8, max_backtracks=10, accept_ratio=0.1)
    res = search.search(
        lambda x: g @ x,
        np.zeros(4),
        s,
        0.0,
        -(g @ s),
        constraint=lambda x: 0.5 * x @ F @ x,
        max_constraint=delta,
    )
    expected = next(0.8**k for k in range(11) if 0.5 * (0.8**k) ** 2 * (s @ F @ s) <= delta)
    assert res.accepted and res.step == pytest.approx(expected)
    assert res.constraint == pytest.approx(0.5 * res.x @ F @ res.x) and res.constraint <= delta


def test_constraint_aware_requires_a_fair_share_of_the_predicted_decrease():
    # f decreases by only 5% of the prediction at every fraction: nothing is accepted.
    pred = 1.0
    res = ConstraintAwareBacktracking(accept_ratio=0.1, max_backtracks=4).search(
        lambda x: -0.05 * pred * x[0], np.array([0.0]), np.array([1.0]), 0.0, pred
    )
    assert not res.accepted and res.step == 0.0 and res.evaluations == 5
    np.testing.assert_array_equal(res.x, [0.0])
    assert res.status is LineSearchStatus.MAX_BACKTRACKS


def test_constraint_aware_rejects_nan_constraints_and_bad_predictions():
    search = ConstraintAwareBacktracking(max_backtracks=2)
    res = search.search(
        lambda x: -x[0],
        np.array([0.0]),
        np.array([1.0]),
        0.0,
        1.0,
        constraint=lambda x: math.nan,
        max_constraint=1.0,
    )
    assert not res.accepted
    with pytest.raises(ValueError, match="predicted_reduction"):
        search.search(lambda x: -x[0], np.array([0.0]), np.array([1.0]), 0.0, 0.0)


# ---- strong Wolfe (Moré–Thuente) ------------------------------------------------------


def _phi_functions():
    """The six test functions of Moré & Thuente (1994), §5, with their (c1, c2)."""

    def phi1(a):
        beta = 2.0
        return -a / (a * a + beta), -(beta - a * a) / (a * a + beta) ** 2

    def phi2(a):
        beta = 0.004
        return (a + beta) ** 5 - 2.0 * (a + beta) ** 4, 5.0 * (a + beta) ** 4 - 8.0 * (
            a + beta
        ) ** 3

    def phi3(a):
        beta, ell = 0.01, 39.0
        if a <= 1.0 - beta:
            p0, dp0 = 1.0 - a, -1.0
        elif a >= 1.0 + beta:
            p0, dp0 = a - 1.0, 1.0
        else:
            p0, dp0 = (a - 1.0) ** 2 / (2 * beta) + beta / 2, (a - 1.0) / beta
        c = 2.0 * (1.0 - beta) / (ell * math.pi)
        return p0 + c * math.sin(ell * math.pi * a / 2), dp0 + c * (ell * math.pi / 2) * math.cos(
            ell * math.pi * a / 2
        )

    def yanai(b1, b2):
        def gamma(b):
            return math.sqrt(1.0 + b * b) - b

        def phi(a):
            u, v = math.sqrt((1 - a) ** 2 + b2**2), math.sqrt(a * a + b1**2)
            return gamma(b1) * u + gamma(b2) * v, -gamma(b1) * (1 - a) / u + gamma(b2) * a / v

        return phi

    return [
        (phi1, 1e-3, 0.1),
        (phi2, 1e-3, 0.1),
        (phi3, 0.1, 0.1),
        (yanai(0.001, 0.001), 1e-3, 1e-3),
        (yanai(0.01, 0.001), 1e-3, 1e-3),
        (yanai(0.001, 0.01), 1e-3, 1e-3),
    ]


# Function evaluations Moré & Thuente report for α₀ = 1e-3, 1e-1, 1e1, 1e3 (Tables 1-6).
PUBLISHED_EVALUATIONS = [
    (6, 3, 1, 4),
    (12, 8, 8, 11),
    (12, 12, 10, 13),
    (4, 1, 3, 4),
    (6, 3, 7, 8),
    (13, 11, 8, 11),
]
STEPS = (1e-3, 1e-1, 1e1, 1e3)


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("which", range(4))
def test_more_thuente_test_functions(index, which):
    """Each search ends at a strong Wolfe point after the published number of evaluations."""
    phi, c1, c2 = _phi_functions()[index]
    step = STEPS[which]

    def fun(x):
        value, slope = phi(x[0])
        return value, np.array([slope])

    f0, d0 = phi(0.0)
    res = StrongWolfeLineSearch(c1=c1, c2=c2).search(
        fun, True, np.array([0.0]), np.array([1.0]), f0=f0, g0=np.array([d0]), step=step
    )
    f, d = phi(res.step)
    assert res.accepted, (res.status, res.trial_steps)
    assert f <= f0 + c1 * res.step * d0
    assert abs(d) <= c2 * abs(d0)
    assert res.evaluations == PUBLISHED_EVALUATIONS[index][which]


def test_strong_wolfe_on_rosenbrock_and_separate_gradient():
    def f(x):
        return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2

    def g(x):
        return np.array(
            [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]
        )

    x = np.array([-1.2, 1.0])
    d = -g(x)
    res = StrongWolfeLineSearch(c2=0.9).search(f, g, x, d, step=1.0)
    assert res.accepted
    assert f(res.x) <= f(x) + 1e-4 * res.step * (g(x) @ d)
    assert abs(g(res.x) @ d) <= 0.9 * abs(g(x) @ d)


def test_strong_wolfe_steps_back_from_outside_the_domain():
    def fun(x):
        a = x[0]
        if a > 2.0:
            return math.nan, np.array([math.nan])
        return (a - 1.0) ** 2, np.array([2 * (a - 1.0)])

    res = StrongWolfeLineSearch().search(fun, True, np.array([0.0]), np.array([1.0]), step=5.0)
    assert res.accepted and 0.0 < res.step <= 2.0 and math.isfinite(res.f)


def test_strong_wolfe_validates():
    with pytest.raises(ValueError, match="c2 must not be below c1"):
        StrongWolfeLineSearch(c1=0.5, c2=0.4)
    with pytest.raises(ValueError, match="descent"):
        StrongWolfeLineSearch().search(lambda x: (x @ x, 2 * x), True, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="jac"):
        StrongWolfeLineSearch().search(lambda x: 0.0, None, np.ones(2), -np.ones(2))
