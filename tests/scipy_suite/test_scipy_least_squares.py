"""scipy's tests of ``least_squares`` (its ``test_least_squares.py``, imported from the
installed scipy, never copied), run against :func:`trustregion.least_squares`.

While a test runs, ``least_squares`` in scipy's test module is replaced by ours; the
``minimize`` there stays scipy's (test_fp32_gh12991 compares with its COBYQA). scipy's
three test classes all run: TestTRF and TestDogbox reach the same method of ours, TestLM
the same with scipy's restrictions of 'lm'.

Every remaining difference is an expected failure in :data:`CONVENTIONS`: a pattern of
test ids, a regular expression the failure's report must match (any other failure fails
the run) and the reason; each is strict, so a test that starts passing fails the run
until its entry is removed. A reason that starts "BUG:" is a difference to fix in
``trustregion.least_squares``, not a convention.
"""

import sys

import pytest
from scipy.optimize.tests.test_least_squares import *  # noqa: F401,F403

import trustregion as tr

_MODULE = "scipy.optimize.tests.test_least_squares"

CONVENTIONS = [
    # Deliberate differences.
    (
        r"::test_workers$",
        r"unexpected keyword argument 'workers'",
        "workers is not supported: residuals are evaluated one point at a time",
    ),
    (
        r"::TestLM::test_full_result$",
        r"assert_\(res\.njev is None\)",
        "njev is counted for every method; scipy's 'lm' (MINPACK's lmdif) reports None",
    ),
    (
        r"::test_wrong_parameters$",
        r"ValueError: unknown tr_options tol",
        "bad input raises ValueError naming the argument (CONTRIBUTING.md): an unknown "
        "tr_options key is a ValueError, where scipy's lsmr raises TypeError",
    ),
    (
        r"::Test(TRF|Dogbox)::test_exact_tr_solver$",
        r"DID NOT RAISE ValueError",
        "tr_solver='exact' with a sparse J (or jac_sparsity) runs our sparse "
        "Levenberg-Marquardt step (LU of the augmented system [[I, J], [J^T, -lambda D^2]]) "
        "where scipy refuses it",
    ),
    (
        r"::test_tr_options$",
        r"ValueError: unknown tr_options btol",
        "tr_options are our CG's (rtol, maxiter): tr_solver='lsmr' runs Steihaug CG, so "
        "LSMR's own options (btol here) are refused with ValueError",
    ),
    (
        r"::TestTRF::test_lsmr_regularization$",
        r"ValueError: unknown tr_options regularize",
        "tr_options are our CG's (rtol, maxiter): scipy's trf-only 'regularize' of its "
        "LSMR step is refused with ValueError (ours needs none: the CG runs in the region)",
    ),
]


@pytest.fixture(autouse=True)
def route(monkeypatch):
    """Replace scipy's ``least_squares`` by ours in its test module (this overrides
    conftest's parametrised ``route``, which routes ``minimize``)."""
    monkeypatch.setattr(sys.modules[_MODULE], "least_squares", tr.least_squares)
    return "direct"
