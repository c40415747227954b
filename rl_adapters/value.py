"""The state-value function V(s): an MLP fitted by trust-region Gauss–Newton steps."""

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

import trustregion
from trustregion._validation import (
    check_nonnegative_scalar,
    check_positive_int,
    check_positive_scalar,
)
from trustregion.linesearch import BacktrackingLineSearch
from trustregion.operators import DampedOperator, SymmetricOperator

from .mlp import MLP


class ValueFit(NamedTuple):
    """Outcome of :meth:`ValueFunction.fit`."""

    explained_variance: float  # of the targets by V before the fit (the usual RL diagnostic)
    loss_before: float
    loss_after: float
    steps: int  # steps taken (a step whose search failed ends the fit)
    limited: bool  # whether the last step was shortened to the trust region
    skipped: str = ""  # why the fit stopped on a non-finite quantity ("" if it did not)


def explained_variance(prediction: np.ndarray, target: np.ndarray) -> float:
    """1 - Var(target - prediction) / Var(target): 1 for a perfect fit, 0 for a constant,
    NaN when the targets do not vary."""
    var = float(np.var(target))
    return float("nan") if var == 0.0 else 1.0 - float(np.var(target - prediction)) / var


class ValueFunction:
    """V_φ(s), fitted to λ-returns R by trust-region Gauss–Newton steps on

        L(φ) = ½ mean((V_φ(sᵢ) - Rᵢ)²) + ½ l2 ‖φ‖²,

    each confined to a region in function space, as Schulman et al. (2016, §5) fit the
    value function of GAE:

        ½ mean((V_{φ+s}(sᵢ) - V_φ(sᵢ))²) ≈ ½ sᵀ(JᵀJ/N)s ≤ ½ κ σ²,   σ² = mean((V_φ - R)²),

    so that one batch cannot move the predictions by more than a fraction of their
    current error (fitting each batch to convergence overfits it, and the next batch's
    advantages suffer). The Gauss–Newton model's Hessian H = JᵀJ/N + l2·I shapes the
    region too, so the subproblem's solution is the Gauss–Newton step -H⁻¹∇L (CG on H:
    :func:`trustregion.natural_step` with step size 1), shortened onto the region's
    boundary when it leaves it; an Armijo search on L then guards against the model's
    error (:class:`trustregion.linesearch.BacktrackingLineSearch`).

    Parameters
    ----------
    obs_dim : int
    hidden_sizes : sequence of int
    activation : {"tanh", "relu"}
    iterations : int
        Steps per fit (1: one step per policy iteration).
    l2 : float
        The L2 penalty.
    max_change : float
        κ, the region's size relative to the current mean squared error.
    cg_iters : int
        CG iterations on H per step.
    seed : int or None
    """

    def __init__(
        self,
        obs_dim: int,
        hidden_sizes: Sequence[int] = (64, 64),
        activation: str = "tanh",
        iterations: int = 1,
        l2: float = 1e-3,
        max_change: float = 0.2,
        cg_iters: int = 10,
        seed: int | None = None,
    ) -> None:
        self.iterations = check_positive_int(iterations, "iterations")
        self.cg_iters = check_positive_int(cg_iters, "cg_iters")
        self.l2 = check_nonnegative_scalar(l2, "l2")
        self.max_change = check_positive_scalar(max_change, "max_change")
        self.net = MLP((int(obs_dim), *hidden_sizes, 1), activation)
        self.theta = self.net.initial_parameters(np.random.default_rng(seed), 1.0)

    def __call__(self, obs: ArrayLike) -> np.ndarray:
        return self.net.output(self.theta, np.asarray(obs, dtype=np.float64))[:, 0]

    def loss(self, phi: np.ndarray, obs: np.ndarray, targets: np.ndarray) -> float:
        residual = self.net.output(phi, obs)[:, 0] - targets
        return 0.5 * float(residual @ residual) / targets.shape[0] + 0.5 * self.l2 * float(
            phi @ phi
        )

    def fit(self, obs: ArrayLike, targets: ArrayLike) -> ValueFit:
        obs = np.asarray(obs, dtype=np.float64)
        targets = np.asarray(targets, dtype=np.float64).reshape(-1)
        if obs.ndim != 2 or obs.shape[0] != targets.shape[0]:
            raise ValueError(
                f"obs (N, obs_dim) and targets (N,) must agree; got {obs.shape} and {targets.shape}"
            )
        n, net = targets.shape[0], self.net
        before = self(obs)
        # Targets too large to square (returns of 1e300) overflow the loss: the fit is
        # then skipped and says so, rather than warning or stepping on infinities.
        with np.errstate(over="ignore", invalid="ignore"):
            loss_before = self.loss(self.theta, obs, targets)
        if not math.isfinite(loss_before):
            return ValueFit(math.nan, loss_before, loss_before, 0, False, "non-finite value loss")
        loss, steps, limited = loss_before, 0, False
        search = BacktrackingLineSearch(max_backtracks=10)
        for _ in range(self.iterations):
            phi = self.theta
            cache = net.forward(phi, obs)
            residual = cache.output[:, 0] - targets
            with np.errstate(over="ignore", invalid="ignore"):
                gradient = net.vjp(phi, cache, residual[:, None] / n) + self.l2 * phi
            if not np.isfinite(gradient).all():
                return ValueFit(
                    explained_variance(before, targets),
                    loss_before,
                    loss,
                    steps,
                    limited,
                    "non-finite value gradient",
                )
            gauss_newton = SymmetricOperator(
                net.size,
                lambda v: net.jtmj(phi, cache, v, lambda Jv, rows: Jv / n),  # noqa: B023 (this pass only)
                positive_semidefinite=True,
            )
            step = trustregion.natural_step(
                gradient,
                DampedOperator(gauss_newton, self.l2),
                step_size=1.0,
                cg_maxiter=self.cg_iters,
            )
            s = step.step
            change = 0.5 * float(s @ gauss_newton.apply(s))
            limit = 0.5 * self.max_change * float(residual @ residual) / n
            limited = change > limit
            if limited:
                s = s * math.sqrt(limit / change)
            slope = float(gradient @ s)
            if not slope < 0.0:
                break
            result = search.search(lambda p: self.loss(p, obs, targets), phi, s, loss, slope)
            if not result.accepted:
                break
            self.theta, loss, steps = result.x, result.f, steps + 1
        return ValueFit(explained_variance(before, targets), loss_before, loss, steps, limited)
