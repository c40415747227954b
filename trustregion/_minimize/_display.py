"""``disp=True``: a line per iteration and scipy's final summary."""

import warnings

from ._result import Result


class IterationLog:
    """Prints the iteration table and the summary when enabled; silent otherwise.

    The summary is scipy's (``_minimize_trust_region``): the message, then the final f
    and the evaluation counts; a run that did not succeed also raises a RuntimeWarning
    with the message, as scipy's methods do under ``disp``.
    """

    _HEADER = f"{'iter':>6} {'f(x)':>14} {'stationarity':>13} {'radius':>10} {'ratio':>10}"

    def __init__(self, enabled: bool) -> None:
        self.enabled = bool(enabled)
        self._started = False

    def iteration(
        self, nit: int, f: float, stationarity: float, radius: float, ratio: float
    ) -> None:
        if not self.enabled:
            return
        if not self._started:
            print(self._HEADER)
            self._started = True
        print(f"{nit:6d} {f:14.6e} {stationarity:13.3e} {radius:10.3e} {ratio:10.3e}")

    def summary(self, result: Result) -> None:
        if not self.enabled:
            return
        if result.success:
            print(result.message)
        else:
            warnings.warn(result.message, RuntimeWarning, stacklevel=3)  # the caller of minimize
        print(f"         Current function value: {result.fun:f}")
        print(f"         Iterations: {result.nit:d}")
        print(f"         Function evaluations: {result.nfev:d}")
        print(f"         Gradient evaluations: {result.njev:d}")
        print(f"         Hessian evaluations: {result.get('nhev', 0):d}")
