"""The result record of :func:`trustregion.minimize`."""

from scipy.optimize import OptimizeResult

from .._status import StatusEnum, set_messages


class MinimizeStatus(StatusEnum):
    """Why :func:`trustregion.minimize` stopped (``Result.status``).

    Success is GTOL, or XTOL and NO_PREDICTED_DECREASE — no representable step
    decreases f — where the driver has also found the relative gradient
    ``max |∇f|ᵢ·max(|xᵢ|, 1) / max(|f|, 1)`` at most u^(1/4) (u the machine epsilon), what
    rounding in f explains; a larger gradient there is NO_PROGRESS, a failure.
    """

    # Numbers follow scipy where it has one meaning for them: trust-constr's 0, 1, 2
    # (iteration limit, gradient, radius) and the 99 of every other scipy method's
    # callback stop.
    MAXITER = 0
    GTOL = 1
    XTOL = 2
    NO_PREDICTED_DECREASE = 4
    MAX_NFEV = 5
    NONFINITE = 6
    INFEASIBLE = 7
    NO_PROGRESS = 8
    UNBOUNDED = 9
    NONFINITE_START = 10
    CALLBACK = 99

    @property
    def success(self) -> bool:
        return self in (
            MinimizeStatus.GTOL,
            MinimizeStatus.NO_PREDICTED_DECREASE,
            MinimizeStatus.XTOL,
        )


_MESSAGES = {
    MinimizeStatus.GTOL: "converged: the gradient norm reached gtol",
    MinimizeStatus.NO_PREDICTED_DECREASE: "converged: the model predicts no decrease at "
    "working precision, so x is stationary to rounding (gtol is below what this "
    "problem's floating-point gradient can reach)",
    MinimizeStatus.XTOL: "converged: the trust radius fell below xtol relative to ‖x‖ with "
    "the gradient small to rounding; no representable step decreases f",
    MinimizeStatus.MAXITER: "Maximum number of iterations has been exceeded (maxiter) "
    "before convergence; raise maxiter, or use a better model (hess or hessp instead of "
    "finite differences)",
    MinimizeStatus.MAX_NFEV: "stopped at the function-evaluation budget max_nfev",
    MinimizeStatus.CALLBACK: "`callback` raised `StopIteration`.",
    MinimizeStatus.NONFINITE: "stopped: the objective or gradient was not finite at every "
    "point tried near x and the radius collapsed; check fun and jac near x",
    MinimizeStatus.INFEASIBLE: "stopped: the penalty reached its limit with the constraint "
    "violation still above ctol; the constraints are likely inconsistent, or no "
    "multipliers exist at the solution (a failed constraint qualification, as in HS13); "
    "constraint_violation reports how far",
    MinimizeStatus.NO_PROGRESS: "stopped: no representable step decreases f, yet the "
    "gradient is not small (its relative size exceeds what rounding explains); the "
    "gradient and the function disagree (check jac), or f is too noisy to make progress",
    MinimizeStatus.NONFINITE_START: "stopped before the first iteration: f or its "
    "gradient is not finite at x0",
    MinimizeStatus.UNBOUNDED: "stopped: the objective appears unbounded below (f fell "
    "below f_unbounded, or x + s overflowed)",
}
set_messages(MinimizeStatus, _MESSAGES)


class Result(OptimizeResult):
    """A ``scipy.optimize.OptimizeResult`` with ``trust_radius`` and a ``MinimizeStatus``.

    Fields: ``x, fun, jac, nit`` (also as trust-constr's ``niter``), ``nfev, njev, nhev,
    status, success, message, trust_radius`` (also as scipy's ``tr_radius``),
    ``optimality`` (trust-constr's name for the stationarity measure: ‖∇f‖∞, with bounds
    the projected gradient's, with constraints the KKT residual), ``constr_violation``
    (0 without general constraints: every iterate satisfies the bounds),
    ``nonfinite_trials`` (trial points where f was not finite, each rejected with a
    smaller radius), and ``allvecs`` with ``return_all``. Constrained runs add their own
    fields, each also under scipy's trust-constr name where it has one (see
    :func:`trustregion.minimize`).
    """
