"""``trustregion.minimize``: the trust-region method, with bounds and general constraints."""

import math

import numpy as np
from scipy.linalg import norm  # BLAS nrm2 scales: np.linalg.norm overflows past 1e154
from scipy.optimize import LinearConstraint, NonlinearConstraint

from .._status import StepStatus
from .._validation import as_float_vector
from ..operators import HessianVectorProduct, as_operator
from ..subproblems import METHODS, solve_subproblem
from ._bounds import as_box, feasible_start, tron_step
from ._callback import as_callback
from ._constraints import ConstraintSet
from ._display import IterationLog
from ._lagrangian import augmented_lagrangian
from ._model import HessianModel
from ._objective import Objective
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result

_TRON_RTOL = 0.1
# Methods that take an inexact, forcing-sequence tolerance from the outer loop.
_INEXACT = ("steihaug", "gltr")
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
_ROUNDING_STATIONARITY = _EPS ** 0.25
# The radius never grows past this: x + s must stay representable.
_MAX_RADIUS = 1e300


def minimize(fun, x0, args=(), method="steihaug", jac=None, hess=None, hessp=None,
             bounds=None, constraints=(), tol=None, callback=None, options=None) -> Result:
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
        "cauchy", "dogleg", "steihaug" (default), "gltr", "exact", or a callable
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
    box = None
    if bounds is not None or constrained:
        box = as_box(bounds, n) if bounds is not None else as_box([(None, None)] * n, n)
        x = feasible_start(x, box)
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
        result = _result(x, f, g, 0, objective, model, opts.initial_radius,
                         MinimizeStatus.NONFINITE_START, 0, box)
        log.summary(result)
        return result
    if constrained:
        result = _constrained(x, objective, hess, hessp, args, box,
                              ConstraintSet(constraints, x, box), opts, stop)
        log.summary(result)
        return result
    allvecs = [x.copy()] if opts.return_all else None
    gtol_absolute = opts.gtol * max(1.0, _stationarity(x, g, box))
    radius = opts.initial_radius
    nonfinite_trials = 0
    status = MinimizeStatus.MAXITER
    nit = 0
    while True:
        if _stationarity(x, g, box) <= gtol_absolute \
                and _relative_stationarity(x, f, g, box) <= opts.gtol:
            status = MinimizeStatus.GTOL
            break
        if f <= opts.f_unbounded:
            status = MinimizeStatus.UNBOUNDED
            break
        if nit >= opts.maxiter:
            status = MinimizeStatus.MAXITER
            break
        if opts.max_nfev is not None and objective.nfev >= opts.max_nfev:
            status = MinimizeStatus.MAX_NFEV
            break
        if radius < opts.xtol * (1.0 + float(norm(x))):
            status = (MinimizeStatus.NONFINITE if nonfinite_trials
                      else _at_rounding(MinimizeStatus.XTOL, x, f, g, box))
            break
        B = model.at(x, g)
        if B is None:
            status = MinimizeStatus.NONFINITE  # hess(x) itself is not finite
            break
        nit += 1
        step = _model_step(solve, g, B, radius, x, box, tight=False)
        noise = _NOISE * abs(f) + _TINY
        if step.predicted_reduction <= noise and not getattr(step, "on_boundary", False):
            # An inexact solve can stop short of the model's minimiser; ask for it before
            # concluding anything from a tiny prediction.
            step = _model_step(solve, g, B, radius, x, box, tight=True)
        s, predicted = step.s, float(step.predicted_reduction)
        on_boundary = bool(getattr(step, "on_boundary", False))
        ratio = math.nan
        if getattr(step, "status", None) is StepStatus.NONFINITE:
            # A non-finite Hessian product: the step is not trusted, the radius shrinks.
            nonfinite_trials += 1
            radius *= opts.shrink_factor
        elif not predicted > noise:
            if on_boundary:
                radius *= opts.shrink_factor  # too small a region to measure progress in
            else:
                # The model's own minimiser predicts no decrease that f can measure. The
                # gradient may still measure it: take the step if it cuts the
                # stationarity measure by _GRADIENT_PROGRESS without raising f beyond
                # rounding. Otherwise x is stationary to rounding (as at the end of MGH's
                # Meyer problem, where scipy's trust-exact reports failure) — if the
                # gradient agrees.
                progress = _gradient_progress(x, f, g, s, box, objective, noise)
                if progress is None:
                    status = _at_rounding(MinimizeStatus.NO_PREDICTED_DECREASE, x, f, g, box)
                    break
                model.accepted(progress[0] - x, progress[2] - g)
                x, f, g = progress
        else:
            # With bounds, project again: x + (P(y) - x) can miss P(y) by a rounding error.
            x_trial = x + s if box is None else box.project(x + s)
            if not np.isfinite(x_trial).all():
                status = MinimizeStatus.UNBOUNDED  # the step overflowed
                break
            f_trial = objective.value(x_trial)
            if not math.isfinite(f_trial):
                nonfinite_trials += 1
                ratio = -math.inf
            else:
                ratio = (f - f_trial) / predicted
            step_norm = float(norm(s))
            if ratio >= opts.accept_threshold:
                g_trial = objective.gradient(x_trial)
                if np.isfinite(g_trial).all():
                    model.accepted(x_trial - x, g_trial - g)
                    x, f, g = x_trial, f_trial, g_trial
                else:
                    nonfinite_trials += 1
                    ratio = -math.inf
            if ratio < opts.shrink_threshold:
                radius = opts.shrink_factor * min(radius, step_norm)
            elif ratio >= opts.expand_threshold and on_boundary:
                radius = min(opts.expand_factor * radius, opts.max_radius, _MAX_RADIUS)
        log.iteration(nit, f, _stationarity(x, g, box), radius, ratio)
        if allvecs is not None:
            allvecs.append(x.copy())
        if stop is not None and stop(_result(x, f, g, nit, objective, model, radius, None,
                                             nonfinite_trials, box)):
            status = MinimizeStatus.CALLBACK
            break
    result = _result(x, f, g, nit, objective, model, radius, status, nonfinite_trials, box)
    if allvecs is not None:
        result["allvecs"] = allvecs
    log.summary(result)
    return result


def _initial_point(x0):
    """x₀ as a new 1-D float array: a scalar is a vector of one, as in scipy."""
    scalar = np.isscalar(x0) or (isinstance(x0, np.ndarray) and x0.ndim == 0)
    x = as_float_vector([x0] if scalar else x0, "x0")
    if x.size == 0:
        raise ValueError("x0 must not be empty")
    return x


def _has_constraints(constraints):
    """Whether ``constraints`` holds any constraint (a single one, or a non-empty list)."""
    if isinstance(constraints, (dict, LinearConstraint, NonlinearConstraint)):
        return True
    return constraints is not None and len(constraints) > 0


def _at_rounding(status, x, f, g, box):
    """``status`` (a success) when no representable step decreases f and the gradient is
    small to rounding (:data:`_ROUNDING_STATIONARITY`); NO_PROGRESS otherwise."""
    if _relative_stationarity(x, f, g, box) <= _ROUNDING_STATIONARITY:
        return status
    return MinimizeStatus.NO_PROGRESS


def _gradient_progress(x, f, g, s, box, objective, noise):
    """``(x₊, f₊, g₊)`` when a step too small for f to judge still makes progress: the
    stationarity measure falls by _GRADIENT_PROGRESS and f rises by no more than rounding;
    otherwise None. On a quadratic the gradient at the model's minimiser is exact where
    differences of f are pure noise, which is where augmented Lagrangian subproblems with
    large penalties end."""
    x_trial = x + s if box is None else box.project(x + s)
    g_trial = objective.gradient(x_trial)
    if not (np.isfinite(g_trial).all() and _stationarity(x_trial, g_trial, box)
            <= _GRADIENT_PROGRESS * _stationarity(x, g, box)):
        return None
    f_trial = objective.value(x_trial)
    return (x_trial, f_trial, g_trial) if f_trial <= f + noise else None


def _relative_stationarity(x, f, g, box):
    """Dennis & Schnabel's relative gradient, max_i |gᵢ|·max(|xᵢ|, 1) / max(|f|, 1)
    (Numerical Methods for Unconstrained Optimization, 1983, §7.2): invariant under
    scaling f or the variables, which the gradient norm alone is not (MGH's Meyer problem
    has a gradient of 10⁹ at x₀ and of 10 far from its minimiser)."""
    measure = g if box is None else box.projected_gradient(x, g)
    return float(np.max(np.abs(measure) * np.maximum(np.abs(x), 1.0))) / max(abs(f), 1.0)


def _stationarity(x, g, box):
    """‖∇f‖∞, or with bounds the projected gradient's ‖P(x - ∇f) - x‖∞ (Conn, Gould & Toint
    2000, §12.1), which vanishes exactly at the box problem's first-order points."""
    measure = g if box is None else box.projected_gradient(x, g)
    return float(np.abs(measure).max())


def _subproblem_solver(method, *, bounded, constrained):
    """``solve(g, B, radius, tight)``; with bounds or constraints only "steihaug" (TRON's
    step, built on it) is available, and the error says so."""
    if bounded or constrained:
        if method != "steihaug":
            what = "constraints" if constrained else "bounds"
            raise ValueError(f"with {what} the only method available is 'steihaug' (TRON's "
                             f"projected Steihaug-Toint step); got {method!r}. Without "
                             f"bounds or constraints: 'cauchy', 'dogleg', 'steihaug', "
                             f"'gltr', 'exact' or a callable")
    if callable(method):
        return lambda g, B, radius, tight: method(g, B, radius)
    if method not in METHODS or method == "natural":
        names = ", ".join(repr(m) for m in METHODS if m != "natural")
        raise ValueError(f"method must be one of {names} or a callable; got {method!r}")

    def solve(g, B, radius, tight):
        options = {}
        if method in _INEXACT:
            options["rtol"] = _TIGHT_RTOL if tight else _forcing(float(norm(g)))
        return solve_subproblem(g, B, radius, method=method, **options)

    return solve


def _model_step(solve, g, B, radius, x, box, *, tight):
    """The subproblem's step: inexact (forcing tolerance) or ``tight``."""
    if box is None:
        return solve(g, B, radius, tight)
    # Capped at TRON's 0.1 (Lin & Moré 1999): at 0.5, CG on the free variables of a
    # curved, ill-conditioned valley (the augmented Lagrangian's usual shape) stops after
    # its first iteration, and the method degrades to projected steepest descent.
    rtol = _TIGHT_RTOL if tight else min(_TRON_RTOL, _forcing(_stationarity(x, g, box)))
    return tron_step(g, B, radius, x, box, rtol)


def _forcing(gradient_norm):
    """The forcing term min(0.5, √‖g‖) of inexact Newton methods (N&W eq. 7.3)."""
    return min(0.5, math.sqrt(gradient_norm))


def _result(x, f, g, nit, objective, model, radius, status, nonfinite_trials, box):
    """A Result of the current state; ``status`` None for an intermediate one."""
    result = Result(x=x.copy(), fun=f, jac=g.copy(), nit=nit, niter=nit, nfev=objective.nfev,
                    njev=objective.njev, nhev=model.hessian_evaluations,
                    optimality=_stationarity(x, g, box),
                    constr_violation=0.0,  # every iterate satisfies the bounds
                    trust_radius=radius, tr_radius=radius,
                    nonfinite_trials=nonfinite_trials)
    if status is not None:
        result.update(status=status, success=status.success, message=status.message)
    return result


def _constrained(x, objective, hess, hessp, args, box, constraints, opts, stop):
    """General constraints: the augmented Lagrangian loop, each subproblem solved by this
    driver with bounds; the Result adds the violation, multipliers and KKT residual, each
    also under scipy's trust-constr name."""
    hessian_calls = 0

    def counted(function):
        def call(z, *rest):
            nonlocal hessian_calls
            hessian_calls += 1
            return function(z.copy(), *(v.copy() for v in rest), *args)
        return call

    if callable(hessp):
        def objective_hessian(z):
            return HessianVectorProduct(counted(hessp), z)
    elif callable(hess):
        def objective_hessian(z):
            return as_operator(counted(hess)(z), z.shape[0], name="hess(x)")
    else:  # a quasi-Newton strategy, a difference scheme or nothing: differences
        objective_hessian = None
    x, info = augmented_lagrangian(minimize, objective.value, objective.gradient,
                                   objective_hessian, x, box, constraints, opts, stop)
    status = info.pop("status")
    f = objective.value(x)
    return Result(x=x, fun=f, jac=objective.gradient(x), nfev=objective.nfev,
                  njev=objective.njev, nhev=hessian_calls, status=status,
                  success=status.success, message=status.message, trust_radius=math.nan,
                  tr_radius=math.nan, nonfinite_trials=0, niter=info["nit"],
                  constr_violation=info["constraint_violation"],
                  optimality=info["kkt_residual"], **info)
