"""The policy protocol of TRPO and NPG, and the built-in policies: an MLP with a
diagonal-Gaussian head (``Box`` actions) or a categorical head (``Discrete`` actions), in
numpy, no PyTorch needed.

:class:`Policy` is what the agents and the updates take (:class:`MLPPolicy` and
:class:`rl_adapters.torch.TorchPolicy` implement it), and :class:`Evaluation` what its
``evaluate`` returns; :func:`check_policy` names what an object lacks.
"""

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from trustregion.operators import categorical_fisher_product, gaussian_fisher_diagonal

from .distributions import BatchDistribution, Categorical, DiagonalGaussian, _log_std
from .mlp import MLP
from .spaces import check_spaces

# Orthogonal-initialisation gain of the policy's output layer: small, so that the first
# policy is close to uniform (categorical) or centred with the initial σ (Gaussian), as
# in Stable-Baselines3 and the OpenAI baselines.
_POLICY_OUTPUT_GAIN = 0.01

_E = TypeVar("_E", bound="Evaluation")


class Evaluation(Protocol):
    """π_θ on a batch of observations, at one θ: what an update asks of it."""

    def log_prob(self, actions: np.ndarray) -> np.ndarray:
        """log π_θ(aᵢ|sᵢ), shape (N,)."""

    def entropy(self) -> np.ndarray:
        """The entropy of π_θ(·|sᵢ), shape (N,)."""

    def kl_from(self: "_E", other: "_E") -> float:
        """Mean over the batch of KL(other ‖ this), ``other`` an evaluation of the same
        policy (at another θ)."""

    def log_prob_gradient(self, actions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Σᵢ wᵢ ∇θ log π_θ(aᵢ|sᵢ), shape (P,)."""

    def fisher_product(self, v: np.ndarray) -> np.ndarray:
        """F v, F the mean Fisher matrix of the batch (the Hessian of the mean KL at θ),
        in Jᵀ M J form (Martens 2014, §9; Schulman et al. 2015, App. C)."""


class Policy(Protocol):
    """A parametric policy π_θ(a|s) over a flat parameter vector θ of ``num_parameters``
    entries, for observations of width ``obs_dim`` and actions in ``action_space``."""

    obs_dim: int
    action_space: Any
    num_parameters: int

    def get_parameters(self) -> np.ndarray:
        """A copy of θ."""

    def set_parameters(self, theta: np.ndarray) -> None:
        """Set θ (checked: shape (num_parameters,), finite)."""

    def act(
        self, obs: np.ndarray, rng: np.random.Generator, deterministic: bool = False
    ) -> np.ndarray:
        """Actions for a batch of observations (N, obs_dim)."""

    def evaluate(self, obs: np.ndarray, theta: np.ndarray | None = None) -> Evaluation:
        """π_θ on a batch (θ default the current parameters)."""

    def config(self) -> dict[str, Any]:
        """What a checkpoint records of the policy (``kind`` and its settings)."""


def check_policy(policy: Any) -> Policy:
    """``policy``, after checking that it has every member of :class:`Policy`; a
    ``ValueError`` names the missing ones."""
    members = [
        *Policy.__annotations__,
        *(
            name
            for name, value in vars(Policy).items()
            if callable(value) and not name.startswith("_")
        ),
    ]
    missing = [name for name in members if not hasattr(policy, name)]
    if missing:
        raise ValueError(
            f"policy must implement the policy protocol "
            f"(rl_adapters.policies.Policy); it has no "
            f"{', '.join(map(repr, missing))}"
        )
    return policy


def checked_parameters(theta: np.ndarray, size: int) -> np.ndarray:
    """θ as a new float64 vector, after checking its shape (size,) and finiteness."""
    theta = np.array(theta, dtype=np.float64)
    if theta.shape != (size,):
        raise ValueError(f"theta must have shape ({size},), got {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError("theta must be finite")
    return theta


class MLPPolicy:
    """π(a|s): an MLP maps the observation to the mean of a diagonal Gaussian with
    state-independent log-std (``Box`` actions) or to the logits of a categorical
    distribution (``Discrete`` actions).

    θ = (network parameters, log σ) for a Gaussian, the network parameters otherwise.

    Parameters
    ----------
    observation_space : gymnasium.spaces.Box
        A flat (1-D) box.
    action_space : gymnasium.spaces.Box or gymnasium.spaces.Discrete
        A 1-D box, or a discrete space.
    hidden_sizes : sequence of int
    activation : {"tanh", "relu"}
    log_std_init : float
        Initial log σ of every action dimension (Gaussian only).
    seed : int or None
        Seed of the initial parameters.
    """

    def __init__(
        self,
        observation_space: Any,
        action_space: Any,
        hidden_sizes: Sequence[int] = (64, 64),
        activation: str = "tanh",
        log_std_init: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.obs_dim, self.action_dim, self.continuous = check_spaces(
            observation_space, action_space
        )
        self.observation_space, self.action_space = observation_space, action_space
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        out = self.action_dim if self.continuous else int(action_space.n)
        self.net = MLP((self.obs_dim, *self.hidden_sizes, out), activation)
        self.log_std_init = float(log_std_init)
        if not np.isfinite(self.log_std_init):
            raise ValueError(f"log_std_init must be finite, got {log_std_init!r}")
        self.num_parameters = self.net.size + (self.action_dim if self.continuous else 0)
        theta = np.empty(self.num_parameters)
        theta[: self.net.size] = self.net.initial_parameters(
            np.random.default_rng(seed), _POLICY_OUTPUT_GAIN
        )
        theta[self.net.size :] = self.log_std_init
        self._theta = theta

    # -- parameters ---------------------------------------------------------------------

    def get_parameters(self) -> np.ndarray:
        return self._theta.copy()

    def set_parameters(self, theta: np.ndarray) -> None:
        self._theta = checked_parameters(theta, self.num_parameters)

    # -- acting ---------------------------------------------------------------------------

    def act(
        self, obs: np.ndarray, rng: np.random.Generator, deterministic: bool = False
    ) -> np.ndarray:
        """Actions for a batch of observations (N, obs_dim): float (N, d) samples of the
        Gaussian, unclipped (the environment wrapper clips to the box), or int (N,)
        categories; the mean or the most likely category when ``deterministic``."""
        out = self.net.output(self._theta[: self.net.size], np.asarray(obs, dtype=np.float64))
        if self.continuous:
            return DiagonalGaussian.sample(out, self._theta[self.net.size :], rng, deterministic)
        return Categorical.sample(out, rng, deterministic)

    def evaluate(self, obs: np.ndarray, theta: np.ndarray | None = None) -> "PolicyEvaluation":
        theta = self._theta if theta is None else np.asarray(theta, dtype=np.float64)
        return PolicyEvaluation(self, theta, np.asarray(obs, dtype=np.float64))

    # -- checkpoints ----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {
            "kind": "mlp",
            "hidden_sizes": list(self.hidden_sizes),
            "activation": self.net.activation,
            "log_std_init": self.log_std_init,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], observation_space: Any, action_space: Any
    ) -> "MLPPolicy":
        return cls(
            observation_space,
            action_space,
            hidden_sizes=config["hidden_sizes"],
            activation=config["activation"],
            log_std_init=config["log_std_init"],
        )


class PolicyEvaluation(BatchDistribution):
    """π_θ on a batch of observations: one forward pass, reused by every quantity below.

    ``fisher_product`` is (1/N) Σᵢ Jᵢᵀ Mᵢ Jᵢ v, Jᵢ the Jacobian of sample i's
    distribution parameters and Mᵢ their Fisher information (see
    :mod:`rl_adapters.distributions`); it equals the Hessian of the mean
    KL(π_θ ‖ π_θ') at θ' = θ (Schulman et al. 2015, App. C).
    """

    def __init__(self, policy: MLPPolicy, theta: np.ndarray, obs: np.ndarray) -> None:
        if obs.ndim != 2 or obs.shape[1] != policy.obs_dim:
            raise ValueError(f"obs must have shape (N, {policy.obs_dim}), got {obs.shape}")
        self.policy = policy
        self.net = policy.net
        self.continuous = policy.continuous
        self.n = obs.shape[0]
        self._weights = theta[: self.net.size]
        self._pass = self.net.forward(self._weights, obs)
        self.output = self._pass.output  # the mean, or the logits
        self.log_std = theta[self.net.size :] if policy.continuous else None
        self._probs: np.ndarray | None = None

    def log_prob_gradient(self, actions: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Σᵢ wᵢ ∇θ log π_θ(aᵢ|sᵢ), by one reverse pass."""
        weights = np.asarray(weights, dtype=np.float64)
        if self.policy.continuous:
            d_mean, d_log_std = DiagonalGaussian.log_prob_gradient(
                self.output, _log_std(self), actions, weights
            )
            return np.concatenate(
                [self.net.vjp(self._weights, self._pass, d_mean), d_log_std.sum(axis=0)]
            )  # log σ is shared by every state
        d_logits = Categorical.log_prob_gradient(self.output, actions, weights)
        return self.net.vjp(self._weights, self._pass, d_logits)

    def fisher_product(self, v: np.ndarray) -> np.ndarray:
        """(1/N) Jᵀ M J v: one forward-mode and one reverse-mode pass (:meth:`MLP.jtmj`),
        with M in closed form (:func:`trustregion.operators.categorical_fisher_product`,
        :func:`~trustregion.operators.gaussian_fisher_diagonal`)."""
        v = np.asarray(v, dtype=np.float64)
        size = self.net.size
        if self.policy.continuous:
            mean_weight, log_std_weight = gaussian_fisher_diagonal(self.log_std)
            scale = mean_weight / self.n

            def weigh(Jv: np.ndarray, rows: slice) -> np.ndarray:
                Jv *= scale
                return Jv

            mean_part = self.net.jtmj(self._weights, self._pass, v[:size], weigh)
            # log σ is the same parameter for every state: its Jᵢ are one selection, and
            # the mean of Jᵢᵀ M Jᵢ over the batch is M itself.
            return np.concatenate([mean_part, log_std_weight * v[size:]])
        if self._probs is None:
            self._probs = np.exp(Categorical.log_softmax(self.output))
        probs = self._probs

        def weigh_categorical(Jv: np.ndarray, rows: slice) -> np.ndarray:
            return categorical_fisher_product(probs[rows], Jv) / self.n

        return self.net.jtmj(self._weights, self._pass, v, weigh_categorical)
