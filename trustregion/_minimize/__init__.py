"""The trust-region driver: :func:`minimize`, :func:`minimize_batch` and the scipy
adapter (private package; the names are re-exported by :mod:`trustregion`)."""

from ._batch import BatchResult, minimize_batch
from ._driver import minimize
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result
from ._scipy import scipy_method

__all__ = [
    "BatchResult",
    "MinimizeStatus",
    "Result",
    "TrustRegionOptions",
    "minimize",
    "minimize_batch",
    "scipy_method",
]
