"""Operators against their mathematical definitions."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator
from scipy.special import roots_hermitenorm

import trustregion as tr
from trustregion.operators import ExplicitMatrix


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hess(x):
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i, i + 1] = H[i + 1, i] = -400.0 * x[i]
        H[i + 1, i + 1] += 200.0
    return H


# ---- conversions --------------------------------------------------------------------


@pytest.mark.parametrize("form", ["dense", "sparse", "linop", "callable", "operator"])
def test_as_operator_forms_agree(form):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((7, 7))
    A = A + A.T
    given = {
        "dense": A,
        "sparse": sp.csr_matrix(A),
        "linop": aslinearoperator(A),
        "callable": lambda v: A @ v,
        "operator": tr.as_operator(A),
    }[form]
    op = tr.as_operator(given, 7)
    assert isinstance(op, LinearOperator) and op.shape == (7, 7)
    v = rng.standard_normal(7)
    np.testing.assert_allclose(op @ v, A @ v, rtol=1e-13)
    np.testing.assert_allclose(op.to_dense(), A, rtol=1e-13, atol=1e-13)
    # Usable by scipy as it is, e.g. as the operator of scipy's own CG.
    np.testing.assert_allclose(op.matmat(np.eye(7)), A, rtol=1e-13, atol=1e-13)
    assert (op.explicit is not None) == (form in ("dense", "sparse", "operator"))


def test_as_operator_keeps_dense_storage_without_copy():
    A = np.eye(4)
    op = tr.as_operator(A)
    assert op.explicit.dense is A


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones((3, 4)), "square"),
        (np.ones(3), "2-D"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "non-finite"),
        (sp.csr_matrix(np.array([[1.0, np.inf], [0.0, 1.0]])), "non-finite"),
    ],
)
def test_as_operator_rejects_bad_matrices(bad, match):
    with pytest.raises(ValueError, match=match):
        tr.as_operator(bad)


def test_as_operator_errors_name_the_argument():
    with pytest.raises(ValueError, match="B .*dimension 5"):
        tr.as_operator(np.eye(4), 5, name="B")
    with pytest.raises(ValueError, match="B is a callable"):
        tr.as_operator(lambda v: v, name="B")


def test_callable_returning_wrong_shape_is_reported():
    op = tr.as_operator(lambda v: np.ones(3), 4)
    with pytest.raises(ValueError, match=r"shape \(3,\).*must return shape \(4,\)"):
        op.apply(np.ones(4))


def test_sparse_with_duplicates_is_summed():
    A = sp.coo_matrix(([1.0, 2.0, 5.0], ([0, 0, 1], [0, 0, 1])), shape=(2, 2))
    op = tr.as_operator(A)
    np.testing.assert_allclose(op.to_dense(), [[3.0, 0.0], [0.0, 5.0]])


# ---- damping and Jacobi -------------------------------------------------------------


@pytest.mark.parametrize("form", ["dense", "sparse", "callable"])
def test_damped_operator(form):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((6, 6))
    A = A @ A.T
    given = {"dense": A, "sparse": sp.csr_matrix(A), "callable": lambda v: A @ v}[form]
    op = tr.DampedOperator(given, 0.5, n=6)
    v = rng.standard_normal(6)
    np.testing.assert_allclose(op @ v, A @ v + 0.5 * v, rtol=1e-13)
    np.testing.assert_allclose(op.to_dense(), A + 0.5 * np.eye(6), rtol=1e-12, atol=1e-12)
    assert (op.explicit is not None) == (form != "callable")
    # A stored matrix keeps its storage: the damping is a shift the kernels apply.
    if op.explicit is not None:
        assert isinstance(op.explicit, ExplicitMatrix) and op.explicit.shift == 0.5
    with pytest.raises(ValueError, match="damping"):
        tr.DampedOperator(A, np.nan)


def test_damped_callable_does_not_modify_the_users_output():
    buf = np.ones(3)
    op = tr.DampedOperator(lambda v: buf, 2.0, n=3)
    op @ np.ones(3)
    np.testing.assert_array_equal(buf, np.ones(3))


@pytest.mark.parametrize("form", ["dense", "sparse", "callable", "diagonal"])
def test_jacobi_preconditioner(form):
    A = np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 8.0]])
    given = {
        "dense": A,
        "sparse": sp.csr_matrix(A),
        "callable": lambda v: A @ v,
        "diagonal": np.diag(A).copy(),
    }[form]
    P = tr.JacobiPreconditioner(given, n=3)
    v = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(P @ v, np.diag(A) * v)
    np.testing.assert_allclose(P.solve(v), v / np.diag(A))
    with pytest.raises(ValueError, match="positive"):
        tr.JacobiPreconditioner(np.diag([1.0, -1.0]))


# ---- Hessians -----------------------------------------------------------------------


def test_hessian_vector_product_passes_args_and_copies_x():
    x = np.array([1.0, 2.0])
    op = tr.HessianVectorProduct(lambda x, v, a: a * x * v, x, args=(3.0,))
    x[0] = 100.0  # later changes to the caller's array do not leak in
    np.testing.assert_allclose(op @ np.array([1.0, 1.0]), [3.0, 6.0])


@pytest.mark.parametrize("scheme, tol", [("forward", 1e-5), ("central", 1e-8)])
def test_finite_difference_hessian_matches_exact(scheme, tol):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1.2, 1.2, 8)
    H = rosenbrock_hess(x)
    op = tr.FiniteDifferenceHessian(rosenbrock_grad, x, scheme=scheme)
    for scale in (1e-6, 1.0, 1e6):  # the step adapts to ‖v‖
        v = rng.standard_normal(8) * scale
        err = np.linalg.norm(op @ v - H @ v) / np.linalg.norm(H @ v)
        assert err <= tol, (scale, err)


def test_finite_difference_hessian_counts_gradients_and_reuses_known_gradient():
    x = np.array([0.5, -0.3, 0.2])
    op = tr.FiniteDifferenceHessian(rosenbrock_grad, x, gradient=rosenbrock_grad(x))
    op @ np.ones(3)
    op @ np.ones(3)
    assert op.gradient_evaluations == 2
    central = tr.FiniteDifferenceHessian(rosenbrock_grad, x, scheme="central")
    central @ np.ones(3)
    assert central.gradient_evaluations == 2
    np.testing.assert_array_equal(op @ np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="scheme"):
        tr.FiniteDifferenceHessian(rosenbrock_grad, x, scheme="backward")


@pytest.mark.parametrize("form", ["dense", "sparse", "linop"])
def test_gauss_newton(form):
    rng = np.random.default_rng(3)
    J = rng.standard_normal((9, 5))
    op = tr.GaussNewtonOperator(
        {"dense": J, "sparse": sp.csr_matrix(J), "linop": aslinearoperator(J)}[form]
    )
    np.testing.assert_allclose(op.to_dense(), J.T @ J, rtol=1e-12)
    assert op.positive_semidefinite


# ---- Fisher -------------------------------------------------------------------------


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def linear_logits_policy(seed, N, K, P, with_theta=False):
    """A categorical policy with logits Jᵢθ: (J, probabilities[, θ])."""
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((N, K, P))
    theta = rng.standard_normal(P)
    p = softmax(np.einsum("nkp,p->nk", J, theta))
    return (J, p, theta) if with_theta else (J, p)


def test_fisher_from_scores_is_the_mean_outer_product():
    S = np.random.default_rng(4).standard_normal((50, 6))
    F = tr.FisherOperator.from_scores(S).to_dense()
    np.testing.assert_allclose(F, sum(np.outer(s, s) for s in S) / 50, rtol=1e-12)


def test_categorical_fisher_is_the_expected_score_outer_product():
    """F = E_a[∇log p_a ∇log p_aᵀ] with logits = Jᵢθ, summed exactly over the actions."""
    N, K, P = 6, 4, 5
    J, p = linear_logits_policy(5, N, K, P)
    F = tr.FisherOperator.from_categorical(J, p).to_dense()
    expected = np.zeros((P, P))
    for i in range(N):
        for a in range(K):
            score = J[i, a] - p[i] @ J[i]  # ∇θ log softmax(Jθ)_a
            expected += p[i, a] * np.outer(score, score)
    np.testing.assert_allclose(F, expected / N, rtol=1e-10, atol=1e-12)


def test_categorical_fisher_is_the_hessian_of_the_mean_kl():
    N, K, P = 5, 3, 4
    J, p0, theta0 = linear_logits_policy(6, N, K, P, with_theta=True)

    def mean_kl(theta):
        logp = np.log(softmax(np.einsum("nkp,p->nk", J, theta)))
        return np.mean(np.sum(p0 * (np.log(p0) - logp), axis=1))

    h = 1e-4
    E = np.eye(P)
    H = np.array(
        [
            [
                (
                    mean_kl(theta0 + h * (E[i] + E[j]))
                    - mean_kl(theta0 + h * (E[i] - E[j]))
                    - mean_kl(theta0 - h * (E[i] - E[j]))
                    + mean_kl(theta0 - h * (E[i] + E[j]))
                )
                / (4 * h * h)
                for j in range(P)
            ]
            for i in range(P)
        ]
    )
    F = tr.FisherOperator.from_categorical(J, p0).to_dense()
    np.testing.assert_allclose(F, H, rtol=1e-5, atol=1e-7)


def test_gaussian_fisher_is_the_expected_score_outer_product():
    """N(Jᵢθ, diag σ²) with log σ among the parameters, the expectation by Gauss–Hermite."""
    rng = np.random.default_rng(7)
    N, d, P = 3, 2, 6
    log_std_index = [4, 5]
    J = rng.standard_normal((N, d, P))
    J[:, :, log_std_index] = 0.0
    log_std = np.array([-0.3, 0.4])
    sigma = np.exp(log_std)
    F = tr.FisherOperator.from_diagonal_gaussian(J, log_std, log_std_index).to_dense()
    nodes, weights = roots_hermitenorm(12)  # exact for polynomials of degree ≤ 23 in z
    weights = weights / weights.sum()
    expected = np.zeros((P, P))
    for i in range(N):
        for z0, w0 in zip(nodes, weights, strict=False):
            for z1, w1 in zip(nodes, weights, strict=False):
                z = np.array([z0, z1])  # a = μ + σz
                score = J[i].T @ (z / sigma)  # ∇θ through the mean
                score[log_std_index] += z * z - 1.0  # ∂/∂log σ of log N(a; μ, σ²)
                expected += w0 * w1 * np.outer(score, score)
    np.testing.assert_allclose(F, expected / N, rtol=1e-10, atol=1e-12)


def test_fisher_products_match_the_einsum_of_jt_m_j():
    """Jᵀ M J v against the explicit per-sample matrices Mᵢ, for both families."""
    rng = np.random.default_rng(1)
    N, k, P = 7, 4, 9
    J, p = linear_logits_policy(1, N, k, P)
    v = rng.standard_normal(P)
    Mi = np.einsum("na,ab->nab", p, np.eye(k)) - np.einsum("na,nb->nab", p, p)
    np.testing.assert_allclose(
        tr.FisherOperator.from_categorical(J, p) @ v,
        np.einsum("nap,nab,nbq,q->p", J, Mi, J, v) / N,
        rtol=1e-12,
    )
    log_std, index = rng.uniform(-1.0, 1.0, k), [0, 2, 4, 6]
    expected = np.einsum("nap,a,naq,q->p", J, np.exp(-2.0 * log_std), J, v) / N
    expected[index] += 2.0 * v[index]
    np.testing.assert_allclose(
        tr.FisherOperator.from_diagonal_gaussian(J, log_std, index) @ v, expected, rtol=1e-12
    )
    with pytest.raises(ValueError, match="dimension mismatch"):
        tr.FisherOperator.from_categorical(J, p).matvec(np.ones(P - 1))


def test_fisher_constructors_validate():
    J = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="probs must have shape"):
        tr.FisherOperator.from_categorical(J, np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="sum to 1"):
        tr.FisherOperator.from_categorical(J, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="log_std_index"):
        tr.FisherOperator.from_diagonal_gaussian(J, np.zeros(3), [0, 0, 1])
    with pytest.raises(ValueError, match="non-finite"):
        tr.FisherOperator.from_scores(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="callable"):
        tr.FisherOperator(np.eye(2), 2)


def test_user_fisher_callable_and_natural_step():
    F = np.diag([1.0, 4.0])
    op = tr.FisherOperator(lambda v: F @ v, 2)
    step = tr.solve_subproblem(
        np.array([1.0, 1.0]), None, np.sqrt(2 * 0.01), method="natural", M=op
    )
    assert np.isclose(0.5 * step.s @ F @ step.s, 0.01, rtol=1e-12)
