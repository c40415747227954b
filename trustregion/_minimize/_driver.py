"""``trustregion.minimize``: the trust-region method, with bounds and general constraints."""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, HessianUpdateStrategy, LinearConstraint, NonlinearConstraint

from .. import _iteration as T
from .. import _kernels as K
from .._iteration import TIGHT_RTOL, advance
from .._status import StepStatus
from .._validation import as_float_vector, vector_norm
from ..operators import HessianVectorProduct, SymmetricOperator, as_operator
from ..operators._symmetric import MATRIX_FREE
from ..subproblems import INEXACT_METHODS, QUADRATIC_METHODS, solve_checked
from ._bounds import Box, as_box, feasible_start, tron_step
from ._callback import as_callback
from ._compiled import compiled_run_applies, minimize_compiled
from ._constraints import Constraint, ConstraintSet
from ._display import IterationLog
from ._lagrangian import augmented_lagrangian
from ._machine import Machine, stationarity
from ._model import HessianModel
from ._objective import Objective
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result

_TRON_RTOL = 0.1

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

    When ``fun``, ``jac`` and ``hess`` (or ``hessp``) are ``numba.njit`` functions of a
    float64 vector, the whole run is compiled: the same iterates, with no return to Python
    between iterations (for the default method, without bounds, constraints, ``args``, a
    callback, ``disp`` or ``return_all``, any of which runs the Python loop instead).
    :func:`minimize_batch` solves many small problems at once.

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
    plain = box is None and stop is None and not (opts.disp or opts.return_all)
    if compiled_run_applies(fun, jac, hess, hessp, method, args, plain=plain):
        return minimize_compiled(fun, jac, hess, hessp if hess is None else None, x, opts)
    constraint_set = ConstraintSet(constraints, x, box) if constrained else None
    lo, hi = (None, None) if box is None else (box.lo, box.hi)
    objective = Objective(fun, jac, args, lo=lo, hi=hi, rel_step=opts.finite_diff_rel_step)
    model = HessianModel(objective, n, hess, hessp, args, lo=lo, hi=hi)
    log = IterationLog(opts.disp)
    if constrained:
        # (with constraints there is always a box, and the set)
        assert box is not None and constraint_set is not None
        result = _constrained(x, objective, hess, hessp, args, box, constraint_set, opts, stop)
    else:
        in_kernel = method == "steihaug" and box is None
        result = _unconstrained(x, objective, model, solve, in_kernel, box, opts, log, stop)
    log.summary(result)
    return result


def _unconstrained(
    x0: np.ndarray,
    objective: Objective,
    model: HessianModel,
    solve: _Solve,
    in_kernel: bool,
    box: Box | None,
    opts: TrustRegionOptions,
    log: IterationLog,
    stop: _Stop | None,
) -> Result:
    """The trust-region loop (Conn, Gould & Toint 2000, Alg. 6.1.1) from x₀: the kernel
    :func:`trustregion._iteration.advance` runs it, and this function serves its requests
    with the user's functions, the model and the subproblem solver. With ``in_kernel``
    (Steihaug–Toint without bounds) the kernel computes the step itself: on a stored dense
    Hessian in the same call as the rest of the iteration, on a matrix-free model asking
    for one product at a time; otherwise it asks for the step (REQUEST_STEP)."""
    n = x0.shape[0]
    allvecs = [x0.copy()] if opts.return_all else None
    machine = Machine(
        x0[None, :],
        opts,
        step_mode=T.STEP_DRIVER,
        report=log.enabled or allvecs is not None or stop is not None,
        notify_accepted=model.updates,
    )
    vectors, real, ints, options = (
        machine.vectors[0],
        machine.real[0],
        machine.ints[0],
        machine.options,
    )
    x, g, trial, trial_g = (vectors[row] for row in (T.V_X, T.V_G, T.V_TRIAL, T.V_TRIAL_G))
    direction, product = vectors[T.V_WORK + 2], vectors[T.V_WORK + 3]
    bounds = np.stack([box.lo, box.hi]) if box is not None else _NO_BOX
    stored = _NO_STORED_MATRIX
    B: SymmetricOperator | None = None
    status: MinimizeStatus | None = None
    # The most frequent requests first: a product per CG iteration, then f and ∇f.
    asks_product, asks_f, asks_g = T.REQUEST_PRODUCT, T.REQUEST_F, T.REQUEST_G
    while status is None:
        ints[T.I_NFEV] = objective.nfev
        request = advance(vectors, *stored, real, ints, bounds, options)
        if request == asks_product:
            assert B is not None  # the model comes before its products
            product[:] = B.apply(direction)
        elif request == asks_f:
            real[T.R_F_TRIAL] = objective.value(trial)
        elif request == asks_g:
            trial_g[:] = _gradient(objective, trial, n)
        elif request == T.REQUEST_MODEL:
            B = model.at(x.copy(), g.copy())
            ints[T.I_MODEL_FINITE] = B is not None
            ints[T.I_STEP_MODE] = _step_mode(B) if in_kernel else T.STEP_DRIVER
            in_place = B is not None and ints[T.I_STEP_MODE] in (T.STEP_DENSE, T.STEP_SPARSE)
            stored = B.kernel_args[1:5] if B is not None and in_place else _NO_STORED_MATRIX
        elif request == T.REQUEST_STEP:
            assert B is not None  # the model comes before its step
            _write_step(
                _model_step(solve, g, B, real[T.R_RADIUS], x, box, tight=bool(ints[T.I_TIGHT])),
                vectors,
                real,
                ints,
            )
        elif request == T.REQUEST_ACCEPTED:
            model.accepted(trial - x, trial_g - g)
        elif request == T.REQUEST_REPORT:
            if _report(machine, objective, model, box, log, allvecs, stop):
                status = MinimizeStatus.CALLBACK
        else:
            status = machine.status(0)
    result = machine.result(0, _counts(objective, model), status, box)
    if allvecs is not None:
        result["allvecs"] = allvecs
    return result


_NO_BOX = np.empty((2, 0))
# The kernel's (dense, data, indices, indptr) when the model is not stored: empty arrays
# of the types a stored one has, so that the kernel compiles once.
_NO_STORED_MATRIX = MATRIX_FREE[1:5]


def _counts(objective: Objective, model: HessianModel) -> tuple[int, int, int]:
    """nfev, njev and nhev so far."""
    return objective.nfev, objective.njev, model.hessian_evaluations


def _gradient(objective: Objective, x: np.ndarray, n: int) -> np.ndarray:
    """∇f(x), refused unless it is a vector of the problem's dimension."""
    g = objective.gradient(x)
    if g.shape != (n,):
        raise ValueError(f"jac(x) must be a vector of shape ({n},), got shape {g.shape}")
    return g


def _step_mode(B: SymmetricOperator | None) -> int:
    """How the kernel gets the Steihaug–Toint step on B: it multiplies a stored dense or
    CSR matrix itself and asks for each product of a matrix-free one; a stored matrix
    with a shift (damping) goes to the driver's solver."""
    if B is None:
        return T.STEP_DRIVER  # (the kernel stops: the model is not finite)
    kind, shift = B.kernel_args.kind, B.kernel_args.shift
    if kind == K.EXTERNAL:
        return T.STEP_PRODUCTS
    if shift != 0.0:
        return T.STEP_DRIVER
    return T.STEP_DENSE if kind == K.DENSE else T.STEP_SPARSE


def _write_step(step: Any, vectors: np.ndarray, real: np.ndarray, ints: np.ndarray) -> None:
    """Hand a subproblem solver's step to the kernel: s, its predicted decrease, whether
    it is on the boundary, and whether a model product was not finite."""
    vectors[T.V_S] = step.s
    real[T.R_PRED] = float(step.predicted_reduction)
    ints[T.I_ON_BOUNDARY] = bool(getattr(step, "on_boundary", False))
    ints[T.I_STEP_NONFINITE] = getattr(step, "status", None) is StepStatus.NONFINITE


def _report(
    machine: Machine,
    objective: Objective,
    model: HessianModel,
    box: Box | None,
    log: IterationLog,
    allvecs: list[np.ndarray] | None,
    stop: _Stop | None,
) -> bool:
    """The end of an iteration: the log line, the iterate for ``allvecs``, and the
    callback; whether the callback asks to stop."""
    vectors, real, ints = machine.vectors[0], machine.real[0], machine.ints[0]
    x, g = vectors[T.V_X], vectors[T.V_G]
    if log.enabled:
        log.iteration(
            int(ints[T.I_NIT]),
            real[T.R_F],
            stationarity(x, g, box),
            real[T.R_RADIUS],
            real[T.R_RATIO],
        )
    if allvecs is not None:
        allvecs.append(x.copy())
    return stop is not None and stop(machine.result(0, _counts(objective, model), None, box))


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
            options["rtol"] = TIGHT_RTOL if tight else _forcing(vector_norm(g))
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
    rtol = TIGHT_RTOL if tight else min(_TRON_RTOL, _forcing(stationarity(x, g, box)))
    return tron_step(g, B, radius, x, box, rtol)


def _forcing(gradient_norm: float) -> float:
    """The forcing term min(0.5, √‖g‖) of inexact Newton methods (N&W eq. 7.3)."""
    return min(0.5, math.sqrt(gradient_norm))


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
