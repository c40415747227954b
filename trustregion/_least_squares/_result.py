"""Why :func:`trustregion.least_squares` stopped: scipy's status codes, and ours."""

from .._status import StatusEnum, set_messages


class LeastSquaresStatus(StatusEnum):
    """Stop reasons. The values from -2 to 4 are scipy's ``least_squares`` statuses, so code
    comparing ``result.status`` with scipy's integers keeps working; ``success`` is
    ``status > 0``, as there. The negative values below -2 are ours, all failures."""

    NO_PROGRESS = -4
    NONFINITE = -3
    CALLBACK = -2
    MAX_NFEV = 0
    GTOL = 1
    FTOL = 2
    XTOL = 3
    FTOL_AND_XTOL = 4


set_messages(
    LeastSquaresStatus,
    {
        LeastSquaresStatus.NO_PROGRESS: "the trust region collapsed at a point that is not "
        "first-order critical: the cost could not be reduced further in floating point. "
        "Check the Jacobian (or use jac='3-point'), or rescale the variables (x_scale)",
        LeastSquaresStatus.NONFINITE: "the residuals or the Jacobian were not finite at every "
        "trial point near x; x is the last point where both were finite",
        LeastSquaresStatus.CALLBACK: "Stopped because `callback` function raised "
        "`StopIteration` or returned `True`",
        LeastSquaresStatus.MAX_NFEV: "The maximum number of function evaluations is exceeded.",
        LeastSquaresStatus.GTOL: "`gtol` termination condition is satisfied.",
        LeastSquaresStatus.FTOL: "`ftol` termination condition is satisfied.",
        LeastSquaresStatus.XTOL: "`xtol` termination condition is satisfied.",
        LeastSquaresStatus.FTOL_AND_XTOL: "Both `ftol` and `xtol` termination conditions are "
        "satisfied.",
    },
)
