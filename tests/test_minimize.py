"""The trust-region driver against first-order conditions, known minimisers and scipy."""

import math

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import BFGS, SR1, rosen, rosen_der, rosen_hess, rosen_hess_prod

import trustregion as tr
from trustregion import MinimizeStatus, minimize, scipy_method

X0 = np.array([-1.2, 1.0])  # Rosenbrock's standard start (MGH #1)


MODELS = {
    "hess": lambda: {"hess": rosen_hess},
    "hessp": lambda: {"hessp": rosen_hess_prod},
    "differences": lambda: {},
    "bfgs": lambda: {"hess": BFGS()},
    "sr1": lambda: {"hess": SR1()},
}
CASES = [(method, model) for method in ("steihaug", "gltr", "exact", "dogleg")
         for model in MODELS
         if not (method == "exact" and model in ("hessp", "differences"))]  # exact: dense B


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
    res = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, method="cauchy",
                   options={"maxiter": 50})
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

    minimize(rosen, X0, jac=rosen_der, hess=h,
             callback=lambda r: iterates.append(r.x.copy()))
    for point in hessian_points:
        assert any(np.array_equal(point, it) for it in iterates)


def test_jac_true_and_args():
    def f_and_g(x, scale):
        return scale * rosen(x), scale * rosen_der(x)

    res = minimize(f_and_g, X0, args=(3.0,), jac=True, hessp=lambda x, v, s: s * rosen_hess_prod(x, v))
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)


def test_from_scipy_minimize():
    ours = minimize(rosen, X0, jac=rosen_der, hessp=rosen_hess_prod, method="gltr")
    via_scipy = so.minimize(rosen, X0, jac=rosen_der, hessp=rosen_hess_prod,
                            method=scipy_method("gltr"))
    np.testing.assert_array_equal(ours.x, via_scipy.x)
    assert via_scipy.nit == ours.nit and via_scipy.success
    with_options = so.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess,
                               method=scipy_method("exact"), options={"maxiter": 3})
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

    res = minimize(f, np.array([0.0]), jac=g, hess=lambda x: np.array([[2e-2]]),
                   options={"initial_radius": 10.0})
    assert res.nonfinite_trials >= 1
    assert np.isfinite(res.x).all() and np.isfinite(res.fun) and res.x[0] <= 2.0


def test_stationary_to_rounding_is_convergence():
    """A large constant makes the last decreases unmeasurable: the run ends as converged
    (scipy's trust-region methods report failure here, as on MGH's Meyer function)."""
    res = minimize(lambda x: 1e12 + (x[0] - 3.0) ** 2, np.array([0.0]),
                   jac=lambda x: np.array([2 * (x[0] - 3.0)]),
                   hess=lambda x: np.array([[2.0]]), options={"gtol": 0.0})
    assert res.success and res.status in (MinimizeStatus.NO_PREDICTED_DECREASE,
                                          MinimizeStatus.GTOL, MinimizeStatus.XTOL)
    assert abs(res.x[0] - 3.0) < 1e-2


def test_inputs_are_not_modified():
    x0 = X0.copy()
    strategy = BFGS()
    minimize(rosen, x0, jac=rosen_der, hess=strategy, options={"maxiter": 5})
    np.testing.assert_array_equal(x0, X0)
    assert getattr(strategy, "B", None) is None  # the caller's strategy was not initialised


@pytest.mark.parametrize("call, error, match", [
    (lambda: minimize(rosen, [np.nan, 1.0], jac=rosen_der), ValueError, "x0"),
    (lambda: minimize(rosen, X0), ValueError, "jac is required"),
    (lambda: minimize(rosen, X0, jac=rosen_der, method="newton"), ValueError, "method"),
    (lambda: minimize(rosen, X0, jac=rosen_der, options={"radius": 2}), ValueError, "radius"),
    (lambda: minimize(rosen, X0, jac=rosen_der, options={"shrink_factor": 2.0}), ValueError,
     "shrink_factor"),
    (lambda: minimize(lambda x: math.inf, X0, jac=rosen_der), ValueError, "fun"),
    (lambda: minimize(rosen, X0, jac=rosen_der, bounds=[(0, 1), (0, 1)]),
     NotImplementedError, "bounds"),
])
def test_bad_input_is_refused_before_any_work(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_custom_subproblem_method():
    """Any callable returning an object with s and predicted_reduction can be the solver."""
    def cauchy_like(g, B, radius):
        return tr.solve_subproblem(g, B, radius, method="exact")

    res = minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, method=cauchy_like)
    assert res.success
