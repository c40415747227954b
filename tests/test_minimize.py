"""The trust-region driver against first-order conditions, known minimisers and scipy."""

import math

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import BFGS, SR1, rosen, rosen_der, rosen_hess, rosen_hess_prod

import trustregion as tr
from trustregion import MinimizeStatus, minimize, problems, scipy_method

X0 = np.array([-1.2, 1.0])  # Rosenbrock's standard start (MGH #1)


MODELS = {
    "hess": lambda: {"hess": rosen_hess},
    "hessp": lambda: {"hessp": rosen_hess_prod},
    "differences": lambda: {},
    "bfgs": lambda: {"hess": BFGS()},
    "sr1": lambda: {"hess": SR1()},
}
CASES = [
    (method, model)
    for method in ("steihaug", "gltr", "exact", "dogleg")
    for model in MODELS
    if not (method == "exact" and model in ("hessp", "differences"))
]  # exact: dense B


@pytest.mark.parametrize("method, model", CASES)
def test_rosenbrock_reaches_its_minimiser(method, model):
    kwargs = MODELS[model]()
    res = minimize(rosen, X0, jac=rosen_der, method=method, **kwargs)
    assert res.success, res.message
    assert res.status is MinimizeStatus.GTOL
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)
    assert np.abs(rosen_der(res.x)).max() <= 1e-8 * np.abs(rosen_der(X0)).max()
    np.testing.assert_array_equal(res.jac, rosen_der(res.x))
    assert res.fun == rosen(res.x)


def test_cauchy_makes_steady_progress_but_is_slow():
    res = minimize(
        rosen, X0, jac=rosen_der, hess=rosen_hess, method="cauchy", options={"maxiter": 50}
    )
    assert res.status is MinimizeStatus.MAXITER and not res.success
    assert res.fun < rosen(X0)


def test_result_behaves_like_scipy_and_counts_evaluations():
    calls = {"f": 0, "g": 0, "h": 0}

    def f(x):
        calls["f"] += 1
        return rosen(x)

    def g(x):
        calls["g"] += 1
        return rosen_der(x)

    def h(x):
        calls["h"] += 1
        return rosen_hess(x)

    res = minimize(f, X0, jac=g, hess=h)
    assert isinstance(res, so.OptimizeResult)
    assert (res.nfev, res.njev, res.nhev) == (calls["f"], calls["g"], calls["h"])
    assert res.trust_radius > 0 and res.nit >= res.nhev - 1


def test_hessian_only_at_accepted_points():
    """Never evaluate the Hessian at a rejected trial point."""
    hessian_points, iterates = [], [X0.copy()]

    def h(x):
        hessian_points.append(x.copy())
        return rosen_hess(x)

    minimize(rosen, X0, jac=rosen_der, hess=h, callback=lambda xk: iterates.append(xk))
    for point in hessian_points:
        assert any(np.array_equal(point, it) for it in iterates)


def test_jac_true_and_args():
    def f_and_g(x, scale):
        return scale * rosen(x), scale * rosen_der(x)

    res = minimize(
        f_and_g, X0, args=(3.0,), jac=True, hessp=lambda x, v, s: s * rosen_hess_prod(x, v)
    )
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)


def test_from_scipy_minimize():
    ours = minimize(rosen, X0, jac=rosen_der, hessp=rosen_hess_prod, method="gltr")
    via_scipy = so.minimize(
        rosen, X0, jac=rosen_der, hessp=rosen_hess_prod, method=scipy_method("gltr")
    )
    np.testing.assert_array_equal(ours.x, via_scipy.x)
    assert via_scipy.nit == ours.nit and via_scipy.success
    with_options = so.minimize(
        rosen,
        X0,
        jac=rosen_der,
        hess=rosen_hess,
        method=scipy_method("exact"),
        options={"maxiter": 3},
    )
    assert with_options.status is MinimizeStatus.MAXITER and with_options.nit == 3


def test_callback_can_stop_the_run():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result)
        if len(seen) == 3:
            raise StopIteration

    res = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, callback=callback)
    assert res.status is MinimizeStatus.CALLBACK and res.nit == 3 and not res.success
    assert all(isinstance(r, so.OptimizeResult) for r in seen)


def test_non_finite_trial_values_are_rejected_not_propagated():
    """f is NaN beyond x₀ = 2: steps into that region are rejected and the radius shrinks."""

    def f(x):
        return math.nan if x[0] > 2.0 else (x[0] - 1.9) ** 2 * 1e-2 - x[0]

    def g(x):
        return np.array([2e-2 * (x[0] - 1.9) - 1.0])

    res = minimize(
        f,
        np.array([0.0]),
        jac=g,
        hess=lambda x: np.array([[2e-2]]),
        options={"initial_radius": 10.0},
    )
    assert res.nonfinite_trials >= 1
    assert np.isfinite(res.x).all() and np.isfinite(res.fun) and res.x[0] <= 2.0


def test_stationary_to_rounding_is_convergence():
    """A large constant makes the last decreases unmeasurable: the run ends as converged
    (scipy's trust-region methods report failure here, as on MGH's Meyer function)."""
    res = minimize(
        lambda x: 1e12 + (x[0] - 3.0) ** 2,
        np.array([0.0]),
        jac=lambda x: np.array([2 * (x[0] - 3.0)]),
        hess=lambda x: np.array([[2.0]]),
        options={"gtol": 0.0},
    )
    assert res.success and res.status in (
        MinimizeStatus.NO_PREDICTED_DECREASE,
        MinimizeStatus.GTOL,
        MinimizeStatus.XTOL,
    )
    assert abs(res.x[0] - 3.0) < 1e-2


def test_inputs_are_not_modified():
    x0 = X0.copy()
    strategy = BFGS()
    minimize(rosen, x0, jac=rosen_der, hess=strategy, options={"maxiter": 5})
    np.testing.assert_array_equal(x0, X0)
    assert getattr(strategy, "B", None) is None  # the caller's strategy was not initialised


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: minimize(rosen, [np.nan, 1.0], jac=rosen_der), ValueError, "x0"),
        (lambda: minimize(rosen, X0, jac="4-point"), ValueError, "jac must be"),
        (lambda: minimize(rosen, X0, hess="cs"), ValueError, "hess='cs'"),
        (lambda: minimize(rosen, X0, jac=rosen_der, method="newton"), ValueError, "method"),
        (lambda: minimize(rosen, X0, jac=rosen_der, options={"radius": 2}), ValueError, "radius"),
        (
            lambda: minimize(rosen, X0, jac=rosen_der, options={"shrink_factor": 2.0}),
            ValueError,
            "shrink_factor",
        ),
        (
            lambda: minimize(rosen, X0, jac=rosen_der, constraints=[{"type": "le", "fun": rosen}]),
            ValueError,
            r"constraints\[0\]",
        ),
        (lambda: minimize(rosen, X0, jac=rosen_der, bounds=[(0, 1)]), ValueError, "bounds"),
        (
            lambda: minimize(rosen, X0, jac=rosen_der, bounds=[(1, 0), (0, 1)]),
            ValueError,
            "lo <= hi",
        ),
        (
            lambda: minimize(rosen, X0, jac=rosen_der, method="gltr", bounds=[(0, 1), (0, 1)]),
            ValueError,
            "method",
        ),
    ],
)
def test_bad_input_is_refused_before_any_work(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_custom_subproblem_method():
    """Any callable returning an object with s and predicted_reduction can be the solver."""

    def cauchy_like(g, B, radius):
        return tr.solve_subproblem(g, B, radius, method="exact")

    res = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, method=cauchy_like)
    assert res.success


# ---- bound constraints --------------------------------------------------------------


def box_qp_by_enumeration(A, b, lo, hi):
    """min ½xᵀAx - bᵀx on a box, A SPD, by trying every assignment of each variable to its
    lower bound, its upper bound or free (3ⁿ equality-constrained problems): the feasible
    candidate with the least value is the unique minimiser."""
    import itertools

    n = len(b)
    best, best_value = None, math.inf
    for assignment in itertools.product((0, 1, 2), repeat=n):
        x = np.zeros(n)
        fixed = np.array([a != 2 for a in assignment])
        x[fixed] = [lo[i] if a == 0 else hi[i] for i, a in enumerate(assignment) if a != 2]
        free = ~fixed
        if free.any():
            rhs = b[free] - A[np.ix_(free, fixed)] @ x[fixed]
            x[free] = np.linalg.solve(A[np.ix_(free, free)], rhs)
        if np.all(x >= lo - 1e-12) and np.all(x <= hi + 1e-12):
            value = 0.5 * x @ A @ x - b @ x
            if value < best_value:
                best, best_value = x, value
    return best


@pytest.mark.parametrize("seed", range(8))
def test_box_constrained_quadratic_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = 4
    C = rng.standard_normal((n, n))
    A = C @ C.T + 0.1 * np.eye(n)
    b = 3.0 * rng.standard_normal(n)
    lo, hi = -rng.uniform(0.1, 1.0, n), rng.uniform(0.1, 1.0, n)
    res = minimize(
        lambda x: 0.5 * x @ A @ x - b @ x,
        np.zeros(n),
        jac=lambda x: A @ x - b,
        hess=lambda x: A,
        bounds=list(zip(lo, hi, strict=False)),
    )
    assert res.success, res.message
    np.testing.assert_allclose(res.x, box_qp_by_enumeration(A, b, lo, hi), atol=1e-6)


@pytest.mark.parametrize(
    "bounds",
    [
        [(-2.0, 0.8), (-2.0, 0.8)],
        [(-2.0, 2.0), (1.5, 3.0)],
        so.Bounds([-np.inf, -np.inf], [0.5, np.inf]),
    ],
)
def test_bounded_rosenbrock_agrees_with_l_bfgs_b_and_stays_feasible(bounds):
    box = bounds if isinstance(bounds, so.Bounds) else so.Bounds(*zip(*bounds, strict=False))
    x0 = np.clip(X0, box.lb, box.ub)
    iterates = []
    res = minimize(
        rosen,
        x0,
        jac=rosen_der,
        hess=rosen_hess,
        bounds=bounds,
        callback=lambda xk: iterates.append(xk),
    )
    ref = so.minimize(
        rosen,
        x0,
        jac=rosen_der,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": 1e-12, "ftol": 1e-15},
    )
    assert res.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    assert res.fun <= ref.fun + 1e-10
    for x in iterates + [res.x]:
        assert np.all(x >= box.lb) and np.all(x <= box.ub)


def test_infeasible_start_is_projected_with_a_warning():
    with pytest.warns(RuntimeWarning, match="projected"):
        res = minimize(
            rosen,
            np.array([5.0, 5.0]),
            jac=rosen_der,
            hess=rosen_hess,
            bounds=[(-1.0, 2.0), (-1.0, 2.0)],
        )
    assert res.success and np.all(res.x <= 2.0)


# ---- the MGH collection -----------------------------------------------------------------

# Local minima that the standard starting points lead to (MGH 1981 report them too).
DOCUMENTED_LOCAL_MINIMA = {"freudenstein_roth": 48.9842, "trigonometric": 2.79506e-5}


def _mgh_runs(problem):
    import warnings

    runs = {}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for method in ("exact", "gltr", "steihaug"):
            model = {"hess": problem.hess} if method == "exact" else {"hessp": problem.hessp}
            runs[method] = minimize(
                problem.fun, problem.x0, jac=problem.grad, method=method, **model
            )
    return runs


@pytest.mark.parametrize("name", problems.names("mgh"))
def test_every_mgh_problem_is_solved_by_one_of_our_methods(name):
    """‖∇f‖∞ ≤ 1e-6, the published minimal value, or a documented local minimum."""
    problem = problems.get(name)
    runs = _mgh_runs(problem)

    def solved(res):
        if np.abs(problem.grad(res.x)).max() <= 1e-6:
            return True
        if problem.f_star is not None and res.fun <= problem.f_star * (1 + 1e-6) + 1e-12:
            return True  # Meyer: the minimum, where |∇f| is 1e-3 on a 1e9 gradient scale
        local = DOCUMENTED_LOCAL_MINIMA.get(name)
        return local is not None and res.fun == pytest.approx(local, rel=1e-5)

    assert any(solved(r) for r in runs.values()), {m: (r.fun, r.message) for m, r in runs.items()}


# Problems scipy's trust-exact also solves at gtol = 1e-10 (on Brown-Dennis and Osborne 2 it
# stops with "a bad approximation caused failure to predict improvement").
@pytest.mark.parametrize(
    "name", ["rosenbrock", "beale", "helical_valley", "box_3d", "wood", "watson", "chebyquad"]
)
def test_exact_agrees_with_scipy_trust_exact(name):
    problem = problems.get(name)
    ours = _mgh_runs(problem)["exact"]
    theirs = so.minimize(
        problem.fun,
        problem.x0,
        jac=problem.grad,
        hess=problem.hess,
        method="trust-exact",
        options={"gtol": 1e-10},
    )
    assert ours.success and theirs.success
    assert ours.fun == pytest.approx(theirs.fun, rel=1e-6, abs=1e-12)


# ---- radius update and stopping rules ----------------------------------------------------


def test_radius_expands_after_a_very_successful_boundary_step():
    res = minimize(
        lambda x: 0.5 * x @ x,
        np.array([10.0, 0.0]),
        jac=lambda x: x,
        hess=lambda x: np.eye(2),
        options={"initial_radius": 0.1, "maxiter": 1, "expand_factor": 3.0},
    )
    assert res.trust_radius == pytest.approx(0.3)  # ρ = 1 on the boundary
    np.testing.assert_allclose(res.x, [9.9, 0.0])


def test_radius_shrinks_and_the_step_is_rejected_when_the_model_is_wrong():
    # f = x⁴ with a far too flat model: the boundary step to x = -1 gains nothing (ρ = 0).
    res = minimize(
        lambda x: x[0] ** 4,
        np.array([1.0]),
        jac=lambda x: 4 * x**3,
        hess=lambda x: np.array([[1e-3]]),
        options={"initial_radius": 2.0, "maxiter": 1, "shrink_factor": 0.25},
    )
    assert res.trust_radius == pytest.approx(0.5)
    np.testing.assert_array_equal(res.x, [1.0])


def test_radius_collapse_far_from_a_stationary_point_is_not_success():
    # xtol = 0.5 stops the run at x = 1 where f' = 4: the radius collapsed, but the
    # gradient says x is no minimiser, so this is NO_PROGRESS, not XTOL's success.
    res = minimize(
        lambda x: x[0] ** 4,
        np.array([1.0]),
        jac=lambda x: 4 * x**3,
        hess=lambda x: np.array([[-1.0]]),
        method="exact",
        options={"initial_radius": 2.0, "xtol": 0.5},
    )
    assert res.status is MinimizeStatus.NO_PROGRESS and not res.success


def test_function_evaluation_budget():
    res = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, options={"max_nfev": 5})
    assert res.status is MinimizeStatus.MAX_NFEV and res.nfev == 5 and not res.success


def test_a_jacobian_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"jac\(x\) must be a vector of shape \(2,\)"):
        minimize(rosen, X0, jac=lambda x: np.ones(3))


def test_non_finite_hessian_products_with_bounds_are_not_convergence():
    res = minimize(
        rosen,
        np.array([0.5, 0.5]),
        jac=rosen_der,
        hessp=lambda x, v: np.full(2, np.nan),
        bounds=[(0.0, 2.0), (0.0, 2.0)],
    )
    assert res.status is MinimizeStatus.NONFINITE and not res.success
    assert np.isfinite(res.x).all() and res.nonfinite_trials > 0


@pytest.mark.kernels
def test_stored_sparse_and_dense_hessians_take_the_step_inside_the_loop_kernel(monkeypatch):
    """Steihaug–Toint on a stored Hessian, dense or CSR, runs inside the loop kernel (the
    driver's solver is never called) and takes the steps the dense matrix gives."""
    from trustregion._minimize import _driver

    def not_called(*args, **kwargs):
        raise AssertionError("the driver's subproblem solver was called")

    monkeypatch.setattr(_driver, "solve_checked", not_called)
    p = problems.get("extended_rosenbrock", n=20)
    sparse = minimize(p.fun, p.x0, jac=p.grad, hess=p.hess)
    dense = minimize(p.fun, p.x0, jac=p.grad, hess=lambda x: p.hess(x).toarray())
    assert sparse.success and dense.success and sparse.nit == dense.nit
    np.testing.assert_allclose(sparse.x, dense.x, rtol=1e-10)
    np.testing.assert_allclose(sparse.x, np.ones(20), rtol=1e-8)
