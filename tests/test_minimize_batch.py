"""``minimize_batch``: each problem's run is exactly ``minimize``'s on it alone, its own
status included, and bad input is refused before any work."""

import numpy as np
import pytest

from trustregion import BatchResult, MinimizeStatus, minimize, minimize_batch

pytestmark = pytest.mark.kernels


# A family of Rosenbrock-like problems f_b(x) = (a_b - x₀)² + c_b (x₁ - x₀²)², written
# row by row with elementwise operations only, so that a row computes the same floats
# batched as alone.
def fun(X, a, c):
    return (a - X[:, 0]) ** 2 + c * (X[:, 1] - X[:, 0] ** 2) ** 2


def jac(X, a, c):
    inner = X[:, 1] - X[:, 0] ** 2
    return np.stack([-2.0 * (a - X[:, 0]) - 4.0 * c * X[:, 0] * inner, 2.0 * c * inner], axis=1)


def hess(X, a, c):
    H = np.empty((X.shape[0], 2, 2))
    H[:, 0, 0] = 2.0 - 4.0 * c * (X[:, 1] - 3.0 * X[:, 0] ** 2)
    H[:, 0, 1] = H[:, 1, 0] = -4.0 * c * X[:, 0]
    H[:, 1, 1] = 2.0 * c
    return H


def hessp(X, P, a, c):
    return np.einsum("bij,bj->bi", hess(X, a, c), P)


def _family(B, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, B)
    c = rng.uniform(1.0, 200.0, B)
    X0 = np.column_stack([rng.uniform(-2.0, 2.0, B), rng.uniform(-1.0, 3.0, B)])
    return X0, a, c


def _alone(b, X0, a, c, second):
    """minimize on problem b alone, through the batch functions with one row."""
    ab, cb = a[b : b + 1], c[b : b + 1]
    model = (
        {"hess": lambda x: hess(x[None], ab, cb)[0]}
        if second == "hess"
        else {"hessp": lambda x, p: hessp(x[None], p[None], ab, cb)[0]}
    )
    return minimize(
        lambda x: fun(x[None], ab, cb)[0], X0[b], jac=lambda x: jac(x[None], ab, cb)[0], **model
    )


@pytest.mark.parametrize("second", ["hess", "hessp"])
def test_each_problem_runs_exactly_as_alone(second):
    X0, a, c = _family(12)
    model = {"hess": hess} if second == "hess" else {"hessp": hessp}
    batch = minimize_batch(fun, X0, args=(a, c), jac=jac, **model)
    assert isinstance(batch, BatchResult) and batch.x.shape == (12, 2)
    for b in range(12):
        alone = _alone(b, X0, a, c, second)
        # The same kernel on the same floats: bit for bit, counts included.
        np.testing.assert_array_equal(batch.x[b], alone.x)
        assert batch.fun[b] == alone.fun
        assert (batch.nit[b], batch.nfev[b], batch.njev[b], batch.nhev[b]) == (
            alone.nit,
            alone.nfev,
            alone.njev,
            alone.nhev,
        )
        assert batch.status[b] == alone.status and batch.success[b] == alone.success
        single = batch.result(b)
        for field in ("x", "fun", "jac", "nit", "nfev", "njev", "nhev", "trust_radius"):
            np.testing.assert_array_equal(single[field], alone[field])
        assert single.status is alone.status and single.message == alone.message
    # And the known minimiser of each: x* = (a, a²).
    np.testing.assert_allclose(batch.x, np.column_stack([a, a**2]), rtol=1e-6)
    assert batch.success.all()


def test_each_problem_keeps_its_own_status():
    X0, a, c = _family(4, seed=1)
    X0[1] = [a[1], a[1] ** 2]  # already at its minimiser: no iteration
    a[2] = np.nan  # f is NaN for that problem: it alone fails at the start
    batch = minimize_batch(fun, X0, args=(a, c), jac=jac, hess=hess)
    assert batch.status[1] == MinimizeStatus.GTOL and batch.nit[1] == 0
    assert batch.status[2] == MinimizeStatus.NONFINITE_START and not batch.success[2]
    assert np.isnan(batch.jac[2]).all()
    assert batch.success[[0, 1, 3]].all()
    assert "3 of 4 problems converged" in batch.message
    for b in range(4):
        assert batch.status[b] == _alone(b, X0, a, c, "hess").status


def test_a_non_finite_hessian_stops_that_problem_alone():
    X0, a, c = _family(3, seed=5)

    def hess_nan_for_the_second(X, a, c):
        H = hess(X, a, c)
        H[1, 0, 0] = np.nan
        return H

    batch = minimize_batch(fun, X0, args=(a, c), jac=jac, hess=hess_nan_for_the_second)
    assert batch.status[1] == MinimizeStatus.NONFINITE and not batch.success[1]
    assert batch.success[[0, 2]].all()
    ab, cb = a[1:2], c[1:2]
    alone = minimize(
        lambda x: fun(x[None], ab, cb)[0],
        X0[1],
        jac=lambda x: jac(x[None], ab, cb)[0],
        hess=lambda x: hess_nan_for_the_second(
            np.repeat(x[None], 2, axis=0), *(np.repeat(v, 2) for v in (ab, cb))
        )[1],
    )
    assert alone.status is MinimizeStatus.NONFINITE and alone.nit == batch.nit[1]


def test_a_batch_of_one_is_minimize():
    X0, a, c = _family(1, seed=6)
    batch = minimize_batch(fun, X0, args=(a, c), jac=jac, hess=hess)
    np.testing.assert_array_equal(batch.x[0], _alone(0, X0, a, c, "hess").x)


def test_options_apply_to_every_problem():
    X0, a, c = _family(5, seed=2)
    batch = minimize_batch(fun, X0, args=(a, c), jac=jac, hess=hess, options={"maxiter": 3})
    assert (batch.nit <= 3).all()
    assert (batch.status[batch.nit == 3] == MinimizeStatus.MAXITER).all()


def test_the_starting_points_are_not_modified():
    X0, a, c = _family(3, seed=3)
    before = X0.copy()
    minimize_batch(fun, X0, args=(a, c), jac=jac, hess=hess)
    np.testing.assert_array_equal(X0, before)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X0, a, c: minimize_batch(fun, X0[0], args=(a, c), jac=jac, hess=hess), "X0"),
        (
            lambda X0, a, c: minimize_batch(fun, np.full((3, 2), np.nan), (a, c), jac, hess),
            "X0 must be finite",
        ),
        (lambda X0, a, c: minimize_batch(fun, X0, args=(a, c), hess=hess), "needs jac"),
        (lambda X0, a, c: minimize_batch(None, X0, (a, c), jac, hess), "fun must be a callable"),
        (
            lambda X0, a, c: minimize_batch(fun, X0, (a, c), jac, hess=hess, hessp=hessp),
            "exactly one of hess",
        ),
        (lambda X0, a, c: minimize_batch(fun, X0, args=(a, c), jac=jac), "exactly one of hess"),
        (
            lambda X0, a, c: minimize_batch(
                lambda X, a, c: fun(X, a, c)[:2], X0, args=(a, c), jac=jac, hess=hess
            ),
            r"fun\(X\) must return an array of shape \(3,\)",
        ),
        (
            lambda X0, a, c: minimize_batch(
                fun, X0, args=(a, c), jac=jac, hess=hess, options={"return_all": True}
            ),
            "return_all",
        ),
        (
            lambda X0, a, c: minimize_batch(
                fun, X0, args=(a, c), jac=jac, hess=hess, options={"radius": 1.0}
            ),
            "unknown option",
        ),
    ],
)
def test_bad_input_is_refused_by_name(call, message):
    X0, a, c = _family(3, seed=4)
    with pytest.raises(ValueError, match=message):
        call(X0, a, c)


def test_the_kernel_status_codes_are_minimize_status_values():
    from trustregion import _iteration as T

    for name in ("MAXITER", "GTOL", "XTOL", "NO_PREDICTED_DECREASE", "MAX_NFEV", "NONFINITE"):
        assert getattr(T, f"_{name}") == MinimizeStatus[name].value
    for name in ("NO_PROGRESS", "UNBOUNDED", "NONFINITE_START"):
        assert getattr(T, f"_{name}") == MinimizeStatus[name].value
