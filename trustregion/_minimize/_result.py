"""The result record of :func:`trustregion.minimize`."""

from scipy.optimize import OptimizeResult

from .._status import StatusEnum


class MinimizeStatus(StatusEnum):
    """Why :func:`trustregion.minimize` stopped (``Result.status``)."""

    GTOL = 0
    NO_PREDICTED_DECREASE = 1
    XTOL = 2
    MAXITER = 3
    MAX_NFEV = 4
    CALLBACK = 5
    NONFINITE = 6
    INFEASIBLE = 7

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    @property
    def success(self) -> bool:
        return self in (MinimizeStatus.GTOL, MinimizeStatus.NO_PREDICTED_DECREASE,
                        MinimizeStatus.XTOL)


_MESSAGES = {
    MinimizeStatus.GTOL: "converged: the gradient norm reached gtol",
    MinimizeStatus.NO_PREDICTED_DECREASE: "converged: the model predicts no decrease at "
    "working precision, so x is stationary to rounding (gtol is below what this "
    "problem's floating-point gradient can reach)",
    MinimizeStatus.XTOL: "converged: the trust radius fell below xtol relative to ‖x‖; no "
    "representable step decreases f",
    MinimizeStatus.MAXITER: "stopped at maxiter before convergence; raise maxiter, or use a "
    "better model (hess or hessp instead of finite differences)",
    MinimizeStatus.MAX_NFEV: "stopped at the function-evaluation budget max_nfev",
    MinimizeStatus.CALLBACK: "stopped by the callback (StopIteration)",
    MinimizeStatus.NONFINITE: "stopped: the objective or gradient was not finite at every "
    "point tried near x and the radius collapsed; check fun and jac near x",
    MinimizeStatus.INFEASIBLE: "stopped: the penalty reached its limit with the constraint "
    "violation still above ctol; the constraints are likely inconsistent, or no "
    "multipliers exist at the solution (a failed constraint qualification, as in HS13); "
    "constraint_violation reports how far",
}


class Result(OptimizeResult):
    """A ``scipy.optimize.OptimizeResult`` with ``trust_radius`` and a ``MinimizeStatus``.

    Fields: ``x, fun, jac, nit, nfev, njev, nhev, status, success, message,
    trust_radius``, and ``nonfinite_trials`` (trial points where f was not finite, each
    rejected with a smaller radius).
    """
