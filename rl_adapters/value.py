"""The state-value function V(s): an MLP fitted by trust-region Gauss–Newton steps."""

from typing import NamedTuple, Sequence

import numpy as np

import trustregion

from .mlp import MLP


class ValueFit(NamedTuple):
    """Outcome of :meth:`ValueFunction.fit`."""

    explained_variance: float  # of the targets by V before the fit (the usual RL diagnostic)
    loss_before: float
    loss_after: float
    iterations: int
    message: str


def explained_variance(prediction, target) -> float:
    """1 - Var(target - prediction) / Var(target): 1 for a perfect fit, 0 for a constant,
    NaN when the targets do not vary."""
    var = float(np.var(target))
    return float("nan") if var == 0.0 else 1.0 - float(np.var(target - prediction)) / var


class ValueFunction:
    """V_φ(s), fitted to λ-returns by minimising

        ½ mean((V_φ(sᵢ) - Rᵢ)²) + ½ l2 ‖φ‖²

    with :func:`trustregion.minimize` on the Gauss–Newton model (Jᵀ J / N + l2·I, J the
    Jacobian of the outputs): a trust-region Gauss–Newton, i.e. Levenberg–Marquardt,
    method, as Schulman et al. (2016, §5) fit their value function. Each call starts from
    the current φ and makes at most ``iterations`` steps.

    Parameters
    ----------
    obs_dim : int
    hidden_sizes : sequence of int
    activation : {"tanh", "relu"}
    iterations : int
        Trust-region iterations per fit.
    l2 : float
        The L2 penalty.
    seed : int or None
    """

    def __init__(self, obs_dim: int, hidden_sizes: Sequence[int] = (64, 64),
                 activation: str = "tanh", iterations: int = 5, l2: float = 1e-3,
                 seed=None):
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) \
                or iterations < 1:
            raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
        if not l2 >= 0.0:
            raise ValueError(f"l2 must be non-negative, got {l2!r}")
        self.net = MLP((int(obs_dim), *hidden_sizes, 1), activation)
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        self.iterations = int(iterations)
        self.l2 = float(l2)
        self.theta = self.net.initial_parameters(np.random.default_rng(seed), 1.0)

    def __call__(self, obs):
        return self.net.output(self.theta, np.asarray(obs, dtype=np.float64))[:, 0]

    def fit(self, obs, targets) -> ValueFit:
        obs = np.asarray(obs, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64).reshape(-1)
        n = targets.shape[0]
        net, l2 = self.net, self.l2
        last = {}

        def forward(phi):
            if "phi" not in last or not np.array_equal(last["phi"], phi):
                last.update(phi=phi.copy(), cache=net.forward(phi, obs))
            return last["cache"]

        def loss_and_gradient(phi):
            cache = forward(phi)
            residual = cache.output[:, 0] - targets
            loss = 0.5 * float(residual @ residual) / n + 0.5 * l2 * float(phi @ phi)
            return loss, net.vjp(phi, cache, residual[:, None] / n) + l2 * phi

        def gauss_newton(phi, v):
            return net.jtmj(phi, forward(phi), v, lambda Jv, rows: Jv / n) + l2 * v

        before = self(obs)
        loss_before = loss_and_gradient(self.theta)[0]
        result = trustregion.minimize(loss_and_gradient, self.theta, jac=True,
                                      hessp=gauss_newton,
                                      options={"maxiter": self.iterations, "gtol": 0.0})
        if np.isfinite(result.x).all() and result.fun <= loss_before:
            self.theta = result.x
        return ValueFit(explained_variance(before, targets), loss_before,
                        min(float(result.fun), loss_before), int(result.nit),
                        str(result.message))
