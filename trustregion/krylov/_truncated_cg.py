"""The one conjugate-gradient driver behind ``cg`` and the Steihaug–Toint subproblem solver."""

import math
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import numpy as np

from .. import _kernels as K
from .._validation import power_of_two_scale
from ..operators import SymmetricOperator
from ..operators._symmetric import MATRIX_FREE, ExplicitMatrix, check_kernel_shapes

_IDENTITY = np.empty(0)  # the kernels read an empty inverse diagonal as M = I

Vector = np.ndarray
VectorMap = Callable[[np.ndarray], np.ndarray]
Callback = Callable[[np.ndarray], None]


class TruncatedCGRun(NamedTuple):
    """Raw outcome of :func:`run_truncated_cg`."""

    x: np.ndarray
    r: np.ndarray  # b - A x, consistent with x also after a boundary step
    code: int  # a _kernels termination code
    iterations: int
    operator_products: int
    residual_norm: float


def run_truncated_cg(
    operand: SymmetricOperator | tuple[ExplicitMatrix, Callable[[np.ndarray], np.ndarray]],
    b: np.ndarray,
    *,
    rtol: float,
    maxiter: int,
    atol: float = 0.0,
    inverse_diagonal: np.ndarray | None = None,
    preconditioner: Callable[[np.ndarray], np.ndarray] | None = None,
    radius: float = math.inf,
    x0: np.ndarray | None = None,
    callback: Callable[[np.ndarray], None] | None = None,
    check_inputs: bool = False,
) -> TruncatedCGRun:
    """Preconditioned CG on A x = b, truncated at ‖x‖_M = ``radius`` (Steihaug–Toint).

    Drives :func:`trustregion._kernels.truncated_cg`. ``operand`` is a
    :class:`SymmetricOperator` or the ``(kernel_args, apply)`` pair of
    :func:`~trustregion.operators.kernel_operand`. The preconditioner is either
    diagonal (``inverse_diagonal``, the inverse of the diagonal of M; ``None`` with no
    ``preconditioner`` means M = I) or a general callable ``preconditioner(r) = M⁻¹r``.
    With a stored matrix, a diagonal preconditioner and no callback, the whole solve is one
    kernel call; otherwise each iteration is one product (and one preconditioner solve) in
    Python and one kernel call. The stopping rule is ‖r‖₂ ≤ max(rtol·‖b‖₂, atol).
    ``check_inputs`` has b and a stored matrix checked for non-finite entries, for
    callers that have not validated them.

    The kernel solves A (x/σ) = b/σ, σ the power of two nearest max|bᵢ| (nearest
    √(max|bᵢ|·Δ) with a radius, so that ‖b/σ‖² and (Δ/σ)² both stay in range): exact, so
    no rounding changes, while ‖b‖², rᵀM⁻¹r and pᵀAp cannot overflow or underflow for b
    anywhere in the floating-point range (‖b‖ = 1e300 used to give ‖b‖² = inf and a
    stopping test passed at x = 0).

    Raises
    ------
    ValueError
        If b, x0, the inverse diagonal or the stored matrix disagree in dimension: the
        kernel indexes them all by b's length; with ``check_inputs``, if b or the stored
        matrix has a non-finite entry.
    """
    apply: VectorMap
    if isinstance(operand, SymmetricOperator):
        kernel_args, apply = operand.kernel_args, operand.apply
    else:
        kernel_args, apply = operand
    n = b.shape[0]
    inv = _IDENTITY if inverse_diagonal is None else inverse_diagonal
    _check_shapes(kernel_args, b, inv, x0)
    precondition_inside = preconditioner is None
    x = np.empty(n)
    work = np.empty((4, n))  # rows r, z, p, Ap
    state = K.TruncatedCGState()
    start = K.START_FROM_ZERO
    if check_inputs and (x0 is not None or not precondition_inside):
        if not K.all_finite(b):  # checked before b reaches the user's functions
            _refuse_nonfinite(K.INVALID_RHS)
    sigma, b, radius, atol, x0, callback = _rescaled(b, radius, atol, x0, callback)
    if x0 is not None:
        x[:] = x0
        work[0] = b - apply(x0)
        start = K.START
    if preconditioner is not None:  # (not precondition_inside)
        work[1] = preconditioner(work[0] if x0 is not None else b)
    if callback is not None:
        kernel_args = MATRIX_FREE  # products in Python, so that the callback sees each iterate
    args: tuple[Any, ...] = (*kernel_args, inv, precondition_inside, b, x, work, state.array)
    args += (radius * radius, rtol, atol, maxiter, check_inputs)
    code = K.truncated_cg(*args, start)  # type: ignore[call-arg]
    if code == K.INVALID_RHS or code == K.INVALID_OPERATOR:
        _refuse_nonfinite(code)
    if code == K.NEEDS_PRODUCT or code == K.NEEDS_PRECONDITIONER:
        code = _serve_requests(code, args, apply, preconditioner, callback, x, work, state)
    iterations = state.iterations
    if callback is not None and code == K.CONVERGED and iterations > 0:
        callback(x.copy())
    r = work[0]
    rnorm = state.residual_norm
    if code in (K.BOUNDARY, K.NEGATIVE_CURVATURE) and math.isfinite(radius):
        rnorm = float(np.linalg.norm(r))
    if sigma != 1.0:
        x *= sigma
        r *= sigma
        rnorm *= sigma
    # _make skips the NamedTuple's Python-level __new__ (this is on every cg call's path).
    return TruncatedCGRun._make((x, r, code, iterations, iterations + (x0 is not None), rnorm))


def _check_shapes(
    kernel_args: ExplicitMatrix, b: np.ndarray, inv: np.ndarray, x0: np.ndarray | None
) -> None:
    """The kernel indexes A, x0 and M⁻¹'s diagonal by b's length: refuse a mismatch."""
    n = b.shape[0]
    check_kernel_shapes(kernel_args, n, "A")
    if b.ndim != 1 or inv.shape not in ((0,), (n,)) or (x0 is not None and x0.shape != (n,)):
        raise ValueError(
            f"b must be 1-D, and x0 and the inverse diagonal of M of its length "
            f"{n}; got b {b.shape}, M⁻¹ diagonal {inv.shape}, x0 "
            f"{None if x0 is None else x0.shape}"
        )


def _rescaled(
    b: Vector, radius: float, atol: float, x0: Vector | None, callback: Callback | None
) -> tuple[float, Vector, float, float, Vector | None, Callback | None]:
    """(σ, b/σ, Δ/σ, atol/σ, x0/σ, callback) for the solve of A(x/σ) = b/σ, σ the power of
    two of :func:`run_truncated_cg`; the callback is wrapped to see the caller's x."""
    bmax = K.max_abs(b)
    sigma = power_of_two_scale(bmax, radius)
    if sigma == 1.0:
        return sigma, b, radius, atol, x0, callback
    if callback is not None:
        user_callback = callback

        def callback(xk: np.ndarray) -> None:
            user_callback(sigma * xk)

    return (
        sigma,
        b / sigma,
        radius / sigma,
        atol / sigma,
        None if x0 is None else x0 / sigma,
        callback,
    )


def _refuse_nonfinite(code: int) -> NoReturn:
    """Raise for the kernel's INVALID_RHS (b) or INVALID_OPERATOR (the stored A)."""
    name = "b" if code == K.INVALID_RHS else "A"
    raise ValueError(f"{name} contains non-finite values (NaN or infinity)")


def _serve_requests(
    code: int,
    args: tuple[Any, ...],
    apply: VectorMap,
    preconditioner: VectorMap | None,
    callback: Callback | None,
    x: Vector,
    work: np.ndarray,
    state: K.TruncatedCGState,
) -> int:
    """Answer the kernel's requests for products and preconditioned residuals."""
    r, z, p, Ap = work
    while code == K.NEEDS_PRODUCT or code == K.NEEDS_PRECONDITIONER:
        if code == K.NEEDS_PRODUCT:
            if callback is not None and state.iterations > 0:
                callback(x.copy())
            Ap[:] = apply(p)
            # mypy lets *args (of unknown length) fill every parameter, so it counts one too
            # many: args is the kernel's parameters but the last (python/mypy#9710).
            code = K.truncated_cg(*args, K.HAVE_PRODUCT)  # type: ignore[call-arg]
        else:
            assert preconditioner is not None  # the kernel asks only when it has none inside
            z[:] = preconditioner(r)
            code = K.truncated_cg(*args, K.HAVE_PRECONDITIONED)  # type: ignore[call-arg]
    return code
