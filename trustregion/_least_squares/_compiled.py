"""``least_squares`` on Numba-compiled functions: the whole run in one compiled loop."""

from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .. import _gauss_newton_iteration as G
from .._compiled_functions import function_address, is_compiled
from ._arguments import Settings
from ._machine import GaussNewtonMachine


def compiled_run_applies(
    fun: Any, jac: Any, args: tuple, kwargs: dict | None, opts: Settings
) -> bool:
    """Whether ``least_squares`` runs compiled: ``fun`` and ``jac`` are ``numba.njit``
    functions without extra arguments, and nothing asks for Python between iterations
    (no callback, no per-iteration log). The iteration must also be the kernel's own
    (a dense J, no bounds, the linear loss): the caller checks that on J(x₀)."""
    return (
        not args and not kwargs and opts.stop is None and opts.verbose < 2 and is_compiled(fun, jac)
    )


def least_squares_compiled(
    fun: Any,
    jac: Any,
    x0: np.ndarray,
    f0: np.ndarray,
    J0: np.ndarray,
    opts: Settings,
    precision: float,
) -> OptimizeResult:
    """The run of :func:`trustregion._gauss_newton_iteration.advance` from x₀ (where
    ``f0`` and ``J0`` have been evaluated and checked), served by the user's
    ``numba.njit`` functions inside the compiled loop: the same iterates as
    ``least_squares`` on the same functions called from Python."""
    machine = GaussNewtonMachine(x0[None, :], f0[None, :], opts, dense=True, precision=precision)
    machine.jacobians[0, 0] = J0
    counts = np.ones(2, dtype=np.int64)  # the evaluations at x₀
    G.compiled_loop()(
        function_address(fun, "fun", G.COMPILED_SIGNATURES["fun"], _CALL["fun"]),
        function_address(jac, "jac", G.COMPILED_SIGNATURES["jac"], _CALL["jac"]),
        machine.vectors[0],
        machine.residuals[0],
        machine.jacobians[0],
        machine.vt[0],
        machine.real[0],
        machine.ints[0],
        machine.options,
        counts,
    )
    return machine.result(0, int(counts[0]), int(counts[1]))


_CALL = {
    "fun": "(x) -> a float64 array of residuals, shape (m,)",
    "jac": "(x) -> a C-contiguous float64 array of shape (m, n)",
}
