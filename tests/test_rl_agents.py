"""TRPO and NPG: the update's guarantees, checkpoints, bad input, the CLI and a short
learning run."""

import csv
import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

gym = pytest.importorskip("gymnasium")
from gymnasium import spaces  # noqa: E402

from rl_adapters import NPG, TRPO, OnPolicyAgent, ValueFunction  # noqa: E402
from rl_adapters._cli import main as cli  # noqa: E402
from rl_adapters.logger import COLUMNS  # noqa: E402


def _batch(agent, seed, n=64):
    """Observations, actions drawn from the agent's policy, and random advantages."""
    rng = np.random.default_rng(seed)
    obs = rng.standard_normal((n, agent.env.single_observation_space.shape[0]))
    actions = agent.policy.act(obs, rng)
    return obs, actions, rng.standard_normal(n)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    env=st.sampled_from(["CartPole-v1", "Pendulum-v1"]),
    max_kl=st.sampled_from([1e-4, 0.01, 0.1]),
)
def test_trpo_update_respects_the_kl_bound_and_never_worsens_the_surrogate(seed, env, max_kl):
    agent = TRPO(env, max_kl=max_kl, seed=seed % 7, n_envs=1)
    rng = np.random.default_rng(seed)
    # move away from the initial policy so that the instances differ in curvature
    agent.policy.set_parameters(
        agent.policy.get_parameters() + 0.3 * rng.standard_normal(agent.policy.num_parameters)
    )
    obs, actions, advantages = _batch(agent, seed)
    old = agent.policy.get_parameters()
    before = agent.policy.evaluate(obs)
    row = agent.policy_update(obs, actions, advantages)
    new = agent.policy.get_parameters()
    after = agent.policy.evaluate(obs)
    ratio = np.exp(after.log_prob(actions) - before.log_prob(actions))
    if row.accepted:
        kl = after.kl_from(before)
        assert kl <= 1.5 * max_kl and kl == pytest.approx(row.kl, rel=1e-12)
        assert np.mean(ratio * advantages) >= np.mean(advantages)
        assert row.actual_improvement > 0 and row.backtracks <= 10
    else:
        np.testing.assert_array_equal(new, old)
    assert row.cg_iterations <= 10 and not row.skipped


def test_npg_step_meets_its_kl_target_or_step_size():
    agent = NPG("CartPole-v1", target_kl=1e-3, seed=0, n_envs=1, cg_damping=0.1)
    obs, actions, advantages = _batch(agent, 1, n=256)
    before = agent.policy.evaluate(obs)
    theta = agent.policy.get_parameters()
    row = agent.policy_update(obs, actions, advantages)
    s = agent.policy.get_parameters() - theta
    # ½ sᵀ(F + λI)s = δ exactly; the true KL is ½ sᵀFs to second order in s
    assert 0.5 * s @ (before.fisher_product(s) + 0.1 * s) == pytest.approx(1e-3, rel=1e-9)
    assert row.kl == pytest.approx(0.5 * s @ before.fisher_product(s), rel=0.05)
    assert agent.policy.evaluate(obs).kl_from(before) == row.kl

    fixed = NPG("CartPole-v1", step_size=0.05, seed=0, n_envs=1, cg_iters=200, cg_damping=0.5)
    theta = fixed.policy.get_parameters()
    current = fixed.policy.evaluate(obs)
    g = current.log_prob_gradient(actions, advantages / advantages.size)
    F = np.column_stack([current.fisher_product(e) for e in np.eye(theta.size)])
    expected = theta + 0.05 * np.linalg.solve(F + 0.5 * np.eye(theta.size), g)
    fixed.policy_update(obs, actions, advantages)
    np.testing.assert_allclose(fixed.policy.get_parameters(), expected, rtol=1e-6, atol=1e-9)


def test_non_finite_gradient_skips_the_update_and_keeps_the_policy():
    agent = TRPO("CartPole-v1", seed=0, n_envs=1)
    obs, actions, advantages = _batch(agent, 0)
    advantages[3] = np.inf
    theta = agent.policy.get_parameters()
    row = agent.policy_update(obs, actions, advantages)
    assert row.skipped == "non-finite advantages" and not row.accepted
    np.testing.assert_array_equal(agent.policy.get_parameters(), theta)
    with pytest.raises(ValueError, match="must agree"):
        agent.policy_update(obs, actions, advantages[:-1])


class NaNAfterThreeSteps(gym.Env):
    observation_space = spaces.Box(-np.inf, np.inf, (2,))
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2), {}

    def step(self, action):
        self.t += 1
        obs = np.full(2, np.nan) if self.t == 3 else np.ones(2)
        return obs, 1.0, False, False, {}


def test_nan_observation_from_the_environment_is_a_clear_error():
    agent = TRPO(NaNAfterThreeSteps(), n_envs=1, n_steps=8, seed=0)
    theta = agent.policy.get_parameters()
    with pytest.raises(FloatingPointError, match="non-finite observation.*step 2"):
        agent.learn(8, progress_bar=False)
    np.testing.assert_array_equal(agent.policy.get_parameters(), theta)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_kl": 0.0}, "max_kl"),
        ({"gamma": 1.5}, "gamma"),
        ({"cg_iters": 0}, "cg_iters"),
        ({"fisher_subsample": 0.0}, "fisher_subsample"),
        ({"n_envs": 0}, "n_envs"),
        ({"cg_damping": -1.0}, "cg_damping"),
        ({"backtrack_coeff": 1.5}, "backtrack_coeff"),
        ({"vf_max_change": 0.0}, "vf_max_change"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TRPO("CartPole-v1", **kwargs)


@pytest.mark.parametrize(
    "config, kwargs, match",
    [
        ("TRPOConfig", {"max_backtracks": 2.0}, "max_backtracks must be a positive integer"),
        ("TRPOConfig", {"cg_iters": True}, "cg_iters"),
        ("TRPOConfig", {"hidden_sizes": (64, 0)}, "hidden_sizes\\[1\\]"),
        ("TRPOConfig", {"activation": "sigmoid"}, "activation"),
        ("TRPOConfig", {"seed": -1}, "seed"),
        ("NPGConfig", {"step_size": -0.1}, "step_size"),
        ("NPGConfig", {"target_kl": float("inf")}, "target_kl"),
    ],
)
def test_configs_name_the_bad_parameter(config, kwargs, match):
    import rl_adapters

    with pytest.raises(ValueError, match=match):
        getattr(rl_adapters, config)(**kwargs)


def test_configs_are_the_one_source_of_defaults_and_checkpoint_keys():
    import dataclasses
    import inspect

    from rl_adapters import NPGConfig, TRPOConfig

    for agent, config in ((TRPO, TRPOConfig), (NPG, NPGConfig)):
        signature = inspect.signature(agent).parameters
        for field in dataclasses.fields(config):  # help(TRPO) shows every default
            assert signature[field.name].default == field.default
            assert signature[field.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert agent.HYPERPARAMETERS == config.names()
    assert NPGConfig().target_kl == 0.01 and NPGConfig(step_size=0.1).target_kl is None
    agent = NPG("CartPole-v1", n_steps=32, hidden_sizes=[8])
    assert agent.config == NPGConfig(n_steps=32, hidden_sizes=(8,), n_envs=2)
    assert agent.hyperparameters["hidden_sizes"] == [8]  # JSON-ready
    with pytest.raises(dataclasses.FrozenInstanceError):
        agent.config.max_kl = 1.0


def test_a_policy_missing_protocol_members_is_named():
    from rl_adapters import MLPPolicy, Policy, check_policy

    class Partial:
        obs_dim, num_parameters = 4, 3

        def act(self, obs, rng, deterministic=False):
            return np.zeros(len(obs), dtype=int)

    with pytest.raises(
        ValueError,
        match="no 'action_space', 'get_parameters', 'set_parameters', 'evaluate', 'config'",
    ):
        TRPO("CartPole-v1", policy=Partial())
    env = gym.make("CartPole-v1")
    policy = MLPPolicy(env.observation_space, env.action_space)
    assert check_policy(policy) is policy
    assert set(Policy.__annotations__) <= set(vars(policy))


def test_the_command_line_offers_the_registered_algorithms(capsys):
    from rl_adapters import ALGORITHMS

    with pytest.raises(SystemExit):
        cli(["train", "--help"])
    usage = capsys.readouterr().out
    assert "{" + ",".join(sorted(ALGORITHMS)) + "}" in usage
    assert {name: agent.algorithm for name, agent in ALGORITHMS.items()} == {
        "trpo": "TRPO",
        "npg": "NPG",
    }


class MultiDiscreteActions(NaNAfterThreeSteps):
    action_space = spaces.MultiDiscrete([2, 2])


def test_a_policy_for_another_environment_is_refused():
    from rl_adapters import MLPPolicy

    other = gym.make("Acrobot-v1")
    with pytest.raises(ValueError, match="policy: made for observations of width 6"):
        TRPO("CartPole-v1", policy=MLPPolicy(other.observation_space, other.action_space))


def test_a_second_learn_continues_the_log(tmp_path):
    log = tmp_path / "log.csv"
    agent = TRPO("CartPole-v1", n_steps=32, seed=0, log_path=str(log))
    agent.learn(64, progress_bar=False).learn(64, progress_bar=False, reset_num_timesteps=False)
    with open(log, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["iteration"]) for r in rows] == [1, 2]
    assert [int(r["timesteps"]) for r in rows] == [64, 128]


def test_unsupported_spaces_are_refused():
    with pytest.raises(ValueError, match="action_space must be"):
        TRPO(MultiDiscreteActions())
    with pytest.raises(ValueError, match="observation_space must be"):
        TRPO(gym.make("Blackjack-v1"))  # a Tuple of Discrete observations
    with pytest.raises(ValueError, match="n_envs"):
        TRPO(MultiDiscreteActions(), n_envs=2)
    with pytest.raises(ValueError, match="give step_size or target_kl"):
        NPG("CartPole-v1", step_size=0.1, target_kl=0.01)


def test_save_and_load_reproduce_the_agent_exactly(tmp_path):
    agent = TRPO("Pendulum-v1", seed=3, n_steps=128, fisher_subsample=0.5)
    agent.learn(256, progress_bar=False)
    path = tmp_path / "agent.npz"
    agent.save(path)
    assert sorted(os.listdir(tmp_path)) == ["agent.npz"]  # no temporary left behind
    loaded = TRPO.load(path)
    obs = np.random.default_rng(0).standard_normal((50, 3))
    np.testing.assert_array_equal(loaded.predict(obs), agent.predict(obs))
    np.testing.assert_array_equal(loaded.policy.get_parameters(), agent.policy.get_parameters())
    np.testing.assert_array_equal(loaded.value(obs), agent.value(obs))
    assert loaded.hyperparameters == agent.hyperparameters
    assert loaded.num_timesteps == agent.num_timesteps == 256
    # the stochastic policy too, given the same random stream
    loaded.rng, agent.rng = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(
        loaded.predict(obs, deterministic=False), agent.predict(obs, deterministic=False)
    )
    with pytest.raises(ValueError, match="holds a TRPO agent, not NPG"):
        NPG.load(path)
    assert isinstance(OnPolicyAgent.load(path), TRPO)


def test_value_fit_decreases_the_loss_and_explains_a_smooth_target():
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((400, 3))
    targets = np.sin(obs[:, 0]) + obs[:, 1] ** 2
    value = ValueFunction(3, (32, 32), iterations=40, seed=0)
    fit = value.fit(obs, targets)
    assert fit.steps == 40 and fit.loss_after < 0.2 * fit.loss_before
    refit = value.fit(obs, targets)
    assert refit.explained_variance > 0.8  # of the targets by V as it stood before the refit


@pytest.mark.parametrize("kappa", [0.05, 0.2])
def test_value_step_keeps_the_predictions_within_the_function_space_region(kappa):
    """½ mean(ΔV²) ≤ ½ κ σ² to first order: checked on the true change, with room for the
    second-order term."""
    rng = np.random.default_rng(1)
    obs = rng.standard_normal((300, 4))
    targets = 10.0 * np.tanh(obs[:, 0]) + 3.0
    value = ValueFunction(4, (16,), iterations=1, max_change=kappa, seed=1)
    before = value(obs)
    sigma2 = np.mean((before - targets) ** 2)
    fit = value.fit(obs, targets)
    assert fit.limited and fit.loss_after < fit.loss_before
    assert np.mean((value(obs) - before) ** 2) <= 1.2 * kappa * sigma2


def test_logs_every_column_and_cli_trains_and_evaluates(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        cli(
            [
                "train",
                "npg",
                "CartPole-v1",
                "--timesteps",
                "1024",
                "--seed",
                "1",
                "--out",
                str(out),
                "--quiet",
                "--eval-episodes",
                "2",
            ]
        )
        == 0
    )
    assert sorted(os.listdir(out)) == [
        "learning_curve.png",
        "model.npz",
        "progress.csv",
        "summary.json",
    ]
    with open(out / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1
    assert float(rows[0]["time_sampling"]) > 0 and rows[0]["cg_iterations"] == "10"
    assert cli(["evaluate", str(out), "--episodes", "2"]) == 0
    assert "NPG CartPole-v1: return" in capsys.readouterr().out


def test_progress_bar_and_callback_stop():
    agent = TRPO("CartPole-v1", seed=0, n_steps=64)
    seen = []
    agent.learn(
        10_000,
        progress_bar=True,
        callback=lambda a, row: seen.append(row["iteration"]) or len(seen) < 2,
    )
    assert seen == [1, 2] and agent.num_timesteps == 256


def test_trpo_learns_cartpole():
    """Short runs end far above a random policy's return of about 22. One seeded run is
    chaotic at the rounding level (a BLAS with another thread count or summation order
    moved seed 0 from 208 to 494, and seed 1 ends at 178 where seeds 2-5 reach 500), so
    the claim is made of the median of five seeds, which one unlucky run cannot sink."""
    returns = []
    for seed in range(5):
        agent = TRPO("CartPole-v1", seed=seed)
        agent.learn(25_000, progress_bar=False)
        returns.append(agent.evaluate(5, seed=0)[0])
    assert np.median(returns) >= 150.0, returns


def test_without_observation_normalisation_the_policy_sees_raw_observations():
    agent = TRPO("Pendulum-v1", normalize_obs=False, n_steps=32, seed=0)
    seen = []
    original = agent.policy.act
    agent.policy.act = lambda obs, rng, deterministic=False: (
        seen.append(obs) or original(obs, rng, deterministic)
    )
    agent.learn(64, progress_bar=False)
    assert agent.normalizer.count == 0
    # the environment's float32 observations, not rescaled ones
    observed = np.concatenate(seen)
    np.testing.assert_array_equal(observed, observed.astype(np.float32))


def test_update_phases_are_disjoint():
    from rl_adapters import trpo_update
    from rl_adapters.logger import PhaseTimer

    agent = TRPO("Pendulum-v1", seed=0, n_envs=1)
    obs, actions, advantages = _batch(agent, 3, n=2000)
    timer = PhaseTimer()
    start = time.perf_counter()
    trpo_update(
        agent.policy,
        obs,
        actions,
        advantages,
        fisher_subsample=0.5,
        rng=np.random.default_rng(0),
        timer=timer,
    )
    total = time.perf_counter() - start
    assert set(timer.seconds) == {"gradient", "cg", "line_search"}
    assert all(seconds > 0 for seconds in timer.seconds.values())
    assert sum(timer.seconds.values()) <= total  # the phases are disjoint: none counted twice
