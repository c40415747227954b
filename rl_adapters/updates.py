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

Both work with any :class:`~rl_adapters.policies.Policy` and return an
:class:`UpdateStats`. Non-finite advantages, gradient or step, or a surrogate or KL that
is not a number where TRPO's line search tried (and so accepted nothing), skip the
update: its ``skipped`` says why, and the policy stays as it was.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

import trustregion
from trustregion._validation import check_nonnegative_scalar, check_probability
from trustregion.operators import DampedOperator, FisherOperator

from .configs import NPGConfig, TRPOConfig
from .logger import PhaseTimer
from .policies import Evaluation, Policy


@dataclass(frozen=True)
class UpdateStats:
    """What one policy update did: the log columns of the same names
    (:data:`rl_adapters.logger.COLUMNS`).

    Attributes
    ----------
    accepted : bool
        Whether the policy moved.
    kl : float
        The mean KL(π_old ‖ π_new) after the update (0 when it did not move).
    backtracks : int
        TRPO's line-search reductions (0 for NPG).
    predicted_improvement, actual_improvement : float
        Of the surrogate L: by its linear model gᵀs, and as measured.
    cg_iterations : int
    cg_residual : float
        CG's iterations on F + λI and its final residual norm (NaN when it did not run).
    entropy : float
        The mean entropy of the policy after the update.
    skipped : str
        Why the update was skipped ("" when it was not).
    """

    accepted: bool
    kl: float
    backtracks: int
    predicted_improvement: float
    actual_improvement: float
    cg_iterations: int
    cg_residual: float
    entropy: float
    skipped: str = ""

    @classmethod
    def skip(cls, reason: str, current: Evaluation) -> "UpdateStats":
        """A skipped update: nothing moved, CG did not run; ``current`` gives the entropy."""
        return cls(
            accepted=False,
            kl=0.0,
            backtracks=0,
            predicted_improvement=0.0,
            actual_improvement=0.0,
            cg_iterations=0,
            cg_residual=math.nan,
            entropy=float(np.mean(current.entropy())),
            skipped=reason,
        )

    def as_row(self) -> dict:
        """The log entries."""
        return asdict(self)


class _Evaluations:
    """π_θ on a fixed batch, one forward pass per distinct θ: the line search asks for
    the surrogate and the KL at the same candidate."""

    def __init__(
        self, policy: Policy, obs: np.ndarray, theta: np.ndarray, evaluation: Evaluation
    ) -> None:
        self.policy, self.obs, self._theta, self._evaluation = policy, obs, theta, evaluation

    def __call__(self, theta: np.ndarray) -> Evaluation:
        if not np.array_equal(self._theta, theta):
            self._theta, self._evaluation = theta.copy(), self.policy.evaluate(self.obs, theta)
        return self._evaluation


class _Problem:
    """One update's problem: L(θ), its gradient at θ_old, the damped Fisher operator, and
    the mean KL(π_old ‖ π_θ).

    ``skipped`` says why no step should be taken ("" when one can): the advantages or the
    gradient are not finite. The Fisher operator (:attr:`metric`) is built when first
    asked for, so that a skipped update spends no pass, nor random draws, on it.
    """

    def __init__(
        self,
        policy: Policy,
        obs: np.ndarray,
        actions: np.ndarray,
        advantages: np.ndarray,
        cg_damping: float,
        fisher_subsample: float,
        rng: np.random.Generator | None,
        timer: PhaseTimer,
    ) -> None:
        obs, advantages = np.asarray(obs, np.float64), np.asarray(advantages, np.float64)
        if obs.ndim != 2 or advantages.shape != (obs.shape[0],) or len(actions) != obs.shape[0]:
            raise ValueError(
                f"obs (N, obs_dim), actions (N, ...) and advantages (N,) must "
                f"agree; got {obs.shape}, {np.shape(actions)}, "
                f"{advantages.shape}"
            )
        self._cg_damping = check_nonnegative_scalar(cg_damping, "cg_damping")
        self._fisher_subsample = check_probability(
            fisher_subsample, "fisher_subsample", allow_zero=False
        )
        self._policy, self._obs, self._rng, self._timer = policy, obs, rng, timer
        # Overflow here is caught by the finiteness test below and reported in the log.
        with timer.phase("gradient"), np.errstate(over="ignore", invalid="ignore"):
            self.theta = policy.get_parameters()
            self.current = policy.evaluate(obs, self.theta)
            # ∇ mean(π_θ/π_old · Â) at θ = θ_old, where the ratio is 1.
            self.gradient = self.current.log_prob_gradient(
                actions, advantages / advantages.shape[0]
            )
            self.log_p_old = self.current.log_prob(actions)
        self.skipped = (
            "non-finite advantages"
            if not np.isfinite(advantages).all()
            else "non-finite policy gradient"
            if not np.isfinite(self.gradient).all()
            else ""
        )
        self.actions, self.advantages = actions, advantages
        self.evaluations = _Evaluations(policy, obs, self.theta, self.current)

    @cached_property
    def metric(self) -> DampedOperator:
        """F + λI, F from the whole batch or a random ``fisher_subsample`` of it."""
        fisher_batch = self.current
        if self._fisher_subsample < 1.0:
            rng = np.random.default_rng() if self._rng is None else self._rng
            n = self._obs.shape[0]
            size = max(1, int(round(self._fisher_subsample * n)))
            with self._timer.phase("cg"):  # the subsample's pass serves the Fisher products
                fisher_batch = self._policy.evaluate(
                    self._obs[rng.choice(n, size, replace=False)], self.theta
                )
        fisher = FisherOperator(
            self._timer.timed("cg", fisher_batch.fisher_product), self.theta.shape[0]
        )
        return DampedOperator(fisher, self._cg_damping)

    def surrogate(self, theta: np.ndarray) -> float:
        ratio = np.exp(self.evaluations(theta).log_prob(self.actions) - self.log_p_old)
        return float(np.mean(ratio * self.advantages))

    def kl(self, theta: np.ndarray) -> float:
        return self.evaluations(theta).kl_from(self.current)


def _watched(
    function: Callable[[np.ndarray], float], name: str, non_finite: set[str]
) -> Callable[[np.ndarray], float]:
    """``function`` (θ ↦ float), adding ``name`` to the set ``non_finite`` whenever it
    returns a non-finite value (overflow in it is expected and reported, not warned)."""

    def call(theta: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            value = function(theta)
        if not math.isfinite(value):
            non_finite.add(name)
        return value

    return call


# The updates' defaults are the agents' (the configuration records hold them once).
def trpo_update(
    policy: Policy,
    obs: np.ndarray,
    actions: np.ndarray,
    advantages: np.ndarray,
    *,
    max_kl: float = TRPOConfig.max_kl,
    cg_iters: int = TRPOConfig.cg_iters,
    cg_damping: float = TRPOConfig.cg_damping,
    backtrack_coeff: float = TRPOConfig.backtrack_coeff,
    max_backtracks: int = TRPOConfig.max_backtracks,
    fisher_subsample: float = TRPOConfig.fisher_subsample,
    rng: np.random.Generator | None = None,
    timer: PhaseTimer | None = None,
) -> UpdateStats:
    """One TRPO update of ``policy`` on a batch; returns what it did (KL after the step,
    predicted and actual improvement of L, backtracks, CG statistics, entropy).

    ``obs`` are the observations as the policy saw them, ``actions`` the actions taken,
    ``advantages`` their (standardised) advantages. ``timer`` collects the time of the
    gradient, CG (the Fisher products included) and line-search phases.
    """
    timer = PhaseTimer() if timer is None else timer
    problem = _Problem(policy, obs, actions, advantages, cg_damping, fisher_subsample, rng, timer)
    if problem.skipped:
        return UpdateStats.skip(problem.skipped, problem.current)
    started = timer.mark()
    non_finite: set[str] = set()  # what the line search met that was not a number
    step = trustregion.constrained_step(
        timer.timed("line_search", _watched(problem.surrogate, "surrogate", non_finite)),
        problem.theta,
        problem.gradient,
        timer.timed("line_search", _watched(problem.kl, "KL", non_finite)),
        problem.metric,
        max_kl,
        maximize=True,
        f0=problem.surrogate(problem.theta),
        cg_maxiter=cg_iters,
        shrink=backtrack_coeff,
        max_backtracks=max_backtracks,
        accept_ratio=0.1,
    )  # TRPO's (Schulman et al.'s reference implementation)
    timer.attribute_rest(started, "cg")  # CG is the step outside the line search
    if step.accepted:
        policy.set_parameters(step.x)
    elif non_finite:
        # Not a mere failed search: the step led where the objective or the constraint
        # is not a number, which the log must say.
        return UpdateStats.skip(
            f"non-finite {' and '.join(sorted(non_finite))} at the trial steps", problem.current
        )
    kl = step.divergence if step.accepted else 0.0
    assert kl is not None  # an accepted step's divergence was measured
    return UpdateStats(
        accepted=step.accepted,
        kl=kl,
        backtracks=step.backtracks,
        predicted_improvement=step.predicted_improvement,
        actual_improvement=step.actual_improvement,
        cg_iterations=step.natural.cg_iterations,
        cg_residual=step.natural.cg_residual_norm,
        entropy=float(np.mean(problem.evaluations(policy.get_parameters()).entropy())),
    )


def npg_update(
    policy: Policy,
    obs: np.ndarray,
    actions: np.ndarray,
    advantages: np.ndarray,
    *,
    step_size: float | None = None,
    target_kl: float | None = None,
    cg_iters: int = NPGConfig.cg_iters,
    cg_damping: float = NPGConfig.cg_damping,
    fisher_subsample: float = NPGConfig.fisher_subsample,
    rng: np.random.Generator | None = None,
    timer: PhaseTimer | None = None,
) -> UpdateStats:
    """One natural-gradient update of ``policy`` on a batch, with exactly one of
    ``step_size`` and ``target_kl``; returns the same record as
    :func:`trpo_update` (the "line search" phase is the evaluation of the new policy)."""
    timer = PhaseTimer() if timer is None else timer
    problem = _Problem(policy, obs, actions, advantages, cg_damping, fisher_subsample, rng, timer)
    if problem.skipped:
        return UpdateStats.skip(problem.skipped, problem.current)
    before = problem.surrogate(problem.theta)  # the evaluation at θ_old: no new pass
    started = timer.mark()
    step = trustregion.natural_step(
        problem.gradient,
        problem.metric,
        step_size=step_size,
        max_divergence=target_kl,
        maximize=True,
        cg_maxiter=cg_iters,
    )
    timer.attribute_rest(started, "cg")
    candidate = problem.theta + step.step
    if not np.isfinite(candidate).all():
        return UpdateStats.skip("non-finite natural-gradient step", problem.current)
    with timer.phase("line_search"), np.errstate(over="ignore", invalid="ignore"):
        actual = problem.surrogate(candidate) - before
        kl = problem.kl(candidate)
    if not (math.isfinite(actual) and math.isfinite(kl)):
        return UpdateStats.skip("non-finite surrogate or KL after the step", problem.current)
    policy.set_parameters(candidate)
    return UpdateStats(
        accepted=True,
        kl=kl,
        backtracks=0,
        predicted_improvement=step.predicted_improvement,
        actual_improvement=actual,
        cg_iterations=step.cg_iterations,
        cg_residual=step.cg_residual_norm,
        entropy=float(np.mean(problem.evaluations(candidate).entropy())),
    )
