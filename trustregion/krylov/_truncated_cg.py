"""The one conjugate-gradient driver behind ``cg`` and the Steihaug–Toint subproblem solver."""

import math
from typing import Callable, NamedTuple, Optional

import numpy as np

from .. import _kernels as K
from ..operators import SymmetricOperator
from ..operators._symmetric import MATRIX_FREE

_IDENTITY = np.empty(0)  # the kernels read an empty inverse diagonal as M = I


class TruncatedCGRun(NamedTuple):
    """Raw outcome of :func:`run_truncated_cg`."""

    x: np.ndarray
    r: np.ndarray  # b - A x, consistent with x also after a boundary step
    code: int  # a _kernels termination code
    iterations: int
    operator_products: int
    residual_norm: float


def run_truncated_cg(op: SymmetricOperator, b: np.ndarray, *, tol: float, maxiter: int,
                     inverse_diagonal: Optional[np.ndarray] = None,
                     preconditioner: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                     radius: float = math.inf, x0: Optional[np.ndarray] = None,
                     callback: Optional[Callable[[np.ndarray], None]] = None) -> TruncatedCGRun:
    """Preconditioned CG on A x = b, truncated at ‖x‖_M = ``radius`` (Steihaug–Toint).

    Drives :func:`trustregion._kernels.truncated_cg`. The preconditioner is either
    diagonal (``inverse_diagonal``, the inverse of the diagonal of M; ``None`` with no
    ``preconditioner`` means M = I) or a general callable ``preconditioner(r) = M⁻¹r``.
    With a stored matrix, a diagonal preconditioner and no callback, the whole solve is one
    kernel call; otherwise each iteration is one product (and one preconditioner solve) in
    Python and one kernel call. The stopping rule is ‖r‖₂ ≤ ``tol``.
    """
    n = b.shape[0]
    inv = _IDENTITY if inverse_diagonal is None else inverse_diagonal
    precondition_inside = preconditioner is None
    work = np.empty((5, n))  # rows x, r, z, p, Ap
    if x0 is None:
        work[0] = 0.0
        work[1] = b
    else:
        work[0] = x0
        work[1] = b - op.apply(x0)
    if not precondition_inside:
        work[2] = preconditioner(work[1])
    state = np.zeros(K.TCG_STATE_SIZE)
    args = (MATRIX_FREE.args if callback is not None else op.kernel_args) \
        + (inv, precondition_inside, work, state, radius * radius, tol, maxiter)
    code = K.truncated_cg(*args, K.START)
    if code == K.NEEDS_PRODUCT or code == K.NEEDS_PRECONDITIONER:
        code = _serve_requests(code, args, op, preconditioner, callback, work, state)
    x, r = work[0].copy(), work[1].copy()  # not views: callers keep x, not all of work
    iterations = int(state[K.S_ITER])
    if callback is not None and code == K.CONVERGED and iterations > 0:
        callback(x.copy())
    rnorm = math.sqrt(state[K.S_RR])
    if code in (K.BOUNDARY, K.NEGATIVE_CURVATURE) and math.isfinite(radius):
        rnorm = float(np.linalg.norm(r))
    return TruncatedCGRun(x, r, code, iterations, iterations + (x0 is not None), rnorm)


def _serve_requests(code, args, op, preconditioner, callback, work, state):
    """Answer the kernel's requests for products and preconditioned residuals."""
    x, r, z, p, Ap = work
    while code == K.NEEDS_PRODUCT or code == K.NEEDS_PRECONDITIONER:
        if code == K.NEEDS_PRODUCT:
            if callback is not None and state[K.S_ITER] > 0:
                callback(x.copy())
            Ap[:] = op.apply(p)
            code = K.truncated_cg(*args, K.HAVE_PRODUCT)
        else:
            z[:] = preconditioner(r)
            code = K.truncated_cg(*args, K.HAVE_PRECONDITIONED)
    return code
