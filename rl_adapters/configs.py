"""The hyper-parameters of TRPO and NPG as frozen, validated records.

An agent's keyword arguments (Stable-Baselines3's style) are built into one of these
records; its fields are also what a checkpoint records and what ``load`` passes back, so
the defaults, the checks and the checkpoint's keys have one source. Every check raises
``ValueError`` naming the parameter, through the shared checks of
:mod:`trustregion._validation` that the command lines use too.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from trustregion._validation import (
    check_nonnegative_int,
    check_nonnegative_scalar,
    check_positive_int,
    check_positive_scalar,
    check_probability,
)

from .mlp import check_activation

_T = TypeVar("_T")


@dataclass(frozen=True)
class OnPolicyConfig:
    """What TRPO and NPG share: sampling, advantages, the Fisher products and the value fit.

    Attributes
    ----------
    cg_iters : int
        CG iterations on F + λI per update (default 10, Schulman et al. 2015, App. D).
    cg_damping : float
        λ ≥ 0, the damping of the Fisher matrix (default 0.1, Schulman et al. 2015,
        App. D).
    fisher_subsample : float in (0, 1]
        The fraction of the batch the Fisher products use (default 1, the whole batch;
        Schulman et al. 2015, App. C, use a tenth to save time).
    gamma : float in [0, 1]
        The discount (default 0.99).
    gae_lambda : float in [0, 1]
        GAE's λ (default 0.97, within the range Schulman et al. 2016 found best).
    n_steps : int
        Steps per environment per iteration (default 512).
    n_envs : int or None
        Environments (default: 2 copies of an id, 1 for an Env, a VectorEnv's own count);
        an agent's record holds the count it runs.
    hidden_sizes : tuple of int
        The hidden widths of the policy's and the value function's networks (default
        (64, 64)).
    activation : {"tanh", "relu"}
    vf_iters, vf_l2, vf_max_change : int, float, float
        The value fit (:class:`~rl_adapters.value.ValueFunction`): trust-region
        Gauss–Newton steps per iteration (default 1), the L2 penalty (default 1e-3) and
        the region's size κ (default 0.2: the predictions' mean squared change at most κ
        times their mean squared error). One step with κ = 0.2 was measured better than
        fitting each batch further (5 or 20 parameter-space trust-region iterations, or 3
        such steps), which overfits the batch: CartPole-v1 seeds 0-5 evaluated at 500 in
        five of six runs at 100k steps, against two of three.
    normalize_obs, obs_clip : bool, float
        Running observation normalisation (default on), clipped to ±obs_clip (default 10,
        as Stable-Baselines3's VecNormalize).
    seed : int or None
        Seed of the environments, the initial networks and the agent's sampling.
    """

    cg_iters: int = 10
    cg_damping: float = 0.1
    fisher_subsample: float = 1.0
    gamma: float = 0.99
    gae_lambda: float = 0.97
    n_steps: int = 512
    n_envs: int | None = None
    hidden_sizes: tuple[int, ...] = (64, 64)
    activation: str = "tanh"
    vf_iters: int = 1
    vf_l2: float = 1e-3
    vf_max_change: float = 0.2
    normalize_obs: bool = True
    obs_clip: float = 10.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.hidden_sizes, (list, tuple)):
            raise ValueError(
                f"hidden_sizes must be a sequence of positive integers, got {self.hidden_sizes!r}"
            )
        self._set(
            cg_iters=check_positive_int(self.cg_iters, "cg_iters"),
            cg_damping=check_nonnegative_scalar(self.cg_damping, "cg_damping"),
            fisher_subsample=check_probability(
                self.fisher_subsample, "fisher_subsample", allow_zero=False
            ),
            gamma=check_probability(self.gamma, "gamma"),
            gae_lambda=check_probability(self.gae_lambda, "gae_lambda"),
            n_steps=check_positive_int(self.n_steps, "n_steps"),
            n_envs=_optional(check_positive_int, self.n_envs, "n_envs"),
            hidden_sizes=tuple(
                check_positive_int(h, f"hidden_sizes[{i}]") for i, h in enumerate(self.hidden_sizes)
            ),
            activation=check_activation(self.activation),
            vf_iters=check_positive_int(self.vf_iters, "vf_iters"),
            vf_l2=check_nonnegative_scalar(self.vf_l2, "vf_l2"),
            vf_max_change=check_positive_scalar(self.vf_max_change, "vf_max_change"),
            normalize_obs=bool(self.normalize_obs),
            obs_clip=check_positive_scalar(self.obs_clip, "obs_clip"),
            seed=_optional(check_nonnegative_int, self.seed, "seed"),
        )

    def _set(self, **values: Any) -> None:
        """Store the checked, normalised values (a frozen record's own ``__post_init__``)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The hyper-parameters' names: the keys a checkpoint records."""
        return tuple(f.name for f in fields(cls))

    def as_dict(self) -> dict:
        """The record as JSON-ready values (a checkpoint's ``hyperparameters``)."""
        values = asdict(self)
        values["hidden_sizes"] = list(self.hidden_sizes)
        return values


@dataclass(frozen=True)
class TRPOConfig(OnPolicyConfig):
    """TRPO's hyper-parameters (Schulman et al. 2015): :class:`OnPolicyConfig`'s and the
    step's.

    Attributes
    ----------
    max_kl : float
        δ > 0, the bound on the mean KL(π_old ‖ π_new) of an update (default 0.01,
        Schulman et al. 2015, App. D).
    backtrack_coeff : float in (0, 1]
        The line search's shrink factor (default 0.8, as sb3-contrib's TRPO).
    max_backtracks : int
        Its number of reductions (default 10, as sb3-contrib's TRPO).
    """

    max_kl: float = 0.01
    backtrack_coeff: float = 0.8
    max_backtracks: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set(
            max_kl=check_positive_scalar(self.max_kl, "max_kl"),
            backtrack_coeff=check_probability(
                self.backtrack_coeff, "backtrack_coeff", allow_zero=False
            ),
            max_backtracks=check_positive_int(self.max_backtracks, "max_backtracks"),
        )


# NPG's step is its KL target unless a step size is given (Rajeswaran et al. 2017, who
# normalise the step to a fixed KL, as TRPO's δ = 0.01).
_DEFAULT_TARGET_KL = 0.01


@dataclass(frozen=True)
class NPGConfig(OnPolicyConfig):
    """The natural policy gradient's hyper-parameters (Kakade 2001; Rajeswaran et al.
    2017): :class:`OnPolicyConfig`'s and the step's.

    Attributes
    ----------
    step_size : float or None
        α > 0 of the step s = α (F + λI)⁻¹g.
    target_kl : float or None
        The quadratic model ½ sᵀ(F + λI)s of the KL that α is chosen to give; 0.01 when
        neither this nor ``step_size`` is given. At most one of the two.
    """

    step_size: float | None = None
    target_kl: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.step_size is not None and self.target_kl is not None:
            raise ValueError("give step_size or target_kl, not both")
        target_kl = (
            _DEFAULT_TARGET_KL
            if self.step_size is None and self.target_kl is None
            else self.target_kl
        )
        self._set(
            step_size=_optional(check_positive_scalar, self.step_size, "step_size"),
            target_kl=_optional(check_positive_scalar, target_kl, "target_kl"),
        )


def _optional(check: Callable[[Any, str], _T], value: Any, name: str) -> _T | None:
    return None if value is None else check(value, name)
