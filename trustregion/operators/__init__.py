"""Symmetric linear operators applied matrix-free.

Every solver takes its matrices through :func:`as_operator`, which accepts numpy arrays,
scipy sparse matrices, ``scipy.sparse.linalg.LinearOperator`` and plain callables and
returns a :class:`SymmetricOperator` (itself a ``LinearOperator``).
"""

from ._fisher import (
    FisherOperator,
    categorical_fisher_product,
    gaussian_fisher_diagonal,
)
from ._hessian import FiniteDifferenceHessian, GaussNewtonOperator, HessianVectorProduct
from ._preconditioners import JacobiPreconditioner, Preconditioner
from ._symmetric import (
    DampedOperator,
    ExplicitMatrix,
    OperatorLike,
    SymmetricOperator,
    as_operator,
)

__all__ = [
    "DampedOperator",
    "ExplicitMatrix",
    "FiniteDifferenceHessian",
    "FisherOperator",
    "GaussNewtonOperator",
    "HessianVectorProduct",
    "JacobiPreconditioner",
    "OperatorLike",
    "Preconditioner",
    "SymmetricOperator",
    "as_operator",
    "categorical_fisher_product",
    "gaussian_fisher_diagonal",
]
