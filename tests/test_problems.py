"""Tests for :mod:`trustregion.problems` (the Moré–Garbow–Hillstrom collection).

Derivatives are checked against central finite differences of the next-lower
derivative; the published minimal values of MGH (1981) are checked either exactly at
a closed-form minimiser or by minimising with SciPy's Levenberg–Marquardt code from
the standard starting point.
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import least_squares

from trustregion import problems

# Standard dimensions plus a few other published or small dimensions.
EXTRA = [
    ("watson", 6),
    ("watson", 12),
    ("penalty1", 4),
    ("penalty2", 4),
    ("chebyquad", 7),
    ("chebyquad", 9),
    ("chebyquad", 10),
    ("extended_rosenbrock", 2),
    ("extended_rosenbrock", 40),
    ("extended_powell", 4),
    ("extended_powell", 40),
    ("brown_almost_linear", 3),
    ("variably_dimensioned", 30),
    ("trigonometric", 30),
    ("discrete_boundary_value", 30),
    ("discrete_integral_equation", 30),
    ("broyden_tridiagonal", 30),
    ("broyden_banded", 30),
    ("linear_full_rank", 3),
    ("linear_rank1", 3),
    ("linear_rank1_zero", 3),
    ("penalty2", 1),
]

CASES = [(name, None) for name in problems.names("mgh")] + EXTRA


class _dense:
    """A problem's matrices as dense arrays: the banded problems (MGH 21, 22, 28, 30)
    return scipy sparse ones, which the comparisons here read densely."""

    def __init__(self, problem):
        self._problem = problem

    def __getattr__(self, name):
        method = getattr(self._problem, name)

        def dense(*args):
            value = method(*args)
            return value.toarray() if sp.issparse(value) else value

        return dense


def _case_id(case):
    name, n = case
    return name if n is None else f"{name}-n{n}"


@pytest.fixture(params=CASES, ids=_case_id)
def problem(request):
    name, n = request.param
    return problems.get(name, n)


def _rng(p):
    return np.random.default_rng(zlib.crc32(f"{p.name}-{p.n}".encode()))


def _points(p):
    """The standard start and a random point nearby."""
    scale = np.maximum(1.0, np.abs(p.x0))
    return [p.x0, p.x0 + 1e-2 * scale * _rng(p).standard_normal(p.n)]


STEPS = [10.0**-k for k in range(2, 9)]


def _rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


def _fd_grad_err(p, x):
    """Smallest relative error of a central-difference gradient over a step sweep."""
    g = p.grad(x)
    scale = np.maximum(1.0, np.abs(x))
    errs = []
    for s in STEPS:
        fd = np.empty(p.n)
        for i in range(p.n):
            e = np.zeros(p.n)
            e[i] = s * scale[i]
            fd[i] = (p.fun(x + e) - p.fun(x - e)) / (2.0 * e[i])
        errs.append(_rel_err(g, fd))
    return min(errs)


def _fd_hessp_err(p, x, v):
    hv = p.hessp(x, v)
    base = max(1.0, np.linalg.norm(x)) / np.linalg.norm(v)
    errs = []
    for s in STEPS:
        h = s * base
        fd = (p.grad(x + h * v) - p.grad(x - h * v)) / (2.0 * h)
        errs.append(_rel_err(hv, fd))
    return min(errs)


def _fd_jac_err(p, x):
    jac = _dense(p).jacobian(x)
    scale = np.maximum(1.0, np.abs(x))
    errs = []
    for s in STEPS:
        cols = []
        for i in range(p.n):
            e = np.zeros(p.n)
            e[i] = s * scale[i]
            cols.append((p.residual(x + e) - p.residual(x - e)) / (2.0 * e[i]))
        errs.append(_rel_err(jac, np.column_stack(cols)))
    return min(errs)


# --------------------------------------------------------------- derivatives
def test_shapes(problem):
    p = problem
    x = p.x0
    assert p.x0.shape == (p.n,)
    assert p.residual(x).shape == (p.m,)
    assert _dense(p).jacobian(x).shape == (p.m, p.n)
    assert _dense(p).residual_hess(x, np.ones(p.m)).shape == (p.n, p.n)
    assert p.grad(x).shape == (p.n,)
    assert p.hessp(x, np.ones(p.n)).shape == (p.n,)
    assert _dense(p).hess(x).shape == (p.n, p.n)
    assert isinstance(p.fun(x), float)
    f = p.fun(x)
    r = p.residual(x)
    assert f == pytest.approx(r @ r, rel=1e-14)


def test_jacobian_matches_finite_differences(problem):
    for x in _points(problem):
        assert _fd_jac_err(problem, x) < 1e-6


def test_gradient_matches_finite_differences(problem):
    for x in _points(problem):
        assert _fd_grad_err(problem, x) < 1e-6


def test_hessp_matches_finite_differences(problem):
    rng = _rng(problem)
    for x in _points(problem):
        v = rng.standard_normal(problem.n)
        assert _fd_hessp_err(problem, x, v) < 1e-6


def test_residual_hessians_entrywise(problem):
    """Each residual Hessian, entry by entry, against differences of the Jacobian.

    Stricter than the Hessian-vector check: a wrong entry that is small next to the
    largest one in the Hessian still fails here.
    """
    p = problem
    for x in _points(p):
        exact = np.stack([_dense(p).residual_hess(x, w) for w in np.eye(p.m)])  # (m, n, n)
        scale = np.maximum(
            np.abs(exact).max(axis=(1, 2)), np.abs(_dense(p).jacobian(x)).max(axis=1)
        )
        best = np.full(exact.shape, np.inf)
        for s in STEPS:
            for k in range(p.n):
                e = np.zeros(p.n)
                e[k] = s * max(1.0, abs(x[k]))
                fd = (_dense(p).jacobian(x + e) - _dense(p).jacobian(x - e)) / (2.0 * e[k])
                best[:, :, k] = np.minimum(best[:, :, k], np.abs(exact[:, :, k] - fd))
        tol = 1e-6 * np.abs(exact) + 1e-9 * scale[:, None, None]
        bad = np.argwhere(best > tol)
        assert bad.size == 0, f"residual Hessian entries (i, j, k) off: {bad[:5].tolist()}"
        np.testing.assert_array_equal(exact, np.transpose(exact, (0, 2, 1)))


def test_hess_is_symmetric_and_matches_hessp(problem):
    rng = _rng(problem)
    for x in _points(problem):
        h = _dense(problem).hess(x)
        scale = max(1.0, np.abs(h).max())
        np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-13 * scale)
        for _ in range(3):
            v = rng.standard_normal(problem.n)
            hv = problem.hessp(x, v)
            np.testing.assert_allclose(h @ v, hv, rtol=1e-12, atol=1e-12 * scale * np.abs(v).sum())


def test_gradient_consistent_with_residuals(problem):
    x = _points(problem)[1]
    g = problem.grad(x)
    np.testing.assert_allclose(
        g, 2.0 * _dense(problem).jacobian(x).T @ problem.residual(x), rtol=1e-14
    )


# ----------------------------------------------------------- published values
# f(x0) in closed form (MGH do not tabulate f(x0); each value below follows by hand
# from the definition and the standard starting point).
START_VALUES = {
    ("rosenbrock", None): 24.2,
    ("freudenstein_roth", None): 400.5,
    ("brown_badly_scaled", None): (1e6 - 1.0) ** 2 + (1.0 - 2e-6) ** 2 + 1.0,
    ("beale", None): 14.203125,
    ("helical_valley", None): 2500.0,
    ("powell_singular", None): 215.0,
    ("wood", None): 19192.0,
    ("watson", None): 30.0,
    ("watson", 6): 30.0,
    ("extended_rosenbrock", None): 5 * 24.2,
    ("extended_powell", None): 3 * 215.0,
    ("penalty1", None): 285e-5 + 384.75**2,
    ("variably_dimensioned", None): 3.85 + 38.5**2 + 38.5**4,
    ("broyden_tridiagonal", None): 8.0 + 4.0 + 9.0,
    ("broyden_banded", None): 36.0 * 10,
    ("linear_full_rank", None): 5.0 + 4.0 * 5.0,
}


@pytest.mark.parametrize("case", list(START_VALUES), ids=_case_id)
def test_value_at_standard_start(case):
    p = problems.get(*case)
    assert p.fun(p.x0) == pytest.approx(START_VALUES[case], rel=1e-12)


def _closed_form_cases():
    return [c for c in CASES if problems.get(*c).x_star is not None]


@pytest.mark.parametrize("case", _closed_form_cases(), ids=_case_id)
def test_value_and_stationarity_at_known_minimiser(case):
    p = problems.get(*case)
    f = p.fun(p.x_star)
    if p.f_star == 0.0:
        assert f <= 1e-20
    else:
        assert f == pytest.approx(p.f_star, rel=1e-10)
    jac_scale = max(1.0, np.abs(_dense(p).jacobian(p.x_star)).max())
    assert np.linalg.norm(p.grad(p.x_star)) <= 1e-6 * jac_scale


# Published minimal values without a closed-form minimiser: reached by
# Levenberg-Marquardt from x0. Excluded: trigonometric (n = 10), where MGH quote
# f = 0 but the standard start leads to the local minimum 2.79506e-5.
def _numeric_cases():
    out = []
    for c in CASES:
        p = problems.get(*c)
        if p.x_star is None and p.f_star is not None and p.name != "trigonometric":
            out.append(c)
    return out


@pytest.mark.parametrize("case", _numeric_cases(), ids=_case_id)
def test_published_minimum_is_reached(case):
    p = problems.get(*case)
    sol = least_squares(
        p.residual, p.x0, jac=_dense(p).jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
        max_nfev=20000,
    )  # fmt: skip
    f = p.fun(sol.x)
    if p.f_star == 0.0:
        assert f <= 1e-20
    else:
        # published values are quoted to six significant digits
        assert f == pytest.approx(p.f_star, rel=1e-5)


def test_freudenstein_roth_published_local_minimum():
    # the standard start leads to the local minimum 48.9842... quoted by MGH
    p = problems.get("freudenstein_roth")
    sol = least_squares(p.residual, p.x0, jac=_dense(p).jacobian, method="lm", xtol=1e-15)
    assert p.fun(sol.x) == pytest.approx(48.9842, rel=1e-5)


def test_brown_almost_linear_other_root():
    # f = 1 at (0, ..., 0, n + 1), and f = 0 at (alpha, ..., alpha, alpha^(1-n)) where
    # n alpha^n - (n + 1) alpha^(n-1) + 1 = 0.
    p = problems.get("brown_almost_linear", 10)
    x = np.zeros(10)
    x[-1] = 11.0
    assert p.fun(x) == pytest.approx(1.0, rel=1e-14)
    roots = np.roots(np.concatenate([[10.0, -11.0], np.zeros(8), [1.0]]))
    alpha = min(r.real for r in roots if abs(r.imag) < 1e-12 and 0.5 < r.real < 0.999)
    x = np.full(10, alpha)
    x[-1] = alpha ** (1 - 10)
    assert p.fun(x) < 1e-20


def test_box_3d_other_minimisers():
    p = problems.get("box_3d")
    assert p.fun(np.array([10.0, 1.0, -1.0])) < 1e-28
    assert p.fun(np.array([2.5, 2.5, 0.0])) == 0.0


# ------------------------------------------------------------------- registry
def test_names_and_numbers():
    names = problems.names("mgh")
    assert len(names) == 35 == len(set(names))
    numbers = [problems.get(name).number for name in names]
    assert numbers == list(range(1, 36))


def test_suite_standard_dimensions():
    suite = problems.suite("mgh")
    assert [p.name for p in suite] == problems.names("mgh")
    dims = {p.name: (p.n, p.m) for p in suite}
    assert dims["rosenbrock"] == (2, 2)
    assert dims["bard"] == (3, 15)
    assert dims["box_3d"] == (3, 10)
    assert dims["brown_dennis"] == (4, 20)
    assert dims["osborne2"] == (11, 65)
    assert dims["watson"] == (9, 31)
    assert dims["penalty1"] == (10, 11)
    assert dims["penalty2"] == (10, 20)
    assert dims["chebyquad"] == (8, 8)
    assert dims["linear_full_rank"] == (5, 10)
    for p in suite:
        assert p.reference.startswith("J. J. Moré")
        assert f"problem {p.number}" in p.reference


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="no_such_problem"):
        problems.get("no_such_problem")
    with pytest.raises(ValueError, match="unknown suite"):
        problems.suite("no_such_suite")


@pytest.mark.parametrize(
    ("name", "n"),
    [
        ("rosenbrock", 3),
        ("watson", 1),
        ("watson", 32),
        ("extended_rosenbrock", 3),
        ("extended_powell", 6),
        ("linear_rank1_zero", 2),
        ("chebyquad", 0),
        ("penalty1", 2.5),
        ("trigonometric", True),
    ],
)
def test_invalid_dimension_raises(name, n):
    with pytest.raises(ValueError, match=name):
        problems.get(name, n)


def test_fixed_dimension_accepts_its_own_n():
    assert problems.get("wood", 4).n == 4
    assert problems.get("extended_rosenbrock", np.int64(6)).n == 6


def test_problem_is_immutable():
    p = problems.get("rosenbrock")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        p.x0[0] = 0.0
    with pytest.raises(ValueError, match="rosenbrock"):
        p.fun(np.zeros(3))
    with pytest.raises(ValueError, match="rosenbrock"):
        p.hessp(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
def test_brown_almost_linear_product_derivatives_with_zero_entries(zeros):
    # the product's derivatives avoid dividing by x_k, so zero entries are exact
    n = 6
    p = problems.get("brown_almost_linear", n)
    rng = np.random.default_rng(zeros)
    x = rng.standard_normal(n)
    x[rng.choice(n, zeros, replace=False)] = 0.0
    others = [[j for j in range(n) if j != k] for k in range(n)]
    grad_prod = np.array([np.prod(x[o]) for o in others])
    hess_prod = np.array(
        [[0.0 if k == l else np.prod(np.delete(x, [k, l])) for l in range(n)] for k in range(n)]
    )
    w = np.zeros(n)
    w[-1] = 1.0
    np.testing.assert_allclose(_dense(p).jacobian(x)[-1], grad_prod, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(_dense(p).residual_hess(x, w), hess_prod, rtol=1e-13, atol=1e-15)
