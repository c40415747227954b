"""The "cutest" and "bounds" suites: exact derivatives, known optima, O(n) cost at
n = 10⁵, and first-order points of the boxes."""

import numpy as np
import pytest

from trustregion import problems

NAMES = problems.names("cutest")


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_against_central_differences(name):
    problem = problems.get(name, 12)
    rng = np.random.default_rng(0)
    x = problem.x0 + 0.1 * rng.standard_normal(12)
    h = 1e-6
    g = problem.grad(x)
    g_fd = np.array(
        [(problem.fun(x + h * e) - problem.fun(x - h * e)) / (2 * h) for e in np.eye(12)]
    )
    assert np.linalg.norm(g - g_fd) <= 1e-7 * max(1.0, np.linalg.norm(g))
    v = rng.standard_normal(12)
    hv = problem.hessp(x, v)
    hv_fd = (problem.grad(x + h * v) - problem.grad(x - h * v)) / (2 * h)
    assert np.linalg.norm(hv - hv_fd) <= 1e-7 * max(1.0, np.linalg.norm(hv))
    H = problem.hess(x).toarray()
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * max(1.0, np.abs(H).max()))


@pytest.mark.parametrize("name", NAMES)
def test_known_optima(name):
    problem = problems.get(name, 16)
    if problem.x_star is None:
        pytest.skip(f"{name}: no closed-form minimiser")
    assert problem.fun(problem.x_star) == pytest.approx(problem.f_star, abs=1e-12)
    assert np.abs(problem.grad(problem.x_star)).max() <= 1e-10


@pytest.mark.parametrize("name", NAMES)
def test_large_n_is_cheap_and_sparse(name):
    problem = problems.get(name, 100_000)
    H = problem.hess(problem.x0)
    assert H.nnz <= 16 * problem.n  # banded or arrowhead
    assert np.isfinite(problem.fun(problem.x0)) and problem.grad(problem.x0).shape == (100_000,)


def test_suite_at_a_given_dimension():
    suite = problems.suite("cutest", n=1000)
    assert len(suite) >= 10 and all(p.n == 1000 for p in suite)
    with pytest.raises(ValueError, match="extended_rosenbrock"):
        problems.get("extended_rosenbrock", 7)


# ---- the "bounds" suite ---------------------------------------------------------------

BOUNDED = problems.suite("bounds")


@pytest.mark.parametrize("problem", BOUNDED, ids=lambda p: p.name)
def test_bounded_variants_are_consistent(problem):
    lb, ub = problem.bounds.lb, problem.bounds.ub
    assert np.all(problem.x0 >= lb) and np.all(problem.x0 <= ub)
    assert problems.get(problem.name).name == problem.name
    if problem.x_star is not None:
        # A first-order point of the box problem: the projected gradient vanishes there.
        g = problem.grad(problem.x_star)
        projected = np.clip(problem.x_star - g, lb, ub) - problem.x_star
        assert np.abs(projected).max() <= 1e-10 * max(1.0, np.abs(g).max())
        assert problem.fun(problem.x_star) == pytest.approx(problem.f_star, rel=1e-12)


@pytest.mark.parametrize(
    "problem", [p for p in BOUNDED if p.f_star is not None], ids=lambda p: p.name
)
def test_minimize_with_bounds_reaches_the_closed_form_optimum(problem):
    import trustregion as tr

    res = tr.minimize(
        problem.fun, problem.x0, jac=problem.grad, hessp=problem.hessp, bounds=problem.bounds
    )
    assert res.success
    assert res.fun == pytest.approx(problem.f_star, rel=1e-8, abs=1e-12)
