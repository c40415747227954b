"""The \"cutest\" suite: exact derivatives, known optima, and O(n) cost at n = 10⁵."""

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
    g_fd = np.array([(problem.fun(x + h * e) - problem.fun(x - h * e)) / (2 * h)
                     for e in np.eye(12)])
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
