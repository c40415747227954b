"""Nonlinear least squares: ``least_squares`` (scipy's signature and result) as a
trust-region method on the Gauss–Newton model."""

from ._batch import LeastSquaresBatchResult, least_squares_batch
from ._curve_fit import curve_fit
from ._driver import least_squares
from ._loss import LOSSES
from ._result import LeastSquaresStatus

__all__ = [
    "LOSSES",
    "LeastSquaresBatchResult",
    "LeastSquaresStatus",
    "curve_fit",
    "least_squares",
    "least_squares_batch",
]
