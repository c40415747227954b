"""The two action distributions of the built-in policies, in closed form.

Each family is described by per-sample parameters ``p`` (the network's output) plus, for
the Gaussian, a state-independent log standard deviation. For each family this module
gives the log-density, the entropy, the KL divergence between two members and the
gradient of the log-density with respect to the parameters. The Fisher information M of
each family in those parameters, which makes the policy's Fisher matrix Jᵀ M J
(Amari 1998; Schulman et al. 2015, App. C), is the core's, shared with
:class:`trustregion.FisherOperator` and the PyTorch bridge:
:func:`trustregion.operators.gaussian_fisher_diagonal` and
:func:`trustregion.operators.categorical_fisher_product`.
"""

import math

import numpy as np

_LOG_2PI = math.log(2.0 * math.pi)


class DiagonalGaussian:
    """N(μ, diag(σ²)) with μ of shape (N, d) and log σ of shape (d,) (state-independent,
    a parameter of the built-in policy) or (N, d) (an output of a user's network).

    Fisher information per sample: 1/σ² on μ (the mean) and 2 on each log σ, with no
    cross terms (the two blocks are orthogonal for a Gaussian).
    """

    @staticmethod
    def log_prob(mean: np.ndarray, log_std: np.ndarray, actions: np.ndarray) -> np.ndarray:
        z = (actions - mean) * np.exp(-log_std)
        return (
            -0.5 * np.einsum("ij,ij->i", z, z)
            - np.broadcast_to(log_std, mean.shape).sum(axis=1)
            - 0.5 * mean.shape[1] * _LOG_2PI
        )

    @staticmethod
    def entropy(log_std: np.ndarray, n: int) -> np.ndarray:
        """Σ log σ + d/2 · log(2πe) for each of the n states."""
        d = log_std.shape[-1]
        return np.broadcast_to(log_std, (n, d)).sum(axis=1) + 0.5 * d * (1.0 + _LOG_2PI)

    @staticmethod
    def kl(
        mean_p: np.ndarray, log_std_p: np.ndarray, mean_q: np.ndarray, log_std_q: np.ndarray
    ) -> np.ndarray:
        """KL(p ‖ q) per sample: Σ log σ_q/σ_p + (σ_p² + (μ_p - μ_q)²) / (2σ_q²) - ½."""
        var_q = np.exp(2.0 * log_std_q)
        per_dim = (
            log_std_q
            - log_std_p
            + (np.exp(2.0 * log_std_p) + (mean_p - mean_q) ** 2) / (2.0 * var_q)
            - 0.5
        )
        return np.broadcast_to(per_dim, mean_p.shape).sum(axis=1)

    @staticmethod
    def sample(
        mean: np.ndarray, log_std: np.ndarray, rng: np.random.Generator, deterministic: bool = False
    ) -> np.ndarray:
        """Samples, or the means when ``deterministic``."""
        if deterministic:
            return mean
        return mean + np.exp(log_std) * rng.standard_normal(mean.shape)

    @staticmethod
    def log_prob_gradient(
        mean: np.ndarray, log_std: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """wᵢ ∂log π(aᵢ)/∂μᵢ and wᵢ ∂log π(aᵢ)/∂log σᵢ, both (N, d), row by row."""
        inv_var = np.exp(-2.0 * log_std)
        diff = actions - mean
        d_mean = weights[:, None] * diff * inv_var
        d_log_std = weights[:, None] * (diff * diff * inv_var - 1.0)
        return d_mean, d_log_std


class Categorical:
    """A categorical distribution with logits ℓ (N, k): π(a) = softmax(ℓ)_a.

    Fisher information per sample in the logits: diag(p) - ppᵀ.
    """

    @staticmethod
    def log_softmax(logits: np.ndarray) -> np.ndarray:
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    @staticmethod
    def sample(
        logits: np.ndarray, rng: np.random.Generator, deterministic: bool = False
    ) -> np.ndarray:
        """Samples (Gumbel-max: argmax(ℓ + G) is a draw from softmax(ℓ), vectorised over
        the batch), or the most likely categories when ``deterministic``."""
        if deterministic:
            return logits.argmax(axis=1)
        return (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)

    @classmethod
    def log_prob(cls, logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
        return np.take_along_axis(cls.log_softmax(logits), actions[:, None], axis=1)[:, 0]

    @classmethod
    def entropy(cls, logits: np.ndarray) -> np.ndarray:
        log_p = cls.log_softmax(logits)
        return -(np.exp(log_p) * log_p).sum(axis=1)

    @classmethod
    def kl(cls, logits_p: np.ndarray, logits_q: np.ndarray) -> np.ndarray:
        log_p = cls.log_softmax(logits_p)
        return (np.exp(log_p) * (log_p - cls.log_softmax(logits_q))).sum(axis=1)

    @classmethod
    def log_prob_gradient(
        cls, logits: np.ndarray, actions: np.ndarray, weights: np.ndarray
    ) -> np.ndarray:
        """wᵢ ∂log π(aᵢ)/∂ℓᵢ = wᵢ (e_{aᵢ} - pᵢ), shape (N, k)."""
        grad = -np.exp(cls.log_softmax(logits))
        grad[np.arange(actions.shape[0]), actions] += 1.0
        return grad * weights[:, None]


class BatchDistribution:
    """The action distributions of a batch of n states, in closed form: subclasses set
    ``continuous``, ``n``, ``output`` (the Gaussian means or the logits, (n, ·)) and
    ``log_std`` (the Gaussian's, (d,) or (n, d); None for a categorical)."""

    continuous: bool
    n: int
    output: np.ndarray
    log_std: np.ndarray | None  # None for a categorical distribution

    def log_prob(self, actions: np.ndarray) -> np.ndarray:
        if self.continuous:
            return DiagonalGaussian.log_prob(self.output, _log_std(self), actions)
        return Categorical.log_prob(self.output, actions)

    def entropy(self) -> np.ndarray:
        if self.continuous:
            return DiagonalGaussian.entropy(_log_std(self), self.n)
        return Categorical.entropy(self.output)

    def kl_from(self, other: "BatchDistribution") -> float:
        """Mean over the batch of KL(other ‖ this)."""
        if self.continuous:
            per_sample = DiagonalGaussian.kl(
                other.output, _log_std(other), self.output, _log_std(self)
            )
        else:
            per_sample = Categorical.kl(other.output, self.output)
        return float(per_sample.mean())


def _log_std(distribution: BatchDistribution) -> np.ndarray:
    """The log standard deviations of a continuous (Gaussian) distribution."""
    assert distribution.log_std is not None, "a Gaussian distribution has its log std"
    return distribution.log_std
