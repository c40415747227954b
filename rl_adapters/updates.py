"""The policy updates of TRPO and NPG, each one call of a generic step in :mod:`trustregion`.

Both build the same problem from a batch: the surrogate
L(θ) = mean(π_θ(a|s)/π_old(a|s) · Â), its gradient g at θ_old, and the Fisher operator F
of the batch in Jᵀ M J form, damped by λ. Then

* TRPO (Schulman et al. 2015, App. C): :func:`trustregion.constrained_step` — the linear
  model of L in the ellipsoid ½ sᵀ(F + λI)s ≤ δ, solved by CG on F + λI, then
  backtracking until the true L improves and the true mean KL(π_old ‖ π_θ) ≤ δ;
* NPG (Kakade 2001; Rajeswaran et al. 2017): :func:`trustregion.natural_step` —
  s = α (F + λI)⁻¹g by CG, α a step size or chosen so that ½ sᵀ(F + λI)s equals a KL
  target, with no line search.

Both work with any object implementing the policy protocol of
:mod:`rl_adapters.policies`. Non-finite advantages, gradient or step, or a surrogate or KL
that is not a number where TRPO's line search tried (and so accepted nothing), skip the
update: the returned ``skipped`` says why, and the policy stays as it was.
"""

import math
from typing import NamedTuple, Optional

import numpy as np

import trustregion
from trustregion.operators import DampedOperator, FisherOperator

from .logger import PhaseTimer


class _Evaluations:
    """π_θ on a fixed batch, one forward pass per distinct θ: the line search asks for
    the surrogate and the KL at the same candidate."""

    def __init__(self, policy, obs, theta, evaluation):
        self.policy, self.obs, self._theta, self._evaluation = policy, obs, theta, evaluation

    def __call__(self, theta):
        if not np.array_equal(self._theta, theta):
            self._theta, self._evaluation = theta.copy(), self.policy.evaluate(self.obs, theta)
        return self._evaluation


class _Problem(NamedTuple):
    """One update's problem: L(θ), its gradient at θ_old, the damped Fisher operator, and
    the mean KL(π_old ‖ π_θ)."""

    theta: np.ndarray
    current: object          # the policy's evaluation at θ_old
    log_p_old: np.ndarray
    actions: np.ndarray
    advantages: np.ndarray
    gradient: np.ndarray
    metric: DampedOperator
    evaluations: _Evaluations

    def surrogate(self, theta):
        ratio = np.exp(self.evaluations(theta).log_prob(self.actions) - self.log_p_old)
        return float(np.mean(ratio * self.advantages))

    def kl(self, theta):
        return self.evaluations(theta).kl_from(self.current)


def _problem(policy, obs, actions, advantages, cg_damping, fisher_subsample, rng, timer):
    """The :class:`_Problem` of a batch, or the skipped-update log entries."""
    obs, advantages = np.asarray(obs, np.float64), np.asarray(advantages, np.float64)
    if obs.ndim != 2 or advantages.shape != (obs.shape[0],) or len(actions) != obs.shape[0]:
        raise ValueError(f"obs (N, obs_dim), actions (N, ...) and advantages (N,) must agree; "
                         f"got {obs.shape}, {np.shape(actions)}, {advantages.shape}")
    if not (math.isfinite(cg_damping) and cg_damping >= 0.0):
        raise ValueError(f"cg_damping must be non-negative and finite, got {cg_damping!r}")
    if not 0.0 < fisher_subsample <= 1.0:
        raise ValueError(f"fisher_subsample must lie in (0, 1], got {fisher_subsample!r}")
    # Overflow here is caught by the finiteness test below and reported in the log.
    with timer.phase("gradient"), np.errstate(over="ignore", invalid="ignore"):
        theta = policy.get_parameters()
        current = policy.evaluate(obs, theta)
        # ∇ mean(π_θ/π_old · Â) at θ = θ_old, where the ratio is 1.
        gradient = current.log_prob_gradient(actions, advantages / advantages.shape[0])
    if not np.isfinite(advantages).all():
        return _skipped("non-finite advantages", current)
    if not np.isfinite(gradient).all():
        return _skipped("non-finite policy gradient", current)
    if fisher_subsample < 1.0:
        rng = np.random.default_rng() if rng is None else rng
        size = max(1, int(round(fisher_subsample * obs.shape[0])))
        with timer.phase("cg"):  # the subsample's forward pass serves the Fisher products
            fisher_batch = policy.evaluate(obs[rng.choice(obs.shape[0], size, replace=False)],
                                           theta)
    else:
        fisher_batch = current
    metric = DampedOperator(FisherOperator(timer.timed("cg", fisher_batch.fisher_product),
                                           theta.shape[0]), cg_damping)
    return _Problem(theta, current, current.log_prob(actions), actions, advantages, gradient,
                    metric, _Evaluations(policy, obs, theta, current))


def _watched(function, name, non_finite):
    """``function`` (θ ↦ float), adding ``name`` to the set ``non_finite`` whenever it
    returns a non-finite value (overflow in it is expected and reported, not warned)."""
    def call(theta):
        with np.errstate(over="ignore", invalid="ignore"):
            value = function(theta)
        if not math.isfinite(value):
            non_finite.add(name)
        return value
    return call


def _skipped(reason, current):
    return {"skipped": reason, "accepted": False, "kl": 0.0, "backtracks": 0,
            "predicted_improvement": 0.0, "actual_improvement": 0.0,
            "cg_iterations": 0, "cg_residual": math.nan,
            "entropy": float(np.mean(current.entropy()))}


def trpo_update(policy, obs, actions, advantages, *, max_kl: float = 0.01,
                cg_iters: int = 10, cg_damping: float = 0.1, backtrack_coeff: float = 0.8,
                max_backtracks: int = 10, fisher_subsample: float = 1.0,
                rng: Optional[np.random.Generator] = None,
                timer: Optional[PhaseTimer] = None) -> dict:
    """One TRPO update of ``policy`` on a batch; returns the log entries (KL after the
    step, predicted and actual improvement of L, backtracks, CG statistics, entropy).

    ``obs`` are the observations as the policy saw them, ``actions`` the actions taken,
    ``advantages`` their (standardised) advantages. ``timer`` collects the time of the
    gradient, CG (the Fisher products included) and line-search phases.
    """
    timer = PhaseTimer() if timer is None else timer
    problem = _problem(policy, obs, actions, advantages, cg_damping, fisher_subsample, rng,
                       timer)
    if isinstance(problem, dict):
        return problem
    started = timer.mark()
    non_finite = set()  # what the line search met that was not a number
    step = trustregion.constrained_step(
        timer.timed("line_search", _watched(problem.surrogate, "surrogate", non_finite)),
        problem.theta, problem.gradient,
        timer.timed("line_search", _watched(problem.kl, "KL", non_finite)), problem.metric,
        max_kl, maximize=True, f0=problem.surrogate(problem.theta), cg_maxiter=cg_iters,
        shrink=backtrack_coeff, max_backtracks=max_backtracks,
        accept_ratio=0.1)  # TRPO's (Schulman et al.'s reference implementation)
    timer.attribute_rest(started, "cg")  # CG is the step outside the line search
    if step.accepted:
        policy.set_parameters(step.x)
    elif non_finite:
        # Not a mere failed search: the step led where the objective or the constraint
        # is not a number, which the log must say.
        return _skipped(f"non-finite {' and '.join(sorted(non_finite))} at the trial "
                        f"steps", problem.current)
    return {"skipped": "", "accepted": step.accepted,
            "kl": step.divergence if step.accepted else 0.0, "backtracks": step.backtracks,
            "predicted_improvement": step.predicted_improvement,
            "actual_improvement": step.actual_improvement,
            "cg_iterations": step.natural.cg_iterations,
            "cg_residual": step.natural.cg_residual_norm,
            "entropy": float(np.mean(problem.evaluations(policy.get_parameters()).entropy()))}


def npg_update(policy, obs, actions, advantages, *, step_size: Optional[float] = None,
               target_kl: Optional[float] = None, cg_iters: int = 10,
               cg_damping: float = 0.1, fisher_subsample: float = 1.0,
               rng: Optional[np.random.Generator] = None,
               timer: Optional[PhaseTimer] = None) -> dict:
    """One natural-gradient update of ``policy`` on a batch, with exactly one of
    ``step_size`` and ``target_kl``; returns the same log entries as
    :func:`trpo_update` (the "line search" phase is the evaluation of the new policy)."""
    timer = PhaseTimer() if timer is None else timer
    problem = _problem(policy, obs, actions, advantages, cg_damping, fisher_subsample, rng,
                       timer)
    if isinstance(problem, dict):
        return problem
    before = problem.surrogate(problem.theta)  # the evaluation at θ_old: no new pass
    started = timer.mark()
    step = trustregion.natural_step(problem.gradient, problem.metric, step_size=step_size,
                                    max_divergence=target_kl, maximize=True,
                                    cg_maxiter=cg_iters)
    timer.attribute_rest(started, "cg")
    candidate = problem.theta + step.step
    if not np.isfinite(candidate).all():
        return _skipped("non-finite natural-gradient step", problem.current)
    with timer.phase("line_search"), np.errstate(over="ignore", invalid="ignore"):
        actual = problem.surrogate(candidate) - before
        kl = problem.kl(candidate)
    if not (math.isfinite(actual) and math.isfinite(kl)):
        return _skipped("non-finite surrogate or KL after the step", problem.current)
    policy.set_parameters(candidate)
    return {"skipped": "", "accepted": True, "kl": kl, "backtracks": 0,
            "predicted_improvement": step.predicted_improvement,
            "actual_improvement": actual, "cg_iterations": step.cg_iterations,
            "cg_residual": step.cg_residual_norm,
            "entropy": float(np.mean(problem.evaluations(candidate).entropy()))}
