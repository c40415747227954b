"""TorchPolicy: a user's nn.Module against the built-in policy with identical weights."""

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")
from gymnasium import spaces  # noqa: E402
from torch import nn  # noqa: E402

from rl_adapters import NPG, TRPO, MLPPolicy  # noqa: E402
from rl_adapters.torch import TorchPolicy  # noqa: E402
from trustregion.operators import (  # noqa: E402
    categorical_fisher_product,
    gaussian_fisher_diagonal,
)

OBS = spaces.Box(-np.inf, np.inf, (5,))
HEADS = {"gaussian": spaces.Box(-1.0, 1.0, (3,)), "categorical": spaces.Discrete(4)}


def _sequential(out, dtype=torch.float64):
    return nn.Sequential(
        nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 7), nn.Tanh(), nn.Linear(7, out)
    ).to(dtype)


def _torch_order(policy, theta):
    """A built-in policy's θ (or a vector in its coordinates) in nn.Linear's order."""
    parts = []
    for W, b in policy.net.layers(theta[: policy.net.size]):
        parts += [W.T.ravel(), b]
    return np.concatenate(parts + [theta[policy.net.size :]])


def _pair(head, fisher="jmj", dtype=torch.float64, seed=0):
    builtin = MLPPolicy(OBS, HEADS[head], hidden_sizes=(8, 7), seed=seed)
    rng = np.random.default_rng(seed)
    theta = builtin.get_parameters() + 0.3 * rng.standard_normal(builtin.num_parameters)
    builtin.set_parameters(theta)
    out = 3 if head == "gaussian" else 4
    wrapped = TorchPolicy(_sequential(out, dtype), HEADS[head], fisher=fisher)
    wrapped.set_parameters(_torch_order(builtin, theta))
    obs = rng.standard_normal((40, 5))
    return builtin, wrapped, obs, builtin.act(obs, rng), rng


@pytest.mark.parametrize("fisher", ["jmj", "double_backward"])
@pytest.mark.parametrize("head", sorted(HEADS))
def test_wrapped_module_matches_the_builtin_policy(head, fisher):
    builtin, wrapped, obs, actions, rng = _pair(head, fisher)
    ours, theirs = builtin.evaluate(obs), wrapped.evaluate(obs)
    np.testing.assert_allclose(theirs.log_prob(actions), ours.log_prob(actions), rtol=1e-12)
    np.testing.assert_allclose(theirs.entropy(), ours.entropy(), rtol=1e-12)
    other = builtin.get_parameters() + 0.1 * rng.standard_normal(builtin.num_parameters)
    assert wrapped.evaluate(obs, _torch_order(builtin, other)).kl_from(theirs) == pytest.approx(
        builtin.evaluate(obs, other).kl_from(ours), rel=1e-10
    )
    weights = rng.standard_normal(obs.shape[0])
    np.testing.assert_allclose(
        theirs.log_prob_gradient(actions, weights),
        _torch_order(builtin, ours.log_prob_gradient(actions, weights)),
        rtol=1e-8,
        atol=1e-14,
    )
    for v in rng.standard_normal((3, builtin.num_parameters)):
        expected = _torch_order(builtin, ours.fisher_product(v))
        got = theirs.fisher_product(_torch_order(builtin, v))
        assert np.linalg.norm(got - expected) <= 1e-8 * np.linalg.norm(expected)


def test_module_returning_mean_and_log_std():
    class MeanAndLogStd(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(5, 6)

        def forward(self, x):
            mean, log_std = self.body(x).chunk(2, dim=1)
            return mean, 0.3 * torch.tanh(log_std)

    torch.manual_seed(0)
    policy = TorchPolicy(MeanAndLogStd().double(), HEADS["gaussian"])
    assert policy.state_dependent_std and policy.num_parameters == 36  # no extra log-std
    rng = np.random.default_rng(1)
    obs = rng.standard_normal((30, 5))
    actions = policy.act(obs, rng)
    ev = policy.evaluate(obs)
    with torch.no_grad():
        mean, log_std = policy.module(torch.as_tensor(obs))
    normal = torch.distributions.Normal(mean, log_std.exp())
    np.testing.assert_allclose(
        ev.log_prob(actions), normal.log_prob(torch.as_tensor(actions)).sum(1).numpy(), rtol=1e-12
    )
    # the Jᵀ M J product equals the double-backward Hessian of the mean KL
    slow = TorchPolicy(policy.module, HEADS["gaussian"], fisher="double_backward")
    v = rng.standard_normal(policy.num_parameters)
    np.testing.assert_allclose(
        ev.fisher_product(v), slow.evaluate(obs).fisher_product(v), rtol=1e-9, atol=1e-12
    )


def test_float32_module_agrees_to_single_precision():
    builtin, wrapped, obs, actions, _ = _pair("gaussian", dtype=torch.float32)
    assert wrapped.dtype == torch.float32
    np.testing.assert_allclose(
        wrapped.evaluate(obs).log_prob(actions), builtin.evaluate(obs).log_prob(actions), rtol=1e-5
    )
    v = np.ones(builtin.num_parameters)
    np.testing.assert_allclose(
        wrapped.evaluate(obs).fisher_product(_torch_order(builtin, v)),
        _torch_order(builtin, builtin.evaluate(obs).fisher_product(v)),
        rtol=1e-4,
        atol=1e-6,
    )


def test_float64_observations_and_parameters_are_not_copied():
    _, wrapped, obs, _, _ = _pair("categorical")
    ev = wrapped.evaluate(obs)
    assert ev.obs.data_ptr() == obs.__array_interface__["data"][0]
    theta = wrapped.get_parameters()
    np.testing.assert_array_equal(wrapped._tensor(theta).numpy(), theta)
    assert wrapped._tensor(theta).data_ptr() == theta.__array_interface__["data"][0]


@pytest.mark.parametrize(
    "module, space, match",
    [
        (nn.Linear(5, 3), spaces.Discrete(4), r"shape \(2, 3\).*\(2, 4\)"),
        (nn.Linear(5, 2), spaces.Box(-1, 1, (3,)), r"Gaussian mean must have shape \(2, 3\)"),
        (
            nn.Linear(5, 4).to(torch.float64).requires_grad_(False),
            spaces.MultiDiscrete([2, 2]),
            "action_space",
        ),
        ("not a module", spaces.Discrete(2), "torch.nn.Module"),
    ],
)
def test_bad_modules_are_refused_at_wrap_time(module, space, match):
    with pytest.raises(ValueError, match=match):
        TorchPolicy(module, space)


def test_integer_parameters_are_refused_at_wrap_time():
    module = nn.Linear(5, 2)
    module.register_parameter(
        "step", nn.Parameter(torch.zeros(1, dtype=torch.int64), requires_grad=False)
    )
    with pytest.raises(ValueError, match="'step' has dtype torch.int64"):
        TorchPolicy(module, spaces.Discrete(2))


def test_save_and_load_a_torch_policy(tmp_path):
    env = gym.make("CartPole-v1")
    torch.manual_seed(0)
    agent = NPG(
        "CartPole-v1",
        policy=TorchPolicy(
            nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)).double(), env.action_space
        ),
        n_steps=64,
        seed=0,
    )
    agent.learn(128, progress_bar=False)
    agent.save(tmp_path / "npg.npz")
    with pytest.raises(ValueError, match="pass policy="):
        NPG.load(tmp_path / "npg.npz")
    fresh = TorchPolicy(
        nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2)).double(), env.action_space
    )
    loaded = NPG.load(tmp_path / "npg.npz", policy=fresh)
    obs = np.random.default_rng(0).standard_normal((20, 4))
    np.testing.assert_array_equal(loaded.predict(obs), agent.predict(obs))


def test_wrapped_module_learns_cartpole():
    """A short, seeded run of a 32-unit tanh network: far above a random policy's 22."""
    env = gym.make("CartPole-v1")
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2)).double()
    agent = TRPO("CartPole-v1", policy=TorchPolicy(net, env.action_space), seed=0)
    agent.learn(20_000, progress_bar=False)
    assert agent.evaluate(5, seed=0)[0] >= 150.0


def test_the_closed_form_fisher_is_one_formula_for_numpy_and_torch():
    """The bridge's M is the core's function applied to tensors: the same numbers."""
    rng = np.random.default_rng(3)
    logits, u = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = np.einsum(
        "nab,nb->na", np.einsum("na,ab->nab", p, np.eye(4)) - np.einsum("na,nb->nab", p, p), u
    )
    np.testing.assert_allclose(categorical_fisher_product(p, u), expected, rtol=1e-13)
    np.testing.assert_array_equal(
        categorical_fisher_product(torch.from_numpy(p), torch.from_numpy(u)).numpy(),
        categorical_fisher_product(p, u),
    )
    log_std = rng.standard_normal(3)
    mean_weight, log_std_weight = gaussian_fisher_diagonal(log_std)
    np.testing.assert_allclose(mean_weight, 1.0 / np.exp(log_std) ** 2, rtol=1e-14)
    assert log_std_weight == 2.0
    torch_weight, torch_log_std_weight = gaussian_fisher_diagonal(torch.from_numpy(log_std))
    np.testing.assert_allclose(torch_weight.numpy(), mean_weight, rtol=1e-15)
    assert torch_log_std_weight == log_std_weight
