"""The built-in policies and the MLP: closed forms, finite differences and explicit
Fisher matrices."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import log_softmax, softmax

gym = pytest.importorskip("gymnasium")
from gymnasium import spaces  # noqa: E402

from rl_adapters import MLPPolicy  # noqa: E402
from rl_adapters.mlp import MLP  # noqa: E402

OBS = spaces.Box(-np.inf, np.inf, (4,))
HEADS = {"gaussian": spaces.Box(-1.0, 1.0, (3,)), "categorical": spaces.Discrete(5)}


def _policy(head, activation="tanh", seed=0):
    policy = MLPPolicy(OBS, HEADS[head], hidden_sizes=(6, 5), activation=activation, seed=seed)
    rng = np.random.default_rng(seed)
    # Away from the initialisation (tiny output layer, σ = 1) so that every term matters.
    policy.set_parameters(
        policy.get_parameters() + 0.4 * rng.standard_normal(policy.num_parameters)
    )
    obs = rng.standard_normal((7, 4))
    return policy, obs, policy.act(obs, rng)


def _central_gradient(f, x, eps=1e-6):
    return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(x.size)])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_jvp_and_vjp_match_finite_differences_and_each_other(activation):
    rng = np.random.default_rng(1)
    net = MLP((3, 5, 4, 2), activation)
    theta = net.initial_parameters(rng) + 0.1 * rng.standard_normal(net.size)
    x = rng.standard_normal((6, 3))
    cache = net.forward(theta, x)
    # the lean path for acting agrees with the pass that keeps the intermediates
    np.testing.assert_allclose(net.output(theta, x), cache.output, rtol=1e-13, atol=1e-15)
    v, u = rng.standard_normal(net.size), rng.standard_normal((6, 2))
    Jv = net.jvp(theta, cache, v)
    eps = 1e-6
    fd = (net.output(theta + eps * v, x) - net.output(theta - eps * v, x)) / (2 * eps)
    np.testing.assert_allclose(Jv, fd, atol=1e-7)
    # ⟨u, Jv⟩ = ⟨Jᵀu, v⟩: the two passes are adjoint.
    assert np.isclose(np.sum(u * Jv), net.vjp(theta, cache, u) @ v, rtol=1e-12)


def test_orthogonal_initialisation_has_orthonormal_columns_or_rows():
    net = MLP((4, 8, 3))
    W1, _ = net.layers(net.initial_parameters(np.random.default_rng(0), output_gain=0.5))[0]
    np.testing.assert_allclose(W1 @ W1.T, 2.0 * np.eye(4), atol=1e-12)  # gain √2, rows


def test_gaussian_log_prob_entropy_and_kl_match_closed_forms():
    policy, obs, actions = _policy("gaussian")
    ev = policy.evaluate(obs)
    mean, std = ev.output, np.exp(ev.log_std)
    expected = stats.norm.logpdf(actions, mean, std).sum(axis=1)
    np.testing.assert_allclose(ev.log_prob(actions), expected, rtol=1e-12)
    np.testing.assert_allclose(ev.entropy(), stats.norm(0, std).entropy().sum(), rtol=1e-12)
    other_theta = policy.get_parameters() + 0.3
    other = policy.evaluate(obs, other_theta)
    # KL(other ‖ ev) between diagonal Gaussians, per dimension
    s0, s1 = np.exp(other.log_std), std
    kl = (np.log(s1 / s0) + (s0**2 + (other.output - mean) ** 2) / (2 * s1**2) - 0.5).sum(1)
    assert np.isclose(ev.kl_from(other), kl.mean(), rtol=1e-12)
    assert ev.kl_from(ev) == pytest.approx(0.0, abs=1e-15)


def test_gaussian_kl_matches_monte_carlo():
    policy, obs, _ = _policy("gaussian")
    ev = policy.evaluate(obs[:1])
    other = policy.evaluate(obs[:1], policy.get_parameters() + 0.2)
    rng = np.random.default_rng(3)
    samples = other.output + np.exp(other.log_std) * rng.standard_normal((400_000, 3))
    log_ratio = stats.norm.logpdf(samples, other.output, np.exp(other.log_std)).sum(
        1
    ) - stats.norm.logpdf(samples, ev.output, np.exp(ev.log_std)).sum(1)
    assert ev.kl_from(other) == pytest.approx(log_ratio.mean(), rel=0.02)


def test_categorical_log_prob_entropy_and_kl_match_closed_forms():
    policy, obs, actions = _policy("categorical")
    ev = policy.evaluate(obs)
    logp = log_softmax(ev.output, axis=1)
    np.testing.assert_allclose(ev.log_prob(actions), logp[np.arange(7), actions], rtol=1e-12)
    p = softmax(ev.output, axis=1)
    np.testing.assert_allclose(ev.entropy(), stats.entropy(p, axis=1), rtol=1e-12)
    other = policy.evaluate(obs, policy.get_parameters() - 0.2)
    q = softmax(other.output, axis=1)
    assert np.isclose(ev.kl_from(other), stats.entropy(q, p, axis=1).mean(), rtol=1e-12)


def test_categorical_sampling_follows_the_probabilities():
    policy, obs, _ = _policy("categorical")
    rng = np.random.default_rng(0)
    many = np.repeat(obs[:1], 200_000, axis=0)
    counts = np.bincount(policy.act(many, rng), minlength=5) / many.shape[0]
    np.testing.assert_allclose(counts, softmax(policy.evaluate(obs[:1]).output[0]), atol=4e-3)
    assert (
        policy.act(obs[:1], rng, deterministic=True)[0]
        == policy.evaluate(obs[:1]).output[0].argmax()
    )


@pytest.mark.parametrize("head", sorted(HEADS))
def test_log_prob_gradient_matches_finite_differences(head):
    policy, obs, actions = _policy(head)
    weights = np.random.default_rng(5).standard_normal(obs.shape[0])
    theta = policy.get_parameters()
    analytic = policy.evaluate(obs).log_prob_gradient(actions, weights)
    numeric = _central_gradient(
        lambda t: weights @ policy.evaluate(obs, t).log_prob(actions), theta
    )
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


def _explicit_fisher(policy, obs, theta):
    """(1/N) Σᵢ E_a[∇log π ∇log πᵀ], formed explicitly: for a categorical head the
    expectation is a finite sum over actions; for the Gaussian it is Jᵢᵀ Mᵢ Jᵢ with Jᵢ
    from finite differences of the mean and M = diag(1/σ²) ⊕ 2I in closed form."""
    n = theta.size
    F = np.zeros((n, n))
    for s in obs:
        ev = policy.evaluate(s[None], theta)
        if policy.continuous:
            size = policy.net.size
            J = _central_gradient(lambda t: policy.evaluate(s[None], t).output[0], theta).T  # noqa: B023
            F[:, :] += J.T @ np.diag(np.exp(-2 * ev.log_std)) @ J
            F[size:, size:] += 2.0 * np.eye(n - size)
        else:
            p = softmax(ev.output[0])
            for a, pa in enumerate(p):
                score = ev.log_prob_gradient(np.array([a]), np.ones(1))
                F += pa * np.outer(score, score)
    return F / obs.shape[0]


@pytest.mark.parametrize("head", sorted(HEADS))
def test_fisher_product_matches_explicit_fisher_and_kl_hessian(head):
    policy, obs, _ = _policy(head)
    theta = policy.get_parameters()
    ev = policy.evaluate(obs)
    F = _explicit_fisher(policy, obs, theta)
    rng = np.random.default_rng(2)
    for v in rng.standard_normal((3, theta.size)):
        np.testing.assert_allclose(ev.fisher_product(v), F @ v, rtol=1e-6, atol=1e-8)
    # and F is the Hessian of θ' ↦ mean KL(π_θ ‖ π_θ') at θ' = θ
    v = rng.standard_normal(theta.size)
    h = 1e-4

    def grad_kl(t):
        return _central_gradient(lambda u: policy.evaluate(obs, u).kl_from(ev), t, h)

    hessian_v = (grad_kl(theta + h * v) - grad_kl(theta - h * v)) / (2 * h)
    np.testing.assert_allclose(ev.fisher_product(v), hessian_v, rtol=1e-4, atol=1e-6)


def test_parameters_round_trip_and_are_validated():
    policy, _, _ = _policy("gaussian")
    theta = policy.get_parameters()
    theta[0] += 1.0
    assert policy.get_parameters()[0] != theta[0]  # a copy, not a view
    policy.set_parameters(theta)
    np.testing.assert_array_equal(policy.get_parameters(), theta)
    with pytest.raises(ValueError, match="theta must have shape"):
        policy.set_parameters(theta[:-1])
    theta[3] = np.nan
    with pytest.raises(ValueError, match="theta must be finite"):
        policy.set_parameters(theta)


@pytest.mark.parametrize(
    "space, match",
    [
        (spaces.MultiDiscrete([2, 3]), "action_space"),
        (spaces.Box(-1, 1, (2, 2)), "action_space"),
        (spaces.Discrete(3, start=1), "start at 0"),
    ],
)
def test_unsupported_action_spaces_are_refused(space, match):
    with pytest.raises(ValueError, match=match):
        MLPPolicy(OBS, space)


def test_image_observations_are_refused():
    with pytest.raises(ValueError, match="observation_space"):
        MLPPolicy(spaces.Box(0, 255, (8, 8, 3)), spaces.Discrete(2))


@pytest.mark.kernels
def test_tanh_kernel_is_within_two_ulp_and_gives_the_slope():
    from rl_adapters._kernels import tanh_and_slope

    z = np.concatenate(
        [
            np.linspace(-30, 30, 2001),
            [0.0, -0.0, 1e-300, -1e-9, 0.625, np.nextafter(0.625, 1), 710.0, -710.0],
        ]
    )
    z = z.reshape(-1, 1)
    h, slope = np.empty_like(z), np.empty_like(z)
    tanh_and_slope(z, h, slope)
    exact = np.tanh(z)
    assert np.all(np.abs(h - exact) <= 2 * np.spacing(np.abs(exact)))
    np.testing.assert_array_equal(slope, 1.0 - h * h)
    # the forward pass writes into strided views of its augmented input blocks
    wide = np.empty((z.shape[0], 3))
    tanh_and_slope(z, wide[:, :1], slope)
    np.testing.assert_array_equal(wide[:, 0], h[:, 0])
