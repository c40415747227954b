"""The record every line search returns."""

from dataclasses import dataclass

import numpy as np

from .._status import StatusEnum, set_messages


class LineSearchStatus(StatusEnum):
    """Why a line search stopped."""

    ACCEPTED = 0
    MAX_BACKTRACKS = 1
    MAX_EVALUATIONS = 2
    INTERVAL_TOO_SMALL = 3


_MESSAGES = {
    LineSearchStatus.ACCEPTED: "a step satisfying the acceptance conditions was found",
    LineSearchStatus.MAX_BACKTRACKS: "no step fraction was acceptable within the allowed "
    "backtracks; the start point is returned. Check the direction and the expected "
    "improvement, or allow more backtracks",
    LineSearchStatus.MAX_EVALUATIONS: "the evaluation budget ran out before the conditions "
    "held; the best point found is returned. Raise max_evaluations or loosen c2",
    LineSearchStatus.INTERVAL_TOO_SMALL: "the interval of uncertainty shrank to rounding "
    "level before the conditions held (the function may be noisy or the direction barely "
    "descending); the best point found is returned",
}
set_messages(LineSearchStatus, _MESSAGES)


@dataclass(frozen=True)
class LineSearchResult:
    """Outcome of a line search along x + α d.

    Attributes
    ----------
    accepted : bool
        Whether ``step`` satisfies the search's acceptance conditions.
    step : float
        α; 0 when nothing was accepted and the start point was restored.
    x : ndarray
        x + α d (a new array; the start point itself is never modified).
    f : float
        The objective at ``x``.
    f0 : float
        The objective at the start point.
    backtracks : int
        Step reductions made (backtracking searches) or interval updates (Wolfe).
    evaluations : int
        Objective evaluations made.
    gradient_evaluations : int
        Gradient evaluations made.
    trial_steps, trial_values : tuple of float
        Every α tried and the objective there, in order (non-finite values included).
    constraint : float or None
        The constraint value at ``x`` for the constraint-aware search.
    status : LineSearchStatus
    """

    accepted: bool
    step: float
    x: np.ndarray
    f: float
    f0: float
    backtracks: int
    evaluations: int
    gradient_evaluations: int
    trial_steps: tuple[float, ...]
    trial_values: tuple[float, ...]
    status: LineSearchStatus
    constraint: float | None = None

    @property
    def message(self) -> str:
        return self.status.message
