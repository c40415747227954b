"""``trustregion.minimize_batch``: many independent problems of one size, in lockstep."""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .. import _iteration as T
from ._machine import Machine
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result


class BatchResult(OptimizeResult):
    """The results of :func:`minimize_batch`, one row (or entry) per problem.

    Fields: ``x`` (B, n), ``fun`` (B,), ``jac`` (B, n), ``nit``, ``nfev``, ``njev``,
    ``nhev``, ``status`` (the :class:`MinimizeStatus` values) and ``nonfinite_trials``
    (B,) integer arrays, ``success`` (B,) booleans, ``trust_radius`` (B,), and a
    ``message`` that counts the problems by status. ``result(b)`` is problem b's own
    :class:`Result`, the one ``minimize`` returns for it.
    """

    def result(self, b: int) -> Result:
        """Problem b's :class:`Result`, as ``minimize`` on that problem alone returns it."""
        status = MinimizeStatus(int(self.status[b]))
        nit = int(self.nit[b])
        radius = float(self.trust_radius[b])
        return Result(
            x=self.x[b].copy(),
            fun=float(self.fun[b]),
            jac=self.jac[b].copy(),
            nit=nit,
            niter=nit,
            nfev=int(self.nfev[b]),
            njev=int(self.njev[b]),
            nhev=int(self.nhev[b]),
            optimality=float(np.abs(self.jac[b]).max()),
            constr_violation=0.0,
            trust_radius=radius,
            tr_radius=radius,
            nonfinite_trials=int(self.nonfinite_trials[b]),
            status=status,
            success=status.success,
            message=status.message,
        )


def minimize_batch(
    fun: Callable[..., Any],
    X0: ArrayLike,
    args: Any = (),
    jac: Callable[..., Any] | None = None,
    hess: Callable[..., Any] | None = None,
    hessp: Callable[..., Any] | None = None,
    tol: float | None = None,
    options: Mapping[str, Any] | None = None,
) -> BatchResult:
    """Minimise B independent functions f_b of the same n variables, in lockstep.

    Each problem runs :func:`minimize`'s trust-region method with Steihaug–Toint steps
    (Conn, Gould & Toint 2000, Alg. 6.1.1 and 7.5.1) with its own iterate, radius,
    evaluation counts and status, in the same compiled kernel, so each problem's iterates
    are exactly those of ``minimize(f_b, X0[b], jac=..., hess=...)`` on it alone, given
    functions that compute row b the same way batched as alone. The user's functions are
    called once per round for all problems, vectorised: the workload of fitting one
    small model per pixel, voxel or sensor, where a loop of ``minimize`` calls would
    spend its time in Python.

    Parameters
    ----------
    fun : callable
        ``fun(X, *args) -> (B,)``: f_b(X[b]) for each row of X (B, n).
    X0 : array_like, shape (B, n)
        The starting points, one row per problem.
    args : tuple
        Extra arguments of every function (per-problem data as arrays with B rows).
    jac : callable
        ``jac(X, *args) -> (B, n)``: the gradients, row by row.
    hess, hessp : callable
        ``hess(X, *args) -> (B, n, n)``, or ``hessp(X, P, *args) -> (B, n)``: the
        Hessians, or their products with the rows of P. Exactly one.
    tol : float, optional
        Sets ``gtol`` unless ``options`` does, as in :func:`minimize`.
    options : dict, optional
        :class:`TrustRegionOptions` (every problem gets the same), except ``disp`` and
        ``return_all``, which a batch does not support.

    Every function is called with all B rows, so that per-problem data in ``args`` stay
    aligned: rows of problems that did not ask for a value hold their current point and
    are ignored (so a value there need not even be finite), as are the rows of problems
    that have ended. Evaluation counts are per problem, of the values each one asked for.

    Returns
    -------
    BatchResult
    """
    options = dict(options or {})
    if tol is not None:
        options.setdefault("gtol", tol)
    opts = TrustRegionOptions.from_dict(options)
    if opts.disp or opts.return_all:
        raise ValueError("minimize_batch does not support the options disp and return_all")
    X = starting_points(X0)
    args = args if isinstance(args, tuple) else (args,)
    if not callable(fun):
        raise ValueError("fun must be a callable fun(X, *args) -> (B,)")
    if not callable(jac):
        raise ValueError("minimize_batch needs jac, a callable jac(X, *args) -> (B, n)")
    if (hess is None) == (hessp is None) or not callable(hess if hess is not None else hessp):
        raise ValueError(
            "minimize_batch needs exactly one of hess (hess(X, *args) -> (B, n, n)) and "
            "hessp (hessp(X, P, *args) -> (B, n)), a callable"
        )
    stored = hess is not None
    machine = Machine(X, opts, step_mode=T.STEP_DENSE if stored else T.STEP_PRODUCTS)
    second = hess if hess is not None else hessp
    assert second is not None
    B, n = X.shape
    counts = np.zeros((B, 3), dtype=np.int64)
    requests = np.full(B, T.REQUEST_NONE, dtype=np.int64)
    points, directions = np.empty((B, n)), np.empty((B, n))
    # What a round asks for no problem is not evaluated: these stand in (never read).
    idle = (np.zeros(B), np.zeros((B, n)), np.zeros((B, n, n) if stored else (B, 0, 0)))
    values = (idle[0], idle[1], idle[2], idle[1])
    while T.advance_batch(
        machine.vectors,
        machine.hess,
        machine.real,
        machine.ints,
        machine.options,
        counts,
        requests,
        points,
        directions,
        *values,
    ):
        values = _evaluate(requests, points, directions, fun, jac, second, stored, args, idle)
    return _batch_result(machine, counts)


def starting_points(X0: ArrayLike) -> np.ndarray:
    """X0 as a new (B, n) float64 array with finite entries, or a ValueError."""
    try:
        X = np.array(X0, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X0 must be a (B, n) array of floats: {error}") from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X0 must be a (B, n) array with B, n >= 1; got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X0 must be finite (it holds NaN or infinity)")
    return X


def _evaluate(
    requests: np.ndarray,
    points: np.ndarray,
    directions: np.ndarray,
    fun: Callable[..., Any],
    jac: Callable[..., Any],
    second: Callable[..., Any],
    stored: bool,
    args: tuple[Any, ...],
    idle: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One round's values (f, gradients, Hessians, products): one call of each function
    that some problem asked for, at all the points, each given a copy."""
    B, n = points.shape
    asked = np.bincount(requests, minlength=T.REQUEST_PRODUCT + 1).astype(bool)
    f = checked_value(fun(points.copy(), *args), (B,), "fun(X)") if asked[T.REQUEST_F] else idle[0]
    g = (
        checked_value(jac(points.copy(), *args), (B, n), "jac(X)")
        if asked[T.REQUEST_G]
        else idle[1]
    )
    h, p = idle[2], idle[1]
    if asked[T.REQUEST_MODEL] and stored:
        h = checked_value(second(points.copy(), *args), (B, n, n), "hess(X)")
    if asked[T.REQUEST_PRODUCT]:
        p = checked_value(second(points.copy(), directions.copy(), *args), (B, n), "hessp(X, P)")
    return f, g, h, p


def checked_value(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    """A user function's value as a C-contiguous float64 array of ``shape`` (the kernel's
    type), or a ValueError."""
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} must return an array of shape {shape}, got {array.shape}")
    return array


def _batch_result(machine: Machine, counts: np.ndarray) -> BatchResult:
    """The BatchResult of a finished machine."""
    status = machine.ints[:, T.I_STATUS].copy()
    success = np.isin(status, [s.value for s in MinimizeStatus if s.success])
    tally = ", ".join(
        f"{MinimizeStatus(code).name}: {count}"
        for code, count in zip(*np.unique(status, return_counts=True), strict=True)
    )
    return BatchResult(
        x=machine.vectors[:, T.V_X].copy(),
        fun=machine.real[:, T.R_F].copy(),
        jac=machine.vectors[:, T.V_G].copy(),
        nit=machine.ints[:, T.I_NIT].copy(),
        nfev=counts[:, 0].copy(),
        njev=counts[:, 1].copy(),
        nhev=counts[:, 2].copy(),
        status=status,
        success=success,
        trust_radius=machine.real[:, T.R_RADIUS].copy(),
        nonfinite_trials=machine.ints[:, T.I_NONFINITE].copy(),
        message=f"{int(success.sum())} of {status.shape[0]} problems converged ({tally})",
    )
