"""Regression tests for numerical faults found at extreme scales and on malformed input.

Each test is one reported fault: overflow or underflow in a norm, a kernel code with no
public status, an absolute tolerance where a relative one belongs, an unchecked metric,
an inaccurate default, an out-of-bounds kernel access.
"""

import math
import os

import numpy as np
import pytest
import scipy.sparse as sp
from reference import global_tr_solution

import trustregion as tr

TR_METHODS = ("steihaug", "gltr", "exact", "dogleg", "cauchy")


def indefinite_instance(n=6, seed=0, lo=-1.0, hi=3.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    B = Q @ np.diag(np.linspace(lo, hi, n)) @ Q.T
    return 0.5 * (B + B.T), rng.standard_normal(n)


# ---- cg --------------------------------------------------------------------------------


def test_cg_huge_right_hand_side_is_solved_not_reported_converged_at_zero():
    # ‖b‖² overflows to inf: the stopping test used to compare inf ≤ inf at the start.
    b = np.array([1e300, 2e300])
    res = tr.cg(np.eye(2), b)
    assert res.status is tr.CGStatus.CONVERGED
    np.testing.assert_allclose(res.x, b, rtol=1e-12)
    assert math.isclose(res.residual_norm, 0.0, abs_tol=1e-5 * 2.3e300)


def test_cg_tiny_operator_has_a_public_status():
    # ‖x‖² overflowed to inf = Δ², so the kernel reported reaching the boundary of an
    # infinite region, a code cg had no status for (KeyError).
    b = np.array([1.0, 2.0])
    res = tr.cg(1e-300 * np.eye(2), b)
    assert res.status is tr.CGStatus.CONVERGED
    np.testing.assert_allclose(res.x, 1e300 * b, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_cg_tiny_and_huge_systems(scale):
    rng = np.random.default_rng(1)
    C = rng.standard_normal((8, 8))
    A = C @ C.T + 8 * np.eye(8)
    b = rng.standard_normal(8)
    x = np.linalg.solve(A, b)
    for A_s, b_s, x_s in (
        (scale * A, b, x / scale),
        (A, scale * b, scale * x),
        (scale * A, scale * b, x),
    ):
        res = tr.cg(A_s, b_s, rtol=1e-10)
        assert res.status is tr.CGStatus.CONVERGED
        np.testing.assert_allclose(res.x, x_s, rtol=1e-8)


# ---- subproblems at extreme radii and Hessian scales ------------------------------------


@pytest.mark.parametrize("method", TR_METHODS)
@pytest.mark.parametrize("radius", [1e-108, 1e-130, 1e-150, 1e150])
def test_extreme_radius(method, radius):
    """exact and gltr divided by an underflowed hᵀ(T + λI)⁻¹h (ZeroDivisionError)."""
    B, g = indefinite_instance(lo=0.5 if method == "dogleg" else -1.0)
    step = tr.solve_subproblem(g, B, radius, method=method)
    assert np.isfinite(step.s).all()
    assert np.linalg.norm(step.s) <= radius * (1 + 1e-10)
    if radius < 1.0:
        # The model is linear at this scale: every method takes the steepest-descent
        # boundary point, -Δ g/‖g‖, to first order in Δ.
        np.testing.assert_allclose(
            step.s, -radius * g / np.linalg.norm(g), rtol=1e-6, atol=1e-6 * radius
        )
        assert step.status is tr.StepStatus.BOUNDARY


def test_exact_small_hessian_is_not_a_false_hard_case():
    """B scaled by 1e-95: an absolute tolerance made 'exact' see every eigenvalue as equal."""
    B, g = indefinite_instance(seed=3)
    beta = 1e-95
    radius = 2.0
    # Scaling g and B together leaves the minimiser unchanged: s*(βg, βB, Δ) = s*(g, B, Δ).
    ref = global_tr_solution(g, B, radius)
    step = tr.solve_subproblem(beta * g, beta * B, radius, method="exact")
    assert step.status is (
        tr.StepStatus.HARD_CASE
        if ref.hard_case
        else tr.StepStatus.BOUNDARY
        if not ref.interior
        else tr.StepStatus.INTERIOR
    )
    np.testing.assert_allclose(step.s, ref.s, rtol=1e-8, atol=1e-10 * radius)


@pytest.mark.parametrize("beta", [1e-150, 1e-95, 1e-40])
def test_exact_small_hessian_only(beta):
    """Only B small. Substituting s = u/β shows s*(g, βB, Δ) = u*(g, B, βΔ)/β, with u* the
    solution of a unit-scale problem with a small radius."""
    B, g = indefinite_instance(seed=4)
    radius = 1.0
    ref = global_tr_solution(g, B, beta * radius)
    step = tr.solve_subproblem(g, beta * B, radius, method="exact")
    np.testing.assert_allclose(step.s, ref.s / beta, rtol=1e-8, atol=1e-10 * radius)
    assert step.status is tr.StepStatus.BOUNDARY


@pytest.mark.parametrize("method", ("dogleg", "cauchy"))
def test_dogleg_and_cauchy_do_not_overflow(method):
    rng = np.random.default_rng(5)
    C = rng.standard_normal((5, 5))
    B = C @ C.T + np.eye(5)
    g = rng.standard_normal(5)
    # dᵀBd = ‖g‖²‖B‖ ≈ 1e300·1e150 overflowed; the step itself is ordinary.
    step = tr.solve_subproblem(1e150 * g, 1e150 * B, 1.0, method=method)
    base = tr.solve_subproblem(g, B, 1.0, method=method)
    assert step.status is base.status
    np.testing.assert_allclose(step.s, base.s, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("method", TR_METHODS)
@pytest.mark.parametrize("beta", [4.0**248, 4.0**-248])
def test_extreme_hessian_with_a_matching_radius(method, beta):
    """B ~ 1e±149 with Δ ~ 1e∓149: s*(g, βB, Δ/β) = s*(g, B, Δ)/β, an ordinary problem.
    ‖g‖/Δ and ‖B‖ were extreme together, and dᵀBd (Steihaug's pᵀBp, the Cauchy κ)
    overflowed: balancing g against Δ alone cannot help, B itself must be normalised."""
    rng = np.random.default_rng(11)
    C = rng.standard_normal((5, 5))
    B = C @ C.T + np.eye(5)
    g = rng.standard_normal(5)
    newton = np.linalg.norm(np.linalg.solve(B, g))
    radius = (1e-9 if beta > 1.0 else 1e9) * newton  # boundary, and interior, steps
    base = tr.solve_subproblem(g, B, radius, method=method)
    step = tr.solve_subproblem(g, beta * B, radius / beta, method=method)
    assert step.status is base.status
    np.testing.assert_allclose(step.s * beta, base.s, rtol=1e-10, atol=1e-14 * radius)
    assert step.predicted_reduction * beta == pytest.approx(base.predicted_reduction, rel=1e-10)


# ---- the metric ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "M",
    [
        sp.csr_matrix(np.diag([1.0, -1.0, 1.0, 1.0, 1.0]) + 0.1 * np.ones((5, 5))),  # indefinite
        sp.csr_matrix(np.ones((5, 5))),  # singular
    ],
)
@pytest.mark.parametrize("method", TR_METHODS + ("natural",))
def test_sparse_metric_not_positive_definite_is_refused(M, method):
    assert np.linalg.eigvalsh(M.toarray())[0] <= 1e-12  # the premise
    B, g = indefinite_instance(n=5, lo=0.5)
    with pytest.raises(ValueError, match="M"):
        tr.solve_subproblem(g, None if method == "natural" else B, 1.0, method=method, M=M)


@pytest.mark.parametrize("method", TR_METHODS)
def test_sparse_diagonal_metric_with_a_negative_entry_is_refused(method):
    B, g = indefinite_instance(n=5, lo=0.5)
    with pytest.raises(ValueError, match="M"):
        tr.solve_subproblem(g, B, 1.0, method=method, M=sp.diags([1.0, 2.0, -1.0, 1.0, 1.0]))


# ---- natural: accurate by default ------------------------------------------------------


def test_natural_default_is_accurate_on_a_fisher_matrix():
    rng = np.random.default_rng(7)
    n = 20
    J = rng.standard_normal((200, n)) * np.geomspace(1.0, 30.0, n)
    F = J.T @ J / 200 + 1e-3 * np.eye(n)
    g = rng.standard_normal(n)
    step = tr.solve_subproblem(g, None, 0.1, method="natural", M=F)
    x = np.linalg.solve(F, g)
    expected = -0.1 * x / math.sqrt(x @ F @ x)
    assert np.linalg.norm(step.s - expected) <= 1e-8 * np.linalg.norm(expected)
    assert step.status is tr.StepStatus.BOUNDARY


# ---- exact with a non-finite Hessian ----------------------------------------------------


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_exact_nonfinite_hessian_product_is_reported(bad):
    B, g = indefinite_instance(n=5)

    def product(v):
        out = B @ v
        out[2] = bad
        return out

    step = tr.solve_subproblem(g, product, 1.0, method="exact")
    assert step.status is tr.StepStatus.NONFINITE
    assert np.isfinite(step.s).all()
    assert np.isfinite(step.predicted_reduction)


# ---- memory safety: shapes checked before any kernel -------------------------------------


def categorical_fisher(N=4, k=3, P=6, seed=8):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((N, k))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return tr.FisherOperator.from_categorical(rng.standard_normal((N, k, P)), p)


@pytest.mark.parametrize("v", [np.ones(3), np.ones(7), np.ones((6, 1)), np.ones((2, 3))])
def test_fisher_product_refuses_a_vector_of_the_wrong_shape(v):
    F = categorical_fisher()
    with pytest.raises(ValueError, match="length 6"):
        F.apply(v)


def test_gaussian_fisher_product_refuses_a_vector_of_the_wrong_shape():
    rng = np.random.default_rng(9)
    F = tr.FisherOperator.from_diagonal_gaussian(
        rng.standard_normal((4, 2, 6)), np.zeros(2), [4, 5]
    )
    with pytest.raises(ValueError, match="length 6"):
        F.apply(np.ones(5))
    with pytest.raises(ValueError):  # scipy's LinearOperator checks it first
        F @ np.ones(5)


@pytest.mark.parametrize("form", ["dense", "sparse", "callable"])
def test_operator_apply_refuses_a_vector_of_the_wrong_length(form):
    A = np.diag([1.0, 2.0, 3.0])
    op = tr.as_operator(
        {"dense": A, "sparse": sp.csr_matrix(A), "callable": lambda v: A @ v}[form], 3
    )
    with pytest.raises(ValueError, match="length 3"):
        op.apply(np.ones(2))


def test_sparse_operator_with_out_of_range_indices_is_refused():
    # A CSR matrix whose column index exceeds its shape (built bypassing scipy's checks)
    # would make the kernel read past the vector.
    bad = sp.csr_matrix((np.array([1.0, 1.0]), np.array([0, 1]), np.array([0, 1, 2])), shape=(2, 2))
    bad.indices[1] = 5
    with pytest.raises(ValueError, match="A"):
        tr.cg(bad, np.ones(2))


def test_steps_refuse_mismatched_metric():
    with pytest.raises(ValueError, match="metric|M"):
        tr.natural_step(np.ones(3), np.eye(4), step_size=1.0)
    F = categorical_fisher()
    with pytest.raises(ValueError, match="M|metric|dimension"):
        tr.natural_step(np.ones(5), F, step_size=1.0)


class DiagonalPreconditioner(tr.Preconditioner):
    """A user's Preconditioner whose diagonal has the wrong length for its shape."""

    def __init__(self, d, n):
        self.inverse_diagonal = 1.0 / np.asarray(d, dtype=float)
        super().__init__(n, lambda v: v / self.inverse_diagonal[:n])

    def solve(self, r):
        return self.inverse_diagonal * r


@pytest.mark.parametrize("method", TR_METHODS + ("natural",))
def test_preconditioner_with_a_short_diagonal_is_refused(method):
    B, g = indefinite_instance(n=5, lo=0.5)
    M = DiagonalPreconditioner(np.ones(3), 5)
    with pytest.raises(ValueError, match="M"):
        tr.solve_subproblem(g, None if method == "natural" else B, 1.0, method=method, M=M)
    with pytest.raises(ValueError, match="M"):
        tr.cg(B + 5 * np.eye(5), g, M=M)


def test_explicit_matrix_of_another_dimension_is_refused():
    from trustregion.operators import ExplicitMatrix
    from trustregion.operators._symmetric import MATRIX_FREE

    dense = MATRIX_FREE._replace(kind=0, dense=np.eye(3))
    assert isinstance(dense, ExplicitMatrix)
    with pytest.raises(ValueError, match="explicit"):
        tr.SymmetricOperator(5, lambda v: v, explicit=dense)


def test_truncated_cg_driver_refuses_a_right_hand_side_of_another_length():
    # The kernels trust their callers; the one CG driver checks what it hands them.
    from trustregion.krylov import run_truncated_cg

    op = tr.as_operator(np.eye(3))
    with pytest.raises(ValueError, match="b"):
        run_truncated_cg(op, np.ones(4), rtol=1e-8, maxiter=5)


# ---- import with nowhere to write Numba's cache -----------------------------------------


def test_import_works_when_no_numba_cache_directory_is_writable(tmp_path):
    """Numba's cache=True raises at decoration when neither NUMBA_CACHE_DIR, nor the
    package's __pycache__, nor the user's cache directory can be written (a read-only
    install and a read-only HOME). Permission bits do not bind root, so the directories
    are made impossible instead: each __pycache__ is a regular file, and HOME lies under
    one. Both packages with kernels, trustregion and rl_adapters, are imported and run."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import rl_adapters

    site = tmp_path / "site"
    for module in (tr, rl_adapters):
        package = Path(module.__file__).parent
        copy = site / package.name
        shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copy.chmod(0o755)  # copytree copies a read-only install's modes too
        (copy / "__pycache__").write_text("not a directory")
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH", "NUMBA_DISABLE_JIT")
    }
    env["HOME"] = str(blocker / "home")
    code = (
        "import numpy as np, trustregion as tr, rl_adapters._kernels as rk; "
        f"assert tr.__file__.startswith({str(site)!r}), tr.__file__; "
        f"assert rk.__file__.startswith({str(site)!r}), rk.__file__; "
        "assert tr._kernels.all_finite(np.ones(3)); "
        "h = np.empty((2, 2)); d = np.empty((2, 2)); rk.tanh_and_slope(np.zeros((2, 2)), h, d); "
        "assert (d == 1).all(); print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=site, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
