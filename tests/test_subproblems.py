"""Deterministic checks of the subproblem solvers beyond the property tests: agreement with
scipy where scipy is right, the TRPO identity of the natural step, and bookkeeping."""

import numpy as np
import pytest
import scipy.optimize._trustregion_exact as scipy_exact
import scipy.optimize._trustregion_ncg as scipy_ncg

import trustregion as tr


def instance(seed, n, lo, hi):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.linspace(lo, hi, n)) @ Q.T, rng.standard_normal(n)


def model(g, B, s):
    return g @ s + 0.5 * s @ B @ s


@pytest.mark.parametrize("seed", range(40))
def test_steihaug_matches_scipy(seed):
    """Same algorithm (N&W Alg. 7.2), same stopping rule: the same step, also where negative
    curvature makes the backward boundary point the better one (seed 34)."""
    B, g = instance(seed, 10, -10.0, 100.0)
    radius = 10.0
    ours = tr.solve_subproblem(
        g, B, radius, method="steihaug", rtol=min(0.5, np.sqrt(np.linalg.norm(g)))
    )
    p, _ = scipy_ncg.CGSteihaugSubproblem(
        np.zeros(10), lambda x: 0.0, lambda x: g, lambda x: B
    ).solve(radius)
    assert model(g, B, ours.s) <= model(g, B, p) + 1e-10 * abs(model(g, B, p))


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("lo, radius", [(1.0, 0.1), (-1.0, 0.1), (-1.0, 10.0)])
def test_exact_at_least_as_good_as_scipy_when_scipy_is_feasible(seed, lo, radius):
    B, g = instance(seed, 30, lo, 100.0)
    ours = tr.solve_subproblem(g, B, radius, method="exact")
    p, _ = scipy_exact.IterativeSubproblem(
        np.zeros(30), lambda x: 0.0, lambda x: g, lambda x: B
    ).solve(radius)
    assert np.linalg.norm(ours.s) <= radius * (1 + 1e-12)
    if np.linalg.norm(p) <= radius:
        assert model(g, B, ours.s) <= model(g, B, p) + 1e-12 * abs(model(g, B, p))


def test_exact_loose_tolerance_stays_feasible():
    B, g = instance(0, 100, 1.0, 100.0)
    radius = 0.5 * np.linalg.norm(np.linalg.solve(B, -g))
    for rtol in (0.1, 1e-2, 1e-6):
        step = tr.solve_subproblem(g, B, radius, method="exact", rtol=rtol)
        assert np.linalg.norm(step.s) <= radius * (1 + 1e-14)
        assert np.linalg.norm(step.s) >= radius * (1 - rtol)


def test_natural_step_is_the_trpo_step():
    """With M the Fisher matrix and Δ = √(2δ): ½ sᵀFs = δ, and s ∝ -F⁻¹g (Schulman et al.)."""
    rng = np.random.default_rng(1)
    J = rng.standard_normal((40, 3, 8))
    logits = rng.standard_normal((40, 3))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    F = tr.DampedOperator(tr.FisherOperator.from_categorical(J, p), 0.1)
    g = rng.standard_normal(8)
    delta = 0.01
    step = tr.solve_subproblem(g, None, np.sqrt(2 * delta), method="natural", M=F)
    Fd = F.to_dense()
    assert 0.5 * step.s @ Fd @ step.s == pytest.approx(delta, rel=1e-10)
    direction = -np.linalg.solve(Fd, g)
    cos = step.s @ direction / np.linalg.norm(step.s) / np.linalg.norm(direction)
    assert cos == pytest.approx(1.0, abs=1e-12)
    assert step.g_dual_norm_sq == pytest.approx(g @ np.linalg.solve(Fd, g), rel=1e-10)
    assert step.predicted_reduction == pytest.approx(-g @ step.s, rel=1e-12)
    # TRPO's truncated CG: 3 iterations, still exactly on the boundary ½ sᵀFs = δ.
    short = tr.solve_subproblem(g, None, np.sqrt(2 * delta), method="natural", M=F, maxiter=3)
    assert short.iterations == 3 and short.status is tr.StepStatus.MAX_ITER
    assert 0.5 * short.s @ Fd @ short.s == pytest.approx(delta, rel=1e-10)


@pytest.mark.parametrize("scale", [1.0, 2.0**300, 2.0**-300])
def test_natural_step_reports_the_natural_gradient_it_scaled(scale):
    """s = -x/λ with x = M⁻¹g reported, also when g is rescaled internally."""
    M, g = instance(2, 8, 0.5, 20.0)
    step = tr.solve_subproblem(scale * g, None, 0.3, method="natural", M=M)
    x = np.linalg.solve(M, scale * g)
    np.testing.assert_allclose(step.natural_gradient, x, rtol=1e-8)
    np.testing.assert_allclose(step.s, -step.natural_gradient / step.multiplier, rtol=1e-14)
    assert step.multiplier == pytest.approx(np.sqrt(x @ M @ x) / 0.3, rel=1e-8)


def test_only_the_natural_method_reports_a_natural_gradient():
    B, g = instance(0, 6, 1.0, 10.0)
    for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact"):
        assert tr.solve_subproblem(g, B, 1.0, method=method).natural_gradient is None


def test_success_is_the_set_of_solved_statuses_and_every_status_explains_itself():
    solved = {
        tr.StepStatus.INTERIOR,
        tr.StepStatus.BOUNDARY,
        tr.StepStatus.NEGATIVE_CURVATURE,
        tr.StepStatus.HARD_CASE,
        tr.StepStatus.ZERO_GRADIENT,
    }
    assert {status for status in tr.StepStatus if status.success} == solved
    for enum in (tr.StepStatus, tr.CGStatus, tr.MinimizeStatus, tr.LineSearchStatus):
        for status in enum:
            assert isinstance(status.message, str) and status.message


def test_every_terminal_kernel_code_has_one_step_status():
    from trustregion import _kernels as K
    from trustregion._status import cg_status, step_status

    S = tr.StepStatus
    assert step_status(K.CONVERGED) is S.INTERIOR
    assert step_status(K.CONVERGED, converged=S.BOUNDARY) is S.BOUNDARY
    assert step_status(K.NEGATIVE_CURVATURE) is S.NEGATIVE_CURVATURE
    assert (
        step_status(K.NEGATIVE_CURVATURE, follows_negative_curvature=False)
        is S.NOT_POSITIVE_DEFINITE
    )
    assert [
        step_status(code)
        for code in (
            K.BOUNDARY,
            K.MAX_ITER,
            K.NONFINITE,
            K.BREAKDOWN,
            K.TRIDIAG_INTERIOR,
            K.TRIDIAG_BOUNDARY,
            K.TRIDIAG_HARD_CASE,
        )
    ] == [
        S.BOUNDARY,
        S.MAX_ITER,
        S.NONFINITE,
        S.NOT_POSITIVE_DEFINITE,
        S.INTERIOR,
        S.BOUNDARY,
        S.HARD_CASE,
    ]
    assert [cg_status(status.value) for status in tr.CGStatus] == list(tr.CGStatus)


def test_an_enum_without_a_message_for_each_member_is_refused():
    from trustregion._status import StatusEnum, set_messages

    class Partial(StatusEnum):
        A = 0
        B = 1

    with pytest.raises(TypeError, match="missing.*B"):
        set_messages(Partial, {Partial.A: "a"})


@pytest.mark.parametrize("method", ["steihaug", "gltr"])
def test_krylov_bookkeeping(method):
    B, g = instance(3, 50, -1.0, 10.0)
    calls = []

    def product(v):
        calls.append(1)
        return B @ v

    step = tr.solve_subproblem(g, product, 1.0, method=method)
    assert step.operator_products == len(calls)
    assert step.iterations >= 1
    explicit = tr.solve_subproblem(g, B, 1.0, method=method)
    np.testing.assert_allclose(explicit.s, step.s, rtol=1e-10, atol=1e-12)


def test_gltr_large_sparse_without_reorthogonalisation_stays_feasible():
    import scipy.sparse as sp

    n = 3000  # above the default reorthogonalisation limit
    rng = np.random.default_rng(4)
    B = sp.diags([np.ones(n - 1), rng.uniform(-1, 10, n), np.ones(n - 1)], [-1, 0, 1], format="csr")
    g = rng.standard_normal(n)
    step = tr.solve_subproblem(g, B, 100.0, method="gltr")
    assert np.linalg.norm(step.s) <= 100.0 * (1 + 1e-10)
    assert step.predicted_reduction == pytest.approx(-model(g, B.toarray(), step.s), rel=1e-10)


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="unknown option.*tolerance.*'steihaug'.*rtol"):
        tr.solve_subproblem(np.ones(2), np.eye(2), 1.0, method="steihaug", tolerance=1e-3)
