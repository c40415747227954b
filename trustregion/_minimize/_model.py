"""The quadratic model's Hessian at the accepted iterate."""

import copy

import numpy as np
from scipy.optimize import HessianUpdateStrategy

from ..operators import FiniteDifferenceHessian, HessianVectorProduct, as_operator


class HessianModel:
    """B_k for m(s) = f + gᵀs + ½ sᵀB_k s, rebuilt only at accepted points.

    In order of preference: ``hess(x)`` (an array, sparse matrix or LinearOperator);
    a scipy ``HessianUpdateStrategy`` such as ``BFGS()`` or ``SR1()`` (a copy, so that the
    caller's object is not modified, updated after each accepted step); ``hessp(x, v)``;
    otherwise finite differences of the gradient (N&W §8.1).
    """

    def __init__(self, n, jac, hess, hessp, args):
        """``jac(x)`` is the gradient with ``args`` bound; ``hess``/``hessp`` take them."""
        self.n = n
        self._jac, self._hess, self._hessp, self._args = jac, hess, hessp, args
        self._strategy = None
        if isinstance(hess, HessianUpdateStrategy):
            self._strategy = copy.deepcopy(hess)
            self._strategy.initialize(n, "hess")
        elif hess is not None and not callable(hess):
            raise ValueError("hess must be a callable or a scipy HessianUpdateStrategy")
        if hessp is not None and not callable(hessp):
            raise ValueError("hessp must be a callable hessp(x, v, *args)")
        self.hessian_evaluations = 0

    def _counted_hessp(self, x, v, *args):
        self.hessian_evaluations += 1
        return self._hessp(x, v, *args)

    def at(self, x, g):
        """The model Hessian at the accepted point x, where ∇f(x) = g."""
        if self._strategy is not None:
            return as_operator(self._strategy.get_matrix(), self.n, name="hess")
        if self._hess is not None:
            self.hessian_evaluations += 1
            return as_operator(self._hess(x, *self._args), self.n, name="hess(x)")
        if self._hessp is not None:
            return HessianVectorProduct(self._counted_hessp, x, self._args)
        # ``jac`` already has the arguments bound (and counts its evaluations).
        return FiniteDifferenceHessian(self._jac, x, (), gradient=g)

    def accepted(self, step, gradient_change):
        """Tell a quasi-Newton strategy about an accepted step and the gradient change."""
        if self._strategy is not None and np.any(step):
            self._strategy.update(step, gradient_change)
