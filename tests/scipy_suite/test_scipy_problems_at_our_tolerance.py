"""scipy's trust-constr problems held to our own documented stopping rule.

scipy's ``test_list_of_problems`` asserts ``optimality < 1e-8`` absolutely, which our
relative gtol does not promise (it is an expected failure in conftest.py where rounding
takes the residual past 1e-8). So that this convention hides nothing, the same problems,
imported from scipy's test module, are solved here and checked against what we do
promise: scipy's own x_opt to 5 decimals, success, and a KKT residual within
gtol·max(1, ‖∇f(x₀)‖∞) (TrustRegionOptions.gtol) and a violation within ctol.
"""

import warnings

import numpy as np
import pytest
from scipy.optimize import BFGS
from scipy.optimize.tests import test_minimize_constrained as scipy_tests

import trustregion as tr

# Problems whose derivatives are consistent: scipy's MaratosGradInFunc gives its
# constraint a Jacobian twice the true one (see conftest.py).
PROBLEMS = [
    p
    for p in scipy_tests.TestTrustRegionConstr.list_of_problems
    if type(p).__name__ != "MaratosGradInFunc"
]


@pytest.fixture(autouse=True)
def route():
    """This module calls trustregion directly: conftest's two routes do not apply."""


@pytest.mark.parametrize("hess", ["prob.hess", "BFGS"])
@pytest.mark.parametrize("prob", PROBLEMS, ids=lambda p: type(p).__name__)
def test_scipy_problem_within_our_tolerance(prob, hess):
    hess = prob.hess if hess == "prob.hess" else BFGS()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "delta_grad == 0.0", UserWarning)
        result = tr.minimize(
            prob.fun, prob.x0, jac=prob.grad, hess=hess, bounds=prob.bounds, constraints=prob.constr
        )
    assert result.success, result.message
    if prob.x_opt is not None:
        np.testing.assert_array_almost_equal(result.x, prob.x_opt, decimal=5)
    x0 = np.asarray(prob.x0, dtype=float)
    g0 = prob.grad(x0) if callable(prob.grad) else prob.fun(x0)[1]
    gtol = tr.TrustRegionOptions().gtol
    assert result.optimality <= gtol * max(1.0, np.abs(g0).max()) * (1 + 1e-12)
    assert result.constr_violation <= tr.TrustRegionOptions().ctol
