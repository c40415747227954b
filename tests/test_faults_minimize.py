"""Fault injection for ``trustregion.minimize``: scipy's calling contract, and no false
success. Each test reproduces a defect found by calling minimize as a scipy user would,
or by feeding it a function that lies (a wrong gradient, an unbounded objective)."""

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    NonlinearConstraint,
    rosen,
    rosen_der,
    rosen_hess,
)

import trustregion as tr
from trustregion import MinimizeStatus

X0 = np.array([-1.2, 1.0])
SOLUTION = np.array([1.0, 1.0])


def both_routes(fun, x0, **kwargs):
    """The same call through ``tr.minimize`` and through scipy with ``scipy_method``."""
    method = kwargs.pop("method", "steihaug")
    direct = tr.minimize(fun, x0, method=method, **kwargs)
    via_scipy = scipy.optimize.minimize(fun, x0, method=tr.scipy_method(method), **kwargs)
    return direct, via_scipy


# --- scipy's calling contract -------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [lambda v: np.array([v]), np.float64, lambda v: np.array([[v]])],
    ids=["1-element array", "numpy scalar", "1x1 array"],
)
def test_fun_may_return_a_one_element_array_or_a_numpy_scalar(wrap):
    for res in both_routes(lambda x: wrap(rosen(x)), X0, jac=rosen_der, hess=rosen_hess):
        assert res.success and isinstance(res.fun, float)
        np.testing.assert_allclose(res.x, SOLUTION, rtol=1e-6)


def test_scalar_x0_is_a_vector_of_one():
    for res in both_routes(
        lambda x: (x[0] - 3.0) ** 2,
        1.0,
        jac=lambda x: 2 * (x - 3.0),
        hess=lambda x: np.array([[2.0]]),
    ):
        assert res.success and res.x.shape == (1,)
        np.testing.assert_allclose(res.x, [3.0])


def test_args_given_as_one_non_tuple_object_is_one_argument():
    seen = set()

    def f(x, word):
        seen.add(word)
        return rosen(x)

    for res in both_routes(
        f, X0, args="ab", jac=lambda x, word: rosen_der(x), hess=lambda x, word: rosen_hess(x)
    ):
        assert res.success
    assert seen == {"ab"}


def test_np_matrix_in_a_linear_constraint():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        A = np.matrix([[1.0, 1.0]])
    res = tr.minimize(
        lambda x: x @ x, [2.0, 0.0], jac=lambda x: 2 * x, constraints=LinearConstraint(A, 1.0, 1.0)
    )
    assert res.success
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-6)


def test_numpy_integer_and_float_maxiter_as_scipy():
    res = tr.minimize(
        rosen,
        X0,
        jac=rosen_der,
        hess=rosen_hess,
        options={"maxiter": np.int64(3), "max_nfev": np.int32(100)},
    )
    assert res.status is MinimizeStatus.MAXITER and res.nit == 3
    # scipy's loops stop once the count reaches maxiter: 2.5 allows 3 iterations.
    res = tr.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, options={"maxiter": 2.5})
    assert res.status is MinimizeStatus.MAXITER and res.nit == 3


@pytest.mark.parametrize("vandal", ["fun", "jac", "hess"])
def test_functions_that_write_into_x_cannot_corrupt_the_iterate(vandal):
    def spoil(function, name):
        def call(x, *rest):
            value = function(x, *rest)
            if name == vandal:
                x[:] = 7.0  # what a careless user function might do
            return value

        return call

    res = tr.minimize(
        spoil(rosen, "fun"), X0, jac=spoil(rosen_der, "jac"), hess=spoil(rosen_hess, "hess")
    )
    assert res.success
    np.testing.assert_allclose(res.x, SOLUTION, rtol=1e-6)


def test_scipy_method_takes_tol_and_scipy_option_names():
    res = scipy.optimize.minimize(
        rosen,
        X0,
        method=tr.scipy_method("gltr"),
        jac=rosen_der,
        hess=rosen_hess,
        tol=1e-10,
        options={"initial_trust_radius": 0.5, "max_trust_radius": 10.0, "eta": 0.1},
    )
    assert res.success and res.optimality <= 1e-10 * 216
    with pytest.raises(ValueError, match="given twice"):
        tr.minimize(
            rosen, X0, jac=rosen_der, options={"initial_radius": 1.0, "initial_trust_radius": 2.0}
        )
    with pytest.raises(ValueError, match="unknown option 'radius'"):
        tr.minimize(rosen, X0, jac=rosen_der, options={"radius": 1.0})


def test_disp_prints_each_iteration_and_scipys_summary(capsys):
    res = tr.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, options={"disp": True})
    out = capsys.readouterr().out
    assert res.success
    assert out.count("\n") >= res.nit + 6  # header, one line per iteration, summary
    assert "Current function value" in out and f"Iterations: {res.nit}" in out
    with pytest.warns(RuntimeWarning, match="Maximum number of iterations") as record:
        tr.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess, options={"disp": True, "maxiter": 1})
    assert record[0].filename == __file__  # the warning points at the caller's line


def test_return_all_keeps_every_iterate():
    seen = []
    res = tr.minimize(
        rosen,
        X0,
        jac=rosen_der,
        hess=rosen_hess,
        callback=lambda xk: seen.append(xk),
        options={"return_all": True},
    )
    assert len(res.allvecs) == res.nit + 1
    np.testing.assert_array_equal(res.allvecs[0], X0)
    np.testing.assert_allclose(res.allvecs[1:], seen)


@pytest.mark.parametrize("jac", [None, "2-point", "3-point", "cs"])
def test_finite_difference_gradients(jac):
    for res in both_routes(rosen, X0, jac=jac):
        assert res.success
        np.testing.assert_allclose(res.x, SOLUTION, rtol=1e-4)


@pytest.mark.parametrize("hess", ["2-point", "3-point", "cs"])
def test_finite_difference_hessians(hess):
    res = tr.minimize(rosen, X0, jac=rosen_der, hess=hess, method="exact")
    assert res.success
    np.testing.assert_allclose(res.x, SOLUTION, rtol=1e-6)


def test_finite_differences_never_leave_the_bounds():
    # The minimiser lies on the bounds, where log is undefined beyond them.
    lo, hi = np.array([0.5, 0.5]), np.array([2.0, 2.0])
    outside = []

    def inside(x):
        if np.any(x < lo) or np.any(x > hi):
            outside.append(x.copy())
        return x

    def f(x):
        x = inside(x)
        return float(np.sum(x**2) - np.sum(np.log(x - 0.5 + 1e-300)) * 1e-12)

    def c(x):
        return inside(x)[0] * inside(x)[1]

    for jac in (None, "3-point"):
        res = tr.minimize(
            f,
            [1.5, 1.5],
            jac=jac,
            bounds=Bounds(lo, hi, keep_feasible=True),
            constraints=NonlinearConstraint(c, 0.3, np.inf),
        )
        assert res.success  # on the constraint x0·x1 = 0.3, with x ≥ 0.5
        np.testing.assert_allclose(res.x, [np.sqrt(0.3)] * 2, atol=1e-6)
    assert outside == []


def test_callbacks_in_every_scipy_form():
    xs, results, pairs = [], [], []

    def by_result(intermediate_result):
        results.append(intermediate_result)

    for callback in (
        lambda xk: xs.append(xk),
        by_result,
        lambda xk, state: pairs.append((xk, state)),
    ):
        tr.minimize(
            rosen, X0, jac=rosen_der, hess=rosen_hess, callback=callback, options={"maxiter": 3}
        )
    assert all(isinstance(x, np.ndarray) and x.shape == (2,) for x in xs) and len(xs) == 3
    assert all(isinstance(r, tr.Result) and r.nit == i + 1 for i, r in enumerate(results))
    assert len(pairs) == 3 and all(state.niter == i + 1 for i, (_, state) in enumerate(pairs))

    def stop(xk):
        raise StopIteration

    for res in both_routes(rosen, X0, jac=rosen_der, hess=rosen_hess, callback=stop):
        assert res.status is MinimizeStatus.CALLBACK and res.status == 99 and not res.success
        assert res.message.startswith("`callback` raised `StopIteration`")


def test_results_carry_scipys_field_names():
    res = tr.minimize(rosen, X0, jac=rosen_der, hess=rosen_hess)
    assert res.tr_radius == res.trust_radius and res.niter == res.nit
    assert res.optimality == np.abs(res.jac).max()
    res = tr.minimize(
        lambda x: x @ x,
        [2.0, 0.0],
        jac=lambda x: 2 * x,
        constraints={"type": "eq", "fun": lambda x: x[0] + x[1] - 1.0},
    )
    assert res.success and res.constr_violation == res.constraint_violation <= 1e-8
    assert res.optimality == res.kkt_residual and res.niter == res.nit >= res.outer_iterations


def test_method_errors_say_what_is_available_with_constraints():
    with pytest.raises(
        ValueError, match="with constraints the only method available is 'steihaug'"
    ):
        tr.minimize(
            rosen,
            X0,
            jac=rosen_der,
            method="gltr",
            constraints={"type": "eq", "fun": lambda x: x[0]},
        )
    with pytest.raises(ValueError, match="with bounds the only method"):
        tr.minimize(rosen, X0, jac=rosen_der, method="exact", bounds=[(0, 1), (0, 1)])


def test_status_enums_print_their_names():
    assert str(MinimizeStatus.GTOL) == "GTOL" and f"{MinimizeStatus.XTOL}" == "XTOL"


def test_bounds_of_the_wrong_length_use_scipys_message():
    with pytest.raises(
        ValueError, match="The number of bounds is not compatible with the length of `x0`"
    ):
        tr.minimize(rosen, X0, jac=rosen_der, bounds=Bounds([0, 0, 0], [1, 1, 1]))


# --- no false success ---------------------------------------------------------------


def test_an_inconsistent_gradient_is_never_success():
    # jac disagrees with fun by a constant: no step along -jac decreases f near the
    # minimiser of f, the radius collapses there, and the gradient is far from zero.
    for method in ("steihaug", "exact", "dogleg"):
        res = tr.minimize(
            lambda x: 0.5 * x @ x,
            [3.0, -2.0],
            jac=lambda x: x + 1.0,
            hess=lambda x: np.eye(2),
            method=method,
        )
        assert not res.success, (method, res.status)
        assert res.status in (MinimizeStatus.NO_PROGRESS, MinimizeStatus.MAXITER)


def test_an_objective_unbounded_below_is_reported():
    for fun, jac in [
        (lambda x: -x[0], lambda x: np.array([-1.0, 0.0])),
        (lambda x: -x @ x, lambda x: -2 * x),
    ]:
        res = tr.minimize(fun, [1.0, 1.0], jac=jac, hess=lambda x: np.zeros((2, 2)))
        assert res.status is MinimizeStatus.UNBOUNDED and not res.success
        assert np.isfinite(res.x).all()


@pytest.mark.parametrize("form", ["hess", "hessp"])
def test_a_non_finite_hessian_never_gives_success(form):
    # A stored hess(x) with a NaN, or products that come back NaN (which "exact" forms
    # into a dense B): either way no step is trusted and the run says why.
    model = (
        {"hess": lambda x: np.full((2, 2), np.nan)}
        if form == "hess"
        else {"hessp": lambda x, v: np.full(2, np.nan)}
    )
    for method in ("exact", "steihaug", "gltr", "dogleg"):
        res = tr.minimize(rosen, X0, jac=rosen_der, method=method, **model)
        assert not res.success and res.status is MinimizeStatus.NONFINITE, method
        assert np.isfinite(res.x).all()


def test_a_non_finite_objective_at_x0_is_a_failed_result_as_in_scipy():
    res = tr.minimize(lambda x: math.nan, X0, jac=rosen_der)
    assert res.status is MinimizeStatus.NONFINITE_START and not res.success and res.nit == 0
    np.testing.assert_array_equal(res.x, X0)
