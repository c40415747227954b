"""Reinforcement-learning adapters: TRPO and NPG as thin compositions of
:func:`trustregion.constrained_step` and :func:`trustregion.natural_step`.

Everything RL-specific lives here: policies (:class:`MLPPolicy`, numpy), gymnasium
rollouts with observation normalisation, GAE, the value function, logging, checkpoints
and the ``python -m rl_adapters`` command line. Needs the ``rl`` extra (gymnasium).
"""

from trustregion import __version__ as __version__  # one version for both packages

from .advantages import gae, standardize
from .agents import ALGORITHMS, NPG, TRPO, OnPolicyAgent
from .configs import NPGConfig, OnPolicyConfig, TRPOConfig
from .normalization import RunningNormalizer
from .policies import Evaluation, MLPPolicy, Policy, PolicyEvaluation, check_policy
from .updates import UpdateStats, npg_update, trpo_update
from .value import ValueFunction, explained_variance

__all__ = [
    "ALGORITHMS",
    "Evaluation",
    "MLPPolicy",
    "NPG",
    "NPGConfig",
    "OnPolicyAgent",
    "OnPolicyConfig",
    "Policy",
    "PolicyEvaluation",
    "RunningNormalizer",
    "TRPO",
    "TRPOConfig",
    "UpdateStats",
    "ValueFunction",
    "check_policy",
    "explained_variance",
    "gae",
    "npg_update",
    "standardize",
    "trpo_update",
]
