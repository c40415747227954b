"""``minimize`` on Numba-compiled functions: the whole run in one compiled loop."""

from typing import Any

import numpy as np

from .. import _iteration as T
from .._compiled_functions import function_address, is_compiled
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
        and is_compiled(fun, jac, second)
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


_CALL = {
    "fun": "(x) -> float",
    "jac": "(x) -> a float64 array of shape (n,)",
    "hess": "(x) -> a C-contiguous float64 array of shape (n, n)",
    "hessp": "(x, p) -> a float64 array of shape (n,)",
}


def _address(function: Any, name: str) -> Any:
    """``function``'s address in the role ``name`` of the compiled loop."""
    return function_address(function, name, T.COMPILED_SIGNATURES[name], _CALL[name])
