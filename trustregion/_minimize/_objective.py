"""The objective as the driver sees it: f(x) and ∇f(x), counted, on copies of x."""

from collections.abc import Callable, Sequence
from typing import Any, SupportsFloat, cast

import numpy as np

from ._finite_differences import SCHEMES, approx_jacobian

Vector = np.ndarray
VectorFunction = Callable[[np.ndarray], np.ndarray]


def as_scalar(value: Any, name: str = "fun") -> float:
    """A user function's value as a float: a Python or numpy scalar, or any array with
    one element (scipy accepts all of these)."""
    if np.isscalar(value):  # (a str or complex scalar raises in float, as it should)
        return float(cast(SupportsFloat, value))
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"{name} must return a scalar, got an array of shape {array.shape}")
    return float(array.reshape(()))


class Objective:
    """f(x) and ∇f(x) from the user's ``fun`` and ``jac``, with evaluation counts.

    Every call passes the user's function a new copy of x, so that one that writes into its
    argument cannot change the iterate. ``jac`` may be a callable; ``True`` (``fun``
    returns ``(f, ∇f)``, evaluated once per point); or, when no gradient is given,
    ``None``/``False``/``"2-point"``/``"3-point"``/``"cs"`` for finite differences
    (:func:`approx_jacobian`; ``None`` and ``False`` mean ``"2-point"``, as in scipy), which
    stay inside ``[lo, hi]``.

    Attributes
    ----------
    nfev, njev : int
        Calls of ``fun`` (finite differences included) and of ``jac``.
    estimated_gradient : bool
        Whether ∇f is a finite difference.
    """

    def __init__(
        self,
        fun: Callable[..., Any],
        jac: Callable[..., Any] | bool | str | None,
        args: Sequence[Any] = (),
        *,
        lo: Vector | None = None,
        hi: Vector | None = None,
        rel_step: float | None = None,
    ) -> None:
        if not callable(fun):
            raise ValueError(f"fun must be callable, got {type(fun).__name__}")
        if jac is None or jac is False:
            jac = "2-point"
        if not (callable(jac) or jac is True or jac in SCHEMES):
            raise ValueError(
                f"jac must be a callable, True, None or one of "
                f"{', '.join(map(repr, SCHEMES))}; got {jac!r}"
            )
        self._fun, self._jac, self._args = fun, jac, tuple(args)
        self._lo, self._hi, self._rel_step = lo, hi, rel_step
        self.nfev = self.njev = 0
        self.estimated_gradient = isinstance(jac, str)
        # (x, f, g or None) at the last point evaluated
        self._last: tuple[Vector, float, Vector | None] | None = None

    def _call(self, x: Vector) -> Any:
        self.nfev += 1
        return self._fun(x.copy(), *self._args)

    def value(self, x: Vector) -> float:
        """f(x) (``nan`` propagates: the driver decides what a non-finite value means)."""
        if self._jac is True:
            value, grad = self._call(x)
            grad = np.asarray(grad, dtype=np.float64).reshape(-1)
        else:
            value, grad = self._call(x), None
        f = as_scalar(value)
        self._last = (x.copy(), f, grad)
        return f

    def gradient(self, x: Vector) -> np.ndarray:
        """∇f(x), a new array."""
        if callable(self._jac):
            self.njev += 1
            return np.asarray(self._jac(x.copy(), *self._args), dtype=np.float64).reshape(-1)
        if self._last is None or not np.array_equal(self._last[0], x):
            self.value(x)
        assert self._last is not None  # value(x) has just set it
        _, f, grad = self._last
        if grad is not None:
            return grad.copy()
        scheme = self._jac
        assert isinstance(scheme, str)  # no gradient of the user's: a difference scheme
        return approx_jacobian(
            self._scalar_for(scheme),
            x,
            f,
            scheme,
            rel_step=self._rel_step,
            lo=self._lo,
            hi=self._hi,
        )[0]

    def _scalar_for(self, scheme: str) -> Callable[[Vector], Any]:
        if scheme != "cs":
            return lambda z: as_scalar(self._call(z))
        # The complex step needs the complex value, not its real part.
        return lambda z: np.asarray(self._call(z)).reshape(-1)

    def gradient_for_differencing(self, scheme: str) -> VectorFunction:
        """∇f as a function to difference for a Hessian by ``scheme``; the complex step
        calls the user's gradient with complex x."""
        if self.estimated_gradient:
            raise ValueError(
                f"hess={scheme!r}: Whenever the gradient is estimated via "
                f"finite-differences, we require the Hessian to be estimated "
                f"using one of the quasi-Newton strategies (scipy's rule: a "
                f"difference of a difference keeps a quarter of the digits); "
                f"pass jac, or hess=scipy.optimize.BFGS()"
            )
        if scheme != "cs":
            return self.gradient
        if self._jac is True:
            return lambda z: np.asarray(self._call(z)[1]).reshape(-1)
        jac = self._jac
        assert callable(jac)  # neither True nor estimated: the user's gradient

        def complex_gradient(z: Vector) -> Vector:
            self.njev += 1
            return np.asarray(jac(z.copy(), *self._args)).reshape(-1)

        return complex_gradient
