"""scipy's general ``minimize`` tests (its ``test_optimize.py``), those that can reach a
trust-region method, run against ours; see conftest.py."""

from scipy.optimize.tests.test_optimize import *  # noqa: F401,F403
