"""The state of :func:`trustregion._gauss_newton_iteration.advance` for a batch of
least-squares problems, and the result it ends with."""

from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .. import _gauss_newton_iteration as G
from ._arguments import Settings
from ._result import LeastSquaresStatus

_NO_BOX = np.empty((2, 0))


class GaussNewtonMachine:
    """The arrays of B problems of n variables and m residuals run by
    :func:`~trustregion._gauss_newton_iteration.advance` (one problem per leading index),
    allocated once per run: ``vectors`` (B, V_ROWS, n), ``residuals`` (B, 3, m),
    ``jacobians`` (B, 3, m, n) and ``vt`` (B, n, n) in MODE_DENSE (else empty), ``real``,
    ``ints``, ``box`` and ``options``.

    ``x0`` (B, n) and ``f0`` (B, m) are copied in, and D starts at 1/x_scale where
    ``x_scale`` is fixed, else at 0 (raised to J's column norms by the first model).
    """

    __slots__ = ("vectors", "residuals", "jacobians", "vt", "real", "ints", "box", "options")

    def __init__(
        self,
        x0: np.ndarray,
        f0: np.ndarray,
        opts: Settings,
        *,
        dense: bool,
        precision: float,
        report: bool = False,
    ) -> None:
        batch, n = x0.shape
        m = f0.shape[1]
        self.vectors = np.zeros((batch, G.V_ROWS, n))
        self.vectors[:, G.V_X] = x0
        if isinstance(opts.x_scale, np.ndarray):
            self.vectors[:, G.V_D] = 1.0 / opts.x_scale
        self.residuals = np.zeros((batch, 3, m))
        self.residuals[:, 0] = f0
        self.jacobians = np.zeros((batch, 3, m, n) if dense else (batch, 3, 0, 0))
        self.vt = np.zeros((batch, n, n) if dense else (batch, 0, 0))
        self.real = np.zeros((batch, G.REAL_SIZE))
        self.ints = np.zeros((batch, G.INTS_SIZE), dtype=np.int64)
        self.ints[:, G.I_MODE] = G.MODE_DENSE if dense else G.MODE_DRIVER
        self.box = _NO_BOX if opts.box is None else np.stack([opts.box.lo, opts.box.hi])
        self.options = np.empty(G.OPTIONS_SIZE)
        self.options[G.O_FTOL] = opts.ftol
        self.options[G.O_XTOL] = opts.xtol
        self.options[G.O_GTOL] = opts.gtol
        self.options[G.O_MAX_NFEV] = opts.max_nfev
        self.options[G.O_UPDATE_SCALE] = float(not isinstance(opts.x_scale, np.ndarray))
        self.options[G.O_CALLER_COST] = float(opts.loss is not None)
        self.options[G.O_REPORT] = float(report)
        self.options[G.O_PRECISION] = precision

    def advance(self, b: int) -> int:
        """Advance problem b to its next request."""
        return int(
            G.advance(
                self.vectors[b],
                self.residuals[b],
                self.jacobians[b],
                self.vt[b],
                self.real[b],
                self.ints[b],
                self.box,
                self.options,
            )
        )

    def free_gradient(self, b: int) -> np.ndarray:
        """∇F at problem b's x with the components that push against an active bound
        set to zero."""
        x, g = self.vectors[b, G.V_X], self.vectors[b, G.V_G]
        if self.box.shape[1] == 0:
            return g.copy()
        return -(np.clip(x - g, self.box[0], self.box[1]) - x)

    def intermediate(self, b: int, nfev: int) -> OptimizeResult:
        """What a callback sees after an iteration of problem b."""
        return OptimizeResult(
            x=self.vectors[b, G.V_X].copy(),
            fun=self.residuals[b, 0].copy(),
            cost=float(self.real[b, G.R_COST]),
            nit=int(self.ints[b, G.I_NIT]),
            nfev=nfev,
        )

    def result(self, b: int, nfev: int, njev: int, jac: Any = None) -> OptimizeResult:
        """Problem b's result, scipy's fields; ``jac`` the model's J (None: the one
        stored here, MODE_DENSE's)."""
        x = self.vectors[b, G.V_X].copy()
        return least_squares_result(
            x=x,
            cost=float(self.real[b, G.R_COST]),
            fun=self.residuals[b, 0].copy(),
            jac=self.jacobians[b, 0].copy() if jac is None else jac,
            grad=self.vectors[b, G.V_G].copy(),
            optimality=float(np.abs(self.free_gradient(b)).max(initial=0.0)),
            active_mask=self._active_mask(x),
            nfev=nfev,
            njev=njev,
            nit=int(self.ints[b, G.I_NIT]),
            status=int(self.ints[b, G.I_STATUS]),
        )

    def _active_mask(self, x: np.ndarray) -> np.ndarray:
        """-1 at a lower bound, 1 at an upper, 0 free (within 10⁻¹⁰ relative)."""
        if self.box.shape[1] == 0:
            return np.zeros(x.shape[0], dtype=int)
        lo, hi = self.box
        tol = 1e-10 * np.maximum(1.0, np.abs(x))
        return np.where(x - lo <= tol, -1, np.where(hi - x <= tol, 1, 0))


def least_squares_result(*, status: int, **fields: Any) -> OptimizeResult:
    """``least_squares``' result: the given fields (scipy's), and the status with its
    message and ``success`` (status > 0)."""
    code = LeastSquaresStatus(status)
    return OptimizeResult(**fields, status=code, message=code.message, success=code > 0)
