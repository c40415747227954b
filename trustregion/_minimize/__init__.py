"""The trust-region driver: :func:`minimize` and its scipy adapter (private package;
the names are re-exported by :mod:`trustregion`)."""

from ._driver import minimize
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result
from ._scipy import scipy_method

__all__ = ["MinimizeStatus", "Result", "TrustRegionOptions", "minimize", "scipy_method"]
