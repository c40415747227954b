"""Line searches, each returning a :class:`LineSearchResult`.

* :class:`BacktrackingLineSearch` — Armijo backtracking (N&W Alg. 3.1);
* :class:`StrongWolfeLineSearch` — Moré–Thuente (1994);
* :class:`ConstraintAwareBacktracking` — shrink a full step until the actual decrease is a
  fair share of the predicted one and a constraint holds, else restore the start point
  (the acceptance rule of TRPO, written generically).
"""

from ._result import LineSearchResult, LineSearchStatus
from .backtracking import BacktrackingLineSearch, ConstraintAwareBacktracking
from .wolfe import StrongWolfeLineSearch

__all__ = [
    "BacktrackingLineSearch",
    "ConstraintAwareBacktracking",
    "LineSearchResult",
    "LineSearchStatus",
    "StrongWolfeLineSearch",
]
