"""The two action distributions of the built-in policies, in closed form.

Each family is described by per-sample parameters ``p`` (the network's output) plus, for
the Gaussian, a state-independent log standard deviation. For each family this module
gives the log-density, the entropy, the KL divergence between two members, the gradient
of the log-density with respect to the parameters, and the Fisher information M of the
family in those parameters, which makes the policy's Fisher matrix Jᵀ M J
(Amari 1998; Schulman et al. 2015, App. C).
"""

import math

import numpy as np

_LOG_2PI = math.log(2.0 * math.pi)


class DiagonalGaussian:
    """N(μ, diag(σ²)) with μ the network output (N, d) and log σ a parameter (d,).

    Fisher information per sample: 1/σ² on μ (the mean) and 2 on each log σ, with no
    cross terms (the two blocks are orthogonal for a Gaussian).
    """

    @staticmethod
    def log_prob(mean, log_std, actions):
        z = (actions - mean) * np.exp(-log_std)
        return -0.5 * np.einsum("ij,ij->i", z, z) - log_std.sum() - 0.5 * mean.shape[1] * _LOG_2PI

    @staticmethod
    def entropy(log_std, n):
        """The entropy, the same for every state: Σ log σ + d/2 · log(2πe)."""
        return np.full(n, log_std.sum() + 0.5 * log_std.shape[0] * (1.0 + _LOG_2PI))

    @staticmethod
    def kl(mean_p, log_std_p, mean_q, log_std_q):
        """KL(p ‖ q) per sample: Σ log σ_q/σ_p + (σ_p² + (μ_p - μ_q)²) / (2σ_q²) - ½."""
        var_q = np.exp(2.0 * log_std_q)
        per_dim = (log_std_q - log_std_p + (np.exp(2.0 * log_std_p) + (mean_p - mean_q) ** 2)
                   / (2.0 * var_q) - 0.5)
        return per_dim.sum(axis=1)

    @staticmethod
    def log_prob_gradient(mean, log_std, actions, weights):
        """(Σᵢ wᵢ ∂log π(aᵢ)/∂μᵢ row by row, Σᵢ wᵢ ∂log π(aᵢ)/∂log σ): the first is (N, d),
        for the network's reverse pass; the second is summed over the batch already."""
        inv_var = np.exp(-2.0 * log_std)
        diff = actions - mean
        d_mean = weights[:, None] * diff * inv_var
        d_log_std = weights @ (diff * diff * inv_var - 1.0)
        return d_mean, d_log_std


class Categorical:
    """A categorical distribution with logits ℓ (N, k): π(a) = softmax(ℓ)_a.

    Fisher information per sample in the logits: diag(p) - ppᵀ.
    """

    @staticmethod
    def log_softmax(logits):
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    @classmethod
    def log_prob(cls, logits, actions):
        return np.take_along_axis(cls.log_softmax(logits), actions[:, None], axis=1)[:, 0]

    @classmethod
    def entropy(cls, logits):
        log_p = cls.log_softmax(logits)
        return -(np.exp(log_p) * log_p).sum(axis=1)

    @classmethod
    def kl(cls, logits_p, logits_q):
        log_p = cls.log_softmax(logits_p)
        return (np.exp(log_p) * (log_p - cls.log_softmax(logits_q))).sum(axis=1)

    @classmethod
    def log_prob_gradient(cls, logits, actions, weights):
        """wᵢ ∂log π(aᵢ)/∂ℓᵢ = wᵢ (e_{aᵢ} - pᵢ), shape (N, k)."""
        grad = -np.exp(cls.log_softmax(logits))
        grad[np.arange(actions.shape[0]), actions] += 1.0
        return grad * weights[:, None]

    @staticmethod
    def fisher_weighted(probs, u):
        """(diag(pᵢ) - pᵢpᵢᵀ) uᵢ for each row."""
        return probs * (u - np.einsum("ij,ij->i", probs, u)[:, None])
