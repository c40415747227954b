"""TRPO and NPG agents: on-policy actor-critics with a Stable-Baselines3-like surface.

Both share everything but the policy update (:mod:`rl_adapters.updates`): sampling
(:mod:`rl_adapters.rollouts`), GAE, the value fit, logging and checkpoints.
"""

import dataclasses
import inspect
import math
import os
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from trustregion._validation import check_positive_int

from .advantages import gae, standardize
from .checkpoints import read_checkpoint, write_checkpoint
from .configs import NPGConfig, OnPolicyConfig, TRPOConfig
from .logger import IterationLogger, PhaseTimer
from .mlp import MLP
from .normalization import RunningNormalizer
from .policies import MLPPolicy, Policy, check_policy
from .rollouts import RolloutCollector, env_id, make_vector_env
from .spaces import check_spaces, describe, space_summary, to_env_actions
from .updates import UpdateStats, npg_update, trpo_update
from .value import ValueFunction

_FORMAT_VERSION = 1


def _agent_signature(config: type[OnPolicyConfig]) -> inspect.Signature:
    """(env, policy=None, *, every field of ``config`` with its default, log_path=None,
    verbose=0): an agent's constructor as its users call it."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature(
        [
            inspect.Parameter("env", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(
                "policy",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None,
                annotation=Policy | None,
            ),
            *(
                inspect.Parameter(f.name, keyword, default=f.default, annotation=f.type)
                for f in dataclasses.fields(config)
            ),
            inspect.Parameter("log_path", keyword, default=None, annotation=str | None),
            inspect.Parameter("verbose", keyword, default=0, annotation=int),
        ]
    )


class OnPolicyAgent:
    """What TRPO and NPG share; subclasses set :attr:`Config` and define
    :meth:`policy_update`.

    The keyword arguments of a subclass are the fields of its :attr:`Config`, which the
    constructor builds (and so checks) before anything else; ``config`` is that record,
    with ``n_envs`` the count the agent runs. The hyper-parameters common to both
    algorithms are described in :class:`~rl_adapters.configs.OnPolicyConfig`.
    """

    algorithm = ""
    Config: type[OnPolicyConfig] = OnPolicyConfig
    # The keys of ``hyperparameters``: what a checkpoint records and load() passes back.
    HYPERPARAMETERS = OnPolicyConfig.names()
    # Set on each subclass (below): the constructor's keyword arguments, spelled out.
    __signature__: ClassVar[inspect.Signature]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.HYPERPARAMETERS = cls.Config.names()
        # The keyword arguments are the Config's fields, taken as **hyperparameters: this
        # signature spells them out, with their defaults, for help() and inspect, so that
        # the defaults have one source.
        cls.__signature__ = _agent_signature(cls.Config)

    def __init__(
        self,
        env: Any,
        policy: Policy | None = None,
        *,
        log_path: str | None = None,
        verbose: int = 0,
        **hyperparameters: Any,
    ) -> None:
        requested = self.Config(**hyperparameters)  # checked before any environment is made
        self.env = make_vector_env(env, requested.n_envs, requested.seed)
        self.env_id = env_id(self.env)
        config = self.config = dataclasses.replace(requested, n_envs=self.env.num_envs)
        obs_space, action_space = self.env.single_observation_space, self.env.single_action_space
        self.policy = (
            check_policy(policy)
            if policy is not None
            else MLPPolicy(
                obs_space, action_space, config.hidden_sizes, config.activation, seed=config.seed
            )
        )
        if self.policy.action_space != action_space or self.policy.obs_dim != obs_space.shape[0]:
            raise ValueError(
                f"policy: made for observations of width {self.policy.obs_dim} "
                f"and actions {self.policy.action_space}, but the environment "
                f"has {obs_space.shape[0]} and {action_space}"
            )
        self.value = ValueFunction(
            obs_space.shape[0],
            config.hidden_sizes,
            config.activation,
            iterations=config.vf_iters,
            l2=config.vf_l2,
            max_change=config.vf_max_change,
            seed=None if config.seed is None else config.seed + 1,
        )
        self.normalizer = RunningNormalizer(obs_space.shape, clip=config.obs_clip)
        self.rng = np.random.default_rng(config.seed)
        self._collector: RolloutCollector | None = None
        self.iteration = 0
        self.num_timesteps = 0
        self.log_path, self.verbose = log_path, verbose

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """:attr:`config` as JSON-ready values (what a checkpoint records)."""
        return self.config.as_dict()

    # -- training -------------------------------------------------------------------------

    def learn(
        self,
        total_timesteps: int,
        callback: Callable[["OnPolicyAgent", dict[str, Any]], Any] | None = None,
        progress_bar: bool = True,
        reset_num_timesteps: bool = True,
    ) -> "OnPolicyAgent":
        """Train for ``total_timesteps`` environment steps (rounded up to whole batches of
        ``n_steps × n_envs``); returns ``self``.

        Parameters
        ----------
        total_timesteps : int
            Steps to train now, whatever was trained before.
        callback : callable, optional
            ``callback(agent, row)`` runs after each iteration with its log row;
            returning ``False`` stops training.
        progress_bar : bool
        reset_num_timesteps : bool
            As in Stable-Baselines3: True (the default) starts a new run, counting steps
            and iterations from 0 and writing the log afresh; False continues the run —
            of this agent, or of a loaded one — counting on from ``num_timesteps`` and
            appending to the log.
        """
        total_timesteps = check_positive_int(total_timesteps, "total_timesteps")
        config = self.config
        if self._collector is None:
            self._collector = RolloutCollector(
                self.env,
                self.policy,
                self.normalizer if config.normalize_obs else None,
                seed=config.seed,
            )
        if reset_num_timesteps:
            self.num_timesteps, self.iteration = 0, 0
        assert config.n_envs is not None  # the constructor sets the environment's count
        batch = config.n_steps * config.n_envs
        total_timesteps = -(-total_timesteps // batch) * batch
        logger = IterationLogger(self.log_path, console=self.verbose > 0, append=self.iteration > 0)
        bar = _progress_bar(total_timesteps) if progress_bar else None
        target = self.num_timesteps + total_timesteps
        try:
            while self.num_timesteps < target:
                row = self._iteration()
                logger.log(row)
                if bar is not None:
                    bar.update(row["timesteps"] - bar.n - (target - total_timesteps))
                    bar.set_postfix(mean_return=row["mean_return"], refresh=False)
                if callback is not None and callback(self, row) is False:
                    break
        finally:
            logger.close()
            if bar is not None:
                bar.close()
        return self

    def _iteration(self) -> dict[str, Any]:
        config = self.config
        timer = PhaseTimer()
        collector = self._collector
        assert collector is not None  # learn() makes it before the first iteration
        with timer.phase("sampling"):
            batch = collector.collect(config.n_steps, self.value)
        # Counted here, not by the collector: a loaded agent's collector starts at 0.
        self.num_timesteps += batch.rewards.size
        advantages, returns = gae(
            batch.rewards,
            batch.values,
            batch.next_values,
            batch.terminated,
            batch.truncated,
            config.gamma,
            config.gae_lambda,
        )
        row = self.policy_update(
            batch.obs, batch.actions, standardize(advantages).reshape(-1), timer
        ).as_row()
        with timer.phase("value"):
            fit = self.value.fit(batch.obs, returns.reshape(-1))
        self.iteration += 1
        episodes = collector
        row.update(
            iteration=self.iteration,
            timesteps=self.num_timesteps,
            episodes=len(episodes.episode_returns),
            mean_return=float(np.mean(episodes.episode_returns))
            if episodes.episode_returns
            else math.nan,
            mean_length=float(np.mean(episodes.episode_lengths))
            if episodes.episode_lengths
            else math.nan,
            explained_variance=fit.explained_variance,
            value_loss=fit.loss_after,
            skipped="; ".join(
                reason
                for reason in (row["skipped"], fit.skipped and f"value fit: {fit.skipped}")
                if reason
            ),
            **{
                f"time_{name}": timer.seconds.get(name, 0.0)
                for name in ("sampling", "gradient", "cg", "line_search", "value")
            },
        )
        return row

    # The update function of the subclass's algorithm (trpo_update or npg_update).
    update: Callable[..., UpdateStats]

    def policy_update(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        advantages: np.ndarray,
        timer: PhaseTimer | None = None,
    ) -> UpdateStats:
        """One policy update on a batch by the algorithm's ``update`` (see
        :func:`rl_adapters.updates.trpo_update` and :func:`~rl_adapters.updates.npg_update`),
        given every hyper-parameter of the config that it takes; returns what it did."""
        taken = inspect.signature(self.update).parameters
        options = {name: value for name, value in self.hyperparameters.items() if name in taken}
        return self.update(
            self.policy, obs, actions, advantages, rng=self.rng, timer=timer, **options
        )

    # -- using the policy -----------------------------------------------------------------

    def predict(self, obs: ArrayLike, deterministic: bool = True) -> np.ndarray:
        """The action for one observation, or actions for a batch (as the environment
        takes them: clipped to a Box), with the normaliser's current statistics."""
        obs = np.asarray(obs, dtype=np.float64)
        single = obs.ndim == 1
        batch = obs[None] if single else obs
        if batch.ndim != 2 or batch.shape[1] != self.env.single_observation_space.shape[0]:
            raise ValueError(
                f"obs must have shape ({self.env.single_observation_space.shape[0]},)"
                f" or (N, that); got {obs.shape}"
            )
        if not np.isfinite(batch).all():
            raise ValueError("obs must be finite")
        normalized = self.normalizer(batch) if self.config.normalize_obs else batch
        actions = to_env_actions(
            self.policy.act(normalized, self.rng, deterministic), self.policy.action_space
        )
        return actions[0] if single else actions

    def evaluate(
        self, n_episodes: int = 10, deterministic: bool = True, seed: int | None = None
    ) -> tuple[float, float]:
        """(mean, std) of the undiscounted return over ``n_episodes`` fresh episodes of a
        separate copy of the environment; the normaliser is not updated."""
        import gymnasium as gym

        n_episodes = check_positive_int(n_episodes, "n_episodes")
        if self.env_id is None:
            raise ValueError(
                "evaluate needs the environment's id (an env made without a "
                "registered spec cannot be copied)"
            )
        env = gym.make(self.env_id)
        returns = []
        try:
            for episode in range(n_episodes):
                obs, _ = env.reset(seed=None if seed is None else seed + episode)
                total, done = 0.0, False
                while not done:
                    obs, reward, terminated, truncated, _ = env.step(
                        self.predict(obs, deterministic)
                    )
                    total += float(reward)
                    done = terminated or truncated
                returns.append(total)
        finally:
            env.close()
        return float(np.mean(returns)), float(np.std(returns))

    # -- checkpoints ----------------------------------------------------------------------

    def save(self, path: str) -> None:
        """A numpy ``.npz`` (no pickle): parameters, normaliser statistics and, as JSON,
        the algorithm, hyper-parameters, policy configuration, environment id and spaces.
        Missing folders are created; the file appears whole or not at all
        (:func:`rl_adapters.checkpoints.write_checkpoint`)."""
        meta = {
            "format": _FORMAT_VERSION,
            "algorithm": self.algorithm,
            "env_id": self.env_id,
            "hyperparameters": self.hyperparameters,
            "policy": self.policy.config(),
            "iteration": self.iteration,
            "num_timesteps": self.num_timesteps,
            "spaces": {
                "observation": space_summary(self.env.single_observation_space),
                "action": space_summary(self.env.single_action_space),
            },
        }
        arrays = {
            "policy_parameters": self.policy.get_parameters(),
            "value_parameters": self.value.theta,
            **{f"normalizer_{k}": v for k, v in self.normalizer.state().items()},
        }
        write_checkpoint(path, meta, arrays)

    @classmethod
    def load(
        cls,
        path: str,
        env: Any = None,
        policy: Policy | None = None,
        *,
        log_path: str | None = None,
        verbose: int = 0,
    ) -> "OnPolicyAgent":
        """The agent saved at ``path``.

        The file is untrusted data: it is read without unpickling, every entry is checked
        (a ``ValueError`` names the file and the entry), and it sets no path — the log
        goes to ``log_path``, given here.

        Parameters
        ----------
        path : str or os.PathLike
        env : str, gymnasium.Env or gymnasium.vector.VectorEnv, optional
            Default: the saved id, made with the saved number of copies. An id with a
            module prefix (``"module:Env"``, which makes gymnasium import the module) is
            only made when passed here. It must have the saved observation and action
            spaces.
        policy : optional
            A built-in policy is rebuilt from its configuration; for any other (a
            :class:`~rl_adapters.torch.TorchPolicy`) pass one built as the saved one
            was, and the saved parameters are loaded into it.
        log_path, verbose
            As for the constructor.
        """
        path = os.fspath(path)
        meta, arrays = read_checkpoint(path, _ARRAYS)
        algorithm, hyperparameters = _checked_meta(meta, path, cls)
        kind = meta["policy"].get("kind")
        if policy is None and kind != "mlp":
            raise ValueError(
                f"{path} holds a {kind!r} policy: pass policy=, built as the saved one was"
            )
        if policy is not None and check_policy(policy).config().get("kind") != kind:
            raise ValueError(f"{path} holds a {kind!r} policy, not the one passed")
        if env is None:
            env = _saved_env_id(meta["env_id"], path)
        # The caller's Env or VectorEnv runs as many copies as it has; an id, the saved count.
        n_envs = hyperparameters["n_envs"] if isinstance(env, str) else None
        try:
            vector_env = make_vector_env(env, n_envs, hyperparameters["seed"])
            _check_saved_spaces(meta.get("spaces"), vector_env)
            _check_network_sizes(
                meta["policy"] if policy is None else policy, hyperparameters, vector_env, arrays
            )
            agent = algorithm(
                vector_env,
                policy,
                **{**hyperparameters, "n_envs": None},
                log_path=log_path,
                verbose=verbose,
            )
            if policy is None:
                agent.policy = MLPPolicy.from_config(
                    meta["policy"],
                    agent.env.single_observation_space,
                    agent.env.single_action_space,
                )
        except KeyError as exc:  # a configuration the metadata checks do not cover
            raise ValueError(f"{path}: the metadata has no entry {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        agent._restore(arrays, meta, path)
        return agent

    def _restore(self, arrays: dict[str, np.ndarray], meta: dict[str, Any], path: str) -> None:
        """Set the parameters, normaliser and counters from a checked checkpoint."""
        obs_shape = self.env.single_observation_space.shape
        expected = {
            "policy_parameters": (self.policy.num_parameters,),
            "value_parameters": self.value.theta.shape,
            "normalizer_mean": obs_shape,
            "normalizer_var": obs_shape,
            "normalizer_count": (),
            "normalizer_clip": (),
        }
        for key, shape in expected.items():
            if arrays[key].shape != shape:
                raise ValueError(
                    f"{path}: {key} has shape {arrays[key].shape}; this agent's has {shape}"
                )
        for key, ok, what in (
            ("normalizer_var", (arrays["normalizer_var"] >= 0).all(), "non-negative"),
            (
                "normalizer_count",
                arrays["normalizer_count"] >= 0,
                "non-negative (0 before any sampling)",
            ),
            ("normalizer_clip", arrays["normalizer_clip"] > 0, "positive"),
        ):
            if not ok:
                raise ValueError(f"{path}: {key} must be {what}")
        self.policy.set_parameters(arrays["policy_parameters"])
        self.value.theta = arrays["value_parameters"].copy()
        self.normalizer = RunningNormalizer.from_state(
            {k[len("normalizer_") :]: arrays[k] for k in _ARRAYS if k.startswith("normalizer_")}
        )
        self.iteration, self.num_timesteps = meta["iteration"], meta["num_timesteps"]


class TRPO(OnPolicyAgent):
    """Trust Region Policy Optimization (Schulman et al. 2015), with GAE advantages
    (Schulman et al. 2016) and a Gauss–Newton-fitted value function.

    Each update maximises the surrogate L(θ) = mean(π_θ/π_old · Â) subject to the mean
    KL(π_old ‖ π_θ) ≤ δ: the linear model of L in the Fisher ellipsoid ½ sᵀ(F + λI)s ≤ δ,
    solved by CG, then backtracking until L improves and the true KL bound holds
    (:func:`rl_adapters.updates.trpo_update`).

    Parameters
    ----------
    env : str, gymnasium.Env or gymnasium.vector.VectorEnv
        An environment id (``n_envs`` copies are made), an environment (``n_envs=1``),
        or a vector environment with ``autoreset_mode=SAME_STEP``.
    policy : Policy, optional
        An object implementing :class:`rl_adapters.policies.Policy`; default an
        :class:`MLPPolicy` with ``hidden_sizes`` and ``activation``.
    log_path : str or None
        Where the per-iteration CSV goes.
    verbose : int
        1 prints a line per iteration.
    **hyperparameters
        The fields of :class:`~rl_adapters.configs.TRPOConfig` (δ = ``max_kl``, the line
        search's ``backtrack_coeff`` and ``max_backtracks``, and those of
        :class:`~rl_adapters.configs.OnPolicyConfig`), each with its default and the
        reason for it there; the signature lists them all.
    """

    algorithm = "TRPO"
    Config = TRPOConfig
    update = staticmethod(trpo_update)


class NPG(OnPolicyAgent):
    """The natural policy gradient (Kakade 2001; Rajeswaran et al. 2017): θ ← θ + s with
    s = α (F + λI)⁻¹ g by CG, and no line search.

    Exactly one of ``step_size`` (α) and ``target_kl`` (α chosen so that the quadratic
    model ½ sᵀ(F + λI)s of the KL equals it; the default, 0.01) is used
    (:class:`~rl_adapters.configs.NPGConfig`). The other parameters are :class:`TRPO`'s.
    """

    algorithm = "NPG"
    Config = NPGConfig
    update = staticmethod(npg_update)


# The algorithms by name: the command line's choices, and (by their ``algorithm``) what a
# checkpoint may hold.
ALGORITHMS: dict[str, type[OnPolicyAgent]] = {"trpo": TRPO, "npg": NPG}
# The arrays of a checkpoint (besides its JSON metadata).
_ARRAYS = (
    "policy_parameters",
    "value_parameters",
    "normalizer_mean",
    "normalizer_var",
    "normalizer_count",
    "normalizer_clip",
)
_COUNTERS = ("iteration", "num_timesteps")


def _checked_meta(
    meta: dict[str, Any], path: str, cls: type[OnPolicyAgent]
) -> tuple[type[OnPolicyAgent], dict[str, Any]]:
    """(agent class, hyper-parameters) of a checkpoint's metadata, after checking every
    field that :meth:`OnPolicyAgent.load` uses."""
    missing = [
        k
        for k in ("format", "algorithm", "env_id", "hyperparameters", "policy", *_COUNTERS)
        if k not in meta
    ]
    if missing:
        raise ValueError(f"{path}: the metadata has no {', '.join(missing)}")
    if meta["format"] != _FORMAT_VERSION:
        raise ValueError(f"{path}: unknown checkpoint format {meta['format']!r}")
    algorithm = next(
        (agent for agent in ALGORITHMS.values() if agent.algorithm == meta["algorithm"]), None
    )
    if algorithm is None or not issubclass(algorithm, cls):
        raise ValueError(f"{path} holds a {meta['algorithm']} agent, not {cls.__name__}")
    for key in _COUNTERS:
        if isinstance(meta[key], bool) or not isinstance(meta[key], int) or meta[key] < 0:
            raise ValueError(f"{path}: {key} must be a non-negative integer, got {meta[key]!r}")
    if meta["env_id"] is not None and not isinstance(meta["env_id"], str):
        raise ValueError(f"{path}: env_id must be a string or null, got {meta['env_id']!r}")
    if not isinstance(meta["policy"], dict):
        raise ValueError(f"{path}: policy must be a JSON object, got {meta['policy']!r}")
    hyperparameters = meta["hyperparameters"]
    if not isinstance(hyperparameters, dict):
        raise ValueError(
            f"{path}: hyperparameters must be a JSON object, got {type(hyperparameters).__name__}"
        )
    # Exactly the saved hyper-parameters: an extra key such as log_path would otherwise
    # reach the constructor, and a checkpoint must not choose where anything is written.
    unknown = sorted(set(hyperparameters) - set(algorithm.HYPERPARAMETERS))
    absent = [k for k in algorithm.HYPERPARAMETERS if k not in hyperparameters]
    if unknown or absent:
        raise ValueError(
            f"{path}: hyperparameters "
            + (f"not taken from a checkpoint: {unknown}" if unknown else f"missing: {absent}")
        )
    return algorithm, hyperparameters


def _saved_env_id(saved: Any, path: str) -> str | None:
    """The saved environment id, unless it would make gymnasium import a module."""
    if saved is None:
        raise ValueError(f"{path} has no environment id; pass env=")
    if ":" in saved:
        raise ValueError(
            f"{path} names the environment {saved!r}, whose module prefix "
            f"gymnasium would import: pass env= (the id or an environment) "
            f"to load it"
        )
    return saved


def _check_saved_spaces(saved: Any, vector_env: Any) -> None:
    """That ``vector_env`` has the spaces the checkpoint was saved with, in words."""
    if saved is None:  # a checkpoint from before spaces were recorded
        return
    if not isinstance(saved, dict):
        raise ValueError(f"spaces must be a JSON object, got {saved!r}")
    for name, space in (
        ("observation", vector_env.single_observation_space),
        ("action", vector_env.single_action_space),
    ):
        actual = space_summary(space)
        if saved.get(name) != actual:
            raise ValueError(
                f"the agent was saved for {name}s in {describe(saved.get(name))}"
                f", but the environment's {name} space is {describe(actual)}"
            )


def _check_network_sizes(
    policy: Any, hyperparameters: dict[str, Any], vector_env: Any, arrays: dict[str, np.ndarray]
) -> None:
    """That the saved parameter vectors fit the networks the metadata describes, before
    any network is built (a forged hidden size must not make us allocate gigabytes)."""
    obs_dim, action_dim, continuous = check_spaces(
        vector_env.single_observation_space, vector_env.single_action_space
    )
    value = MLP((obs_dim, *hyperparameters["hidden_sizes"], 1)).size
    if isinstance(policy, dict):
        outputs = action_dim if continuous else int(vector_env.single_action_space.n)
        policy_size = MLP((obs_dim, *policy["hidden_sizes"], outputs)).size + (
            action_dim if continuous else 0
        )
    else:
        policy_size = policy.num_parameters
    for key, size in (("policy_parameters", policy_size), ("value_parameters", value)):
        if arrays[key].shape != (size,):
            raise ValueError(
                f"{key} has shape {arrays[key].shape}; the network the "
                f"checkpoint describes has ({size},)"
            )


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the progress bar is optional: train without it
        return None
    return tqdm(total=total, unit="step", dynamic_ncols=True)
