"""scipy's tests of trust-constr (its ``test_minimize_constrained.py``), run against our
bound-constrained and augmented-Lagrangian driver; see conftest.py."""

from scipy.optimize.tests.test_minimize_constrained import *  # noqa: F401,F403
