"""``trustregion.curve_fit``: scipy's ``curve_fit`` on :func:`trustregion.least_squares`."""

import inspect
import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.linalg import LinAlgError, cholesky, solve_triangular, svd
from scipy.optimize import OptimizeResult, OptimizeWarning

from ._arguments import bound_arrays
from ._driver import least_squares

_EPS = np.finfo(np.float64).eps
# A parameter is undetermined when its unit vector has a component above √u in the null
# space of J (the right singular vectors of the discarded singular values): the null
# space itself is known only to about u·s₀/s_r, far below this.
_UNDETERMINED = np.sqrt(_EPS)
_METHODS = (None, "lm", "trf", "dogbox")
_NAN_POLICIES = (None, "raise", "omit")
# Keywords of leastsq or least_squares that curve_fit cannot pass on
# (f takes no extra arguments; ``factor`` and column-major Jacobians have no counterpart.)
_UNSUPPORTED = ("args", "kwargs", "factor")
_NOT_ESTIMATED = "Covariance of the parameters could not be estimated"


def curve_fit(
    f: Callable[..., ArrayLike],
    xdata: Any,
    ydata: ArrayLike,
    p0: ArrayLike | None = None,
    sigma: ArrayLike | None = None,
    absolute_sigma: bool = False,
    check_finite: bool | None = None,
    bounds: Any = (-np.inf, np.inf),
    method: str | None = None,
    jac: str | Callable[..., Any] | None = None,
    *,
    full_output: bool = False,
    nan_policy: str | None = None,
    **kwargs: Any,
) -> tuple[np.ndarray, ...] | tuple[np.ndarray, np.ndarray, dict, str, int]:
    """Fit ``ydata ≈ f(xdata, *p)`` by (weighted) nonlinear least squares.

    The signature, defaults and results are those of ``scipy.optimize.curve_fit``; the fit
    is :func:`trustregion.least_squares` (with its tighter default tolerances) on the
    weighted residuals

    .. math::

        r(p) = W\\,(f(x, p) - y), \\qquad \\hat p = \\arg\\min_p \\tfrac12 \\|r(p)\\|^2,

    where ``W = diag(1/σ)`` for a 1-D ``sigma`` (standard deviations of ``ydata``),
    ``W = L⁻¹`` with ``C = L Lᵀ`` (Cholesky) for a 2-D ``sigma`` (the covariance ``C`` of
    ``ydata``), so that ``‖r‖² = (f - y)ᵀ C⁻¹ (f - y)``, and ``W = I`` without ``sigma``.

    The covariance of p̂ is the linearised one (Seber & Wild 1989, §2.1 and §2.2.3):

    .. math::

        \\mathrm{pcov} = s^2\\,(J^T J)^{-1}, \\qquad s^2 = \\frac{\\|r(\\hat p)\\|^2}{m - n},

    with J = ∂r/∂p at p̂ (the weighted Jacobian, as scipy's; for a robust ``loss``, the
    Jacobian of its Gauss–Newton model and ``‖r‖²`` twice its cost, as scipy's) and m
    observations, n parameters. ``absolute_sigma=True`` takes ``sigma`` as the true
    errors: s² = 1. ``(JᵀJ)⁻¹`` is computed from the SVD ``J = U S Vᵀ`` as
    ``V S⁻² Vᵀ`` over the singular values above ``u·max(m, n)·s₀`` (scipy's threshold).

    Parameters
    ----------
    f : callable
        The model ``f(xdata, p1, ..., pn)``, returning an array of ydata's shape (or one
        that broadcasts to it).
    xdata : array_like or object
        The independent variable, passed to ``f`` unchanged apart from conversion: a
        list, tuple or array becomes a float array (observations on its last axis, e.g.
        shape ``(k, m)`` for k predictors) when it can; anything else (a ragged tuple, a
        dict) is passed as is.
    ydata : array_like, shape (m,)
        The observations.
    p0 : array_like, shape (n,), optional
        The starting point. Default: ones, with n counted from ``f``'s signature (the
        positional parameters after the first), or inside ``bounds`` as scipy does (the
        midpoint of a finite interval, one inside a one-sided bound).
    sigma : None, float, array_like (m,) or (m, m)
        Uncertainty of ``ydata``: standard deviations (positive), or a covariance matrix
        (positive definite).
    absolute_sigma : bool
        Whether ``sigma`` is absolute (pcov is then ``(JᵀJ)⁻¹``) or relative (pcov is
        scaled by s² above, so that only the ratios of ``sigma`` matter).
    check_finite : bool, optional
        Reject NaN or infinity in ``xdata`` and ``ydata``. Default: True unless a
        ``nan_policy`` is given.
    bounds : 2-tuple of array_like or scipy.optimize.Bounds
        Bounds on the parameters, as in :func:`trustregion.least_squares`.
    method : {None, "lm", "trf", "dogbox"}
        Passed to :func:`trustregion.least_squares`; None is "lm" without bounds and
        "trf" with them, as in scipy.
    jac : callable, {"2-point", "3-point", "cs"} or None
        The Jacobian of the *model*, ``jac(xdata, *p) -> (m, n)``; it is weighted as the
        residuals are. None means "2-point".
    full_output : bool
        Also return ``infodict``, ``mesg`` and ``ier``.
    nan_policy : {None, "raise", "omit"}
        With ``check_finite=False`` (its default when this is given): "raise" rejects NaN
        in the data, "omit" drops the observations with a NaN in ``ydata`` or in
        ``xdata`` (over all but its last axis), and the matching rows and columns of
        ``sigma``; None does not look.
    **kwargs
        Passed to :func:`trustregion.least_squares` (``ftol``, ``xtol``, ``gtol``,
        ``max_nfev``, ``loss``, ``f_scale``, ``x_scale``, ``diff_step``, ...). leastsq's
        ``maxfev``, ``epsfcn`` and ``diag`` are translated to ``max_nfev``,
        ``diff_step = √epsfcn`` and ``x_scale = 1/diag``, as scipy translates ``maxfev``
        (the difference steps are then √epsfcn·``|p|``, MINPACK's).

    Returns
    -------
    popt : numpy.ndarray, shape (n,)
        The fitted parameters.
    pcov : numpy.ndarray, shape (n, n)
        Their estimated covariance (above). ``inf`` where it cannot be estimated, with an
        ``OptimizeWarning``: everywhere when m ≤ n and ``absolute_sigma`` is False or J
        is not finite; in the rows and columns of the undetermined parameters (those
        with a component in the null space of J) when J is rank deficient. scipy's
        'lm' fills all of pcov with inf in that case, and its 'trf' and 'dogbox' give
        the pseudo-inverse without a warning; the entries here that are finite are
        those of estimable parameters, the same for every generalised inverse.
    infodict : dict
        With ``full_output``: ``nfev``, ``njev``, ``nit``, ``fvec`` (the weighted residuals
        at popt) and ``jac`` (J at popt). leastsq's ``fjac``, ``ipvt`` and ``qtf`` (its QR
        factors) have no counterpart.
    mesg : str
        With ``full_output``: the stop message.
    ier : LeastSquaresStatus
        With ``full_output``: the status (an int, scipy's ``least_squares`` status).

    Raises
    ------
    ValueError
        Before any evaluation of ``f``: for empty or non-1-D ``ydata``, a 1-D ``xdata``
        of another length, non-finite data with ``check_finite``, NaN with
        ``nan_policy="raise"``, an unknown ``nan_policy`` or ``method``, 'lm' with bounds
        or with fewer observations than parameters, a ``sigma`` of the wrong shape, not
        positive or not positive definite, a ``p0`` whose length ``f`` cannot take, or
        when n cannot be determined; and when ``f`` returns a shape other than
        ``ydata``'s. Also whatever :func:`trustregion.least_squares` refuses.
    RuntimeError
        "Optimal parameters not found: " and the message, when the fit does not succeed.

    References
    ----------
    G. A. F. Seber and C. J. Wild, *Nonlinear Regression*, Wiley, 1989, §2.1 (the
    weighted least-squares estimate and its asymptotic covariance σ²(JᵀJ)⁻¹, with σ²
    estimated by RSS/(m - n)). SciPy, ``scipy.optimize.curve_fit`` (the conventions
    followed here).
    """
    n = _parameter_count(f, p0)
    lb, ub = bound_arrays(bounds, n)
    bounded = bool(np.any(np.isfinite(lb) | np.isfinite(ub)))
    p0 = _initial(lb, ub) if p0 is None else np.atleast_1d(np.asarray(p0, dtype=np.float64))
    if ((p0 < lb) | (p0 > ub)).any():
        raise ValueError("Initial guess is outside of provided bounds: p0 must lie within them")
    if np.ndim(ydata) == 0:
        # scipy broadcasts a scalar ydata against the model's values (its test
        # test_broadcast_y): one evaluation of f says how many there are
        ydata = np.full(np.shape(f(xdata, *p0)), ydata, dtype=np.float64)
    ydata = _as_ydata(ydata, check_finite, nan_policy)
    xdata = _as_xdata(xdata, ydata, check_finite, nan_policy)
    xdata, ydata, sigma = _nan_handled(xdata, ydata, sigma, check_finite, nan_policy)
    method = _method(method, bounded, n, ydata.size)
    transform = _transform(sigma, ydata.size)
    kwargs = _least_squares_kwargs(kwargs)
    if jac is None:
        jac = "2-point"
    elif callable(jac):
        jac = _weighted_jacobian(jac, xdata, ydata.size, n, transform)
    res = least_squares(
        _weighted_residuals(f, xdata, ydata, transform),
        p0,
        jac=jac,
        bounds=(lb, ub),
        method=method,
        **kwargs,
    )
    if not res.success:
        raise RuntimeError("Optimal parameters not found: " + res.message)
    pcov = _covariance(res, absolute_sigma)
    if full_output:
        info = {
            "nfev": res.nfev,
            "njev": res.njev,
            "nit": res.nit,
            "fvec": res.fun,
            "jac": _dense(res.jac),
        }
        return res.x, pcov, info, res.message, res.status
    return res.x, pcov


def _as_ydata(ydata: ArrayLike, check_finite: bool | None, nan_policy: str | None) -> np.ndarray:
    try:
        y = np.atleast_1d(np.asarray(ydata, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ydata must be a 1-D array of real numbers: {exc}") from None
    if y.ndim != 1:
        raise ValueError(f"ydata must be 1-D, got an array of shape {y.shape}")
    if y.size == 0:
        raise ValueError("ydata must not be empty")
    if _checks(check_finite, nan_policy) and not np.isfinite(y).all():
        raise ValueError("ydata contains NaN or infinity (pass check_finite=False or a nan_policy)")
    return y


def _checks(check_finite: bool | None, nan_policy: str | None) -> bool:
    """Whether to reject non-finite data: scipy's default is to, unless a nan_policy is
    given."""
    if nan_policy not in _NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of None, 'raise', 'omit'; got {nan_policy!r}")
    return nan_policy is None if check_finite is None else bool(check_finite)


def _as_xdata(
    xdata: Any, ydata: np.ndarray, check_finite: bool | None, nan_policy: str | None
) -> Any:
    """A list, tuple or array as a float array when it converts (scipy converts those);
    anything else, or a ragged tuple, unchanged: it is for ``f`` alone to read."""
    if not isinstance(xdata, list | tuple | np.ndarray):
        return xdata
    try:
        x = np.asarray(xdata, dtype=np.float64)
    except (TypeError, ValueError):
        return xdata  # ragged or not numeric: passed to f as it is
    if _checks(check_finite, nan_policy) and not np.isfinite(x).all():
        raise ValueError("xdata contains NaN or infinity (pass check_finite=False or a nan_policy)")
    if x.ndim == 1 and x.shape[0] != ydata.shape[0]:
        raise ValueError(
            f"xdata and ydata must have the same length; got {x.shape[0]} and {ydata.shape[0]}"
        )
    return x


def _nan_handled(
    xdata: Any,
    ydata: np.ndarray,
    sigma: Any,
    check_finite: bool | None,
    nan_policy: str | None,
) -> tuple[Any, np.ndarray, Any]:
    """scipy's nan_policy, applied only when the data were not checked to be finite."""
    if _checks(check_finite, nan_policy) or nan_policy is None:
        return xdata, ydata, sigma
    nan = np.isnan(ydata)
    if isinstance(xdata, np.ndarray):
        if xdata.ndim == 0 or xdata.shape[-1] != ydata.shape[0]:
            raise ValueError(
                f"nan_policy needs observations on the last axis of xdata: xdata has shape "
                f"{xdata.shape} for {ydata.shape[0]} observations"
            )
        x_nan = np.isnan(xdata)
        nan = nan | x_nan.any(axis=tuple(range(x_nan.ndim - 1)))
    if not nan.any():
        return xdata, ydata, sigma
    if nan_policy == "raise":
        raise ValueError("xdata or ydata contains NaN and nan_policy='raise'")
    keep = ~nan
    if isinstance(xdata, np.ndarray):
        xdata = xdata[..., keep]
    if sigma is not None:
        sigma = np.asarray(sigma, dtype=np.float64)
        if sigma.shape == (keep.size,):
            sigma = sigma[keep]
        elif sigma.shape == (keep.size, keep.size):
            sigma = sigma[np.ix_(keep, keep)]
    return xdata, ydata[keep], sigma


def _parameter_count(f: Callable[..., Any], p0: Any) -> int:
    """n: p0's length, checked against what f takes; or counted from f's signature."""
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = None  # a builtin or extension without a signature: nothing to check
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if params is not None:
        fixed = [q for q in params if q.kind in positional]
        variadic = any(q.kind is inspect.Parameter.VAR_POSITIONAL for q in params)
        required = [q for q in fixed if q.default is inspect.Parameter.empty]
    if p0 is None:
        if params is None or len(fixed) < 2:
            raise ValueError(
                "p0 is needed: the number of fit parameters cannot be determined from the "
                "signature of f (it takes *args, or no parameter after xdata)"
            )
        return len(fixed) - 1
    n = np.size(p0)
    if np.ndim(p0) > 1:
        raise ValueError(f"p0 must be 1-D, got an array of shape {np.shape(p0)}")
    if n == 0:
        raise ValueError("p0 must not be empty")
    if params is not None:
        lo = max(len(required) - 1, 0)
        hi = np.inf if variadic else len(fixed) - 1
        if not lo <= n <= hi:
            takes = f"at least {lo}" if variadic else (f"{lo}" if lo == hi else f"{lo} to {hi}")
            raise ValueError(f"p0 has {n} parameters, but f takes {takes} after xdata")
    return n


def _initial(lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """scipy's default p0: ones, moved inside the bounds (the midpoint of a finite
    interval, one inside a one-sided bound)."""
    p0 = np.ones_like(lb)
    lo, hi = np.isfinite(lb), np.isfinite(ub)
    p0[lo & hi] = 0.5 * (lb[lo & hi] + ub[lo & hi])
    p0[lo & ~hi] = lb[lo & ~hi] + 1.0
    p0[~lo & hi] = ub[~lo & hi] - 1.0
    return p0


def _method(method: str | None, bounded: bool, n: int, m: int) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be None, 'lm', 'trf' or 'dogbox'; got {method!r}")
    if method is None:
        method = "trf" if bounded else "lm"
    if method == "lm" and bounded:
        raise ValueError("method='lm' only works without bounds; use 'trf' or 'dogbox'")
    if method == "lm" and n > m:
        raise ValueError(
            f"method='lm' needs at least as many observations (ydata: {m}) as parameters "
            f"(p0: {n}); use method='trf'"
        )
    return method


def _transform(sigma: Any, m: int) -> np.ndarray | None:
    """W's data: 1/σ (1-D), the lower Cholesky factor L of C (2-D), or None."""
    if sigma is None:
        return None
    try:
        s = np.asarray(sigma, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sigma must be an array of real numbers: {exc}") from None
    if s.size == 1 or s.shape == (m,):
        if not (np.isfinite(s).all() and (s > 0.0).all()):
            raise ValueError("sigma (standard deviations) must be finite and positive")
        return 1.0 / s.reshape(-1) if s.size == m else np.full(m, 1.0 / s.item())
    if s.shape == (m, m):
        if not np.isfinite(s).all():
            raise ValueError("sigma (a covariance matrix) must be finite")
        if not np.allclose(s, s.T, rtol=1e-12, atol=0.0):
            raise ValueError("sigma (a covariance matrix) must be symmetric")
        try:
            return cholesky(s, lower=True)
        except LinAlgError:
            raise ValueError("sigma (a covariance matrix) must be positive definite") from None
    raise ValueError(
        f"sigma must be a scalar, shape ({m},) (standard deviations) or ({m}, {m}) (a "
        f"covariance matrix) for {m} observations; got shape {s.shape}"
    )


def _least_squares_kwargs(kwargs: dict) -> dict:
    """leastsq's names translated; the keywords curve_fit cannot pass refused."""
    kwargs = dict(kwargs)
    for name in _UNSUPPORTED:
        if name in kwargs:
            raise ValueError(f"{name!r} is not a supported keyword argument of curve_fit")
    if kwargs.pop("col_deriv", False):
        raise ValueError("col_deriv=True is not supported: jac returns an (m, n) array")
    if "maxfev" in kwargs:
        maxfev = kwargs.pop("maxfev")
        kwargs.setdefault("max_nfev", maxfev)
    if "epsfcn" in kwargs:
        epsfcn = kwargs.pop("epsfcn")
        if epsfcn is not None:
            if not (isinstance(epsfcn, numbers.Real) and 0.0 < float(epsfcn) < np.inf):
                raise ValueError(f"epsfcn must be a positive number; got {epsfcn!r}")
            kwargs.setdefault("diff_step", math.sqrt(float(epsfcn)))
    if "diag" in kwargs:
        diag = kwargs.pop("diag")
        if diag is not None:
            d = np.asarray(diag, dtype=np.float64)
            if not (np.isfinite(d).all() and (d > 0.0).all()):
                raise ValueError("diag must hold positive numbers")
            kwargs.setdefault("x_scale", 1.0 / d)
    return kwargs


def _weighted(transform: np.ndarray | None, a: np.ndarray) -> np.ndarray:
    """W a for a vector or a matrix a (rows are observations)."""
    if transform is None:
        return a
    if transform.ndim == 1:
        return transform * a if a.ndim == 1 else transform[:, None] * a
    return solve_triangular(transform, a, lower=True)


def _weighted_residuals(
    f: Callable[..., ArrayLike], xdata: Any, ydata: np.ndarray, transform: np.ndarray | None
) -> Callable[[np.ndarray], np.ndarray]:
    def residuals(p: np.ndarray) -> np.ndarray:
        model = np.asarray(f(xdata, *p))
        if model.shape != ydata.shape:
            try:
                model = np.broadcast_to(model, ydata.shape)
            except ValueError:
                raise ValueError(
                    f"f(xdata, *p) must return ydata's shape {ydata.shape}; got {model.shape}"
                ) from None
        return _weighted(transform, model - ydata)

    return residuals


def _weighted_jacobian(
    jac: Callable[..., Any], xdata: Any, m: int, n: int, transform: np.ndarray | None
) -> Callable[[np.ndarray], Any]:
    def jacobian(p: np.ndarray) -> Any:
        J = jac(xdata, *p)
        if transform is None and (sp.issparse(J) or hasattr(J, "rmatvec")):
            return J  # least_squares takes these as they are
        J = np.asarray(_dense(J))
        if J.shape != (m, n):
            raise ValueError(f"jac(xdata, *p) must return shape ({m}, {n}); got {J.shape}")
        return _weighted(transform, J)

    return jacobian


def _dense(J: Any) -> np.ndarray:
    if sp.issparse(J):
        return J.toarray()
    if hasattr(J, "matmat") and not isinstance(J, np.ndarray):
        return np.asarray(J.matmat(np.eye(J.shape[1])))
    return np.asarray(J)


def _covariance(res: OptimizeResult, absolute_sigma: bool) -> np.ndarray:
    """pcov = s² V S⁻² Vᵀ over the singular values of J above u·max(m, n)·s₀ (scipy's
    threshold); inf, with a warning, where it cannot be estimated."""
    J = _dense(res.jac).astype(np.float64, copy=False)
    m, n = J.shape
    if not np.isfinite(J).all():
        warnings.warn(_NOT_ESTIMATED, OptimizeWarning, stacklevel=3)
        return np.full((n, n), np.inf)
    _, s, VT = svd(J, full_matrices=m < n)  # all n rows of Vᵀ, U at most n × n
    rank = int(np.count_nonzero(s > _EPS * max(m, n) * s[0])) if s.size and s[0] > 0 else 0
    V = VT[:rank]
    pcov = (V.T / s[:rank] ** 2) @ V
    # A parameter is undetermined where its unit vector meets the null space of J.
    undetermined = np.linalg.norm(VT[rank:], axis=0) > _UNDETERMINED
    estimated = not undetermined.any()
    if not absolute_sigma:
        if m > n:
            pcov = pcov * (2.0 * res.cost / (m - n))
        else:
            undetermined[:] = True
            estimated = False
    if not estimated:
        pcov[undetermined, :] = np.inf
        pcov[:, undetermined] = np.inf
        warnings.warn(_NOT_ESTIMATED, OptimizeWarning, stacklevel=3)
    return pcov
