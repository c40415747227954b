"""scipy's tests of trust-krylov's subproblem solver (its ``test_trustregion_krylov.py``),
run against ``solve_subproblem(method="gltr")``; see conftest.py."""

from scipy.optimize.tests.test_trustregion_krylov import *  # noqa: F401,F403
