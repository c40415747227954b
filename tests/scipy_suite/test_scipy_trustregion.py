"""scipy's tests of trust-ncg, trust-krylov, trust-exact and dogleg (its
``test_trustregion.py``), run against ours; see conftest.py."""

from scipy.optimize.tests.test_trustregion import *  # noqa: F401,F403
