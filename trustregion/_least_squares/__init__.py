"""Nonlinear least squares: ``least_squares`` (scipy's signature and result) as a
trust-region method on the Gauss–Newton model."""

from ._curve_fit import curve_fit
from ._driver import least_squares
from ._loss import LOSSES
from ._result import LeastSquaresStatus

__all__ = ["LOSSES", "LeastSquaresStatus", "curve_fit", "least_squares"]
