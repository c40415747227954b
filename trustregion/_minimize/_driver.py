"""``trustregion.minimize``: the trust-region method, with bounds and general constraints."""

import math

import numpy as np

from .._status import StepStatus
from .._validation import as_float_vector
from ..operators import HessianVectorProduct, as_operator
from ..subproblems import METHODS, solve_subproblem
from ._bounds import as_box, feasible_start, tron_step
from ._constraints import ConstraintSet
from ._lagrangian import augmented_lagrangian
from ._model import HessianModel
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result

_TRON_RTOL = 0.1
# Methods that take an inexact, forcing-sequence tolerance from the outer loop.
_INEXACT = ("steihaug", "gltr")
# Predicted decreases below this multiple of eps·|f| cannot be measured in f.
_NOISE = 16.0 * np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny
# Below the noise, a step is taken only if it cuts the stationarity measure by this factor.
_GRADIENT_PROGRESS = 0.5
# The subproblem tolerance used to confirm that the model predicts no decrease.
_TIGHT_RTOL = 1e-10


def minimize(fun, x0, args=(), *, jac=None, hess=None, hessp=None, method="steihaug",
             bounds=None, constraints=(), callback=None, options=None) -> Result:
    """Minimise f(x) by a trust-region method (Conn, Gould & Toint 2000, Alg. 6.1.1).

    Each iteration builds the model m(s) = f + gᵀs + ½ sᵀBs at the current point, solves
    the subproblem min m(s), ‖s‖ ≤ Δ with ``method``, and compares the actual decrease
    f(x) - f(x + s) with the predicted one; the ratio ρ decides whether the step is taken
    and how the radius changes (see :class:`TrustRegionOptions`). The Krylov methods get
    the forcing tolerance min(0.5, √‖g‖)·‖g‖ (N&W eq. 7.3), which gives superlinear
    convergence with exact Hessian products without oversolving far from the solution.
    The model and the gradient are evaluated only at accepted points.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``(float, gradient)`` with ``jac=True``.
    x0 : array_like, shape (n,)
    args : tuple
    jac : callable or True
        The gradient (required: trust-region methods are gradient methods).
    hess : callable or scipy.optimize.HessianUpdateStrategy, optional
        ``hess(x, *args)`` returning an array, sparse matrix or LinearOperator; or
        ``BFGS()``/``SR1()`` for a quasi-Newton model (copied, not modified).
    hessp : callable, optional
        ``hessp(x, v, *args)``; without ``hess`` and ``hessp``, finite differences of
        ``jac`` (forward, N&W §8.1).
    method : str or callable
        "cauchy", "dogleg", "steihaug" (default), "gltr", "exact", or a callable
        ``method(g, B, radius) -> step`` whose result has ``s`` and
        ``predicted_reduction`` (and optionally ``on_boundary``), like :class:`Step`.
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
        The Result adds ``constraint_violation`` (max over the rows), the multipliers
        ``eq_multipliers`` and ``ineq_multipliers`` (one per row in the stacked form
        c_E(x) = 0, c_I(x) ≥ 0, in the order the constraints were given; a constraint
        with both sides finite gives its lower-side rows, then its upper-side rows), ``kkt_residual``,
        ``penalty`` and ``inner_iterations``. ``ctol`` in ``options`` is the accepted
        violation; a penalty that grows past 1e12 stops with status INFEASIBLE, and
        ``maxiter`` bounds the subproblem iterations of the whole run.
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration with a :class:`Result` of the
        current state; raising ``StopIteration`` ends the run, as in scipy.
    options : dict, optional
        Fields of :class:`TrustRegionOptions`.

    Returns
    -------
    Result
    """
    opts = TrustRegionOptions.from_dict(options)
    solve = _subproblem_solver(method)
    x = as_float_vector(x0, "x0")
    n = x.shape[0]
    box = None
    if bounds is not None or constraints:
        if method != "steihaug":
            raise ValueError(f"with bounds the step is TRON's projected Steihaug-Toint step; "
                             f"method must be 'steihaug', got {method!r}")
        box = as_box(bounds, n) if bounds is not None else as_box([(None, None)] * n, n)
        x = feasible_start(x, box)
    args = tuple(args)
    evaluate, gradient, counts = _counted(fun, jac, args)
    model = HessianModel(n, gradient, hess, hessp, args)
    f = evaluate(x)
    if not math.isfinite(f):
        raise ValueError(f"fun(x0) is not finite: {f!r}")
    g = gradient(x)
    if g.shape != (n,) or not np.isfinite(g).all():
        raise ValueError(f"jac(x0) must be a finite vector of shape ({n},)")
    if constraints:
        return _constrained(x, evaluate, gradient, counts, hess, hessp, args, box,
                            ConstraintSet(constraints, x), opts, callback)
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
        if nit >= opts.maxiter:
            status = MinimizeStatus.MAXITER
            break
        if opts.max_nfev is not None and counts["nfev"] >= opts.max_nfev:
            status = MinimizeStatus.MAX_NFEV
            break
        if radius < opts.xtol * (1.0 + float(np.linalg.norm(x))):
            status = MinimizeStatus.NONFINITE if nonfinite_trials else MinimizeStatus.XTOL
            break
        nit += 1
        B = model.at(x, g)
        step = _model_step(solve, g, B, radius, x, box, tight=False)
        noise = _NOISE * abs(f) + _TINY
        if step.predicted_reduction <= noise and not getattr(step, "on_boundary", False):
            # An inexact solve can stop short of the model's minimiser; ask for it before
            # concluding anything from a tiny prediction.
            step = _model_step(solve, g, B, radius, x, box, tight=True)
        s, predicted = step.s, float(step.predicted_reduction)
        on_boundary = bool(getattr(step, "on_boundary", False))
        if getattr(step, "status", None) is StepStatus.NONFINITE:
            # A non-finite Hessian product: the step is not trusted, the radius shrinks.
            nonfinite_trials += 1
            radius *= opts.shrink_factor
            continue
        if not predicted > noise:
            if on_boundary:
                radius *= opts.shrink_factor  # too small a region to measure progress in
                continue
            # The model's own minimiser predicts no decrease that f can measure. The
            # gradient may still measure it: take the step if it cuts the stationarity
            # measure by _GRADIENT_PROGRESS without raising f beyond rounding. Otherwise
            # x is stationary to rounding (as at the end of MGH's Meyer problem, where
            # scipy's trust-exact reports failure).
            progress = _gradient_progress(x, f, g, s, box, evaluate, gradient, noise)
            if progress is None:
                status = MinimizeStatus.NO_PREDICTED_DECREASE
                break
            model.accepted(progress[0] - x, progress[2] - g)
            x, f, g = progress
            continue
        # With bounds, project again: x + (P(y) - x) can miss P(y) by a rounding error.
        x_trial = x + s if box is None else box.project(x + s)
        f_trial = evaluate(x_trial)
        if not math.isfinite(f_trial):
            nonfinite_trials += 1
            ratio = -math.inf
        else:
            ratio = (f - f_trial) / predicted
        step_norm = float(np.linalg.norm(s))
        if ratio >= opts.accept_threshold:
            g_trial = gradient(x_trial)
            if np.isfinite(g_trial).all():
                model.accepted(x_trial - x, g_trial - g)
                x, f, g = x_trial, f_trial, g_trial
            else:
                nonfinite_trials += 1
                ratio = -math.inf
        if ratio < opts.shrink_threshold:
            radius = opts.shrink_factor * min(radius, step_norm)
        elif ratio >= opts.expand_threshold and on_boundary:
            radius = min(opts.expand_factor * radius, opts.max_radius)
        if callback is not None:
            try:
                callback(_result(x, f, g, nit, counts, model, radius, None, nonfinite_trials))
            except StopIteration:
                status = MinimizeStatus.CALLBACK
                break
    return _result(x, f, g, nit, counts, model, radius, status, nonfinite_trials)


def _gradient_progress(x, f, g, s, box, evaluate, gradient, noise):
    """``(x₊, f₊, g₊)`` when a step too small for f to judge still makes progress: the
    stationarity measure falls by _GRADIENT_PROGRESS and f rises by no more than rounding;
    otherwise None. On a quadratic the gradient at the model's minimiser is exact where
    differences of f are pure noise, which is where augmented Lagrangian subproblems with
    large penalties end."""
    x_trial = x + s if box is None else box.project(x + s)
    g_trial = gradient(x_trial)
    if not (np.isfinite(g_trial).all() and _stationarity(x_trial, g_trial, box)
            <= _GRADIENT_PROGRESS * _stationarity(x, g, box)):
        return None
    f_trial = evaluate(x_trial)
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


def _subproblem_solver(method):
    if callable(method):
        return lambda g, B, radius, tight: method(g, B, radius)
    if method not in METHODS or method == "natural":
        names = ", ".join(repr(m) for m in METHODS if m != "natural")
        raise ValueError(f"method must be one of {names} or a callable; got {method!r}")

    def solve(g, B, radius, tight):
        options = {}
        if method in _INEXACT:
            options["rtol"] = _TIGHT_RTOL if tight else _forcing(float(np.linalg.norm(g)))
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


def _counted(fun, jac, args):
    """f and ∇f with evaluation counts; ``jac=True`` evaluates both once per point."""
    counts = {"nfev": 0, "njev": 0}
    if jac is True:
        cache = {}

        def evaluate(x):
            counts["nfev"] += 1
            value, grad = fun(x, *args)
            cache["x"], cache["g"] = x.copy(), np.asarray(grad, dtype=np.float64).reshape(-1)
            return float(value)

        def gradient(x):
            if "x" in cache and np.array_equal(cache["x"], x):
                return cache["g"].copy()
            evaluate(x)
            return cache["g"].copy()
    elif callable(jac):
        def evaluate(x):
            counts["nfev"] += 1
            return float(fun(x, *args))

        def gradient(x):
            counts["njev"] += 1
            return np.asarray(jac(x, *args), dtype=np.float64).reshape(-1)
    else:
        raise ValueError("jac is required: pass the gradient as a callable, or jac=True when "
                         "fun returns (f, gradient)")
    return evaluate, gradient, counts


def _result(x, f, g, nit, counts, model, radius, status, nonfinite_trials):
    """A Result of the current state; ``status`` None for an intermediate one."""
    result = Result(x=x.copy(), fun=f, jac=g.copy(), nit=nit, nfev=counts["nfev"],
                    njev=counts["njev"], nhev=model.hessian_evaluations,
                    trust_radius=radius, nonfinite_trials=nonfinite_trials)
    if status is not None:
        result.update(status=status, success=status.success, message=status.message)
    return result


def _constrained(x, evaluate, gradient, counts, hess, hessp, args, box, constraints, opts,
                 callback):
    """General constraints: the augmented Lagrangian loop, each subproblem solved by this
    driver with bounds; the Result adds the violation, multipliers and KKT residual."""
    hessian_calls = 0

    def counted(function):
        def call(*arguments):
            nonlocal hessian_calls
            hessian_calls += 1
            return function(*arguments, *args)
        return call

    if callable(hessp):
        def objective_hessian(z):
            return HessianVectorProduct(counted(hessp), z)
    elif callable(hess):
        def objective_hessian(z):
            return as_operator(counted(hess)(z), z.shape[0], name="hess(x)")
    else:  # a quasi-Newton strategy or nothing: the subproblems difference gradients
        objective_hessian = None
    x, info = augmented_lagrangian(minimize, evaluate, gradient, objective_hessian, x, box,
                                   constraints, opts, callback)
    status = info.pop("status")
    info["nhev"] = hessian_calls  # calls of the user's hess or hessp
    f = evaluate(x)
    return Result(x=x, fun=f, jac=gradient(x), nfev=counts["nfev"], njev=counts["njev"],
                  status=status, success=status.success, message=status.message,
                  trust_radius=math.nan, nonfinite_trials=0, **info)
