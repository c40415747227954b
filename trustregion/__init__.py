"""trustregion: trust-region numerical optimization.

A trust-region method is a model, a region, a subproblem solver and an acceptance rule.
This package provides the pieces: symmetric operators (:mod:`trustregion.operators`),
conjugate gradients (:func:`cg`), the trust-region subproblem solvers
(:func:`solve_subproblem`) and line searches (:mod:`trustregion.linesearch`), and the
driver that composes them, :func:`minimize` (unconstrained, bound-constrained, and with
general constraints by an augmented Lagrangian; wholly compiled when the user's functions
are ``numba.njit`` functions), :func:`minimize_batch` (many small problems in lockstep),
and :func:`least_squares`, the same trust-region method on the Gauss–Newton model of a sum
of squares (compiled and batched likewise: :func:`least_squares_batch`).
"""

from ._least_squares import (
    LeastSquaresBatchResult,
    LeastSquaresStatus,
    curve_fit,
    least_squares,
    least_squares_batch,
)
from ._minimize import (
    BatchResult,
    MinimizeStatus,
    Result,
    TrustRegionOptions,
    minimize,
    minimize_batch,
    scipy_method,
)
from ._status import CGStatus, StepStatus
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
from .steps import ConstrainedStep, NaturalStep, constrained_step, natural_step
from .subproblems import Step, solve_subproblem

__version__ = "0.1.0.dev0"

__all__ = [
    "BacktrackingLineSearch",
    "BatchResult",
    "CGResult",
    "CGStatus",
    "ConstrainedStep",
    "ConstraintAwareBacktracking",
    "DampedOperator",
    "FiniteDifferenceHessian",
    "FisherOperator",
    "GaussNewtonOperator",
    "HessianVectorProduct",
    "JacobiPreconditioner",
    "LeastSquaresBatchResult",
    "LeastSquaresStatus",
    "LineSearchResult",
    "LineSearchStatus",
    "MinimizeStatus",
    "NaturalStep",
    "Preconditioner",
    "Result",
    "Step",
    "StepStatus",
    "StrongWolfeLineSearch",
    "SymmetricOperator",
    "TrustRegionOptions",
    "as_operator",
    "cg",
    "constrained_step",
    "curve_fit",
    "least_squares",
    "least_squares_batch",
    "minimize",
    "minimize_batch",
    "natural_step",
    "scipy_method",
    "solve_subproblem",
]
