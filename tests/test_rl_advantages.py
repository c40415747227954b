"""GAE on a tiny deterministic environment, truncation included; the normaliser."""

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium import spaces  # noqa: E402
from gymnasium.vector import AutoresetMode, SyncVectorEnv  # noqa: E402
from gymnasium.wrappers import TimeLimit  # noqa: E402

from rl_adapters import RunningNormalizer, explained_variance, gae, standardize  # noqa: E402
from rl_adapters.rollouts import RolloutCollector  # noqa: E402


class Counter(gym.Env):
    """Observation k = steps taken in the episode, reward 1 per step; terminates when k
    reaches ``end`` (never when ``end`` is None). Actions are ignored."""

    observation_space = spaces.Box(-np.inf, np.inf, (1,))
    action_space = spaces.Discrete(2)

    def __init__(self, end=None):
        self.end = end
        self.k = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.k = 0
        return np.array([0.0]), {}

    def step(self, action):
        self.k += 1
        return np.array([float(self.k)]), 1.0, self.k == self.end, False, {}


class IgnoredPolicy:
    action_space = Counter.action_space

    def act(self, obs, rng, deterministic=False):
        return np.zeros(obs.shape[0], dtype=np.int64)


def _by_definition(deltas, ends, gamma, lam):
    """Aₜ = Σₖ (γλ)ᵏ δₜ₊ₖ over the rest of t's episode segment (ends inclusive)."""
    out = np.zeros_like(deltas)
    for t in range(deltas.shape[0]):
        k = t
        while True:
            out[t] += (gamma * lam) ** (k - t) * deltas[k]
            if ends[k] or k == deltas.shape[0] - 1:
                break
            k += 1
    return out


def test_gae_from_rollouts_bootstraps_on_truncation_not_termination():
    # Env 0 terminates after 3 steps; env 1 is cut by a time limit after 2.
    env = SyncVectorEnv(
        [lambda: Counter(end=3), lambda: TimeLimit(Counter(), 2)],
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    collector = RolloutCollector(env, IgnoredPolicy(), None, seed=0)  # raw observations
    value = lambda obs: 10.0 * obs[:, 0] + 1.0  # noqa: E731
    batch = collector.collect(5, value)
    gamma, lam = 0.9, 0.8
    advantages, returns = gae(
        batch.rewards,
        batch.values,
        batch.next_values,
        batch.terminated,
        batch.truncated,
        gamma,
        lam,
    )

    # The trajectories written out by hand: (sₜ, sₜ₊₁, terminated, truncated).
    steps = {
        0: [(0, 1, 0, 0), (1, 2, 0, 0), (2, 3, 1, 0), (0, 1, 0, 0), (1, 2, 0, 0)],
        1: [(0, 1, 0, 0), (1, 2, 0, 1), (0, 1, 0, 0), (1, 2, 0, 1), (0, 1, 0, 0)],
    }
    V = lambda s: 10.0 * s + 1.0  # noqa: E731
    for e, trajectory in steps.items():
        s, s_next, term, trunc = map(np.array, zip(*trajectory, strict=False))
        np.testing.assert_array_equal(batch.terminated[:, e], term.astype(bool))
        np.testing.assert_array_equal(batch.truncated[:, e], trunc.astype(bool))
        np.testing.assert_array_equal(batch.values[:, e], V(s))
        np.testing.assert_array_equal(batch.next_values[:, e], V(s_next))  # final obs kept
        deltas = 1.0 + gamma * (1 - term) * V(s_next) - V(s)
        expected = _by_definition(deltas, term | trunc, gamma, lam)
        np.testing.assert_allclose(advantages[:, e], expected, rtol=1e-14)
        np.testing.assert_allclose(returns[:, e], expected + V(s), rtol=1e-14)
    # one concrete value: env 0 at t = 2 terminates, so A = r - V(2) = 1 - 21
    assert advantages[2, 0] == -20.0
    # env 1 at t = 1 is truncated: A = r + γV(2) - V(1) = 1 + 18.9 - 11
    assert advantages[1, 1] == pytest.approx(8.9, rel=1e-14)
    # finished episodes in order: env 1 at t = 1, env 0 at t = 2, env 1 at t = 3
    assert list(collector.episode_returns) == [2.0, 3.0, 2.0]
    assert list(collector.episode_lengths) == [2, 3, 2]


@pytest.mark.kernels
def test_gae_kernel_on_a_hand_computed_column():
    rewards = np.ones((4, 1))
    values = np.zeros((4, 1))
    next_values = np.full((4, 1), 10.0)
    terminated = np.array([[0], [1], [0], [0]], bool)
    truncated = np.array([[0], [0], [1], [0]], bool)
    advantages, _ = gae(rewards, values, next_values, terminated, truncated, 0.5, 0.5)
    # t=3: 1 + 5 = 6 (end of data); t=2 truncated: 1 + 5 = 6; t=1 terminated: 1;
    # t=0: (1 + 5) + 0.25·1
    np.testing.assert_array_equal(advantages[:, 0], [6.25, 1.0, 6.0, 6.0])


def test_gae_validates_its_input():
    ok = np.zeros((3, 2))
    flags = np.zeros((3, 2), bool)
    with pytest.raises(ValueError, match="values must have the shape"):
        gae(ok, np.zeros((3, 1)), ok, flags, flags)
    with pytest.raises(ValueError, match="rewards must be finite"):
        gae(np.full((3, 2), np.nan), ok, ok, flags, flags)
    with pytest.raises(ValueError, match="gamma"):
        gae(ok, ok, ok, flags, flags, gamma=1.5)


def test_running_normalizer_matches_the_statistics_of_everything_seen():
    rng = np.random.default_rng(0)
    chunks = [rng.normal(3.0, 2.0, (n, 2)) for n in (1, 7, 50, 3)]
    normalizer = RunningNormalizer((2,))
    for chunk in chunks:
        normalizer.update(chunk)
    everything = np.concatenate(chunks)
    np.testing.assert_allclose(normalizer.mean, everything.mean(0), rtol=1e-12)
    np.testing.assert_allclose(normalizer.var, everything.var(0), rtol=1e-12)
    z = normalizer(everything)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-7)
    assert normalizer(np.array([[1e9, -1e9]])).tolist() == [[10.0, -10.0]]  # clipped
    restored = RunningNormalizer.from_state(normalizer.state())
    np.testing.assert_array_equal(restored(everything), z)


def test_standardize_and_explained_variance():
    a = np.array([1.0, 2.0, 3.0, 6.0])
    s = standardize(a)
    assert abs(s.mean()) < 1e-15 and s.std() == pytest.approx(1.0, rel=1e-6)
    assert explained_variance(a, a) == 1.0
    assert explained_variance(np.full(4, a.mean()), a) == 0.0
    assert np.isnan(explained_variance(a, np.ones(4)))
