"""Run scipy's own tests of its trust-region methods against trustregion.

The test modules are imported from the installed scipy (``scipy/optimize/tests`` ships in
its wheel), never copied. While a test runs, ``minimize`` — the name in the scipy test
module and ``scipy.optimize.minimize`` — is replaced by a router that sends the
trust-region methods to ours and every other method to scipy's own:

========================  =====================================================
scipy's method            ours
========================  =====================================================
``trust-ncg``             ``"steihaug"`` (Steihaug–Toint truncated CG)
``trust-krylov``          ``"gltr"`` (the Lanczos method of Gould et al.)
``trust-exact``           ``"exact"`` (Moré–Sorensen)
``dogleg``                ``"dogleg"``
``trust-constr``          ``"steihaug"``, with bounds TRON's step and with general
                          constraints the augmented Lagrangian
========================  =====================================================

Every test runs twice, once per route a user can take: ``trustregion.minimize`` called
directly, and ``scipy.optimize.minimize(method=trustregion.scipy_method(...))``. scipy's
subproblem classes (``IterativeSubproblem``, trlib's ``KrylovQP``) are replaced by
adapters over :func:`trustregion.solve_subproblem`.

Of scipy's general ``minimize`` tests only those that can reach a trust-region method run
(parametrised with one, or whose body names one); the rest test scipy's other methods.
Every remaining difference is an expected failure listed in :data:`CONVENTIONS` with the
documented convention it follows.
"""

import inspect
import re
import sys

import numpy as np
import pytest
import scipy.optimize

import trustregion as tr

SCIPY_TO_OURS = {
    "trust-ncg": "steihaug",
    "trust-krylov": "gltr",
    "trust-exact": "exact",
    "dogleg": "dogleg",
    "trust-constr": "steihaug",
}
_SCIPY_MINIMIZE = scipy.optimize.minimize
_SCIPY_MODULES = (
    "scipy.optimize.tests.test_trustregion",
    "scipy.optimize.tests.test_optimize",
    "scipy.optimize.tests.test_minimize_constrained",
)
_EXACT_MODULE = "scipy.optimize.tests.test_trustregion_exact"
_KRYLOV_MODULE = "scipy.optimize.tests.test_trustregion_krylov"
# Names by which scipy's tests reach its subproblem solvers.
_SUBPROBLEM_CLASSES = ("IterativeSubproblem", "KrylovQP")
# Each remaining difference: a pattern of test ids, the documented convention it
# follows, and how the failure is expected. True: always (a strict xfail, so that a pass
# fails the run). False: on some CPUs or BLAS builds, not others (a lenient xfail). A
# regular expression: only a failure whose report matches it is expected, and a pass is
# a plain pass — for a tolerance that rounding decides case by case.
CONVENTIONS = [
    (
        r"test_callback_stopiteration\[.*trust-constr\]",
        True,
        "status numbers: a callback's StopIteration is status 99 (MinimizeStatus.CALLBACK) "
        "for every method, as in scipy's other methods; scipy's trust-constr alone uses 3",
    ),
    (
        r"test_finite_differences_hess\[",
        True,
        "without hess or hessp our methods difference the gradient (trustregion.minimize's "
        "hessp: N&W §8.1) where scipy's trust-ncg, trust-krylov, dogleg and trust-exact "
        "raise ValueError",
    ),
    (
        r"test_gh20665_too_many_constraints\[",
        True,
        "more equality constraints than variables are accepted: the augmented Lagrangian "
        "factorises nothing, so a consistent degenerate system is solved; scipy's "
        "trust-constr refuses it for its null-space factorisation",
    ),
    (
        r"test_issue_9044\[",
        True,
        "a stationary x0 ends with nit = 0: the gradient test runs before the first "
        "iteration (scipy's trust-ncg does the same; its trust-constr takes one step)",
    ),
    (
        r"test_args\[|test_list_of_problems\[.*-prob4\]",
        r"Invalid termination condition",
        "scipy's MaratosTestArgs and MaratosGradInFunc give the constraint x0² + x1² the "
        "Jacobian (4x0, 4x1), twice the true one; with derivatives that disagree the "
        "augmented Lagrangian does not converge, and says so (MAXITER, success False)",
    ),
    (
        r"test_list_of_problems\[",
        r"assert_array_less\(result\.optimality, 1e-8\)",
        "our gtol is relative: GTOL stops at a KKT residual of gtol·max(1, ‖∇f(x0)‖∞) "
        "(TrustRegionOptions.gtol), which can exceed scipy's absolute optimality < 1e-8 "
        "(Maratos: ‖∇f(x0)‖∞ = 3.5, IneqRosenbrock: 215); "
        "test_scipy_problems_at_our_tolerance.py holds the same problems to our rule",
    ),
    (
        r"test_for_jac_equal_zero\[",
        False,
        "with g = 0 and B indefinite the minimisers are ±Δ·v₁ (v₁ the eigenvector of the "
        "least eigenvalue), equally good; which sign comes out depends on the eigensolver",
    ),
    (
        r"TestKrylovQuadraticSubproblem::test_disp\[",
        True,
        "solve_subproblem has no disp option: scipy's trlib prints its iterations, ours "
        "reports them in Step.iterations",
    ),
]
_MARKERS = (
    "slow",
    "xslow",
    "xfail_on_32bit",
    "fail_slow(duration)",
    "thread_unsafe",
    "parallel_threads_limit(n)",
    "iterations(n)",
    "timeout(seconds)",
    "array_api_backends",
    "skip_xp_backends(backends)",
    "xfail_xp_backends(backends)",
)


def pytest_configure(config):
    for marker in _MARKERS:
        config.addinivalue_line("markers", f"{marker}: scipy's marker, for its own tests")


@pytest.fixture
def num_parallel_threads():
    """scipy's fixture for its thread-parallel runs; here every test runs in one thread."""
    return 1


class ExactSubproblem:
    """scipy's ``IterativeSubproblem`` (trust-exact's Moré–Sorensen solver) over
    ``solve_subproblem(method="exact")``: ``solve(radius) -> (p, hits_boundary)``, with
    the multiplier as ``lambda_current`` and the factorisations as ``niter``. ``k_easy``
    is the boundary tolerance |‖p‖ - Δ| ≤ k_easy·Δ, which our ``rtol`` is; ours does not
    need scipy's ``k_hard`` (the hard case is solved exactly on the tridiagonal form).
    """

    MAXITER_DEFAULT = 25  # scipy's limit, which the tests hold our count to

    def __init__(self, x, fun, jac, hess, hessp=None, k_easy=0.1, k_hard=0.2, maxiter=None):
        self._g, self._B = np.asarray(jac(x), dtype=float), np.asarray(hess(x), dtype=float)
        self._rtol = k_easy
        self.lambda_current, self.niter = 0.0, 0

    def solve(self, trust_radius):
        step = tr.solve_subproblem(self._g, self._B, trust_radius, method="exact", rtol=self._rtol)
        self.lambda_current, self.niter = step.multiplier, step.iterations
        return step.s, step.on_boundary


def krylov_subproblem(tol_rel_i=-2.0, tol_rel_b=-3.0, disp=False):
    """scipy's ``get_trlib_quadratic_subproblem`` over ``solve_subproblem(method="gltr")``:
    a class whose ``solve(radius)`` gives ``(p, hits_boundary)`` and the multiplier as
    ``lam``; the interior and boundary tolerances become gltr's relative residual."""

    class KrylovSubproblem:
        def __init__(self, x, fun, jac, hess=None, hessp=None):
            g = np.asarray(jac(x), dtype=float)
            self._g = g
            self._B = (lambda v: hessp(x, v)) if hessp is not None else hess(x)
            self.lam = 0.0

        def solve(self, trust_radius):
            rtol = min(abs(tol_rel_i), abs(tol_rel_b), 1e-8)
            step = tr.solve_subproblem(self._g, self._B, trust_radius, method="gltr", rtol=rtol)
            self.lam = step.multiplier
            return step.s, step.on_boundary

    return KrylovSubproblem


def _router(route):
    def minimize(
        fun,
        x0,
        args=(),
        method=None,
        jac=None,
        hess=None,
        hessp=None,
        bounds=None,
        constraints=(),
        tol=None,
        callback=None,
        options=None,
    ):
        ours = SCIPY_TO_OURS.get(method.lower()) if isinstance(method, str) else None
        if ours is None:
            return _SCIPY_MINIMIZE(
                fun, x0, args, method, jac, hess, hessp, bounds, constraints, tol, callback, options
            )
        if route == "scipy":
            return _SCIPY_MINIMIZE(
                fun,
                x0,
                args,
                tr.scipy_method(ours),
                jac,
                hess,
                hessp,
                bounds,
                constraints,
                tol,
                callback,
                options,
            )
        return tr.minimize(
            fun, x0, args, ours, jac, hess, hessp, bounds, constraints, tol, callback, options
        )

    return minimize


@pytest.fixture(params=["direct", "scipy"], autouse=True)
def route(request, monkeypatch):
    """Send scipy's trust-region methods to ours, by one of the two routes."""
    router = _router(request.param)
    monkeypatch.setattr(scipy.optimize, "minimize", router)
    for name in _SCIPY_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "minimize", None) is _SCIPY_MINIMIZE:
            monkeypatch.setattr(module, "minimize", router)
    if _EXACT_MODULE in sys.modules:
        monkeypatch.setattr(sys.modules[_EXACT_MODULE], "IterativeSubproblem", ExactSubproblem)
    if _KRYLOV_MODULE in sys.modules:
        module = sys.modules[_KRYLOV_MODULE]
        monkeypatch.setattr(module, "KrylovQP", krylov_subproblem(1e-8, 1e-6))
        monkeypatch.setattr(module, "KrylovQP_disp", krylov_subproblem(1e-8, 1e-6, disp=True))
    return request.param


def _names_a_trust_method(item):
    """Whether the test can reach a trust-region method: parametrised with one, or (not
    parametrised by method) naming one, or the list of all methods, in its body."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    method = params.get("method")
    if isinstance(method, str):
        return method.lower() in SCIPY_TO_OURS
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return True
    return any(
        name in source for name in ("MINIMIZE_METHODS", *SCIPY_TO_OURS, *_SUBPROBLEM_CLASSES)
    )


_EXPECTED_FAILURE = pytest.StashKey()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Report as xfailed a failure that a CONVENTIONS pattern expects, by its text; and,
    for an entry of a test file's own table, a pass as a failure (a strict xfail)."""
    outcome = yield
    report = outcome.get_result()
    expected = item.stash.get(_EXPECTED_FAILURE, None)
    if expected is None or report.when != "call":
        return
    if report.failed and re.search(expected[0], report.longreprtext):
        report.outcome = "skipped"
        report.wasxfail = expected[1]
    elif report.passed and expected[2]:  # strict: a pass means the table is out of date
        report.outcome = "failed"
        report.longrepr = f"[XPASS(strict)] {expected[1]}"


def pytest_collection_modifyitems(config, items):
    here = str(config.rootpath / "tests" / "scipy_suite")
    keep, drop = [], []
    for item in items:
        if (
            not str(item.path).startswith(here)
            or not getattr(item, "function", None)
            or not item.function.__module__.startswith("scipy.")
        ):
            keep.append(item)
            continue
        # A test file may hold its own table (test_scipy_least_squares.py): then all of
        # its scipy tests run, each matched against that table alone.
        own = getattr(item.module, "CONVENTIONS", None)
        if own is None and not _names_a_trust_method(item):
            drop.append(item)
            continue
        for pattern, expected, reason in CONVENTIONS if own is None else own:
            if re.search(pattern, item.nodeid):
                if isinstance(expected, str):
                    # In a file's own table a matched failure is also strict.
                    item.stash[_EXPECTED_FAILURE] = (expected, reason, own is not None)
                else:
                    item.add_marker(pytest.mark.xfail(reason=reason, strict=expected))
                break
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
