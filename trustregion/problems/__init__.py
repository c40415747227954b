"""Test problems: unconstrained, bound-constrained and generally constrained.

Four suites:

* ``"mgh"``: the 35 problems of Moré, Garbow and Hillstrom, "Testing Unconstrained
  Optimization Software", ACM TOMS 7(1), 1981, 17–41, at their standard dimensions, each a
  least-squares :class:`Problem` with exact gradient, Hessian-vector product and Hessian;
* ``"cutest"``: scalable problems usable at n = 10³ to 10⁵ (default n = 1000): the banded
  MGH problems (extended Rosenbrock, extended Powell singular, discrete boundary value,
  Broyden tridiagonal) and CUTEst problems (:mod:`.scalable`), all with sparse Hessians;
* ``"bounds"``: bound-constrained variants of some of them (:mod:`.bounded`), with a
  ``bounds`` attribute.

* ``"hs"``: 49 Hock–Schittkowski problems with general constraints, their published
  starting points and optima (:class:`ConstrainedProblem`, :mod:`.hs`).

Every problem offers ``name``, ``n``, ``x0``, ``f_star``, ``x_star``, ``reference`` and
``fun``, ``grad``, ``hessp``, ``hess``.

>>> from trustregion import problems
>>> p = problems.get("rosenbrock")
>>> round(p.fun(p.x0), 12)
24.2
>>> len(problems.suite("mgh"))
35
"""

from __future__ import annotations

import numbers

from ._base import Problem
from .bounded import BOUNDED as _BOUNDED
from .bounded import BoundedProblem
from .hs import HS, ConstrainedProblem
from .mgh import BUILDERS as _MGH
from .scalable import CUTEST as _CUTEST
from .scalable import ScalableProblem

__all__ = [
    "BoundedProblem",
    "ConstrainedProblem",
    "HS",
    "Problem",
    "ScalableProblem",
    "get",
    "names",
    "suite",
]

_SCALABLE_MGH = (
    "extended_rosenbrock",
    "extended_powell",
    "discrete_boundary_value",
    "broyden_tridiagonal",
)
_SUITES = {
    "mgh": tuple(_MGH),
    "cutest": _SCALABLE_MGH + tuple(_CUTEST),
    "bounds": tuple(_BOUNDED),
    "hs": tuple(HS),
}
_DEFAULT_SCALABLE_N = 1000


def names(suite: str | None = None) -> list[str]:
    """Registered problem names: all of them, or those of one suite, in suite order.

    Returns
    -------
    list of str
    """
    if suite is None:
        return list(_MGH) + list(_CUTEST) + list(_BOUNDED) + list(HS)
    return list(_members(suite))


def get(
    name: str, n: int | None = None
) -> Problem | ScalableProblem | BoundedProblem | ConstrainedProblem:
    """Build a registered problem.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    n : int, optional
        Number of variables, for the variable-dimension problems (MGH 20–35) only;
        ``None`` gives the standard dimension. For a fixed-dimension problem only its
        own dimension (or ``None``) is accepted.

    Returns
    -------
    Problem, ScalableProblem, BoundedProblem or ConstrainedProblem

    Raises
    ------
    ValueError
        If ``name`` is unknown or ``n`` is not a valid dimension for the problem.
    """
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral)):
        raise ValueError(f"problem {name!r}: n must be an integer, got {n!r}")
    if name in _BOUNDED or name in HS:
        if n is not None:
            raise ValueError(f"problem {name!r} has a fixed dimension; n is not accepted")
        return _BOUNDED[name](get) if name in _BOUNDED else HS[name]()
    if name in _CUTEST:
        n = _DEFAULT_SCALABLE_N if n is None else int(n)
        if n < 3:
            raise ValueError(f"problem {name!r}: invalid dimension n = {n} (needs n >= 3)")
        return _CUTEST[name](n)
    try:
        builder, default_n, rule = _MGH[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown problem {name!r}; known problems: {', '.join(names())}"
        ) from None
    if default_n is None:
        problem = builder()
        if n is not None and n != problem.n:
            raise ValueError(f"problem {name!r} has fixed dimension n = {problem.n}, got n = {n}")
        return problem
    if n is None:
        n = default_n
    assert rule is not None  # every variable-dimension problem has a rule
    valid, description = rule
    if not valid(int(n)):
        raise ValueError(f"problem {name!r}: invalid dimension n = {n} (needs {description})")
    return builder(int(n))


def suite(
    name: str = "mgh", n: int | None = None
) -> list[Problem | ScalableProblem | BoundedProblem | ConstrainedProblem]:
    """All problems of a suite.

    Parameters
    ----------
    name : str
        ``"mgh"`` (the 35 Moré–Garbow–Hillstrom problems at their standard dimensions),
        ``"cutest"`` (the scalable problems), ``"bounds"`` (bound-constrained variants) or
        ``"hs"`` (Hock–Schittkowski, general constraints).
    n : int, optional
        Dimension of the "cutest" problems (default 1000); the others take none.

    Returns
    -------
    list of problems

    Raises
    ------
    ValueError
        If the suite is unknown, or ``n`` is given for "mgh".
    """
    members = _members(name)
    if name != "cutest":
        if n is not None:
            raise ValueError(f"the {name!r} suite has fixed dimensions; n is for 'cutest'")
        return [get(member) for member in members]
    return [get(member, _DEFAULT_SCALABLE_N if n is None else n) for member in members]


def _members(name: str) -> tuple[str, ...]:
    try:
        return _SUITES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown suite {name!r}; known suites: {', '.join(_SUITES)}") from None
