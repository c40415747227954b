"""``minimize`` on ``numba.njit`` functions: the compiled loop gives the run ``minimize``
gives on the same functions called from Python, reaches the published optima of the MGH
problems written compiled, and names what it cannot call.

The functions are compiled in each test session (Numba caches the loop, not the user's
functions), so this module keeps to a few small problems. Under NUMBA_DISABLE_JIT=1 the
functions are plain Python, minimize runs its Python loop, and the comparisons still
hold; the tests that need compiled functions say so.
"""

import numpy as np
import pytest
from numba import config, njit

from trustregion import MinimizeStatus, minimize, problems
from trustregion import _iteration as T
from trustregion._minimize._machine import Machine
from trustregion._minimize._options import TrustRegionOptions
from trustregion.problems.compiled import COMPILED_MGH, compiled

jit_only = pytest.mark.skipif(config.DISABLE_JIT, reason="needs compiled functions")


@njit
def rosen(x):
    return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2


@njit
def rosen_grad(x):
    return np.array(
        [-400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0]), 200.0 * (x[1] - x[0] ** 2)]
    )


@njit
def rosen_hess(x):
    return np.array(
        [[1200.0 * x[0] ** 2 - 400.0 * x[1] + 2.0, -400.0 * x[0]], [-400.0 * x[0], 200.0]]
    )


@njit
def rosen_hessp(x, p):
    return rosen_hess(x) @ p


X0 = np.array([-1.2, 1.0])


def _python(f):
    """The same compiled function, called from Python: minimize then runs its Python loop."""
    return lambda *a: f(*a)


@pytest.mark.parametrize("model", ["hess", "hessp"])
def test_the_compiled_loop_runs_as_the_python_loop(model):
    second = {"hess": rosen_hess, "hessp": rosen_hessp}[model]
    compiled_run = minimize(rosen, X0, jac=rosen_grad, **{model: second})
    python_run = minimize(_python(rosen), X0, jac=_python(rosen_grad), **{model: _python(second)})
    # One kernel, the same user code: the same iterates and counts.
    np.testing.assert_allclose(compiled_run.x, python_run.x, rtol=1e-12)
    for field in ("nit", "nfev", "njev", "nhev", "status"):
        assert compiled_run[field] == python_run[field], field
    assert compiled_run.success and compiled_run.status is MinimizeStatus.GTOL
    np.testing.assert_allclose(compiled_run.x, [1.0, 1.0], rtol=1e-8)


@pytest.mark.parametrize("name", ["rosenbrock", "freudenstein_roth", "brown_badly_scaled"])
def test_compiled_mgh_problems_reach_their_published_minimum(name):
    problem = problems.get(name)
    c = compiled(problem)
    x = problem.x0 + 0.1
    np.testing.assert_allclose(c.fun(x), problem.fun(x), rtol=1e-12)
    np.testing.assert_allclose(c.jac(x), problem.grad(x), rtol=1e-12)
    np.testing.assert_allclose(c.hess(x), problem.hess(x), rtol=1e-12)
    result = minimize(c.fun, problem.x0, jac=c.jac, hess=c.hess)
    assert result.success
    # Freudenstein–Roth's start leads to its local minimiser, f = 48.9842 (MGH).
    f_star = 48.98425367924 if name == "freudenstein_roth" else problem.f_star
    assert result.fun == pytest.approx(f_star, rel=1e-8, abs=1e-12)


def test_the_compiled_list_names_mgh_problems():
    assert set(COMPILED_MGH) <= set(problems.names("mgh"))


@njit
def cliff(x):
    """Rosenbrock, but not finite for x₀ > 1.5: trial points there are rejected."""
    return np.inf if x[0] > 1.5 else rosen(x)


def test_non_finite_trial_values_are_rejected_in_the_compiled_loop():
    compiled_run = minimize(cliff, X0, jac=rosen_grad, hess=rosen_hess)
    python_run = minimize(_python(cliff), X0, jac=_python(rosen_grad), hess=_python(rosen_hess))
    assert compiled_run.success and compiled_run.nonfinite_trials == python_run.nonfinite_trials
    np.testing.assert_allclose(compiled_run.x, [1.0, 1.0], rtol=1e-8)


@njit
def nan_everywhere(x):
    return np.nan


def test_a_non_finite_start_is_a_failed_result():
    result = minimize(nan_everywhere, X0, jac=rosen_grad, hess=rosen_hess)
    assert result.status is MinimizeStatus.NONFINITE_START and not result.success
    assert np.isnan(result.jac).all()


@njit
def vector_valued(x):
    return x * 2.0


@jit_only
def test_a_compiled_function_of_the_wrong_type_is_named():
    with pytest.raises(TypeError, match=r"fun is a numba\.njit function.*fun\(x\) -> float"):
        minimize(vector_valued, X0, jac=rosen_grad, hess=rosen_hess)


@njit
def short_gradient(x):
    return np.zeros(1)


@jit_only
def test_a_compiled_gradient_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"the gradient must be an array of shape \(n,\)"):
        minimize(rosen, X0, jac=short_gradient, hess=rosen_hess)


def test_a_callback_gets_the_python_loop_and_sees_every_iteration():
    seen = []
    result = minimize(
        rosen, X0, jac=rosen_grad, hess=rosen_hess, callback=lambda xk: seen.append(xk)
    )
    assert len(seen) == result.nit and result.success


@pytest.mark.kernels
@pytest.mark.parametrize("model", ["hess", "hessp"])
def test_the_compiled_loop_body_runs_in_python_too(model):
    """The loop's body as the plain function it is compiled from, served by Python
    functions: what NUMBA_DISABLE_JIT=1 exercises, and the same run as minimize's."""
    opts = TrustRegionOptions()
    stored = model == "hess"
    machine = Machine(X0[None, :], opts, step_mode=T.STEP_DENSE if stored else T.STEP_PRODUCTS)
    counts = np.zeros(3, dtype=np.int64)
    f, g, h, hp = (_python(fn) for fn in (rosen, rosen_grad, rosen_hess, rosen_hessp))
    T._run_compiled(
        f, g, h, hp, stored, machine.vectors[0], machine.hess[0], machine.real[0],
        machine.ints[0], machine.options, counts,
    )  # fmt: skip
    reference = minimize(f, X0, jac=g, **({"hess": h} if stored else {"hessp": hp}))
    result = machine.result(0, tuple(int(c) for c in counts), machine.status(0))
    np.testing.assert_array_equal(result.x, reference.x)
    assert (result.nit, result.nfev, result.njev, result.nhev) == (
        reference.nit,
        reference.nfev,
        reference.njev,
        reference.nhev,
    )


@pytest.mark.kernels
def test_the_loop_kernel_keeps_bounded_iterates_feasible():
    """With bounds the kernel projects each trial point and measures the projected
    gradient: on Rosenbrock with x₀ ≥ 1.2 the minimiser is on that bound, x₁ = x₀²."""
    seen = []
    result = minimize(
        _python(rosen),
        [1.5, 1.0],
        jac=_python(rosen_grad),
        hess=_python(rosen_hess),
        bounds=[(1.2, None), (None, None)],
        callback=lambda xk: seen.append(xk.copy()),
    )
    assert result.success and all(x[0] >= 1.2 for x in seen)
    np.testing.assert_allclose(result.x, [1.2, 1.44], rtol=1e-8)
    assert result.jac[0] > 0.0 and abs(result.jac[1]) < 1e-6  # KKT: the bound holds x₀ up
