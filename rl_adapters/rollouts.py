"""Sampling from gymnasium environments: vector environments, the rollout batch, and
episode statistics."""

from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from trustregion._validation import check_positive_int

from .normalization import RunningNormalizer
from .policies import Policy
from .spaces import to_env_actions


def make_vector_env(env: Any, n_envs: int | None = None, seed: int | None = None) -> Any:
    """A gymnasium ``VectorEnv`` that resets finished environments in the same step and
    reports their final observation in ``info["final_obs"]`` (``AutoresetMode.SAME_STEP``,
    gymnasium ≥ 1.1), which is what bootstrapping on truncation needs.

    ``env`` is an environment id (``n_envs`` copies, default 2), a ``gymnasium.Env``
    (``n_envs`` 1, its default), or a ``VectorEnv`` already in that autoreset mode
    (``n_envs`` its own count, the default).
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv

    if n_envs is not None:
        n_envs = check_positive_int(n_envs, "n_envs")
    if isinstance(env, VectorEnv):
        if n_envs is not None and n_envs != env.num_envs:
            raise ValueError(
                f"n_envs={n_envs} disagrees with the VectorEnv's {env.num_envs} environments"
            )
        if env.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError(
                "env: a VectorEnv must use autoreset_mode=AutoresetMode.SAME_STEP "
                "(the final observation is needed to bootstrap on truncation)"
            )
        return env
    if isinstance(env, str):
        spec_id = env
        return SyncVectorEnv(
            [lambda: gym.make(spec_id) for _ in range(n_envs or 2)],
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
    if isinstance(env, gym.Env):
        if n_envs not in (None, 1):
            raise ValueError(
                "env: a single Env instance can only run with n_envs=1; pass "
                "its id to run several copies"
            )
        return SyncVectorEnv([lambda: env], autoreset_mode=AutoresetMode.SAME_STEP)
    raise ValueError(f"env must be a gymnasium id, Env or VectorEnv, got {type(env).__name__}")


def env_id(vector_env: Any) -> str | None:
    """The id of the environments in ``vector_env``, or None."""
    spec = getattr(vector_env, "spec", None) or getattr(
        getattr(vector_env, "envs", [None])[0], "spec", None
    )
    return getattr(spec, "id", None)


class Batch(NamedTuple):
    """T steps of E environments, flattened to N = T·E samples where per-sample."""

    obs: np.ndarray  # (N, obs_dim), normalised as the policy saw them (t-major)
    actions: np.ndarray  # (N, d) or (N,)
    rewards: np.ndarray  # (T, E)
    values: np.ndarray  # (T, E): V(sₜ)
    next_values: np.ndarray  # (T, E): V(sₜ₊₁), the final observation's where an episode ended
    terminated: np.ndarray  # (T, E)
    truncated: np.ndarray  # (T, E)


class RolloutCollector:
    """Runs the policy in a vector environment for T steps at a time.

    Observations are normalised by a :class:`RunningNormalizer`, updated with each new
    observation (or passed as they are when ``normalizer`` is None), and the statistics
    of finished episodes
    (undiscounted return and length) are kept for the last 100 episodes.
    """

    def __init__(
        self,
        vector_env: Any,
        policy: Policy,
        normalizer: RunningNormalizer | None,
        seed: int | None = None,
    ) -> None:
        self.env = vector_env
        self.policy = policy
        self.normalizer = normalizer
        self._normalize: Callable[[Any], np.ndarray] = (
            normalizer if normalizer is not None else _unchanged
        )
        self.rng = np.random.default_rng(seed)
        obs, _ = vector_env.reset(seed=seed)
        self._obs = self._checked(obs, "reset")
        self._returns = np.zeros(vector_env.num_envs)
        self._lengths = np.zeros(vector_env.num_envs, dtype=np.int64)
        self.episode_returns: deque[float] = deque(maxlen=100)
        self.episode_lengths: deque[int] = deque(maxlen=100)
        self.total_steps = 0

    @staticmethod
    def _checked(obs: Any, where: str) -> np.ndarray:
        obs = np.asarray(obs, dtype=np.float64)
        if not np.isfinite(obs).all():
            raise FloatingPointError(
                f"the environment returned a non-finite observation "
                f"(at {where}); the policy cannot act on it"
            )
        return obs

    def collect(self, n_steps: int, value: Callable[[np.ndarray], np.ndarray]) -> Batch:
        """``n_steps`` steps of every environment; ``value(obs)`` evaluates V on a batch of
        normalised observations."""
        E = self.env.num_envs
        obs_dim = self._obs.shape[1]
        seen = np.empty((n_steps, E, obs_dim))
        next_raw = np.empty((n_steps, E, obs_dim))
        actions = []
        rewards = np.empty((n_steps, E))
        terminated = np.empty((n_steps, E), dtype=bool)
        truncated = np.empty((n_steps, E), dtype=bool)
        for t in range(n_steps):
            if self.normalizer is not None:
                self.normalizer.update(self._obs)
            seen[t] = self._normalize(self._obs)
            action = self.policy.act(seen[t], self.rng)
            actions.append(action)
            obs, reward, term, trunc, info = self.env.step(
                to_env_actions(action, self.policy.action_space)
            )
            obs = self._checked(obs, f"step {self.total_steps + t}")
            reward = np.asarray(reward, dtype=np.float64)
            if not np.isfinite(reward).all():
                raise FloatingPointError(
                    f"the environment returned a non-finite reward at step {self.total_steps + t}"
                )
            rewards[t], terminated[t], truncated[t] = reward, term, trunc
            next_raw[t] = obs
            done = np.logical_or(term, trunc)
            if done.any():
                for e in np.flatnonzero(done):
                    next_raw[t, e] = self._checked(info["final_obs"][e], "an episode's end")
            self._track_episodes(reward, done)
            self._obs = obs
        self.total_steps += n_steps * E
        # The batch keeps each observation as the policy saw it, so that the update's
        # π_old is the distribution the actions were drawn from; values are computed after
        # the loop in two batched passes (the final observations normalised as of now).
        obs_n = seen.reshape(-1, obs_dim)
        values = value(obs_n).reshape(n_steps, E)
        next_values = value(self._normalize(next_raw.reshape(-1, obs_dim))).reshape(n_steps, E)
        return Batch(
            obs_n, np.concatenate(actions), rewards, values, next_values, terminated, truncated
        )

    def _track_episodes(self, reward: np.ndarray, done: np.ndarray) -> None:
        self._returns += reward
        self._lengths += 1
        for e in np.flatnonzero(done):
            self.episode_returns.append(float(self._returns[e]))
            self.episode_lengths.append(int(self._lengths[e]))
            self._returns[e] = 0.0
            self._lengths[e] = 0


def _unchanged(obs: Any) -> np.ndarray:
    return np.asarray(obs, dtype=np.float64)
