"""The state of :func:`trustregion._iteration.advance` for a batch of problems."""

import numpy as np

from .. import _iteration as T
from ._bounds import Box
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result


class Machine:
    """The arrays of B problems of n variables run by :func:`~trustregion._iteration.
    advance` (one problem per leading index), allocated once per run: ``vectors`` (B,
    V_ROWS, n), ``hess`` (B, n, n) when the model Hessians are stored here (``step_mode``
    STEP_DENSE), else (B, 0, 0), ``real`` and ``ints`` (the slots), and ``options``.

    ``x0`` (B, n) is copied in, the gradient rows start as NaN (what a result shows when
    f(x₀) is not finite and the gradient is never asked for), and every radius is Δ₀.
    ``report`` and ``notify_accepted`` ask the kernel to stop at the end of each
    iteration and before each step is taken.
    """

    __slots__ = ("vectors", "hess", "real", "ints", "options")

    def __init__(
        self,
        x0: np.ndarray,
        opts: TrustRegionOptions,
        *,
        step_mode: int,
        report: bool = False,
        notify_accepted: bool = False,
    ) -> None:
        batch, n = x0.shape
        self.vectors = np.zeros((batch, T.V_ROWS, n))
        self.vectors[:, T.V_X] = x0
        self.vectors[:, T.V_G] = np.nan
        stored = step_mode == T.STEP_DENSE
        self.hess = np.zeros((batch, n, n) if stored else (batch, 0, 0))
        self.real = np.zeros((batch, T.REAL_SIZE))
        self.real[:, T.R_RADIUS] = opts.initial_radius
        self.ints = np.zeros((batch, T.INTS_SIZE), dtype=np.int64)
        self.ints[:, T.I_STEP_MODE] = step_mode
        self.options = option_array(opts, report=report, notify_accepted=notify_accepted)

    def status(self, b: int) -> MinimizeStatus:
        """Why problem b stopped."""
        return MinimizeStatus(int(self.ints[b, T.I_STATUS]))

    def result(
        self,
        b: int,
        counts: tuple[int, int, int],
        status: MinimizeStatus | None,
        box: Box | None = None,
    ) -> Result:
        """A Result of problem b, with ``counts`` (nfev, njev, nhev); ``status`` None for
        an intermediate one."""
        x, g = self.vectors[b, T.V_X], self.vectors[b, T.V_G]
        radius = float(self.real[b, T.R_RADIUS])
        nit = int(self.ints[b, T.I_NIT])
        result = Result(
            x=x.copy(),
            fun=float(self.real[b, T.R_F]),
            jac=g.copy(),
            nit=nit,
            niter=nit,
            nfev=counts[0],
            njev=counts[1],
            nhev=counts[2],
            optimality=stationarity(x, g, box),
            constr_violation=0.0,  # every iterate satisfies the bounds
            trust_radius=radius,
            tr_radius=radius,
            nonfinite_trials=int(self.ints[b, T.I_NONFINITE]),
        )
        if status is not None:
            result.update(status=status, success=status.success, message=status.message)
        return result


def stationarity(x: np.ndarray, g: np.ndarray, box: Box | None) -> float:
    """‖∇f‖∞, or with bounds the projected gradient's ‖P(x - ∇f) - x‖∞ (Conn, Gould & Toint
    2000, §12.1), which vanishes exactly at the box problem's first-order points."""
    measure = g if box is None else box.projected_gradient(x, g)
    return float(np.abs(measure).max())


def option_array(
    opts: TrustRegionOptions, *, report: bool = False, notify_accepted: bool = False
) -> np.ndarray:
    """The kernel's ``options``: TrustRegionOptions' numbers in the ``O_*`` slots (no
    max_nfev is +inf) and the two flags as 0.0 or 1.0."""
    options = np.empty(T.OPTIONS_SIZE)
    options[T.O_GTOL] = opts.gtol
    options[T.O_XTOL] = opts.xtol
    options[T.O_MAXITER] = opts.maxiter
    options[T.O_MAX_NFEV] = np.inf if opts.max_nfev is None else opts.max_nfev
    options[T.O_F_UNBOUNDED] = opts.f_unbounded
    options[T.O_ACCEPT] = opts.accept_threshold
    options[T.O_SHRINK_THRESHOLD] = opts.shrink_threshold
    options[T.O_EXPAND_THRESHOLD] = opts.expand_threshold
    options[T.O_SHRINK] = opts.shrink_factor
    options[T.O_EXPAND] = opts.expand_factor
    options[T.O_MAX_RADIUS] = opts.max_radius
    options[T.O_REPORT] = float(report)
    options[T.O_NOTIFY_ACCEPTED] = float(notify_accepted)
    return options
