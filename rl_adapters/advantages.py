"""Advantage estimation and standardisation."""

import numpy as np
from numpy.typing import ArrayLike

from trustregion._validation import check_probability

from ._kernels import gae_backward


def gae(
    rewards: ArrayLike,
    values: ArrayLike,
    next_values: ArrayLike,
    terminated: ArrayLike,
    truncated: ArrayLike,
    gamma: float = 0.99,
    lam: float = 0.97,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimates and λ-returns (Schulman et al. 2016).

    Parameters
    ----------
    rewards, values, next_values : array_like, shape (T, E)
        rₜ, V(sₜ) and V(sₜ₊₁) for E environments over T steps, where sₜ₊₁ is the state
        the step led to: the final observation when the episode ended at t, not the
        first observation of the next episode.
    terminated, truncated : array_like of bool, shape (T, E)
        Termination (the MDP ended: no bootstrap) and time-limit truncation (the episode
        was cut: the estimate bootstraps on V(sₜ₊₁)); either ends the sum.
    gamma, lam : float
        Discount γ and GAE λ, in [0, 1].

    Returns
    -------
    advantages, returns : ndarray, shape (T, E)
        Aₜ, and the value targets Aₜ + V(sₜ).
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    shape = rewards.shape
    arrays: list[np.ndarray] = [
        np.ascontiguousarray(a, dtype=np.float64) for a in (values, next_values)
    ]
    flags: list[np.ndarray] = [
        np.ascontiguousarray(a, dtype=np.bool_) for a in (terminated, truncated)
    ]
    for name, a in zip(
        ("values", "next_values", "terminated", "truncated"), arrays + flags, strict=False
    ):
        if a.shape != shape or len(shape) != 2:
            raise ValueError(
                f"{name} must have the shape of rewards, (T, E) = {shape}; got {a.shape}"
            )
    for name, a in (("rewards", rewards), ("values", arrays[0]), ("next_values", arrays[1])):
        if not np.isfinite(a).all():
            raise ValueError(f"{name} must be finite")
    gamma, lam = check_probability(gamma, "gamma"), check_probability(lam, "lam")
    advantages = np.empty(shape)
    gae_backward(
        np.ascontiguousarray(rewards),
        arrays[0],
        arrays[1],
        flags[0],
        flags[0] | flags[1],
        gamma,
        lam,
        advantages,
    )
    return advantages, advantages + arrays[0]


def standardize(advantages: ArrayLike, eps: float = 1e-8) -> np.ndarray:
    """(A - mean) / (std + eps): the scale-free advantages of most TRPO and PPO codes,
    which make ``max_kl`` and step sizes transferable between tasks.

    Computed on A / max|A| (with eps / max|A|), the same quantity, so that advantages as
    large as 1e300 — whose squares overflow — are standardised too. Non-finite
    advantages give non-finite results, without a warning: the update reports them.
    """
    advantages = np.asarray(advantages, dtype=np.float64)
    scale = float(np.max(np.abs(advantages), initial=0.0))
    if not (np.isfinite(scale) and scale > 0.0):
        with np.errstate(invalid="ignore"):
            return (advantages - advantages.mean()) / (advantages.std() + eps)
    scaled = advantages / scale
    return (scaled - scaled.mean()) / (scaled.std() + eps / scale)
