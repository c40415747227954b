"""``least_squares_batch``: each problem's run is exactly ``least_squares``' on it alone,
its own status included, and bad input is refused before any work."""

import numpy as np
import pytest

from trustregion import (
    LeastSquaresBatchResult,
    LeastSquaresStatus,
    least_squares,
    least_squares_batch,
)

pytestmark = pytest.mark.kernels

T = np.linspace(0.0, 4.0, 25)


# A family of exponential-decay fits y ≈ a·exp(-k t) + c, one data set per problem,
# written with elementwise operations only, so that a row computes the same floats
# batched as alone. The residuals are NaN for k > 5 (as a model undefined there), so
# that steps into that region are rejected as non-finite.
def fun(X, Y):
    f = X[:, :1] * np.exp(-X[:, 1:2] * T) + X[:, 2:3] - Y
    return np.where(X[:, 1:2] > 5.0, np.nan, f)


def jac(X, Y):
    decay = np.exp(-X[:, 1:2] * T)
    return np.stack([decay, -X[:, :1] * T * decay, np.ones_like(decay)], axis=2)


def _family(B, seed=0, noise=0.02):
    rng = np.random.default_rng(seed)
    a, k, c = rng.uniform(0.5, 3.0, B), rng.uniform(0.2, 2.0, B), rng.uniform(-1.0, 1.0, B)
    Y = a[:, None] * np.exp(-k[:, None] * T) + c[:, None] + noise * rng.standard_normal((B, T.size))
    X0 = np.column_stack([np.ones(B), rng.uniform(0.1, 3.0, B), np.zeros(B)])
    return X0, Y


def _alone(b, X0, Y, **options):
    y = Y[b : b + 1]
    return least_squares(
        lambda x: fun(x[None], y)[0], X0[b], jac=lambda x: jac(x[None], y)[0], **options
    )


def _assert_same(alone, batched):
    """Bit for bit: the run is the same, not merely close."""
    assert set(alone) == set(batched)
    for key, value in alone.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(batched[key], value, err_msg=key)
        else:
            assert batched[key] == value, key


@pytest.mark.parametrize(
    "options",
    [{}, {"x_scale": "jac", "ftol": 1e-8, "xtol": 1e-8, "gtol": 1e-8}, {"max_nfev": 4}],
    ids=["defaults", "scipy-tolerances", "budget"],
)
def test_each_problem_runs_exactly_as_alone(options):
    X0, Y = _family(16, noise=0.05)
    Y[3] = fun(np.array([[2.0, 0.7, 0.1]]), 0.0)[0]  # a zero-residual problem
    X0[5] = [-2.0, 4.8, 2.0]  # steps into the region where f is NaN, and ends NONFINITE
    batch = least_squares_batch(fun, X0, jac, args=(Y,), **options)
    assert isinstance(batch, LeastSquaresBatchResult)
    for b in range(X0.shape[0]):
        _assert_same(_alone(b, X0, Y, **options), batch.result(b))


def test_the_batch_reaches_the_linear_least_squares_solution():
    # At the minimiser of ½‖f‖², ∇F = Jᵀf = 0 (first-order conditions, independently of
    # least_squares), and the fitted decay rate is the one generating noise-free data.
    X0, Y = _family(40, noise=0.0)
    batch = least_squares_batch(fun, X0, jac, args=(Y,))
    assert batch.success.all(), batch.message
    J, f = jac(batch.x, Y), fun(batch.x, Y)
    np.testing.assert_allclose(np.einsum("bmn,bm->bn", J, f), 0.0, atol=1e-10)
    np.testing.assert_allclose(batch.cost, 0.0, atol=1e-20)
    np.testing.assert_allclose(batch.grad, np.einsum("bmn,bm->bn", batch.jac, batch.fun))
    assert batch.message.startswith("40 of 40 problems converged")


def test_statuses_are_per_problem():
    X0, Y = _family(6)
    batch = least_squares_batch(fun, X0, jac, args=(Y,), max_nfev=3)
    alone = [_alone(b, X0, Y, max_nfev=3).status for b in range(6)]
    assert [LeastSquaresStatus(s) for s in batch.status] == alone
    assert (batch.success == (batch.status > 0)).all()


def test_an_ended_problem_ignores_what_its_row_returns():
    # Problem 0 starts at its exact solution and ends at once (gtol); afterwards its row
    # returns NaN, which must not reach it or the others.
    X0, Y = _family(4, noise=0.0)
    X0[0] = [1.5, 0.5, 0.25]
    Y[0] = fun(X0[:1], 0.0)[0]
    calls = []

    def poisoned(X, Y):
        calls.append(1)
        out = fun(X, Y)
        if len(calls) > 1:
            out[0] = np.nan
        return out

    batch = least_squares_batch(poisoned, X0, jac, args=(Y,))
    assert batch.status[0] == LeastSquaresStatus.GTOL and batch.nit[0] == 0
    for b in range(1, 4):
        _assert_same(_alone(b, X0, Y), batch.result(b))


def test_inputs_are_not_modified():
    X0, Y = _family(5)
    X0_copy, Y_copy = X0.copy(), Y.copy()
    least_squares_batch(fun, X0, jac, args=(Y,))
    np.testing.assert_array_equal(X0, X0_copy)
    np.testing.assert_array_equal(Y, Y_copy)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X0, Y: least_squares_batch(fun, X0[0], jac, args=(Y,)), "X0 must be a"),
        (lambda X0, Y: least_squares_batch(fun, np.full((2, 3), np.nan), jac), "finite"),
        (lambda X0, Y: least_squares_batch(fun, X0, "2-point", args=(Y,)), "needs jac"),
        (lambda X0, Y: least_squares_batch(None, X0, jac, args=(Y,)), "fun must be"),
        (lambda X0, Y: least_squares_batch(fun, X0, jac, args=(Y,), ftol=-1.0), "ftol"),
        (lambda X0, Y: least_squares_batch(fun, X0, jac, args=(Y,), x_scale=[1.0, 2.0]), "x_scale"),
        (
            lambda X0, Y: least_squares_batch(lambda X, Y: fun(X, Y)[:, 0], X0, jac, args=(Y,)),
            "shape",
        ),
        (
            lambda X0, Y: least_squares_batch(fun, X0, lambda X, Y: jac(X, Y)[:, :, :2], args=(Y,)),
            "jac",
        ),
    ],
    ids=["1-D X0", "non-finite X0", "no jac", "fun", "ftol", "x_scale", "fun shape", "jac shape"],
)
def test_bad_input_is_refused_by_name(call, message):
    X0, Y = _family(3)
    with pytest.raises(ValueError, match=message):
        call(X0, Y)


def test_non_finite_residuals_at_x0_name_the_rows():
    X0, Y = _family(4)
    Y[2, 5] = np.inf
    with pytest.raises(ValueError, match="rows 2$"):
        least_squares_batch(fun, X0, jac, args=(Y,))


def test_more_parameters_than_the_kernel_factorises_are_refused():
    X0 = np.zeros((2, 33))
    with pytest.raises(ValueError, match="at most 32 parameters"):
        least_squares_batch(lambda X: X, X0, lambda X: np.broadcast_to(np.eye(33), (2, 33, 33)))
