"""trustregion: trust-region numerical optimization.

A trust-region method is a model, a region, a subproblem solver and an acceptance rule.
This package provides the pieces: symmetric operators (:mod:`trustregion.operators`),
conjugate gradients (:func:`cg`), the trust-region subproblem solvers
(:func:`solve_subproblem`) and line searches (:mod:`trustregion.linesearch`), and the
driver that composes them, :func:`minimize` (unconstrained so far).
"""

from ._status import CGStatus, StepStatus
from ._minimize import MinimizeStatus, Result, TrustRegionOptions, minimize, scipy_method
from .krylov import CGResult, cg
from .linesearch import (
    BacktrackingLineSearch,
    ConstraintAwareBacktracking,
    LineSearchResult,
    LineSearchStatus,
    StrongWolfeLineSearch,
)
from .operators import (
    DampedOperator,
    FiniteDifferenceHessian,
    FisherOperator,
    GaussNewtonOperator,
    HessianVectorProduct,
    JacobiPreconditioner,
    Preconditioner,
    SymmetricOperator,
    as_operator,
)
from .subproblems import Step, solve_subproblem

__version__ = "0.1.0.dev0"

__all__ = [
    "BacktrackingLineSearch",
    "CGResult",
    "CGStatus",
    "ConstraintAwareBacktracking",
    "DampedOperator",
    "FiniteDifferenceHessian",
    "FisherOperator",
    "GaussNewtonOperator",
    "HessianVectorProduct",
    "JacobiPreconditioner",
    "LineSearchResult",
    "LineSearchStatus",
    "MinimizeStatus",
    "Preconditioner",
    "Result",
    "Step",
    "StepStatus",
    "StrongWolfeLineSearch",
    "SymmetricOperator",
    "TrustRegionOptions",
    "as_operator",
    "cg",
    "minimize",
    "scipy_method",
    "solve_subproblem",
]
