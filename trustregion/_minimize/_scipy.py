"""Use the trust-region driver from ``scipy.optimize.minimize(method=...)``."""

from collections.abc import Callable
from typing import Any

from numpy.typing import ArrayLike

from ._driver import minimize
from ._result import Result


def scipy_method(subproblem: str = "steihaug") -> Callable[..., Result]:
    """A callable for ``scipy.optimize.minimize(fun, x0, method=scipy_method("gltr"), ...)``.

    scipy calls a callable method with ``fun, x0, args, jac, hess, hessp, bounds,
    constraints, callback`` and the ``options`` as keywords, ``tol`` among them when given
    (having turned ``jac=True`` into a memoised gradient, and a ``jac`` string into None);
    ``tol`` sets ``gtol`` as in :func:`trustregion.minimize`, and the options take our
    names or scipy's (:class:`TrustRegionOptions`). The result is
    :func:`trustregion.minimize`'s.
    """
    if not isinstance(subproblem, str):
        raise ValueError("subproblem must be the name of a subproblem method")

    def method(
        fun: Callable[..., Any],
        x0: ArrayLike,
        args: Any = (),
        jac: Any = None,
        hess: Any = None,
        hessp: Callable[..., Any] | None = None,
        bounds: Any = None,
        constraints: Any = (),
        callback: Callable[..., Any] | None = None,
        tol: float | None = None,
        **options: Any,
    ) -> Result:
        return minimize(
            fun, x0, args, subproblem, jac, hess, hessp, bounds, constraints, tol, callback, options
        )

    method.__name__ = f"trustregion_{subproblem}"
    return method
