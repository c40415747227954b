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
    # Differences to fix.
    (
        r"::Test(TRF|Dogbox)::test_options$",
        r"assert_allclose\(res\.x, 0, atol=1e-15\)",
        "BUG: fun_trivial (f = x² + 5, x0 = 2) with loss='soft_l1' stops with status -4 "
        "(NO_PROGRESS, success False) at x = -2e-8, its minimiser to rounding: the "
        "ftol/xtol stop is confirmed by the cosine |J_jᵀf|/(‖J_j‖‖f‖), which stays near 1 "
        "where a column of J vanishes at a nonzero-residual minimiser; scipy succeeds at "
        "x = 0. (huber, cauchy and arctan end GTOL at 1.8e-15, 1.6e-14 and 1.3e-12, where "
        "the 2-point J rounds to 0, against atol 1e-15: scipy's first step lands on 0 "
        "exactly; that part is rounding, not a bug)",
    ),
    (
        r"::Test(TRF|Dogbox)::test_robustness$",
        r"RuntimeWarning: overflow encountered in exp",
        "BUG: with loss huber/cauchy/arctan and f_scale=0.1 on ExponentialFittingProblem "
        "(x0 = 0) trial points reach |x| = 2e7, where the residuals overflow (scipy's stay "
        "bounded), and our _loss.py then emits its own overflow RuntimeWarnings; the final "
        "answers agree with scipy's",
    ),
    (
        r"::Test(TRF|Dogbox)::test_inconsistent_shape$",
        r"\[0\.0\], \[3\.0, 4\.0\][\s\S]*DID NOT RAISE ValueError",
        "BUG: bounds=([0.0], [3.0, 4.0]) for n = 2 is broadcast and accepted; scipy refuses "
        "a length-1 bound array for n > 1, and our own message says 'scalars or arrays of "
        "length n'",
    ),
    (
        r"::TestLM::test_loss$",
        r"method='lm', loss='huber'\)[\s\S]*DID NOT RAISE ValueError",
        "BUG: method='lm' accepts a robust loss; scipy refuses it (ValueError), and our "
        "docstring says 'lm' enforces MINPACK's restrictions as scipy does",
    ),
    (
        r"::test_fp32_gh12991$",
        r"assert_allclose\(res\.x, res2\.x, atol=9e-5\)",
        "BUG: float32 residuals (gh-12991): the finite-difference step is sized for "
        "float64, so J is rounding noise; we stop at status -4 (NO_PROGRESS) at "
        "x = (0.716, -0.348), cost 4.504, where scipy (and lstsq) give (0.546, -0.0499), "
        "cost 4.104; scipy sizes the step by the residuals' dtype",
    ),
]


@pytest.fixture(autouse=True)
def route(monkeypatch):
    """Replace scipy's ``least_squares`` by ours in its test module (this overrides
    conftest's parametrised ``route``, which routes ``minimize``)."""
    monkeypatch.setattr(sys.modules[_MODULE], "least_squares", tr.least_squares)
    return "direct"
