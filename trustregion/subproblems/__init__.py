"""Trust-region subproblem solvers behind one entry point, :func:`solve_subproblem`."""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_vector, check_positive_scalar, max_abs, power_of_two_scale
from ..operators import OperatorLike, SymmetricOperator, as_operator
from ..operators._symmetric import operator_scale, scaled_stored
from ._metric import Metric, as_metric, metric_scale
from ._natural import linear_model_step
from ._step import Step
from .cauchy import cauchy_point
from .dogleg import dogleg
from .exact import more_sorensen
from .gltr import gltr
from .steihaug import steihaug_cg


@dataclass(frozen=True)
class _Method:
    """A registered method: its solver, what its ``residual_norm`` measures (for
    Step.rescaled: the gradient equation's residual in the Euclidean norm, in the
    M⁻¹-norm "dual", or a length in the M-norm), whether a trust-region driver may hand it
    a loose relative tolerance ``rtol`` (a forcing term, N&W eq. 7.3), and whether its
    model is linear (B is None) rather than quadratic."""

    solve: Callable[..., Step]
    residual: str = "gradient"
    inexact: bool = False
    linear_model: bool = False


# The one registry: a new method is its module and one entry here.
_REGISTRY = {
    "cauchy": _Method(cauchy_point),
    "dogleg": _Method(dogleg),
    "steihaug": _Method(steihaug_cg, inexact=True),
    "gltr": _Method(gltr, residual="dual", inexact=True),
    "exact": _Method(more_sorensen, residual="length"),
    "natural": _Method(linear_model_step, linear_model=True),
}
METHODS = {name: method.solve for name, method in _REGISTRY.items()}
# The methods of a quadratic model, which trustregion.minimize can drive, and those among
# them that take the driver's forcing tolerance.
QUADRATIC_METHODS = tuple(name for name, m in _REGISTRY.items() if not m.linear_model)
INEXACT_METHODS = frozenset(name for name, m in _REGISTRY.items() if m.inexact)

_OPTIONS = {
    name: tuple(
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )
    for name, fn in METHODS.items()
}


def solve_subproblem(
    g: ArrayLike,
    B: OperatorLike | None,
    radius: float,
    *,
    method: str,
    M: OperatorLike | None = None,
    **options: Any,
) -> Step:
    """Solve the trust-region subproblem  min_s gᵀs + ½ sᵀBs  subject to  √(sᵀMs) ≤ radius.

    Parameters
    ----------
    g : array_like, shape (n,)
        Gradient of the model; must be finite.
    B : ndarray, sparse matrix, LinearOperator, callable, SymmetricOperator, or None
        The symmetric model Hessian (possibly indefinite); ``None`` only for
        ``method="natural"``, whose model is linear. "exact" forms B densely.
    radius : float
        Δ > 0, finite.
    method : {"cauchy", "dogleg", "steihaug", "gltr", "exact", "natural"}
        ``"cauchy"``: the Cauchy point. ``"dogleg"``: Powell's dogleg (positive definite B;
        otherwise the Cauchy point, flagged). ``"steihaug"``: Steihaug–Toint truncated CG.
        ``"gltr"``: the Lanczos method of Gould, Lucidi, Roma & Toint. ``"exact"``:
        Moré–Sorensen, dense. ``"natural"``: the linear model's step -Δ M⁻¹g/‖M⁻¹g‖_M
        (the TRPO step when M is the Fisher matrix and Δ = √(2δ); M⁻¹g by CG on M unless
        M is diagonal, sparse or a Preconditioner; :func:`trustregion.natural_step` is
        the same step for a given step size or divergence).
    M : optional
        The trust-region metric, symmetric positive definite: ``None`` (Euclidean), a 1-D
        array (the diagonal of M), a 2-D array, a sparse matrix, a LinearOperator, a
        callable, or a :class:`~trustregion.operators.Preconditioner` (such as
        ``JacobiPreconditioner(B)``). Every method works in this norm: steepest descent is
        -M⁻¹g, and the Krylov methods are preconditioned by M.
    **options
        Method options, documented with each method (:func:`steihaug_cg`, :func:`gltr`,
        :func:`more_sorensen`, :func:`dogleg`); for "natural", ``rtol`` (default 1e-10) and
        ``maxiter`` (default 10·n) of its CG on M. By default the iterative methods solve
        tightly (relative residuals 1e-8 to 1e-10).

    Returns
    -------
    Step

    Raises
    ------
    ValueError
        Before any work, for an unknown method or option, a non-finite or mis-shaped g, a
        mis-shaped or non-finite dense B or M, a radius that is not positive and finite, a
        ``B`` given to "natural" or missing for the others, or an M found not positive
        definite.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    unknown = set(options) - set(_OPTIONS[method])
    if unknown:
        allowed = ", ".join(_OPTIONS[method]) or "none"
        raise ValueError(
            f"unknown option(s) {', '.join(sorted(unknown))} for method "
            f"{method!r}; its options are: {allowed}"
        )
    g = as_float_vector(g, "g")
    n = g.shape[0]
    if n == 0:
        raise ValueError("g must not be empty")
    radius = check_positive_scalar(radius, "radius")
    if method == "natural":
        if B is not None:
            raise ValueError(
                "B must be None for method='natural': its model is linear, and "
                "the quadratic term lives in the metric M"
            )
        op: SymmetricOperator | None = None
    else:
        if B is None:
            raise ValueError(f"B is required for method={method!r} (only 'natural' takes None)")
        op = as_operator(B, n, name="B")
    return solve_checked(g, op, radius, M, method, options)


def solve_checked(
    g: np.ndarray,
    op: SymmetricOperator | None,
    radius: float,
    M: OperatorLike | None,
    method: str,
    options: dict[str, Any],
) -> Step:
    """:func:`solve_subproblem` past its checks, for a driver that made them once per run:
    g a finite float64 vector, ``op`` a :class:`SymmetricOperator` of its size (None for
    "natural"), Δ > 0 finite, ``method`` known and ``options`` its own. M is checked by
    the metric, as in :func:`solve_subproblem`."""
    n = g.shape[0]
    # The problem is solved at an ordinary scale and its step scaled back, exactly, as the
    # scale factors are powers of two (so no rounding changes). ‖s‖_M ≤ Δ is ‖s‖_{M/μ} ≤
    # Δ/√μ; substituting s = v/β shows s*(g, B, Δ) = v*(g, B/β, βΔ)/β; and s = τu gives
    # s*(g, B, Δ) = τ·u*(g/τ, B, Δ/τ). With μ and β near the sizes of a stored M and B
    # and τ ≈ √(‖g‖∞βΔ/√μ), the method sees M and B of order one and ‖g/τ‖² and
    # (βΔ/τ)² of order ‖g‖/(βΔ) and βΔ/‖g‖, representable for g, B, Δ and M anywhere in
    # 1e±150, where ‖g‖², Δ², dᵀBd and dᵀMd of the raw data overflow or underflow.
    mu = metric_scale(M)
    # (mu is 1 but for an M stored as an array or sparse matrix, which divide)
    metric = as_metric(M if mu == 1.0 else cast(np.ndarray, M) / mu, n)
    beta = 1.0 if op is None else operator_scale(op)
    if op is not None and beta != 1.0:
        op = scaled_stored(op, 1.0 / beta)
    radius *= beta / math.sqrt(mu)
    tau = power_of_two_scale(max_abs(g), radius)
    if tau == 1.0 and mu == 1.0 and beta == 1.0:
        return METHODS[method](g, op, radius, metric, **options)
    step = METHODS[method](g / tau, op, radius / tau, metric, **options)
    return step.rescaled(tau, beta, mu, _REGISTRY[method].residual)


__all__ = [
    "INEXACT_METHODS",
    "METHODS",
    "Metric",
    "QUADRATIC_METHODS",
    "Step",
    "as_metric",
    "cauchy_point",
    "dogleg",
    "gltr",
    "more_sorensen",
    "solve_checked",
    "solve_subproblem",
    "steihaug_cg",
]
