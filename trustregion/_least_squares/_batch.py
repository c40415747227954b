"""``trustregion.least_squares_batch``: many independent least-squares problems of one
size, in lockstep."""

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .. import _gauss_newton_iteration as G
from .._kernels import JACOBI_MAX_COLUMNS
from .._minimize._batch import checked_value, starting_points
from ._arguments import settings
from ._machine import GaussNewtonMachine, least_squares_result
from ._result import LeastSquaresStatus


class LeastSquaresBatchResult(OptimizeResult):
    """The results of :func:`least_squares_batch`, one row (or entry) per problem.

    Fields: ``x`` (B, n), ``cost`` (B,), ``fun`` (B, m), ``jac`` (B, m, n), ``grad``
    (B, n), ``optimality`` (B,), ``nfev``, ``njev``, ``nit`` and ``status`` (the
    :class:`LeastSquaresStatus` values) (B,) integer arrays, ``success`` (B,) booleans,
    and a ``message`` that counts the problems by status. ``result(b)`` is problem b's
    own result, the one ``least_squares`` returns for it.
    """

    def result(self, b: int) -> OptimizeResult:
        """Problem b's result, as ``least_squares`` on that problem alone returns it."""
        n = self.x.shape[1]
        return least_squares_result(
            x=self.x[b].copy(),
            cost=float(self.cost[b]),
            fun=self.fun[b].copy(),
            jac=self.jac[b].copy(),
            grad=self.grad[b].copy(),
            optimality=float(self.optimality[b]),
            active_mask=np.zeros(n, dtype=int),
            nfev=int(self.nfev[b]),
            njev=int(self.njev[b]),
            nit=int(self.nit[b]),
            status=int(self.status[b]),
        )


def least_squares_batch(
    fun: Callable[..., ArrayLike],
    X0: ArrayLike,
    jac: Callable[..., ArrayLike],
    args: tuple = (),
    ftol: float | None = 1e-15,
    xtol: float | None = 1e-10,
    gtol: float | None = 1e-12,
    x_scale: ArrayLike | str | None = None,
    max_nfev: int | None = None,
) -> LeastSquaresBatchResult:
    """Solve B independent problems min_x ½‖f_b(x)‖² of the same n variables and m
    residuals, in lockstep.

    Each problem runs :func:`least_squares`' method (Levenberg–Marquardt in Moré's scaled
    region, the exact step from an SVD of JD⁻¹; Moré 1978) with its own iterate, region,
    evaluation counts and status, in the same compiled kernel, so each problem's iterates
    are exactly those of ``least_squares(f_b, X0[b], jac=J_b, ...)`` on it alone, given
    functions that compute row b the same way batched as alone. The user's functions are
    called once per round for all problems, vectorised: the workload of fitting one small
    model per pixel, voxel or sensor, where a loop of ``least_squares`` calls would spend
    its time in Python.

    Parameters
    ----------
    fun : callable
        ``fun(X, *args) -> (B, m)``: the residuals f_b(X[b]) of each row of X (B, n).
    X0 : array_like, shape (B, n)
        The starting points, one row per problem.
    jac : callable
        ``jac(X, *args) -> (B, m, n)``: the Jacobians, row by row (dense).
    args : tuple
        Extra arguments of both functions (per-problem data as arrays with B rows).
    ftol, xtol, gtol, x_scale, max_nfev
        As in :func:`least_squares` (every problem gets the same; ``x_scale`` an array of
        shape (n,), "jac" or None).

    Each round calls ``fun`` and ``jac`` once, with all B rows (so that per-problem data
    in ``args`` stay aligned), at each problem's trial point: a problem reads J there
    only if it takes the step, so a round advances every problem by a whole trial. Rows
    of problems that have ended are ignored (a value there need not even be finite).
    Evaluation counts are per problem, of the values each one used, as
    ``least_squares`` counts them.
    The robust losses, bounds, finite-difference Jacobians and the iterative subproblem
    solvers of :func:`least_squares` are not offered here, nor problems of more than 32
    parameters (where ``least_squares`` factorises by LAPACK).

    Returns
    -------
    LeastSquaresBatchResult

    Raises
    ------
    ValueError
        Before any iteration: for a bad X0, tolerance or x_scale, functions that return
        the wrong shapes, and residuals or Jacobians that are not finite at some row of
        X0 (the rows are named).
    """
    X = starting_points(X0)
    opts = settings(
        X[0],
        method="trf",
        tr_solver=None,
        tr_options=None,
        ftol=ftol,
        xtol=xtol,
        gtol=gtol,
        x_scale=x_scale,
        loss="linear",
        f_scale=1.0,
        bounds=(-np.inf, np.inf),
        max_nfev=max_nfev,
        verbose=0,
        callback=None,
    )
    args = args if isinstance(args, tuple) else (args,)
    if not callable(fun):
        raise ValueError("fun must be a callable fun(X, *args) -> (B, m)")
    if not callable(jac):
        raise ValueError("least_squares_batch needs jac, a callable jac(X, *args) -> (B, m, n)")
    B, n = X.shape
    if n > JACOBI_MAX_COLUMNS:
        raise ValueError(
            f"least_squares_batch solves problems of at most {JACOBI_MAX_COLUMNS} "
            f"parameters; X0 has {n} columns (use least_squares on each)"
        )
    F0 = np.asarray(fun(X.copy(), *args))
    if F0.ndim != 2 or F0.shape[0] != B or F0.shape[1] == 0:
        raise ValueError(f"fun(X0) must return an array of shape (B, m) = ({B}, m); got {F0.shape}")
    m = F0.shape[1]
    precision = _precision(F0)
    F0 = checked_value(F0, (B, m), "fun(X)")
    J0 = checked_value(jac(X.copy(), *args), (B, m, n), "jac(X)")
    _check_finite(F0, "fun returned non-finite residuals")
    _check_finite(J0, "jac returned a non-finite Jacobian")
    machine = GaussNewtonMachine(X, F0, opts, dense=True, precision=precision)
    machine.jacobians[:, 0] = J0
    counts = np.ones((B, 2), dtype=np.int64)  # the evaluations at X0
    requests = np.full(B, G.REQUEST_NONE, dtype=np.int64)
    points = np.empty((B, n))
    F, J = np.zeros((B, m)), np.zeros((B, m, n))
    while G.advance_batch(
        machine.vectors,
        machine.residuals,
        machine.jacobians,
        machine.vt,
        machine.real,
        machine.ints,
        machine.options,
        counts,
        requests,
        points,
        F,
        J,
    ):
        F = checked_value(fun(points.copy(), *args), (B, m), "fun(X)")
        J = checked_value(jac(points.copy(), *args), (B, m, n), "jac(X)")
    return _batch_result(machine, counts)


def _check_finite(values: np.ndarray, what: str) -> None:
    """A ValueError naming the rows of ``values`` (one per problem) that are not finite."""
    bad = np.flatnonzero(~np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1))
    if bad.size:
        rows = ", ".join(map(str, bad[:10])) + (", ..." if bad.size > 10 else "")
        raise ValueError(f"{what} (NaN or infinity) at X0, for the problems in rows {rows}")


def _precision(values: np.ndarray) -> float:
    """The unit roundoff of the residuals fun computes: float32's where it returns
    float32 (or float16), as least_squares reads it from its first value."""
    if values.dtype.kind == "f" and values.itemsize < 8:
        return float(np.finfo(values.dtype).eps)
    return float(np.finfo(np.float64).eps)


def _batch_result(machine: GaussNewtonMachine, counts: np.ndarray) -> LeastSquaresBatchResult:
    """The LeastSquaresBatchResult of a finished machine."""
    status = machine.ints[:, G.I_STATUS].copy()
    success = status > 0
    tally = ", ".join(
        f"{LeastSquaresStatus(code).name}: {count}"
        for code, count in zip(*np.unique(status, return_counts=True), strict=True)
    )
    grad = machine.vectors[:, G.V_G].copy()
    return LeastSquaresBatchResult(
        x=machine.vectors[:, G.V_X].copy(),
        cost=machine.real[:, G.R_COST].copy(),
        fun=machine.residuals[:, 0].copy(),
        jac=machine.jacobians[:, 0].copy(),
        grad=grad,
        optimality=np.abs(grad).max(axis=1),
        nfev=counts[:, 0].copy(),
        njev=counts[:, 1].copy(),
        nit=machine.ints[:, G.I_NIT].copy(),
        status=status,
        success=success,
        message=f"{int(success.sum())} of {status.shape[0]} problems converged ({tally})",
    )
