"""``trustregion.minimize``: the trust-region method, with bounds and general constraints."""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, HessianUpdateStrategy, LinearConstraint, NonlinearConstraint

from .._status import StepStatus
from .._validation import as_float_vector, vector_norm
from ..operators import HessianVectorProduct, SymmetricOperator, as_operator
from ..subproblems import INEXACT_METHODS, QUADRATIC_METHODS, solve_checked
from ._bounds import Box, as_box, feasible_start, tron_step
from ._callback import as_callback
from ._constraints import Constraint, ConstraintSet
from ._display import IterationLog
from ._lagrangian import augmented_lagrangian
from ._model import HessianModel
from ._objective import Objective
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result

_TRON_RTOL = 0.1
_EPS = np.finfo(np.float64).eps
# Predicted decreases below this multiple of eps·|f| cannot be measured in f.
_NOISE = 16.0 * _EPS
_TINY = np.finfo(np.float64).tiny
# Below the noise, a step is taken only if it cuts the stationarity measure by this factor.
_GRADIENT_PROGRESS = 0.5
# The subproblem tolerance used to confirm that the model predicts no decrease.
_TIGHT_RTOL = 1e-10
# When no representable step decreases f, x is a minimiser to rounding only if the
# relative gradient is at most this. At a minimiser x* of f with relative rounding error
# u, f stops decreasing at a distance d with ½B·d² ≈ u|f|, where the gradient is B·d ≈
# √(2uB|f|); relative to |f|/|x| that is √(2u·B|x|²/|f|), about u^(1/4) for a curvature
# B|x|²/|f| as large as u^(-1/2). An inconsistent gradient (a wrong jac) is O(1) there.
_ROUNDING_STATIONARITY = _EPS**0.25
# The radius never grows past this: x + s must stay representable.
_MAX_RADIUS = 1e300

# solve(g, B, radius, tight) -> a step: a Step, a BoxStep, or what a callable method
# returns (anything with ``s`` and ``predicted_reduction``).
_Solve = Callable[[np.ndarray, SymmetricOperator, float, bool], Any]
_Stop = Callable[[Result], bool]


def minimize(
    fun: Callable[..., Any],
    x0: ArrayLike,
    args: Any = (),
    method: str | Callable[..., Any] = "steihaug",
    jac: Callable[..., Any] | bool | str | None = None,
    hess: Callable[..., Any] | HessianUpdateStrategy | str | None = None,
    hessp: Callable[..., Any] | None = None,
    bounds: Bounds | Sequence[tuple[float | None, float | None]] | None = None,
    constraints: Constraint | Sequence[Constraint] | None = (),
    tol: float | None = None,
    callback: Callable[..., Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> Result:
    """Minimise f(x) by a trust-region method (Conn, Gould & Toint 2000, Alg. 6.1.1).

    Each iteration builds the model m(s) = f + gᵀs + ½ sᵀBs at the current point, solves
    the subproblem min m(s), ‖s‖ ≤ Δ with ``method``, and compares the actual decrease
    f(x) - f(x + s) with the predicted one; the ratio ρ decides whether the step is taken
    and how the radius changes (see :class:`TrustRegionOptions`). The Krylov methods get
    the forcing tolerance min(0.5, √‖g‖)·‖g‖ (N&W eq. 7.3), which gives superlinear
    convergence with exact Hessian products without oversolving far from the solution.
    The model and the gradient are evaluated only at accepted points.

    The arguments are scipy's, in scipy's order, so that a ``scipy.optimize.minimize``
    call runs with this function swapped in (:func:`scipy_method` is the other way).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (a numpy scalar or a one-element array will do), or
        ``(float, gradient)`` with ``jac=True``. Every user function is given a copy of
        x, so one that writes into its argument cannot change the iterate.
    x0 : array_like, shape (n,) or scalar
    args : tuple
        Extra arguments; a single non-tuple object is passed as one argument, as scipy
        does.
    method : str or callable
        A quadratic-model method of :func:`solve_subproblem` (the names in
        ``trustregion.subproblems.QUADRATIC_METHODS``; default "steihaug"), or a callable
        ``method(g, B, radius) -> step`` whose result has ``s`` and
        ``predicted_reduction`` (and optionally ``on_boundary``), like :class:`Step`.
        With bounds or constraints only "steihaug" is available (TRON's step).
    jac : callable, True, None, or "2-point", "3-point", "cs"
        The gradient; ``True`` if ``fun`` returns ``(f, gradient)``; otherwise finite
        differences by that scheme (``None``: "2-point", as scipy), never evaluating
        outside the bounds.
    hess : callable, scipy.optimize.HessianUpdateStrategy, or "2-point", "3-point", "cs"
        ``hess(x, *args)`` returning an array, sparse matrix or LinearOperator; or
        ``BFGS()``/``SR1()`` for a quasi-Newton model (copied, not modified); or finite
        differences of ``jac`` by that scheme (dense, inside the bounds).
    hessp : callable, optional
        ``hessp(x, v, *args)``. Without ``hess`` and ``hessp``: finite differences of
        ``jac`` along each vector (forward, N&W §8.1), or ``BFGS()`` where the gradient
        itself is a finite difference.
    bounds : scipy.optimize.Bounds or sequence of (lo, hi), optional
        Bound constraints (``None`` or ±inf for none). The step is then TRON's (Lin & Moré
        1999): the generalised Cauchy point along the projected-gradient path, Steihaug–Toint
        CG on the free variables, a projected search; every iterate is feasible, an
        infeasible ``x0`` is projected with a warning, and ``gtol`` applies to the
        projected gradient.
    constraints : NonlinearConstraint, LinearConstraint, dict, or a sequence of them
        General constraints, as scipy takes them (dicts as for SLSQP: ``'eq'`` means
        fun(x) = 0, ``'ineq'`` fun(x) ≥ 0). They are handled by an augmented Lagrangian
        (LANCELOT; Conn, Gould & Toint 1992, N&W Alg. 17.4): inequalities get slack
        variables, each subproblem is bound-constrained and solved by this method with
        TRON's step, so ``method`` must be "steihaug". Constraint Hessians (a
        NonlinearConstraint's callable ``hess``) are used with ``hess``/``hessp``;
        otherwise the subproblem Hessians are finite differences of their gradients.
        The Result adds ``constraint_violation`` (max over the rows; scipy's
        ``constr_violation``), the multipliers ``eq_multipliers`` and
        ``ineq_multipliers`` (one per row in the stacked form c_E(x) = 0, c_I(x) ≥ 0, in
        the order the constraints were given; a constraint with both sides finite gives
        its lower-side rows, then its upper-side rows), ``kkt_residual`` (scipy's
        ``optimality``), ``penalty`` and ``outer_iterations``; ``nit`` (and scipy's
        ``niter``) counts the trust-region iterations of all subproblems, which
        ``maxiter`` bounds. ``ctol`` in ``options`` is the accepted violation; a penalty
        that grows past 1e12 stops with status INFEASIBLE. Nothing is factorised, so
        more equality constraints than variables are accepted (scipy's trust-constr
        refuses them).
    tol : float, optional
        scipy's tolerance: sets ``gtol`` unless ``options`` gives it (scipy's trust-region
        methods map it to their gtol too, which is absolute where ours is relative; see
        :class:`TrustRegionOptions`).
    callback : callable, optional
        Called after each iteration in any of scipy's forms: ``callback(intermediate_result)``
        (a single parameter of that name) with a :class:`Result` of the current state,
        trust-constr's ``callback(xk, state)``, or ``callback(xk)``; raising
        ``StopIteration`` ends the run (status CALLBACK), as does trust-constr's form
        returning True.
    options : dict, optional
        Fields of :class:`TrustRegionOptions`, in our names or scipy's.

    Returns
    -------
    Result
        ``success`` is True only for GTOL, or for XTOL and NO_PREDICTED_DECREASE (no
        representable step decreases f) where the relative gradient is small to
        rounding too; see :class:`MinimizeStatus`. An x0 that already meets gtol returns
        at once with ``nit = 0``; a non-finite f or gradient at x0 gives status
        NONFINITE_START (as scipy, a failed result rather than an exception).
    """
    options = dict(options or {})
    if tol is not None:
        options.setdefault("gtol", tol)
    opts = TrustRegionOptions.from_dict(options)
    x = _initial_point(x0)
    n = x.shape[0]
    args = args if isinstance(args, tuple) else (args,)
    constrained = _has_constraints(constraints)
    solve = _subproblem_solver(method, bounded=bounds is not None, constrained=constrained)
    stop = as_callback(callback)
    box: Box | None = None
    if bounds is not None or constrained:
        box = as_box(bounds, n) if bounds is not None else as_box([(None, None)] * n, n)
        x = feasible_start(x, box)
    constraint_set = ConstraintSet(constraints, x, box) if constrained else None
    lo, hi = (None, None) if box is None else (box.lo, box.hi)
    objective = Objective(fun, jac, args, lo=lo, hi=hi, rel_step=opts.finite_diff_rel_step)
    model = HessianModel(objective, n, hess, hessp, args, lo=lo, hi=hi)
    log = IterationLog(opts.disp)
    f = objective.value(x)
    g = objective.gradient(x) if math.isfinite(f) else np.full(n, np.nan)
    if g.shape != (n,):
        raise ValueError(f"jac(x0) must be a vector of shape ({n},), got shape {g.shape}")
    if not (math.isfinite(f) and np.isfinite(g).all()):
        # As scipy: a failed result, not an exception, since x0 itself is valid.
        result = _result(
            _State(x, f, g, opts.initial_radius),
            objective,
            model,
            MinimizeStatus.NONFINITE_START,
            box,
        )
    elif constrained:
        # (with constraints there is always a box, and the set)
        assert box is not None and constraint_set is not None
        result = _constrained(x, objective, hess, hessp, args, box, constraint_set, opts, stop)
    else:
        result = _unconstrained(
            _State(x, f, g, opts.initial_radius), objective, model, solve, box, opts, log, stop
        )
    log.summary(result)
    return result


@dataclass
class _State:
    """The iterate and what the loop carries between iterations."""

    x: np.ndarray
    f: float
    g: np.ndarray
    radius: float
    nit: int = 0
    nonfinite_trials: int = 0
    ratio: float = math.nan  # ρ of the last trial step, for the iteration log


def _unconstrained(
    state: _State,
    objective: Objective,
    model: HessianModel,
    solve: _Solve,
    box: Box | None,
    opts: TrustRegionOptions,
    log: IterationLog,
    stop: _Stop | None,
) -> Result:
    """The trust-region loop (Conn, Gould & Toint 2000, Alg. 6.1.1) from ``state``."""
    allvecs = [state.x.copy()] if opts.return_all else None
    gtol_absolute = opts.gtol * max(1.0, _stationarity(state.x, state.g, box))
    while True:
        status = _stopping_status(state, objective, box, opts, gtol_absolute)
        if status is None:
            status = _iteration(state, solve, objective, model, box, opts)
        if status is not None:
            break
        if log.enabled:
            log.iteration(
                state.nit, state.f, _stationarity(state.x, state.g, box), state.radius, state.ratio
            )
        if allvecs is not None:
            allvecs.append(state.x.copy())
        if stop is not None and stop(_result(state, objective, model, None, box)):
            status = MinimizeStatus.CALLBACK
            break
    result = _result(state, objective, model, status, box)
    if allvecs is not None:
        result["allvecs"] = allvecs
    return result


def _stopping_status(
    state: _State,
    objective: Objective,
    box: Box | None,
    opts: TrustRegionOptions,
    gtol_absolute: float,
) -> MinimizeStatus | None:
    """Why the loop stops before another iteration, or None: the gradient test (both the
    absolute and Dennis & Schnabel's relative one, see TrustRegionOptions.gtol), f below
    f_unbounded, the budgets, and the radius collapsing (success only where the gradient
    agrees, :func:`_at_rounding`)."""
    x, f, g = state.x, state.f, state.g
    if (
        _stationarity(x, g, box) <= gtol_absolute
        and _relative_stationarity(x, f, g, box) <= opts.gtol
    ):
        return MinimizeStatus.GTOL
    if f <= opts.f_unbounded:
        return MinimizeStatus.UNBOUNDED
    if state.nit >= opts.maxiter:
        return MinimizeStatus.MAXITER
    if opts.max_nfev is not None and objective.nfev >= opts.max_nfev:
        return MinimizeStatus.MAX_NFEV
    if state.radius < opts.xtol * (1.0 + vector_norm(x)):
        if state.nonfinite_trials:
            return MinimizeStatus.NONFINITE
        return _at_rounding(MinimizeStatus.XTOL, x, f, g, box)
    return None


def _iteration(
    state: _State,
    solve: _Solve,
    objective: Objective,
    model: HessianModel,
    box: Box | None,
    opts: TrustRegionOptions,
) -> MinimizeStatus | None:
    """One iteration: build the model at x, solve the subproblem, then take or reject the
    step. Returns a status when the run must stop, else None."""
    B = model.at(state.x, state.g)
    if B is None:
        return MinimizeStatus.NONFINITE  # hess(x) itself is not finite: no step helps
    state.nit += 1
    step = _model_step(solve, state.g, B, state.radius, state.x, box, tight=False)
    noise = _NOISE * abs(state.f) + _TINY
    if step.predicted_reduction <= noise and not getattr(step, "on_boundary", False):
        # An inexact solve can stop short of the model's minimiser; ask for it before
        # concluding anything from a tiny prediction.
        step = _model_step(solve, state.g, B, state.radius, state.x, box, tight=True)
    state.ratio = math.nan
    if getattr(step, "status", None) is StepStatus.NONFINITE:
        # A non-finite Hessian product: the step is not trusted, the radius shrinks.
        state.nonfinite_trials += 1
        state.radius *= opts.shrink_factor
        return None
    if not float(step.predicted_reduction) > noise:
        return _below_noise(state, step, objective, model, box, opts, noise)
    return _trial(state, step, objective, model, box, opts)


def _trial(
    state: _State,
    step: Any,
    objective: Objective,
    model: HessianModel,
    box: Box | None,
    opts: TrustRegionOptions,
) -> MinimizeStatus | None:
    """Evaluate x + s, take it if ρ ≥ accept_threshold, and update the radius."""
    # With bounds, project again: x + (P(y) - x) can miss P(y) by a rounding error.
    x_trial = state.x + step.s if box is None else box.project(state.x + step.s)
    if not np.isfinite(x_trial).all():
        return MinimizeStatus.UNBOUNDED  # the step overflowed
    f_trial = objective.value(x_trial)
    finite = math.isfinite(f_trial)
    ratio = (state.f - f_trial) / float(step.predicted_reduction) if finite else -math.inf
    if ratio >= opts.accept_threshold:
        g_trial = objective.gradient(x_trial)
        finite = bool(np.isfinite(g_trial).all())
        if finite:
            if model.updates:
                model.accepted(x_trial - state.x, g_trial - state.g)
            state.x, state.f, state.g = x_trial, f_trial, g_trial
        else:
            ratio = -math.inf
    if not finite:
        state.nonfinite_trials += 1  # rejected, and the radius shrinks below
    state.ratio = ratio
    state.radius = _updated_radius(
        state.radius, ratio, vector_norm(step.s), bool(getattr(step, "on_boundary", False)), opts
    )
    return None


def _updated_radius(
    radius: float, ratio: float, step_norm: float, on_boundary: bool, opts: TrustRegionOptions
) -> float:
    """The ratio test's radius (Conn, Gould & Toint 2000, Alg. 6.1.1; N&W Alg. 4.1):
    shrink to shrink_factor·min(Δ, ‖s‖) when ρ < shrink_threshold, expand by
    expand_factor (up to max_radius) when ρ ≥ expand_threshold with s on the boundary."""
    if ratio < opts.shrink_threshold:
        return opts.shrink_factor * min(radius, step_norm)
    if ratio >= opts.expand_threshold and on_boundary:
        return min(opts.expand_factor * radius, opts.max_radius, _MAX_RADIUS)
    return radius


def _below_noise(
    state: _State,
    step: Any,
    objective: Objective,
    model: HessianModel,
    box: Box | None,
    opts: TrustRegionOptions,
    noise: float,
) -> MinimizeStatus | None:
    """A step whose predicted decrease f cannot measure. On the boundary the region is
    too small to measure progress in: shrink. Inside it is the model's own minimiser; the
    gradient may still measure progress: take the step if it cuts the stationarity
    measure by _GRADIENT_PROGRESS without raising f beyond rounding. Otherwise x is
    stationary to rounding (as at the end of MGH's Meyer problem, where scipy's
    trust-exact reports failure) — if the gradient agrees (:func:`_at_rounding`)."""
    if getattr(step, "on_boundary", False):
        state.radius *= opts.shrink_factor
        return None
    progress = _gradient_progress(state.x, state.f, state.g, step.s, box, objective, noise)
    if progress is None:
        return _at_rounding(MinimizeStatus.NO_PREDICTED_DECREASE, state.x, state.f, state.g, box)
    model.accepted(progress[0] - state.x, progress[2] - state.g)
    state.x, state.f, state.g = progress
    return None


def _initial_point(x0: ArrayLike) -> np.ndarray:
    """x₀ as a new 1-D float array: a scalar is a vector of one, as in scipy."""
    scalar = np.isscalar(x0) or (isinstance(x0, np.ndarray) and x0.ndim == 0)
    x = as_float_vector(np.atleast_1d(x0) if scalar else x0, "x0")
    if x.size == 0:
        raise ValueError("x0 must not be empty")
    return x


def _has_constraints(constraints: Constraint | Sequence[Constraint] | None) -> bool:
    """Whether ``constraints`` holds any constraint (a single one, or a non-empty list)."""
    if isinstance(constraints, (dict, LinearConstraint, NonlinearConstraint)):
        return True
    return constraints is not None and len(constraints) > 0


def _at_rounding(
    status: MinimizeStatus, x: np.ndarray, f: float, g: np.ndarray, box: Box | None
) -> MinimizeStatus:
    """``status`` (a success) when no representable step decreases f and the gradient is
    small to rounding (:data:`_ROUNDING_STATIONARITY`); NO_PROGRESS otherwise."""
    if _relative_stationarity(x, f, g, box) <= _ROUNDING_STATIONARITY:
        return status
    return MinimizeStatus.NO_PROGRESS


def _gradient_progress(
    x: np.ndarray,
    f: float,
    g: np.ndarray,
    s: np.ndarray,
    box: Box | None,
    objective: Objective,
    noise: float,
) -> tuple[np.ndarray, float, np.ndarray] | None:
    """``(x₊, f₊, g₊)`` when a step too small for f to judge still makes progress: the
    stationarity measure falls by _GRADIENT_PROGRESS and f rises by no more than rounding;
    otherwise None. On a quadratic the gradient at the model's minimiser is exact where
    differences of f are pure noise, which is where augmented Lagrangian subproblems with
    large penalties end."""
    x_trial = x + s if box is None else box.project(x + s)
    g_trial = objective.gradient(x_trial)
    if not (
        np.isfinite(g_trial).all()
        and _stationarity(x_trial, g_trial, box) <= _GRADIENT_PROGRESS * _stationarity(x, g, box)
    ):
        return None
    f_trial = objective.value(x_trial)
    return (x_trial, f_trial, g_trial) if f_trial <= f + noise else None


def _relative_stationarity(x: np.ndarray, f: float, g: np.ndarray, box: Box | None) -> float:
    """Dennis & Schnabel's relative gradient, max_i |gᵢ|·max(|xᵢ|, 1) / max(|f|, 1)
    (Numerical Methods for Unconstrained Optimization, 1983, §7.2): invariant under
    scaling f or the variables, which the gradient norm alone is not (MGH's Meyer problem
    has a gradient of 10⁹ at x₀ and of 10 far from its minimiser)."""
    measure = g if box is None else box.projected_gradient(x, g)
    return float(np.max(np.abs(measure) * np.maximum(np.abs(x), 1.0))) / max(abs(f), 1.0)


def _stationarity(x: np.ndarray, g: np.ndarray, box: Box | None) -> float:
    """‖∇f‖∞, or with bounds the projected gradient's ‖P(x - ∇f) - x‖∞ (Conn, Gould & Toint
    2000, §12.1), which vanishes exactly at the box problem's first-order points."""
    measure = g if box is None else box.projected_gradient(x, g)
    return float(np.abs(measure).max())


def _subproblem_solver(
    method: str | Callable[..., Any], *, bounded: bool, constrained: bool
) -> _Solve:
    """``solve(g, B, radius, tight)``; with bounds or constraints only "steihaug" (TRON's
    step, built on it) is available, and the error says so."""
    if bounded or constrained:
        if method != "steihaug":
            what = "constraints" if constrained else "bounds"
            raise ValueError(
                f"with {what} the only method available is 'steihaug' (TRON's "
                f"projected Steihaug-Toint step); got {method!r}. Without "
                f"bounds or constraints: {', '.join(map(repr, QUADRATIC_METHODS))}"
                f" or a callable"
            )
    if callable(method):
        return lambda g, B, radius, tight: method(g, B, radius)
    if method not in QUADRATIC_METHODS:
        names = ", ".join(map(repr, QUADRATIC_METHODS))
        raise ValueError(f"method must be one of {names} or a callable; got {method!r}")

    def solve(g: np.ndarray, B: SymmetricOperator, radius: float, tight: bool) -> Any:
        # g, B and the radius are the driver's own, valid by construction: the public
        # checks of solve_subproblem would repeat at every iteration what they know.
        options: dict[str, Any] = {}
        if method in INEXACT_METHODS:
            options["rtol"] = _TIGHT_RTOL if tight else _forcing(vector_norm(g))
        return solve_checked(g, B, radius, None, method, options)

    return solve


def _model_step(
    solve: _Solve,
    g: np.ndarray,
    B: SymmetricOperator,
    radius: float,
    x: np.ndarray,
    box: Box | None,
    *,
    tight: bool,
) -> Any:
    """The subproblem's step: inexact (forcing tolerance) or ``tight``."""
    if box is None:
        return solve(g, B, radius, tight)
    # Capped at TRON's 0.1 (Lin & Moré 1999): at 0.5, CG on the free variables of a
    # curved, ill-conditioned valley (the augmented Lagrangian's usual shape) stops after
    # its first iteration, and the method degrades to projected steepest descent.
    rtol = _TIGHT_RTOL if tight else min(_TRON_RTOL, _forcing(_stationarity(x, g, box)))
    return tron_step(g, B, radius, x, box, rtol)


def _forcing(gradient_norm: float) -> float:
    """The forcing term min(0.5, √‖g‖) of inexact Newton methods (N&W eq. 7.3)."""
    return min(0.5, math.sqrt(gradient_norm))


def _result(
    state: _State,
    objective: Objective,
    model: HessianModel,
    status: MinimizeStatus | None,
    box: Box | None,
) -> Result:
    """A Result of the current state; ``status`` None for an intermediate one."""
    result = Result(
        x=state.x.copy(),
        fun=state.f,
        jac=state.g.copy(),
        nit=state.nit,
        niter=state.nit,
        nfev=objective.nfev,
        njev=objective.njev,
        nhev=model.hessian_evaluations,
        optimality=_stationarity(state.x, state.g, box),
        constr_violation=0.0,  # every iterate satisfies the bounds
        trust_radius=state.radius,
        tr_radius=state.radius,
        nonfinite_trials=state.nonfinite_trials,
    )
    if status is not None:
        result.update(status=status, success=status.success, message=status.message)
    return result


def _constrained(
    x: np.ndarray,
    objective: Objective,
    hess: Any,
    hessp: Callable[..., Any] | None,
    args: tuple[Any, ...],
    box: Box,
    constraints: ConstraintSet,
    opts: TrustRegionOptions,
    stop: _Stop | None,
) -> Result:
    """General constraints: the augmented Lagrangian loop, each subproblem solved by this
    driver with bounds; the Result adds the violation, multipliers and KKT residual, each
    also under scipy's trust-constr name."""
    hessian_calls = 0

    def counted(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(z: np.ndarray, *rest: np.ndarray) -> Any:
            nonlocal hessian_calls
            hessian_calls += 1
            return function(z.copy(), *(v.copy() for v in rest), *args)

        return call

    objective_hessian: Callable[[np.ndarray], SymmetricOperator] | None
    if callable(hessp):
        user_hessp = hessp

        def objective_hessian(z: np.ndarray) -> SymmetricOperator:
            return HessianVectorProduct(counted(user_hessp), z)
    elif callable(hess):
        user_hess = hess

        def objective_hessian(z: np.ndarray) -> SymmetricOperator:
            return as_operator(counted(user_hess)(z), z.shape[0], name="hess(x)")
    else:  # a quasi-Newton strategy, a difference scheme or nothing: differences
        objective_hessian = None
    x, info = augmented_lagrangian(
        minimize,
        objective.value,
        objective.gradient,
        objective_hessian,
        x,
        box,
        constraints,
        opts,
        stop,
    )
    status = info.pop("status")
    f = objective.value(x)
    return Result(
        x=x,
        fun=f,
        jac=objective.gradient(x),
        nfev=objective.nfev,
        njev=objective.njev,
        nhev=hessian_calls,
        status=status,
        success=status.success,
        message=status.message,
        trust_radius=math.nan,
        tr_radius=math.nan,
        nonfinite_trials=0,
        niter=info["nit"],
        constr_violation=info["constraint_violation"],
        optimality=info["kkt_residual"],
        **info,
    )
