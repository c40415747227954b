"""scipy's tests of trust-exact's subproblem solver (its ``test_trustregion_exact.py``),
run against ``solve_subproblem(method="exact")``; see conftest.py."""

from scipy.optimize.tests.test_trustregion_exact import *  # noqa: F401,F403
