"""``minimize`` on Numba-compiled functions: the whole run in one compiled loop."""

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from numba.core.dispatcher import Dispatcher
from numba.core.errors import NumbaError
from numba.core.types import FunctionType, WrapperAddressProtocol

# The one way Numba offers to turn a jit function into the address of its compiled code
# for a given signature (what it does itself when such a function is passed where a
# first-class function type is expected). Marked experimental since Numba 0.49.
from numba.experimental.function_type import _get_wrapper_address

from .. import _iteration as T
from ._machine import Machine
from ._options import TrustRegionOptions
from ._result import Result


def compiled_run_applies(
    fun: Any,
    jac: Any,
    hess: Any,
    hessp: Any,
    method: Any,
    args: tuple[Any, ...],
    *,
    plain: bool,
) -> bool:
    """Whether ``minimize`` runs compiled: ``fun``, ``jac`` and ``hess`` or ``hessp`` are
    ``numba.njit`` functions, the method is Steihaug–Toint's, there are no extra ``args``,
    and nothing asks for Python between iterations (``plain``: no bounds, constraints,
    callback, log or ``return_all``)."""
    second = hess if hess is not None else hessp
    return (
        plain
        and not args
        and isinstance(method, str)
        and method == "steihaug"
        and all(isinstance(f, Dispatcher) for f in (fun, jac, second))
    )


def minimize_compiled(
    fun: Any, jac: Any, hess: Any, hessp: Any, x0: np.ndarray, opts: TrustRegionOptions
) -> Result:
    """The trust-region run of :func:`trustregion._iteration.advance`, served by the
    user's ``numba.njit`` functions (those :func:`compiled_run_applies` has checked;
    ``hess`` or ``hessp``, the other None) inside the compiled loop
    (``_iteration.compiled_loop``): the same iterates as ``minimize`` on the same
    functions called from Python."""
    stored = hess is not None
    machine = Machine(x0[None, :], opts, step_mode=T.STEP_DENSE if stored else T.STEP_PRODUCTS)
    counts = np.zeros(3, dtype=np.int64)
    functions = (
        _address(fun, "fun"),
        _address(jac, "jac"),
        _address(hess if hess is not None else T.no_hessian, "hess"),
        _address(hessp if hessp is not None else T.no_product, "hessp"),
    )
    T.compiled_loop()(
        *functions,
        stored,
        machine.vectors[0],
        machine.hess[0],
        machine.real[0],
        machine.ints[0],
        machine.options,
        counts,
    )
    nfev, njev, nhev = (int(c) for c in counts)
    return machine.result(0, (nfev, njev, nhev), machine.status(0))


class _Address(WrapperAddressProtocol):
    """A compiled function as the compiled loop takes it: the address of its code for
    one signature (Numba's wrapper-address protocol)."""

    def __init__(self, function: Dispatcher, name: str) -> None:
        self._signature = T.COMPILED_SIGNATURES[name]
        # Numba's typeof takes this type as it is instead of building it from
        # signature() at every call, which cost 15 µs a function.
        self._numba_type_ = FunctionType(self._signature)
        try:
            self._address = _get_wrapper_address(function, self._signature)
        except NumbaError as error:
            raise TypeError(
                f"{name} is a numba.njit function, so minimize runs it in its compiled "
                f"loop, which calls it as {name}{_CALL[name]}; it does not compile for "
                f"that signature ({self._signature}): {error}"
            ) from error

    def __wrapper_address__(self) -> int:
        return self._address

    def signature(self) -> Any:
        return self._signature


_CALL = {
    "fun": "(x) -> float",
    "jac": "(x) -> a float64 array of shape (n,)",
    "hess": "(x) -> a C-contiguous float64 array of shape (n, n)",
    "hessp": "(x, p) -> a float64 array of shape (n,)",
}

# A function's address is looked up once per role: the lookup costs tens of
# microseconds, as much as a whole compiled run on a small problem.
_ADDRESSES: "weakref.WeakKeyDictionary[Callable[..., Any], dict[str, _Address]]" = (
    weakref.WeakKeyDictionary()
)


def _address(function: Dispatcher, name: str) -> _Address:
    """The cached :class:`_Address` of ``function`` in the role ``name``."""
    roles = _ADDRESSES.get(function)
    if roles is None:
        roles = _ADDRESSES[function] = {}
    address = roles.get(name)
    if address is None:
        address = roles[name] = _Address(function, name)
    return address
