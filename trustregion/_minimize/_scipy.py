"""Use the trust-region driver from ``scipy.optimize.minimize(method=...)``."""

from ._driver import minimize


def scipy_method(subproblem: str = "steihaug"):
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
        fun,
        x0,
        args=(),
        jac=None,
        hess=None,
        hessp=None,
        bounds=None,
        constraints=(),
        callback=None,
        tol=None,
        **options,
    ):
        return minimize(
            fun, x0, args, subproblem, jac, hess, hessp, bounds, constraints, tol, callback, options
        )

    method.__name__ = f"trustregion_{subproblem}"
    return method
