"""Running observation normalisation."""

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from trustregion._validation import check_positive_scalar


class RunningNormalizer:
    """x ↦ clip((x - mean) / √(var + eps), -clip, clip), with the mean and variance of
    every observation seen so far (Chan, Golub & LeVeque's pairwise update, exact for any
    batch sizes).

    Parameters
    ----------
    shape : tuple
    clip : float
        The bound on normalised values (10, as in Stable-Baselines3's VecNormalize).
    eps : float
    """

    def __init__(self, shape: int | tuple[int, ...], clip: float = 10.0, eps: float = 1e-8) -> None:
        self.mean = np.zeros(shape)
        self.var = np.ones(shape)
        self.count = 0.0
        self.clip = check_positive_scalar(clip, "clip", allow_inf=True)
        self.eps = float(eps)

    def update(self, batch: ArrayLike) -> None:
        rows = np.asarray(batch, dtype=np.float64).reshape((-1, *self.mean.shape))
        n = rows.shape[0]
        if n == 0:
            return
        mean, var = rows.mean(axis=0), rows.var(axis=0)
        total = self.count + n
        delta = mean - self.mean
        m2 = self.var * self.count + var * n + delta * delta * self.count * n / total
        self.mean = self.mean + delta * n / total
        self.var = m2 / total
        self.count = total

    def __call__(self, x: ArrayLike) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / np.sqrt(self.var + self.eps)
        return np.clip(z, -self.clip, self.clip)

    def state(self) -> dict[str, np.ndarray]:
        return {
            "mean": self.mean.copy(),
            "var": self.var.copy(),
            "count": np.array(self.count),
            "clip": np.array(self.clip),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "RunningNormalizer":
        normalizer = cls(np.shape(state["mean"]), clip=float(state["clip"]))
        normalizer.mean = np.array(state["mean"], dtype=np.float64)
        normalizer.var = np.array(state["var"], dtype=np.float64)
        normalizer.count = float(state["count"])
        return normalizer
