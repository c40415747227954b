"""Which gymnasium spaces the built-in policies take, and the action conversion."""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def check_spaces(observation_space: Any, action_space: Any) -> tuple[int, int, bool]:
    """(obs_dim, action_dim, continuous) for a flat ``Box`` observation space and a 1-D
    ``Box`` or a ``Discrete`` action space; ``ValueError`` naming the space otherwise."""
    from gymnasium import spaces

    if not isinstance(observation_space, spaces.Box) or len(observation_space.shape) != 1:
        raise ValueError(
            f"observation_space must be a 1-D gymnasium Box (flatten image or "
            f"dict observations first), got {observation_space}"
        )
    return (observation_space.shape[0],) + check_action_space(action_space)


def check_action_space(action_space: Any) -> tuple[int, bool]:
    """(action_dim, continuous) for a 1-D ``Box`` or a ``Discrete`` action space (action_dim
    1 for Discrete); ``ValueError`` naming the space otherwise."""
    from gymnasium import spaces

    if isinstance(action_space, spaces.Discrete):
        if action_space.start != 0:
            raise ValueError(f"action_space: a Discrete space must start at 0, got {action_space}")
        return 1, False
    if isinstance(action_space, spaces.Box) and len(action_space.shape) == 1:
        return action_space.shape[0], True
    raise ValueError(
        f"action_space must be a gymnasium Discrete or a 1-D Box, got "
        f"{action_space} (MultiDiscrete, MultiBinary, Tuple and Dict are not "
        f"supported)"
    )


def to_env_actions(actions: ArrayLike, action_space: Any) -> np.ndarray:
    """What the environment is given: Gaussian samples clipped to the box (the policy's
    log-probabilities stay those of the unclipped samples, as in Stable-Baselines3), or
    the categories as integers."""
    from gymnasium import spaces

    if isinstance(action_space, spaces.Box):
        return np.clip(actions, action_space.low, action_space.high).astype(action_space.dtype)
    return np.asarray(actions, dtype=np.int64)


def space_summary(space: Any) -> dict[str, Any]:
    """What a checkpoint records of a space, as JSON: a ``Box``'s shape or a ``Discrete``'s
    number of categories (the bounds are the environment's business, not the policy's)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return {"box": list(space.shape)}
    if isinstance(space, spaces.Discrete):
        return {"discrete": int(space.n)}
    return {"other": str(space)}


def describe(summary: Any) -> str:
    """A :func:`space_summary` in words (any other value, as it is: it may come from an
    untrusted checkpoint)."""
    if isinstance(summary, dict) and isinstance(summary.get("box"), list):
        return f"a Box of shape {tuple(summary['box'])}"
    if isinstance(summary, dict) and "discrete" in summary:
        return f"Discrete({summary['discrete']})"
    return str(summary.get("other", summary)) if isinstance(summary, dict) else repr(summary)
