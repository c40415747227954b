"""Stop reasons of the solvers, as enums whose ``message`` tells the user what happened.

The kernels return the integer codes of :mod:`trustregion._kernels`; :func:`cg_status` and
:func:`step_status` are the one place where those codes become public statuses.
"""

from enum import IntEnum
from typing import Any, ClassVar, TypeVar

from . import _kernels as K


class StatusEnum(IntEnum):
    """An integer status that prints as its name and explains itself in ``message``.

    ``str(CGStatus.CONVERGED)`` is ``"CONVERGED"``, where a plain IntEnum (Python ≥ 3.11)
    prints ``"0"``; the integer value stays, so comparisons with scipy's integer statuses
    keep working. Each subclass gives the text of every member once, with
    :func:`set_messages`, and ``message`` looks it up.
    """

    _messages: ClassVar[dict[Any, str]]  # each subclass's members, by set_messages

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

    @property
    def message(self) -> str:
        """What happened, and what to do about it where something can be done."""
        return type(self)._messages[self]


_Status = TypeVar("_Status", bound=StatusEnum)


def set_messages(enum: type[_Status], messages: dict[_Status, str]) -> None:
    """Give each member of the StatusEnum subclass ``enum`` its ``message``.

    Raises
    ------
    TypeError
        Unless ``messages`` has exactly one text for each member: a status without a
        message would only fail when it is first reported.
    """
    missing, unknown = set(enum) - set(messages), set(messages) - set(enum)
    if missing or unknown:
        raise TypeError(
            f"{enum.__name__} needs one message per member; missing "
            f"{sorted(map(str, missing))}, unknown {sorted(map(str, unknown))}"
        )
    enum._messages = dict(messages)


class CGStatus(StatusEnum):
    """Why :func:`trustregion.cg` stopped."""

    CONVERGED = K.CONVERGED
    MAX_ITER = K.MAX_ITER
    NEGATIVE_CURVATURE = K.NEGATIVE_CURVATURE
    NONFINITE = K.NONFINITE
    PRECONDITIONER_NOT_POSITIVE_DEFINITE = K.BREAKDOWN


set_messages(
    CGStatus,
    {
        CGStatus.CONVERGED: "converged: the residual norm reached the tolerance",
        CGStatus.MAX_ITER: "stopped at the iteration limit before reaching the tolerance; "
        "raise maxiter, loosen rtol/atol, or use a preconditioner",
        CGStatus.NEGATIVE_CURVATURE: "stopped on a direction p with pᵀAp <= 0: A is not positive "
        "definite; x is the last iterate. For an indefinite A use "
        "solve_subproblem(method='steihaug' "
        "or 'gltr') or add damping (DampedOperator)",
        CGStatus.NONFINITE: "stopped because an operator product was not finite; x is the last "
        "finite iterate. Check the operator (NaN or overflow in A @ v)",
        CGStatus.PRECONDITIONER_NOT_POSITIVE_DEFINITE: "stopped because rᵀMr <= 0: the "
        "preconditioner M is not positive definite; x is the last iterate",
    },
)


class StepStatus(StatusEnum):
    """Why :func:`trustregion.solve_subproblem` returned the step it did."""

    INTERIOR = 0
    BOUNDARY = 1
    NEGATIVE_CURVATURE = 2
    HARD_CASE = 3
    ZERO_GRADIENT = 4
    MAX_ITER = 5
    NONFINITE = 6
    NOT_POSITIVE_DEFINITE = 7

    @property
    def success(self) -> bool:
        """Whether the step solves the subproblem (possibly exactly at a zero gradient);
        the other statuses return the best step found before the method had to stop."""
        return self in _SOLVED


_SOLVED = frozenset(
    {
        StepStatus.INTERIOR,
        StepStatus.BOUNDARY,
        StepStatus.NEGATIVE_CURVATURE,
        StepStatus.HARD_CASE,
        StepStatus.ZERO_GRADIENT,
    }
)

set_messages(
    StepStatus,
    {
        StepStatus.INTERIOR: "solved: the minimiser lies inside the trust region",
        StepStatus.BOUNDARY: "solved: the step lies on the trust-region boundary",
        StepStatus.NEGATIVE_CURVATURE: "a direction of negative curvature was followed to the "
        "trust-region boundary",
        StepStatus.HARD_CASE: "solved in the hard case: g is (numerically) orthogonal to the "
        "eigenvectors of the smallest eigenvalue, so an eigenvector was added to reach the "
        "boundary",
        StepStatus.ZERO_GRADIENT: "g = 0 and no direction of negative curvature is reachable from "
        "it: the zero step is returned (use method='exact' to find negative curvature without g)",
        StepStatus.MAX_ITER: "the iteration limit was reached before the tolerance; the step is "
        "the best found so far. Raise maxiter or loosen rtol",
        StepStatus.NONFINITE: "an operator product was not finite; the step is the last finite "
        "iterate. Check the Hessian or Hessian-vector function",
        StepStatus.NOT_POSITIVE_DEFINITE: "the method needs a positive definite matrix and this "
        "one is not: see the method's documentation for the step returned; use method='steihaug', "
        "'gltr' or 'exact' for indefinite models",
    },
)


def cg_status(code: int) -> CGStatus:
    """The :class:`CGStatus` of a terminal code of ``_kernels.truncated_cg`` run without a
    radius: its values are the kernel's codes."""
    return CGStatus(code)


# The step each terminal kernel code stands for, where that does not depend on the method
# (see step_status for the two that do).
_STEP_STATUS = {
    K.BOUNDARY: StepStatus.BOUNDARY,
    K.MAX_ITER: StepStatus.MAX_ITER,
    K.NONFINITE: StepStatus.NONFINITE,
    K.BREAKDOWN: StepStatus.NOT_POSITIVE_DEFINITE,  # the metric M (the preconditioner)
    K.TRIDIAG_INTERIOR: StepStatus.INTERIOR,
    K.TRIDIAG_BOUNDARY: StepStatus.BOUNDARY,
    K.TRIDIAG_HARD_CASE: StepStatus.HARD_CASE,
}


def step_status(
    code: int,
    *,
    converged: StepStatus = StepStatus.INTERIOR,
    follows_negative_curvature: bool = True,
) -> StepStatus:
    """The :class:`StepStatus` of a subproblem solver whose kernel stopped with ``code``.

    Parameters
    ----------
    code : int
        A terminal code of ``_kernels.truncated_cg``, ``gltr`` or ``tridiagonal_tr_solve``.
    converged : StepStatus
        What the Krylov kernel's ``CONVERGED`` means for the method's step: an interior
        minimiser for Steihaug–Toint CG (the default), the step scaled to the boundary for
        the natural step. (Converged GLTR passes its last tridiagonal solve's code.)
    follows_negative_curvature : bool
        Whether the method follows a direction of non-positive curvature to the boundary
        (Steihaug–Toint). Where it needs the iterated matrix positive definite instead
        (dogleg's Newton point on B, the natural step's CG on M), such a direction means
        ``NOT_POSITIVE_DEFINITE``.
    """
    if code == K.CONVERGED:
        return converged
    if code == K.NEGATIVE_CURVATURE:
        return (
            StepStatus.NEGATIVE_CURVATURE
            if follows_negative_curvature
            else StepStatus.NOT_POSITIVE_DEFINITE
        )
    return _STEP_STATUS[code]
