"""``trustregion.least_squares``: scipy's ``least_squares`` as a trust-region method on the
Gauss–Newton model."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .. import _kernels as K
from .._validation import max_abs, vector_norm
from ._arguments import (
    Settings,
    check_jacobian_kind,
    column_norms,
    initial_point,
    settings,
)
from ._residuals import Jacobian, Residuals
from ._result import LeastSquaresStatus as Status
from ._steps import (
    ExactGaussNewton,
    GaussNewtonStep,
    SparseGaussNewton,
    bounded_step,
    krylov_step,
)

# A step is taken when it achieves this share of its predicted reduction (MINPACK).
_ACCEPT = 1e-4
_TINY = np.finfo(np.float64).tiny
_NO_BOUND = np.empty(0)  # the kernels' "no bounds"


def least_squares(
    fun: Callable[..., ArrayLike],
    x0: ArrayLike,
    jac: str | Callable[..., Any] = "2-point",
    bounds: Any = (-np.inf, np.inf),
    method: str = "trf",
    ftol: float | None = 1e-15,
    xtol: float | None = 1e-10,
    gtol: float | None = 1e-12,
    x_scale: ArrayLike | str | None = None,
    loss: str | Callable[[np.ndarray], ArrayLike] = "linear",
    f_scale: float = 1.0,
    diff_step: float | None = None,
    tr_solver: str | None = None,
    tr_options: dict | None = None,
    jac_sparsity: Any = None,
    max_nfev: int | None = None,
    verbose: int = 0,
    args: tuple = (),
    kwargs: dict | None = None,
    callback: Callable[..., Any] | None = None,
) -> OptimizeResult:
    """Solve min_x F(x) = ½ Σᵢ ρ(fᵢ(x)²), lo ≤ x ≤ hi, by a trust-region method on the
    Gauss–Newton model.

    The signature, result and status codes are those of ``scipy.optimize.least_squares``,
    so that code written for scipy runs with an import change. Each iteration minimises
    the Gauss–Newton model ½‖f + Jp‖² (of the rescaled residuals, for a robust loss) in
    the scaled region ‖Dp‖ ≤ Δ, D the column norms of J (Moré 1978; ``x_scale``), and takes
    the step when the actual reduction is at least 10⁻⁴ of the predicted one; Δ and the
    Levenberg–Marquardt parameter λ follow MINPACK's ``lmder``. The subproblem solver
    depends on the problem:

    * dense J, no bounds: the exact Levenberg–Marquardt step from one SVD of JD⁻¹ per
      Jacobian, λ by Moré's safeguarded Newton iteration;
    * sparse or LinearOperator J (or ``tr_solver="lsmr"``/``"steihaug"``/``"gltr"``):
      Steihaug–Toint CG or GLTR on JᵀJ applied as Jᵀ(Jv), preconditioned by D²;
    * sparse J with ``tr_solver="exact"``: the Levenberg–Marquardt step from sparse LU
      factorisations of the augmented system [[I, J], [Jᵀ, -λD²]], which keeps J's
      condition number (for a narrow-profile J — banded, grids — where CG on JᵀJ stalls:
      MGH's discrete boundary-value problem at n = 10⁴ takes 0.6 s; a J whose columns
      couple widely, as bundle adjustment's, fills the factors in and is CG's case);
    * bounds: TRON's projected step (Lin & Moré 1999) on the same model.

    ``method`` accepts scipy's names, all mapped to this one algorithm: ``"trf"`` and
    ``"dogbox"`` are the method above; ``"lm"`` is it too, with MINPACK's restrictions
    (dense J, no bounds, at least as many residuals as variables), which it enforces as
    scipy does.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs) -> array (m,)``, the residuals.
    x0 : array_like, shape (n,) or float
        Starting point; must lie within the bounds.
    jac : {"2-point", "3-point", "cs"} or callable
        The Jacobian (m, n): a callable returning an array, a sparse matrix or a
        ``LinearOperator`` (with ``rmatvec``); or finite differences that stay inside the
        bounds, with MINPACK's steps in proportion to each variable (hⱼ = √u·\\|xⱼ\\| for
        "2-point", u^(1/3)·\\|xⱼ\\| for "3-point"; ``diff_step`` replaces √u).
    bounds : 2-tuple of array_like or scipy.optimize.Bounds
        Lower and upper bounds (±inf for none), each lower strictly below its upper.
    method : {"trf", "dogbox", "lm"}
        See above.
    ftol, xtol, gtol : float or None
        Termination tolerances (None disables one):

        * ftol: the actual and predicted reductions of a step are both ≤ ftol·F and ρ ≤ 2;
        * xtol: Δ ≤ xtol·(xtol + ‖Dx‖);
        * gtol: maxⱼ \\|gⱼ\\| / (‖J[:, j]‖·‖f‖) ≤ gtol, the cosine between f and each column of J
          (MINPACK's scale-invariant test), over the variables free to move.

        The defaults are tighter than scipy's (1e-8) so that the answer is accurate,
        not merely stopped: scipy's defaults stop short of the NIST certified values on
        several of the StRD problems. xtol is as loose as keeps every StRD fit at its
        accuracy: a tighter one only spends evaluations on steps that rounding in F
        rejects (1e-12 took a median of 14 evaluations on the 54 StRD starts where 1e-10
        takes 13, at the same worst LRE, 6.5). ftol is not looser because ENSO, a
        large-residual fit on which Gauss–Newton converges linearly, reaches LRE 6.1
        with 1e-14 and 6.5 with 1e-15.
    x_scale : None, "jac" or array_like
        D: None and "jac" update D to the running maximum of J's column norms (Moré's
        scaling, which makes the method invariant to the scaling of the variables; for a
        LinearOperator J, whose column norms are not known, None means 1); an array fixes
        D = 1/x_scale.
    loss : {"linear", "soft_l1", "huber", "cauchy", "arctan"} or callable
        ρ, applied to z = (f/f_scale)², as in scipy; a callable returns ρ, ρ', ρ'' as an
        array (3, m).
    f_scale : float
        The residual scale C of a robust loss; F = ½ C² Σ ρ(fᵢ²/C²).
    diff_step : float, optional
        Relative finite-difference step.
    tr_solver : {None, "exact", "lsmr", "steihaug", "gltr"}
        The subproblem solver; None chooses by J as above ("exact" for a dense J,
        "steihaug" for a sparse one or an operator). "lsmr" runs "steihaug".
    tr_options : dict, optional
        For the iterative solvers: ``rtol`` and ``maxiter`` of the CG.
    jac_sparsity : array_like or sparse matrix, shape (m, n), optional
        The nonzero pattern of J, for finite differences: columns that share no row are
        perturbed together (Curtis, Powell & Reid 1974), so a banded J costs a few
        evaluations whatever n; J is then sparse. Ignored for a callable ``jac``.
    max_nfev : int, optional
        Residual evaluations allowed (finite-difference ones not counted, as in scipy's
        'trf'); default 1000·n, generous because the tolerances, not the budget, are meant
        to stop a run (MGH17 from NIST's first start takes about 700).
    verbose : {0, 1, 2}
        1 prints the outcome, 2 also a line per iteration.
    args, kwargs
        Extra arguments of ``fun`` and ``jac``.
    callback : callable, optional
        Called after each iteration as scipy does (``callback(intermediate_result)`` or
        ``callback(x)``); returning True or raising StopIteration stops with status -2.

    Returns
    -------
    OptimizeResult
        scipy's fields: ``x``, ``cost`` (F), ``fun`` (f), ``jac`` (J, rescaled for a
        robust loss as scipy's is), ``grad`` (∇F), ``optimality`` (the infinity norm of ∇F,
        projected onto the box with bounds), ``active_mask`` (-1 at a lower bound, 1 at an
        upper, 0 free), ``nfev``, ``njev``, ``status`` (a
        :class:`~trustregion.LeastSquaresStatus`, equal to scipy's integers),
        ``message``, ``success`` (status > 0); and ``nit``.

    Raises
    ------
    ValueError
        Before any iteration: for an unknown method, solver or loss, a bad tolerance,
        scale, bound or option, an infeasible or non-finite x0, residuals that are not
        1-D or not finite at x0, a Jacobian of the wrong shape or not finite at x0, and
        the combinations scipy refuses ('lm' with bounds, a sparse J or fewer residuals
        than variables).

    References
    ----------
    J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory", Lecture
    Notes in Mathematics 630, Springer, 1978. J. J. Moré, B. S. Garbow, K. E. Hillstrom,
    *User guide for MINPACK-1*, Argonne ANL-80-74, 1980. B. Triggs et al., "Bundle
    adjustment — a modern synthesis", 2000 (robust losses).
    """
    x = initial_point(x0)
    opts = settings(
        x,
        method=method,
        tr_solver=tr_solver,
        tr_options=tr_options,
        ftol=ftol,
        xtol=xtol,
        gtol=gtol,
        x_scale=x_scale,
        loss=loss,
        f_scale=f_scale,
        bounds=bounds,
        max_nfev=max_nfev,
        verbose=verbose,
        callback=callback,
    )
    if jac_sparsity is not None and method == "lm":
        raise ValueError("jac_sparsity needs a sparse solver: use method='trf'")
    box = opts.box
    residuals = Residuals(
        fun,
        jac,
        args,
        {} if kwargs is None else kwargs,
        lo=None if box is None else box.lo,
        hi=None if box is None else box.hi,
        diff_step=diff_step,
        sparsity=jac_sparsity if isinstance(jac, str) else None,
    )
    f = residuals.initial(x)
    J = residuals.jacobian(x, f)
    if J is None:
        raise ValueError("the Jacobian is not finite at x0 (NaN or infinity)")
    check_jacobian_kind(J, f.shape[0], x.shape[0], opts)
    state = _State.start(x, f, J, opts)
    status = _run(state, residuals, opts)
    result = _result(state, residuals, status, opts)
    if opts.verbose:
        print(result.message)
        print(
            f"Function evaluations {result.nfev}, initial cost {state.initial_cost:.4e}, "
            f"final cost {result.cost:.4e}, first-order optimality {result.optimality:.2e}."
        )
    return result


@dataclass
class _State:
    """The iterate (x, f, its cost and its model's J and g) and the region."""

    x: np.ndarray
    f: np.ndarray  # the user's residuals
    cost: float
    J: Jacobian  # the model's Jacobian: the user's, rescaled for a robust loss
    model_f: np.ndarray  # the model's residuals (the same rescaling)
    g: np.ndarray  # ∇F = Jᵀ(model f)
    angle_scale: np.ndarray | float  # ‖J_:j‖·‖ρ'f‖ (user's J), for the gtol test
    d: np.ndarray  # the scaling D
    radius: float
    initial_cost: float
    scaled_norm: float  # ‖Dx‖, for the xtol test
    lam: float = 0.0
    nit: int = 0
    nonfinite_trials: int = 0
    gauss_newton_step: bool = False  # whether the last trial was the step with λ = 0

    @classmethod
    def start(cls, x: np.ndarray, f: np.ndarray, J: Jacobian, opts: Settings) -> "_State":
        cost = _cost(f, opts)
        # Moré's D starts at J's column norms: zeros that the model's update raises to them
        if isinstance(opts.x_scale, np.ndarray):
            d = 1.0 / opts.x_scale
        else:
            d = np.zeros_like(x)
        model_f, model_J, g, angle_scale = _model(f, J, d, opts)
        d[d == 0.0] = 1.0  # a zero column, or a LinearOperator's J (no column norms)
        # Δ₀ = ‖Dx₀‖. MINPACK's default is 100‖Dx₀‖; on the NIST starts ‖Dx₀‖ solves more
        # (BoxBOD and MGH09 from start 1 run off to plateaus after a first step that
        # long). At x₀ = 0, Δ₀ = 1, as scipy's: a first Gauss–Newton step of any length
        # would send an exponential model to overflow.
        scaled = float(vector_norm(d * x))
        radius = scaled if scaled > 0.0 else 1.0
        return cls(x, f, cost, model_J, model_f, g, angle_scale, d, radius, cost, scaled)

    def move(self, x: np.ndarray, f: np.ndarray, cost: float, J: Jacobian, opts: Settings) -> None:
        self.model_f, self.J, self.g, self.angle_scale = _model(f, J, self.d, opts)
        self.x, self.f, self.cost = x, f, cost
        self.scaled_norm = float(vector_norm(self.d * x))


def _model(
    f: np.ndarray, J: Jacobian, d: np.ndarray, opts: Settings
) -> tuple[np.ndarray, Jacobian, np.ndarray, np.ndarray | float]:
    """(model residuals f̃, model Jacobian J̃, ∇F = J̃ᵀf̃, ‖J_:j‖·‖ρ'f‖) at f and J; raises
    D to J's column norms where D follows them (``x_scale`` None or "jac").

    The last is the gtol test's denominator, from the user's J and the influence ρ'f
    (∇F = Jᵀ(ρ'f)): J̃ and f̃ cannot serve there, since the rescaling that clamps a
    weight to machine epsilon divides f̃ by it. D follows the user's J for the same
    reason: the variables' scale is J's, and the loss's weights (down to √u for an
    outlier) would make D jump by orders of magnitude as residuals cross f_scale, and
    with it the region. For a LinearOperator J, whose column norms are not known, the
    denominator is ‖ρ'f‖ alone and D stays as it is."""
    if opts.loss is None:
        model_f, model_J, influence = f, J, f
    else:
        model_f, model_J = opts.loss.scaled(f, J)
        influence = opts.loss.influence(f)
    influence_norm = float(vector_norm(influence))
    update = not isinstance(opts.x_scale, np.ndarray)
    if isinstance(J, np.ndarray):  # one kernel pass instead of five array operations
        g, dense_norms = np.empty(J.shape[1]), np.empty(J.shape[1])
        K.gauss_newton_model(J, np.ascontiguousarray(model_J), model_f, d, update, g, dense_norms)
        return model_f, model_J, g, dense_norms * influence_norm
    norms = column_norms(J)
    if norms is None:
        return model_f, model_J, _gradient(model_J, model_f), influence_norm
    if update:
        np.maximum(d, norms, out=d)
    return model_f, model_J, _gradient(model_J, model_f), norms * influence_norm


def _cost(f: np.ndarray, opts: Settings) -> float:
    """F at residuals f; inf (rejected by the ratio test, without a warning) where the
    sum of squares overflows."""
    if opts.loss is None:
        return float(K.half_sum_of_squares(f))
    with np.errstate(over="ignore"):
        return opts.loss.cost(f)


def _gradient(J: Jacobian, f: np.ndarray) -> np.ndarray:
    return np.asarray(J.T @ f, dtype=np.float64).ravel()


def _run(state: _State, residuals: Residuals, opts: Settings) -> Status:
    """Iterate until a termination test holds; returns the status."""
    if opts.verbose == 2:
        print(f"{'iteration':>9} {'total nfev':>11} {'cost':>14} {'radius':>11} {'optimality':>11}")
    while True:
        status = Status.GTOL if _gradient_measure(state, opts) <= opts.gtol else None
        if status is None:
            status = _iteration(state, residuals, opts)
        if opts.verbose == 2:
            print(
                f"{state.nit:9d} {residuals.nfev:11d} {state.cost:14.4e} "
                f"{state.radius:11.2e} {_optimality(state, opts):11.2e}"
            )
        if status is None and opts.stop is not None:
            if opts.stop(_intermediate(state, residuals)):
                status = Status.CALLBACK
        if status is not None:
            return _confirmed(status, state, opts, residuals.precision)


def _iteration(state: _State, residuals: Residuals, opts: Settings) -> Status | None:
    """One outer iteration of lmder: steps from this x and J until one is taken or a
    termination test holds."""
    solve = _step_solver(state, opts)
    state.nit += 1
    while True:
        if residuals.nfev >= opts.max_nfev:
            return Status.MAX_NFEV
        step = solve(state.radius, state.lam)
        status, taken = _trial(state, step, residuals, opts)
        if taken or status is not None:
            return status


def _step_solver(state: _State, opts: Settings) -> Callable[[float, float], GaussNewtonStep]:
    """``solve(radius, λ) -> GaussNewtonStep`` for the model at this iterate."""
    J, f, g, d = state.J, state.model_f, state.g, state.d
    if opts.box is not None:
        x, box = state.x, opts.box
        return lambda radius, lam: bounded_step(J, g, d, radius, x, box)
    iterative = opts.tr_solver in ("steihaug", "gltr")
    if isinstance(J, np.ndarray) and not iterative:
        return ExactGaussNewton(J, f, d).step
    if opts.tr_solver == "exact":  # a sparse J: chosen, not the default (see least_squares)
        return SparseGaussNewton(J, f, d).step
    method = "gltr" if opts.tr_solver == "gltr" else "steihaug"
    return lambda radius, lam: krylov_step(J, g, d, radius, method, opts.tr_options)


def _trial(
    state: _State, step: GaussNewtonStep, residuals: Residuals, opts: Settings
) -> tuple[Status | None, bool]:
    """Evaluate x + p; take it if ρ ≥ 10⁻⁴; update Δ and λ; test ftol and xtol.
    Returns (status or None, whether the step was taken)."""
    x = np.empty_like(state.x)
    lo, hi = (_NO_BOUND, _NO_BOUND) if opts.box is None else opts.box
    step_norm, slope, finite = K.trial_point(state.x, step.p, state.d, state.g, lo, hi, x)
    state.gauss_newton_step = step.multiplier == 0.0 and opts.box is None
    if state.nit == 1 and state.nonfinite_trials == 0:
        state.radius = min(state.radius, step_norm)  # lmder: the first step sets Δ
    f = residuals(x) if finite else None
    cost = _cost(f, opts) if f is not None else math.inf
    actual = state.cost - cost
    predicted = step.predicted_reduction
    ratio = actual / predicted if predicted > 0.0 and math.isfinite(cost) else -math.inf
    J = residuals.jacobian(x, f) if f is not None and ratio >= _ACCEPT else None
    if f is None or (ratio >= _ACCEPT and J is None):
        # Not finite: rejected (a point without a finite J cannot be the next iterate),
        # and the region shrinks tenfold below.
        state.nonfinite_trials += 1
        ratio, actual = -math.inf, -math.inf
    state.radius, state.lam = _updated_region(
        state.radius, state.lam, ratio, actual, slope, step_norm, cost / max(state.cost, 1e-300)
    )
    status = _termination(actual, predicted, ratio, state, opts)
    if ratio >= _ACCEPT:
        assert f is not None and J is not None  # else ratio is -inf
        state.move(x, f, cost, J, opts)
        return status, True
    return status, False


def _updated_region(
    radius: float,
    lam: float,
    ratio: float,
    actual: float,
    slope: float,
    step_norm: float,
    cost_ratio: float,
) -> tuple[float, float]:
    """Δ and λ after a trial (MINPACK's lmder, Moré 1978 §4): shrink to
    μ·min(Δ, 10‖Dp‖) when ρ ≤ ¼, with μ the minimiser of the quadratic that interpolates
    F along p clipped to [0.1, ½]; double to 2‖Dp‖ when ρ ≥ ¾ or λ = 0."""
    if ratio <= 0.25:
        if actual >= 0.0:
            mu = 0.5
        elif math.isfinite(actual) and cost_ratio < 100.0 and slope + actual < 0.0:
            mu = min(0.5, max(0.1, 0.5 * slope / (slope + actual)))
        else:
            mu = 0.1  # F grew a hundredfold, or could not be evaluated
        return mu * min(radius, 10.0 * step_norm), lam / mu
    if lam == 0.0 or ratio >= 0.75:
        return 2.0 * step_norm, 0.5 * lam
    return radius, lam


def _termination(
    actual: float, predicted: float, ratio: float, state: _State, opts: Settings
) -> Status | None:
    """MINPACK's ftol and xtol tests after a trial, or None."""
    scale = state.cost
    ftol = math.isfinite(actual) and (
        abs(actual) <= opts.ftol * scale and predicted <= opts.ftol * scale and ratio <= 2.0
    )
    xtol = state.radius <= opts.xtol * (opts.xtol + state.scaled_norm)
    if ftol and xtol:
        return Status.FTOL_AND_XTOL
    if ftol:
        return Status.FTOL
    return Status.XTOL if xtol else None


def _gradient_measure(state: _State, opts: Settings) -> float:
    """maxⱼ \\|gⱼ\\| / (‖J_:j‖ ‖ρ'f‖) over the variables free to move: MINPACK's gtol test,
    the cosine of the angle between ρ'f and each column of J (0 for a zero column or
    ρ'f = 0). For a LinearOperator J, whose column norms are not known, \\|gⱼ\\| / ‖ρ'f‖."""
    g = _free_gradient(state, opts)
    scale = state.angle_scale
    if isinstance(scale, float):  # a LinearOperator's J
        return max_abs(g) / scale if scale > 0.0 else 0.0
    return float(K.max_ratio(g, scale))  # a zero column, or ρ'f = 0: nothing to measure


def _free_gradient(state: _State, opts: Settings) -> np.ndarray:
    """g with the components that push against an active bound set to zero."""
    if opts.box is None:
        return state.g
    return -opts.box.projected_gradient(state.x, state.g)


def _optimality(state: _State, opts: Settings) -> float:
    return float(np.abs(_free_gradient(state, opts)).max(initial=0.0))


def _confirmed(status: Status, state: _State, opts: Settings, precision: float) -> Status:
    """ftol and xtol stop on small changes; report success only where the gradient
    agrees (or the residuals have vanished), else say why the iteration could not go on.

    An xtol stop after a Gauss–Newton step (λ = 0, inside the region) is one too: the
    iteration ended because that step became negligible, not because the region
    collapsed around a point it could not leave (a zero-residual problem started almost
    at its solution has neither a small cosine nor a small relative gradient).

    Two gradient measures, since each fails somewhere: the cosine of gtol, and Dennis &
    Schnabel's relative gradient maxⱼ \\|gⱼ\\|·max(\\|xⱼ\\|, 1)/F (1996, §7.2). Where a
    column of J vanishes at a minimiser with nonzero residuals (f = x² + 5 at x = 0) the
    cosine stays 1 while the relative gradient goes to 0; the cosine is the one that is
    scale-invariant elsewhere. Both are compared with the fourth root of the residuals'
    unit roundoff (float64's unless fun computes in float32)."""
    if status not in (Status.FTOL, Status.XTOL, Status.FTOL_AND_XTOL):
        return status
    g = np.abs(_free_gradient(state, opts))
    relative = float((g * np.maximum(np.abs(state.x), 1.0)).max(initial=0.0)) / max(
        state.cost, _TINY
    )
    critical = precision**0.25
    if (
        (state.gauss_newton_step and status != Status.FTOL)
        or _gradient_measure(state, opts) <= critical
        or relative <= critical
        or state.cost <= precision * state.initial_cost
    ):
        return status
    return Status.NONFINITE if state.nonfinite_trials else Status.NO_PROGRESS


def _active_mask(state: _State, opts: Settings) -> np.ndarray:
    if opts.box is None:
        return np.zeros(state.x.shape[0], dtype=int)
    lo, hi = opts.box
    tol = 1e-10 * np.maximum(1.0, np.abs(state.x))
    return np.where(state.x - lo <= tol, -1, np.where(hi - state.x <= tol, 1, 0))


def _intermediate(state: _State, residuals: Residuals) -> OptimizeResult:
    return OptimizeResult(
        x=state.x.copy(), fun=state.f.copy(), cost=state.cost, nit=state.nit, nfev=residuals.nfev
    )


def _result(state: _State, residuals: Residuals, status: Status, opts: Settings) -> OptimizeResult:
    return OptimizeResult(
        x=state.x,
        cost=state.cost,
        fun=state.f,
        jac=state.J,
        grad=state.g,
        optimality=_optimality(state, opts),
        active_mask=_active_mask(state, opts),
        nfev=residuals.nfev,
        njev=residuals.njev,
        nit=state.nit,
        status=status,
        message=status.message,
        success=status > 0,
    )
