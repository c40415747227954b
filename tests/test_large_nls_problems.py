"""Tests for :mod:`trustregion.problems.large_nls` (large sparse least-squares problems).

Mathematics first: the sparse Jacobians against central finite differences, the stored
pattern against the Jacobian's, the rank deficiency the bundle-adjustment gauge implies,
zero residuals reached by an independent solver (SciPy), and the robust loss recovering
the generating parameters where the linear loss does not. Then shapes and sparsity at
n = 10^4, agreement with the dense MGH definitions, and argument checks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import least_squares

from trustregion.problems import mgh
from trustregion.problems.large_nls import (
    LARGE_NLS,
    SparseLeastSquaresProblem,
    bratu_2d,
    bundle_adjustment,
    robust_spline,
)

NAMES = sorted(LARGE_NLS)
ZERO_RESIDUAL = ["broyden_tridiagonal", "broyden_banded", "discrete_boundary_value", "bratu_2d"]


def _small(name: str) -> SparseLeastSquaresProblem:
    # About 40-60 unknowns: a dense finite-difference Jacobian is cheap.
    return LARGE_NLS[name](60 if name == "bundle_adjustment" else 40)


def _fd_jacobian(p: SparseLeastSquaresProblem, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.empty((p.m, p.n))
    for j in range(p.n):
        e = np.zeros(p.n)
        e[j] = h * max(1.0, abs(x[j]))
        out[:, j] = (p.residual(x + e) - p.residual(x - e)) / (2.0 * e[j])
    return out


def _assert_jacobian_matches_fd(p: SparseLeastSquaresProblem, x: np.ndarray) -> None:
    jac = p.jacobian(x)
    assert sp.issparse(jac) and jac.format == "csr" and jac.shape == (p.m, p.n)
    fd = _fd_jacobian(p, x)
    scale = max(1.0, np.abs(fd).max())
    np.testing.assert_allclose(jac.toarray(), fd, rtol=0, atol=1e-7 * scale)


# ------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", NAMES)
def test_jacobian_matches_finite_differences(name):
    p = _small(name)
    rng = np.random.default_rng(0)
    for x in (p.x0, p.x0 + 0.1 * rng.standard_normal(p.n)):
        _assert_jacobian_matches_fd(p, np.asarray(x))


@pytest.mark.parametrize("angle", [0.0, 1e-5, 5e-3, 2e-2, 3.0])
def test_bundle_adjustment_jacobian_at_all_rotation_angles(angle):
    # Rodrigues' coefficients switch to Taylor series below |w| = 1e-2: both branches,
    # the switch and a rotation near pi must give the exact derivative.
    p = bundle_adjustment(60, seed=3)
    x = np.array(p.x0)
    rng = np.random.default_rng(1)
    cams = x[: 6 * 3].reshape(3, 6)
    direction = rng.standard_normal((3, 3))
    cams[:, :3] = angle * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    _assert_jacobian_matches_fd(p, x)


# ---------------------------------------------------------------------- patterns
@pytest.mark.parametrize("name", NAMES)
def test_sparsity_is_exactly_the_jacobian_pattern(name):
    p = LARGE_NLS[name](300)
    pattern = p.sparsity
    assert pattern.format == "csr" and pattern.shape == (p.m, p.n)
    assert pattern.has_canonical_format  # sorted, no duplicates
    np.testing.assert_array_equal(pattern.data, 1.0)
    rng = np.random.default_rng(2)
    for _ in range(3):
        jac = p.jacobian(p.x0 + 0.3 * rng.standard_normal(p.n))
        np.testing.assert_array_equal(jac.indptr, pattern.indptr)
        np.testing.assert_array_equal(jac.indices, pattern.indices)
        assert np.all(jac.data != 0.0)  # at a generic point every stored entry is used


@pytest.mark.parametrize("name", NAMES)
def test_modifying_a_jacobian_leaves_the_pattern_alone(name):
    p = LARGE_NLS[name](100)
    jac = p.jacobian(p.x0)
    jac.data[:] = 0.0
    jac.eliminate_zeros()
    again = p.jacobian(p.x0)
    np.testing.assert_array_equal(again.indices, p.sparsity.indices)
    np.testing.assert_array_equal(again.indptr, p.sparsity.indptr)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_sparsity_at_moderate_n(name):
    p = LARGE_NLS[name](10_000)
    assert 9_990 <= p.n <= 10_000 and p.x0.shape == (p.n,)
    assert not p.x0.flags.writeable
    r = p.residual(p.x0)
    assert r.shape == (p.m,) and r.dtype == np.float64 and np.all(np.isfinite(r))
    jac = p.jacobian(p.x0)
    assert jac.shape == (p.m, p.n) and np.all(np.isfinite(jac.data))
    # nnz grows like n: at most 9 entries a row and m at most 8 n.
    assert jac.nnz <= 9 * p.m <= 9 * 8 * p.n
    assert jac.nnz == p.sparsity.nnz
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n = 3
    with pytest.raises(ValueError, match="shape"):
        p.residual(np.zeros(p.n + 1))


@pytest.mark.parametrize("name", NAMES)
def test_default_dimension_is_about_a_thousand(name):
    p = LARGE_NLS[name]()
    assert 990 <= p.n <= 1024
    assert p.loss in {"linear", "soft_l1"} and p.f_scale > 0.0
    assert p.reference


# ---------------------------------------------------------- against mgh definitions
@pytest.mark.parametrize(
    "name", ["broyden_tridiagonal", "broyden_banded", "discrete_boundary_value"]
)
def test_same_functions_as_mgh(name):
    n = 30
    p, q = LARGE_NLS[name](n), getattr(mgh, name)(n)
    np.testing.assert_array_equal(p.x0, q.x0)
    x = np.random.default_rng(4).standard_normal(n)
    np.testing.assert_allclose(p.residual(x), q.residual(x), rtol=1e-14, atol=1e-14)
    dense = q.jacobian(x)
    dense = dense.toarray() if sp.issparse(dense) else dense
    np.testing.assert_allclose(p.jacobian(x).toarray(), dense, rtol=1e-14, atol=1e-14)
    # MGH's f is sum r^2; the cost here is half of it.
    assert p.cost(x) == pytest.approx(0.5 * q.fun(x), rel=1e-14)


# -------------------------------------------------------------- zero residuals
@pytest.mark.parametrize("name", ["broyden_tridiagonal", "broyden_banded", "bratu_2d"])
def test_scipy_reaches_zero_residual_with_the_sparse_jacobian(name):
    p = LARGE_NLS[name](200)
    assert p.cost_star == 0.0
    sol = least_squares(
        p.residual, p.x0, jac=p.jacobian, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    assert sol.cost <= 1e-20
    assert p.cost(sol.x) <= 1e-20
    # sparsity is what scipy's finite differences need (grouped columns): same result.
    sol = least_squares(
        p.residual, p.x0, jac_sparsity=p.sparsity, xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    assert sol.cost <= 1e-20


def test_scipy_reaches_zero_residual_on_discrete_boundary_value():
    # cond(J) ~ n^2: scipy's sparse trf (inexact LSMR steps) stalls near x0 (see the
    # docstring), so the reference solve takes exact steps on the dense J.
    p = LARGE_NLS["discrete_boundary_value"](60)
    sol = least_squares(
        p.residual,
        p.x0,
        jac=lambda x: p.jacobian(x).toarray(),
        method="trf",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    )
    assert sol.cost <= 1e-20


def test_bratu_lower_branch_solution_is_positive_and_grid_independent():
    # The lower-branch solution of -Δu = λ e^u is positive and has the square's
    # symmetries; since e^u >= 1, the maximum principle bounds it below by λ w, with w
    # the torsion function (-Δw = 1, w(1/2, 1/2) = 0.0737), and it lies below the
    # turning point's peak, about 1.39. A 15 x 15 and a 25 x 25 grid agree to 1 %.
    peaks = []
    for side in (15, 25):
        p = bratu_2d(side * side, lam=5.0)
        sol = least_squares(p.residual, p.x0, jac=p.jacobian, xtol=1e-15, ftol=1e-15, gtol=1e-15)
        assert sol.cost <= 1e-20
        u = sol.x.reshape(side, side)
        assert np.all(u > 0.0)
        np.testing.assert_allclose(u, u.T, atol=1e-10)
        np.testing.assert_allclose(u, u[::-1, ::-1], atol=1e-10)
        peaks.append(u[side // 2, side // 2])
    assert peaks[0] == pytest.approx(peaks[1], rel=1e-2)
    assert 5.0 * 0.0737 < peaks[1] < 1.39


# ----------------------------------------------------------- bundle adjustment
def test_bundle_adjustment_gauge_makes_jacobian_rank_deficient_by_seven():
    p = bundle_adjustment(90, seed=1)
    assert p.n == 6 * 3 + 3 * 24 and p.m > p.n
    for x in (p.x0, p.x_true):
        s = np.linalg.svd(p.jacobian(x).toarray(), compute_uv=False)
        rank = int(np.sum(s > 1e-9 * s[0]))
        assert rank == p.n - 7


def test_bundle_adjustment_noise_free_truth_is_a_zero_residual_solution():
    p = bundle_adjustment(300, seed=2, noise=0.0)
    assert p.cost_star == 0.0 and p.x_star is not None
    assert p.cost(p.x_star) <= 1e-20
    sol = least_squares(
        p.residual, p.x0, jac=p.jacobian, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    assert sol.cost <= 1e-16


def test_bundle_adjustment_noisy_fit_is_no_worse_than_the_truth():
    noise = 0.5
    p = bundle_adjustment(600, seed=0, noise=noise)
    assert p.cost_star is None and p.x_star is None
    assert p.cost(p.x_true) == pytest.approx(p.m * noise**2 / 2, rel=0.2)
    sol = least_squares(p.residual, p.x0, jac=p.jacobian, method="trf", x_scale="jac")
    assert sol.cost < p.cost(p.x_true) < p.cost(p.x0)
    # The least-squares minimum: about (m - rank) noise^2 / 2 with rank = n - 7.
    assert sol.cost == pytest.approx((p.m - p.n + 7) * noise**2 / 2, rel=0.3)


def test_bundle_adjustment_counts():
    p = bundle_adjustment(1000, seed=0, n_cameras=10, views_per_point=4)
    npts = (1000 - 60) // 3
    assert p.n == 60 + 3 * npts and p.m == 2 * 4 * npts
    assert np.all(np.diff(p.sparsity.indptr) == 8)


# ------------------------------------------------------------------ robust loss
@pytest.mark.parametrize("seed", [0, 2])
def test_robust_loss_recovers_the_truth_where_linear_does_not(seed):
    # Judged by the model values at the data, r(x) - r(x_true), and by the interior
    # coefficients (the end ones are weakly determined; see the docstring).
    p = robust_spline(100, seed=seed)
    assert p.loss == "soft_l1" and p.f_scale == 0.05
    values, interior = {}, {}
    for loss in (p.loss, "linear"):
        sol = least_squares(
            p.residual, p.x0, jac=p.jacobian, method="trf", loss=loss, f_scale=p.f_scale
        )
        diff = p.residual(sol.x) - p.residual(p.x_true)
        values[loss] = np.sqrt(np.mean(diff**2))
        interior[loss] = np.sqrt(np.mean((sol.x - p.x_true)[3:-3] ** 2))
    assert values["soft_l1"] < 0.8 * p.f_scale  # below the noise: the spikes are ignored
    assert values["linear"] > 3.0 * p.f_scale  # dragged up by the spikes
    assert interior["soft_l1"] < 0.12
    assert interior["linear"] > 3.0 * interior["soft_l1"]


# ------------------------------------------------------------- seeds and arguments
@pytest.mark.parametrize("builder", [bundle_adjustment, robust_spline])
def test_seeded_data_are_reproducible(builder):
    a, b, c = builder(200, seed=5), builder(200, seed=5), builder(200, seed=6)
    np.testing.assert_array_equal(a.residual(a.x0), b.residual(b.x0))
    assert not np.array_equal(a.residual(a.x0), c.residual(c.x0))


@pytest.mark.parametrize(
    ("builder", "kwargs", "match"),
    [
        (LARGE_NLS["broyden_tridiagonal"], {"n": 1}, "n must"),
        (LARGE_NLS["broyden_banded"], {"n": 2.5}, "n must"),
        (bratu_2d, {"lam": 7.0}, "lam"),
        (bratu_2d, {"n": 0}, "n must"),
        (bundle_adjustment, {"n": 10}, "n must"),
        (bundle_adjustment, {"n": 100, "n_cameras": 20}, "no room"),
        (bundle_adjustment, {"n": 100, "views_per_point": 9}, "views_per_point"),
        (bundle_adjustment, {"noise": -1.0}, "noise"),
        (robust_spline, {"n": 3}, "n must"),
        (robust_spline, {"outlier_fraction": 0.6}, "outlier_fraction"),
        (robust_spline, {"noise": 0.0}, "noise"),
    ],
)
def test_bad_arguments_raise(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)
