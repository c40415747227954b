"""Argument checks shared by the public entry points, and the exact rescaling they apply.

Each check raises ``ValueError`` naming the argument, before any work is done.
"""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels as K

_FLOAT64 = np.dtype(np.float64)


def as_float_vector(
    value: ArrayLike,
    name: str,
    *,
    size: int | None = None,
    finite: bool = True,
    copy: bool = True,
) -> np.ndarray:
    """``value`` as a 1-D float64 array: a new one, never aliasing the caller's, unless
    ``copy=False`` for a caller that only reads it."""
    try:
        if copy:
            arr = np.array(value, dtype=np.float64, copy=True)
        elif type(value) is np.ndarray and value.dtype == _FLOAT64 and value.flags.c_contiguous:
            arr = value  # already what the kernels take: no conversion call at all
        else:
            arr = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-D array of real numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got an array of shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} must have length {size}, got length {arr.shape[0]}")
    if finite and not K.all_finite(arr):
        raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
    return arr


def all_finite(arr: np.ndarray) -> bool:
    """Whether every entry of a float64 array is finite (one pass, in a kernel)."""
    return K.all_finite(arr.ravel())


def check_positive_scalar(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """``value`` as a float > 0 (finite unless ``allow_inf``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (x > 0.0) or (math.isinf(x) and not allow_inf):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return x


def check_nonnegative_scalar(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}") from None
    if not (x >= 0.0) or math.isinf(x):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return x


def check_maxiter(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def power_of_two_scale(a: float, b: float = math.inf) -> float:
    """The power of two nearest the geometric mean of the positive finite ones among the
    magnitudes ``a`` and ``b``, or 1.0 if there are none or that power is within 2^±32 of
    1 (the kernel :func:`trustregion._kernels.power_of_two`, which the compiled drivers
    call themselves).

    Dividing data by a power of two is exact in binary floating point (barring subnormal
    results), so a solver can rescale its problem by this factor without changing a single
    rounding, while squared norms and products of data near 1e±150 stay inside the float64
    range (about 1e±308) instead of overflowing to inf or underflowing to 0 (the scaling of
    LAPACK's dnrm2 and dlascl, by exponent only). Nearer 1 nothing is at risk, and the
    data are left as they are.
    """
    return float(K.power_of_two(float(a), float(b)))


def vector_norm(v: np.ndarray) -> float:
    """‖v‖₂ of a 1-D float array: √(v·v) where its entries are of a size whose squares
    neither overflow nor underflow, otherwise scaled first as BLAS nrm2 is (np.linalg.norm
    overflows past 1e154); the kernel :func:`trustregion._kernels.norm2`. Non-finite
    entries give inf or NaN."""
    return float(K.norm2(v if v.flags.c_contiguous else np.ascontiguousarray(v)))


def max_abs(v: np.ndarray) -> float:
    """max|vᵢ| of a float64 array of any shape (a kernel; no temporary array)."""
    return K.max_abs(v.ravel())


# -- hyper-parameter checks ------------------------------------------------------------
# Shared by the configuration records of the RL agents and by both command lines (which
# parse a string first), so that a parameter is refused in the same words everywhere.


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as an int ≥ 1 (an iteration count, a batch size)."""
    return _check_integer(value, name, 1, "a positive integer")


def check_nonnegative_int(value: Any, name: str) -> int:
    """``value`` as an int ≥ 0 (a seed)."""
    return _check_integer(value, name, 0, "a non-negative integer")


def check_probability(value: Any, name: str, *, allow_zero: bool = True) -> float:
    """``value`` as a float in [0, 1], or in (0, 1] without ``allow_zero`` (a discount, a
    fraction of a batch, a backtracking factor)."""
    interval = "[0, 1]" if allow_zero else "(0, 1]"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not (0.0 <= value <= 1.0 if allow_zero else 0.0 < value <= 1.0)
    ):
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return float(value)


def _check_integer(value: Any, name: str, least: int, kind: str) -> int:
    # bool is an int to Python, never a count to a user; a float such as 2.0 is refused
    # rather than silently truncated.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)
