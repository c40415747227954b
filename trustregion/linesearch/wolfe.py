"""Strong Wolfe line search: the algorithm of Moré & Thuente (1994)."""

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_vector
from ._checks import count, finite, open_unit
from ._result import LineSearchResult, LineSearchStatus

# Extrapolation limits while no minimiser is bracketed, and the factor by which the
# bracket must shrink each two steps before bisection is forced (Moré & Thuente, §2-4).
_EXTRAPOLATE_LOW = 1.1
_EXTRAPOLATE_HIGH = 4.0
_SHRINK_REQUIRED = 0.66


class StrongWolfeLineSearch:
    """A step α satisfying the strong Wolfe conditions::

        f(x + αd) ≤ f(x) + c₁ α φ'(0),   |φ'(α)| ≤ c₂ |φ'(0)|,   φ'(α) = ∇f(x + αd)ᵀd,

    by the safeguarded cubic/quadratic interpolation of Moré & Thuente, "Line search
    algorithms with guaranteed sufficient decrease", ACM TOMS 20 (1994) (MINPACK-2 dcsrch
    and dcstep). While no step satisfies the sufficient-decrease test with φ' ≥ 0 it works on
    the auxiliary ψ(α) = φ(α) - φ(0) - c₁αφ'(0) (stage 1), then on φ; the interval of
    uncertainty is bisected whenever it fails to shrink by 0.66 in two steps, which bounds
    the number of evaluations.

    Parameters
    ----------
    c1 : float
        Sufficient decrease, in (0, 1); default 1e-4.
    c2 : float
        Curvature, in [c1, 1); default 0.9, the usual choice for quasi-Newton directions
        (N&W §3.1); 0.1 for nonlinear CG.
    xtol : float
        Relative width of the interval of uncertainty at which the search gives up.
    max_evaluations : int
        Function-and-gradient evaluations allowed.
    step_min, step_max : float
        Bounds on α.
    """

    def __init__(
        self,
        *,
        c1: float = 1e-4,
        c2: float = 0.9,
        xtol: float = 1e-10,
        max_evaluations: int = 30,
        step_min: float = 0.0,
        step_max: float = 1e10,
    ) -> None:
        self.c1 = open_unit(c1, "c1")
        self.c2 = open_unit(c2, "c2")
        if not self.c1 <= self.c2:
            raise ValueError(
                f"c2 must not be below c1 (0 < c1 <= c2 < 1), got c1={c1!r}, c2={c2!r}"
            )
        self.xtol = open_unit(xtol, "xtol")
        self.max_evaluations = max(count(max_evaluations, "max_evaluations"), 1)
        self.step_min = finite(step_min, "step_min")
        self.step_max = finite(step_max, "step_max")
        if not 0.0 <= self.step_min < self.step_max:
            raise ValueError("step_min and step_max must satisfy 0 <= step_min < step_max")

    def search(
        self,
        fun: Callable[..., Any],
        jac: Callable[..., ArrayLike] | bool,
        x: ArrayLike,
        direction: ArrayLike,
        *,
        f0: float | None = None,
        g0: ArrayLike | None = None,
        step: float = 1.0,
        args: Sequence[Any] = (),
    ) -> LineSearchResult:
        """Search along ``direction`` from ``x``.

        ``fun(x, *args)`` gives f; ``jac`` is a callable giving ∇f, or ``True`` when ``fun``
        returns ``(f, ∇f)`` (scipy's convention). ``f0`` and ``g0`` (f and ∇f at x) are
        evaluated when not given.

        Raises
        ------
        ValueError
            If d is not a descent direction (∇f(x)ᵀd ≥ 0), ``step`` is not positive, or an
            input is mis-shaped or non-finite.
        """
        x = as_float_vector(x, "x")
        d = as_float_vector(direction, "direction", size=x.shape[0])
        evaluate = _evaluator(fun, jac, args)
        evaluations = 0
        if f0 is None or g0 is None:
            f0, g0 = evaluate(x)
            evaluations += 1
        f0 = finite(f0, "f0")
        g0 = as_float_vector(g0, "g0", size=x.shape[0])
        slope0 = float(np.dot(g0, d))
        if not slope0 < 0.0:
            raise ValueError(f"direction is not a descent direction: ∇f(x)ᵀd = {slope0!r}")
        stp = finite(step, "step")
        if not stp > 0.0:
            raise ValueError(f"step must be positive, got {step!r}")
        stp = min(max(stp, self.step_min), self.step_max)
        interval = _Interval(f0, slope0, stp, self.step_max - self.step_min)
        gtest = self.c1 * slope0
        steps, values = [], []
        best = (0.0, f0)
        status = LineSearchStatus.MAX_EVALUATIONS
        while evaluations < self.max_evaluations:
            f, g = evaluate(x + stp * d)
            evaluations += 1
            steps.append(stp)
            values.append(f)
            slope = float(np.dot(g, d)) if np.isfinite(g).all() else math.nan
            if not (math.isfinite(f) and math.isfinite(slope)):
                stp = interval.retreat(stp)  # outside the domain: back towards the best
                continue
            ftest = f0 + stp * gtest
            if f <= ftest and f < best[1]:
                best = (stp, f)
            if f <= ftest and abs(slope) <= -self.c2 * slope0:
                status = LineSearchStatus.ACCEPTED
                best = (stp, f)
                break
            if self._exhausted(interval, stp, f, slope, ftest, gtest):
                status = LineSearchStatus.INTERVAL_TOO_SMALL
                break
            stp = self._next_trial(interval, stp, f, slope, ftest, gtest)
        step_out, f_out = best
        return LineSearchResult(
            status is LineSearchStatus.ACCEPTED,
            step_out,
            x + step_out * d,
            f_out,
            f0,
            interval.updates,
            evaluations,
            evaluations,
            tuple(steps),
            tuple(values),
            status,
        )

    def _exhausted(
        self, interval: "_Interval", stp: float, f: float, slope: float, ftest: float, gtest: float
    ) -> bool:
        """No better step can be found: the trial left the (bracketed) interval, the
        interval is narrower than xtol, or the step sits at a bound it cannot leave."""
        return (
            interval.too_narrow(stp, self.xtol)
            or (stp == self.step_max and f <= ftest and slope <= gtest)
            or (stp == self.step_min and (f > ftest or slope >= gtest))
        )

    def _next_trial(
        self, interval: "_Interval", stp: float, f: float, slope: float, ftest: float, gtest: float
    ) -> float:
        """The next trial step from Moré & Thuente's safeguarded step, within the range."""
        stp_new = interval.update(stp, f, slope, ftest, gtest)
        stp = min(max(stp_new, self.step_min), self.step_max)
        return interval.stx if interval.too_narrow(stp, self.xtol) else stp


class _Interval:
    """Moré & Thuente's interval of uncertainty: the best point x and the other end y as
    (step, value, slope), the range [lo, hi] allowed for the next trial, whether a
    minimiser is bracketed, and whether the search is still in stage 1 (on ψ)."""

    def __init__(self, f0: float, slope0: float, stp: float, width: float) -> None:
        self.stx, self.fx, self.gx = 0.0, f0, slope0
        self.sty, self.fy, self.gy = 0.0, f0, slope0
        self.lo, self.hi = 0.0, stp + _EXTRAPOLATE_HIGH * stp
        self.bracketed, self.stage_one = False, True
        self.width, self.width_before = width, 2.0 * width
        self.updates = 0

    def retreat(self, stp: float) -> float:
        """A trial outside f's domain becomes the far end; the next trial is halfway back
        to the best point."""
        self.bracketed = True
        self.sty, self.fy, self.gy = stp, math.inf, math.inf
        stp = self.stx + 0.5 * (stp - self.stx)
        self.lo, self.hi = min(self.stx, stp), max(self.stx, self.sty)
        return stp

    def too_narrow(self, stp: float, xtol: float) -> bool:
        return self.bracketed and (
            stp <= self.lo or stp >= self.hi or self.hi - self.lo <= xtol * self.hi
        )

    def update(self, stp: float, f: float, slope: float, ftest: float, gtest: float) -> float:
        """Take the trial (stp, f, slope) into the interval by :func:`_cstep` and return
        the next step, bisecting when the bracket fails to shrink by _SHRINK_REQUIRED in
        two steps, extrapolating within [1.1, 4]·(stp - stx) while nothing is bracketed."""
        if self.stage_one and f <= ftest and slope >= 0.0:
            self.stage_one = False
        if self.stage_one and f <= self.fx and f > ftest:
            # Stage 1 works on ψ, whose values and slopes are shifted by the line α·gtest.
            stx, fxm, gxm, sty, fym, gym, stp_new, self.bracketed = _cstep(
                self.stx,
                self.fx - self.stx * gtest,
                self.gx - gtest,
                self.sty,
                self.fy - self.sty * gtest,
                self.gy - gtest,
                stp,
                f - stp * gtest,
                slope - gtest,
                self.bracketed,
                self.lo,
                self.hi,
            )
            self.stx, self.fx, self.gx = stx, fxm + stx * gtest, gxm + gtest
            self.sty, self.fy, self.gy = sty, fym + sty * gtest, gym + gtest
        else:
            (self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, stp_new, self.bracketed) = (
                _cstep(
                    self.stx,
                    self.fx,
                    self.gx,
                    self.sty,
                    self.fy,
                    self.gy,
                    stp,
                    f,
                    slope,
                    self.bracketed,
                    self.lo,
                    self.hi,
                )
            )
        self.updates += 1
        if self.bracketed:
            if abs(self.sty - self.stx) >= _SHRINK_REQUIRED * self.width_before:
                stp_new = self.stx + 0.5 * (self.sty - self.stx)
            self.width_before, self.width = self.width, abs(self.sty - self.stx)
            self.lo, self.hi = min(self.stx, self.sty), max(self.stx, self.sty)
        else:
            self.lo = stp_new + _EXTRAPOLATE_LOW * (stp_new - self.stx)
            self.hi = stp_new + _EXTRAPOLATE_HIGH * (stp_new - self.stx)
        return stp_new


def _evaluator(
    fun: Callable[..., Any], jac: Callable[..., ArrayLike] | bool, args: Sequence[Any]
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    if jac is True:

        def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = fun(x, *args)
            return float(f), np.asarray(g, dtype=np.float64)
    elif callable(jac):

        def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
            return float(fun(x, *args)), np.asarray(jac(x, *args), dtype=np.float64)
    else:
        raise ValueError("jac must be a callable or True (fun returns (f, gradient))")
    return evaluate


def _cubic(a: float, fa: float, da: float, b: float, fb: float, db: float) -> tuple[float, float]:
    """θ and γ ≥ 0 of the cubic through (a, fa, da) and (b, fb, db): θ = 3(fa - fb)/(b - a)
    + da + db and γ = √(θ² - da·db), scaled by max(|θ|, |da|, |db|) against overflow (Moré &
    Thuente 1994, §4); callers give γ the sign their case needs."""
    theta = 3.0 * (fa - fb) / (b - a) + da + db
    scale = max(abs(theta), abs(da), abs(db))
    return theta, scale * math.sqrt(max((theta / scale) ** 2 - (da / scale) * (db / scale), 0.0))


def _cstep(
    stx: float,
    fx: float,
    dx: float,
    sty: float,
    fy: float,
    dy: float,
    stp: float,
    fp: float,
    dp: float,
    bracketed: bool,
    stpmin: float,
    stpmax: float,
) -> tuple[float, float, float, float, float, float, float, bool]:
    """One safeguarded step of Moré & Thuente (their dcstep, §4): a new trial step from
    cubic and quadratic (secant) interpolation of the best point x, the other end y and the
    trial p, and the updated interval. Returns (stx, fx, dx, sty, fy, dy, stp, bracketed)."""
    sgnd = dp * math.copysign(1.0, dx)
    if fp > fx:
        stpf, bracketed = _higher_value(stx, fx, dx, stp, fp, dp), True
    elif sgnd < 0.0:
        stpf, bracketed = _opposite_slopes(stx, fx, dx, stp, fp, dp), True
    elif abs(dp) < abs(dx):
        stpf = _shrinking_slope(stx, fx, dx, sty, stp, fp, dp, bracketed, stpmin, stpmax)
    else:
        stpf = _growing_slope(stx, sty, fy, dy, stp, fp, dp, bracketed, stpmin, stpmax)
    # The new interval: p replaces the end it should (Moré & Thuente's updating algorithm).
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0.0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, bracketed


def _higher_value(stx: float, fx: float, dx: float, stp: float, fp: float, dp: float) -> float:
    """Case 1: a higher value; the minimiser is bracketed. The cubic step if it is closer
    to x than the quadratic one, else their average."""
    theta, gamma = _cubic(stx, fx, dx, stp, fp, dp)
    if stp < stx:
        gamma = -gamma
    p = (gamma - dx) + theta
    q = ((gamma - dx) + gamma) + dp
    stpc = stx + (p / q) * (stp - stx)
    stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
    return stpc if abs(stpc - stx) < abs(stpq - stx) else stpc + (stpq - stpc) / 2.0


def _opposite_slopes(stx: float, fx: float, dx: float, stp: float, fp: float, dp: float) -> float:
    """Case 2: a lower value, slopes of opposite sign; bracketed. Of the cubic and the
    secant step, the one farther from p."""
    theta, gamma = _cubic(stx, fx, dx, stp, fp, dp)
    if stp > stx:
        gamma = -gamma
    p = (gamma - dp) + theta
    q = ((gamma - dp) + gamma) + dx
    stpc = stp + (p / q) * (stx - stp)
    stpq = stp + (dp / (dp - dx)) * (stx - stp)
    return stpc if abs(stpc - stp) > abs(stpq - stp) else stpq


def _shrinking_slope(
    stx: float,
    fx: float,
    dx: float,
    sty: float,
    stp: float,
    fp: float,
    dp: float,
    bracketed: bool,
    stpmin: float,
    stpmax: float,
) -> float:
    """Case 3: a lower value, the same sign, the slope decreasing in magnitude. The cubic
    step only if it heads towards the cubic's minimiser, else the end of the range;
    bracketed, the closer of it and the secant step, at most _SHRINK_REQUIRED of the way
    to y; otherwise the farther, within [stpmin, stpmax]."""
    theta, gamma = _cubic(stx, fx, dx, stp, fp, dp)
    if stp > stx:
        gamma = -gamma
    p = (gamma - dp) + theta
    q = (gamma + (dx - dp)) + gamma
    r = p / q
    if r < 0.0 and gamma != 0.0:
        stpc = stp + r * (stx - stp)
    else:
        stpc = stpmax if stp > stx else stpmin
    stpq = stp + (dp / (dp - dx)) * (stx - stp)
    if bracketed:
        stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
        limit = stp + _SHRINK_REQUIRED * (sty - stp)
        return min(limit, stpf) if stp > stx else max(limit, stpf)
    stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
    return min(max(stpf, stpmin), stpmax)


def _growing_slope(
    stx: float,
    sty: float,
    fy: float,
    dy: float,
    stp: float,
    fp: float,
    dp: float,
    bracketed: bool,
    stpmin: float,
    stpmax: float,
) -> float:
    """Case 4: a lower value, the same sign, the slope not decreasing. The cubic step from
    p and y if bracketed, else the end of the range."""
    if bracketed and not math.isfinite(fy):
        return stp + 0.5 * (sty - stp)  # y lies outside the domain: bisect towards it
    if bracketed:
        theta, gamma = _cubic(stp, fp, dp, sty, fy, dy)
        if stp > sty:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dy
        return stp + (p / q) * (sty - stp)
    return stpmax if stp > stx else stpmin
