"""``least_squares``' arguments, checked before any evaluation, in one record."""

import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds
from scipy.sparse.linalg import LinearOperator

from .._minimize._bounds import Box
from .._minimize._callback import as_callback
from .._validation import as_float_vector
from ._loss import RobustLoss, as_loss

METHODS = ("trf", "dogbox", "lm")
# None picks by the Jacobian: "exact" for a dense one, "steihaug" otherwise. "lsmr" is
# scipy's name for its iterative solver; ours is Steihaug–Toint CG on JᵀJ.
TR_SOLVERS = ("exact", "steihaug", "gltr", "lsmr")
_ITERATIVE_OPTIONS = ("rtol", "maxiter")
_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Settings:
    """Everything the iteration needs to know besides the functions."""

    method: str
    tr_solver: str | None
    tr_options: dict
    ftol: float
    xtol: float
    gtol: float
    x_scale: np.ndarray | str | None  # "jac", None ("jac" where J has column norms) or fixed
    loss: RobustLoss | None
    box: Box | None
    max_nfev: int
    verbose: int
    stop: Callable[[Any], bool] | None  # the callback, as ``stop(intermediate_result)``


def initial_point(x0: Any) -> np.ndarray:
    """x₀ as a new 1-D float array (a scalar is a vector of one, as in scipy)."""
    if np.iscomplexobj(x0):
        raise ValueError("x0 must be real, got complex values")
    scalar = np.ndim(x0) == 0
    return as_float_vector([x0] if scalar else x0, "x0")


def settings(
    x: np.ndarray,
    *,
    method: str,
    tr_solver: str | None,
    tr_options: dict | None,
    ftol: float | None,
    xtol: float | None,
    gtol: float | None,
    x_scale: Any,
    loss: Any,
    f_scale: float,
    bounds: Any,
    max_nfev: int | None,
    verbose: int,
    callback: Callable[..., Any] | None,
) -> Settings:
    """The checked :class:`Settings`; every ValueError names its argument."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if tr_solver is not None and tr_solver not in TR_SOLVERS:
        known = ", ".join(map(repr, TR_SOLVERS))
        raise ValueError(f"tr_solver must be None or one of {known}; got {tr_solver!r}")
    box = _box(bounds, x)
    if method == "lm" and box is not None:
        raise ValueError("method='lm' does not support bounds; use method='trf'")
    if method == "lm" and not (isinstance(loss, str) and loss == "linear"):
        raise ValueError("method='lm' does not support a robust loss; use method='trf'")
    ftol, xtol, gtol = (_tolerance(v, name, method) for v, name in _named(ftol, xtol, gtol))
    if max(ftol, xtol, gtol) < _EPS:
        raise ValueError(f"at least one of ftol, xtol, gtol must be at least {_EPS:.2e}")
    return Settings(
        method=method,
        tr_solver="steihaug" if tr_solver == "lsmr" else tr_solver,
        tr_options=_tr_options(tr_options),
        ftol=ftol,
        xtol=xtol,
        gtol=gtol,
        x_scale=_x_scale(x_scale, x.shape[0]),
        loss=as_loss(loss, f_scale),
        box=box,
        max_nfev=1000 * x.shape[0] if max_nfev is None else _positive_int(max_nfev, "max_nfev"),
        verbose=_verbose(verbose),
        stop=as_callback(callback),
    )


def check_jacobian_kind(J: Any, m: int, n: int, opts: Settings) -> None:
    """The combinations scipy also refuses, found once J(x₀) shows what ``jac`` returns."""
    dense = isinstance(J, np.ndarray)
    if opts.method == "lm" and not dense:
        raise ValueError("method='lm' needs a dense Jacobian; use method='trf'")
    if opts.method == "lm" and m < n:
        raise ValueError(
            f"method='lm' needs at least as many residuals as variables; got m = {m} "
            f"residuals for n = {n} variables (use method='trf')"
        )
    if opts.tr_solver == "exact" and isinstance(J, LinearOperator):
        raise ValueError("tr_solver='exact' needs J's entries; use tr_solver='lsmr'")
    if isinstance(J, LinearOperator) and isinstance(opts.x_scale, str):
        raise ValueError(
            "x_scale='jac' needs J's column norms, which a LinearOperator does not give"
        )


def _named(ftol: Any, xtol: Any, gtol: Any) -> tuple[tuple[Any, str], ...]:
    return ((ftol, "ftol"), (xtol, "xtol"), (gtol, "gtol"))


def _tolerance(value: Any, name: str, method: str) -> float:
    if value is None:  # disabled on purpose: no warning
        if method == "lm":
            raise ValueError(f"{name} must be at least machine epsilon ({_EPS:.2e}) for 'lm'")
        return 0.0
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) >= 0.0:
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    value = float(value)
    if value < _EPS:
        if method == "lm":
            raise ValueError(f"{name} must be at least machine epsilon ({_EPS:.2e}) for 'lm'")
        warnings.warn(
            f"{name} below machine epsilon ({_EPS:.2e}) disables its termination test",
            UserWarning,
            stacklevel=4,
        )
    return value


def _box(bounds: Any, x: np.ndarray) -> Box | None:
    """The box of scipy's ``bounds`` for x₀ = x, which must lie in it; None when every
    bound is infinite."""
    if _default_bounds(bounds):
        return None  # without building and testing two arrays
    lo, hi = bound_arrays(bounds, x.shape[0])
    if ((x < lo) | (x > hi)).any():
        raise ValueError("x0 is infeasible: it lies outside the bounds")
    if np.isinf(lo).all() and np.isinf(hi).all():
        return None
    return Box(lo, hi)


def _default_bounds(bounds: Any) -> bool:
    """Whether ``bounds`` is the default (-inf, inf) of two plain floats."""
    return (
        type(bounds) is tuple
        and len(bounds) == 2
        and all(type(side) is float for side in bounds)
        and bounds[0] == -np.inf
        and bounds[1] == np.inf
    )


def bound_arrays(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of length n from scipy's ``bounds``: ``(lb, ub)`` of scalars or arrays of
    length n, or a ``Bounds``; each lower bound strictly below its upper, as scipy
    requires."""
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    else:
        try:
            lb, ub = bounds
        except (TypeError, ValueError):
            raise ValueError("bounds must be a pair (lb, ub) or a scipy.optimize.Bounds") from None
    lo, hi = np.asarray(lb, dtype=np.float64), np.asarray(ub, dtype=np.float64)
    if any(side.ndim > 1 or (side.ndim == 1 and side.shape != (n,)) for side in (lo, hi)):
        raise ValueError(
            f"bounds must be scalars or arrays of length n = {n}, the number of variables; got "
            f"shapes {lo.shape} and {hi.shape}"
        )
    lo, hi = np.broadcast_to(lo, (n,)).copy(), np.broadcast_to(hi, (n,)).copy()
    if np.isnan(lo).any() or np.isnan(hi).any():
        raise ValueError("bounds must not be NaN")
    if not (lo < hi).all():
        raise ValueError("bounds: each lower bound must be strictly less than its upper bound")
    return lo, hi


def _x_scale(x_scale: Any, n: int) -> np.ndarray | str | None:
    if x_scale is None or (isinstance(x_scale, str) and x_scale == "jac"):
        return x_scale
    try:
        scale = np.broadcast_to(np.asarray(x_scale, dtype=np.float64), (n,)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"x_scale must be 'jac' or positive numbers (one or n = {n}), got {x_scale!r}"
        ) from None
    if not (np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError("x_scale must be 'jac' or positive finite numbers")
    return scale


def _tr_options(options: dict | None) -> dict:
    options = {} if options is None else dict(options)
    unknown = set(options) - set(_ITERATIVE_OPTIONS)
    if unknown:
        raise ValueError(
            f"unknown tr_options {', '.join(sorted(unknown))}; the iterative solvers take "
            f"{', '.join(_ITERATIVE_OPTIONS)}"
        )
    return options


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _verbose(verbose: Any) -> int:
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def column_norms(J: Any) -> np.ndarray | None:
    """‖J_:j‖ for a sparse J; None for a LinearOperator (a dense J's come from the
    kernel that forms the model, :func:`trustregion._kernels.gauss_newton_model`)."""
    if sp.issparse(J):
        return np.sqrt(np.asarray(J.multiply(J).sum(axis=0)).ravel())
    return None
