"""``trustregion.least_squares``: scipy's ``least_squares`` as a trust-region method on the
Gauss–Newton model."""

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import OptimizeResult

from .. import _gauss_newton_iteration as G
from .. import _kernels as K
from .._validation import vector_norm
from ._arguments import (
    Settings,
    check_jacobian_kind,
    column_norms,
    initial_point,
    settings,
)
from ._compiled import compiled_run_applies, least_squares_compiled
from ._machine import GaussNewtonMachine
from ._residuals import Jacobian, Residuals
from ._steps import (
    ExactGaussNewton,
    GaussNewtonStep,
    SparseGaussNewton,
    bounded_step,
    krylov_step,
)


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
    if dense_mode(J, opts) and compiled_run_applies(fun, jac, args, kwargs, opts):
        result = least_squares_compiled(fun, jac, x, f, J, opts, residuals.precision)
    else:
        result = _PythonRun(x, f, J, residuals, opts).solve()
    if opts.verbose:
        print(result.message)
        print(
            f"Function evaluations {result.nfev}, initial cost {_cost(f, opts):.4e}, "
            f"final cost {result.cost:.4e}, first-order optimality {result.optimality:.2e}."
        )
    return result


def dense_mode(J: Any, opts: Settings) -> bool:
    """Whether the kernel runs the whole iteration (MODE_DENSE): a dense J of at most
    JACOBI_MAX_COLUMNS columns (the kernel's SVD), no bounds, the linear loss and the
    exact subproblem solver."""
    return (
        isinstance(J, np.ndarray)
        and J.shape[1] <= K.JACOBI_MAX_COLUMNS
        and opts.box is None
        and opts.loss is None
        and opts.tr_solver in (None, "exact")
    )


class _PythonRun:
    """One problem's run of the iteration kernel on the user's Python functions: serves
    each of its requests.

    In MODE_DRIVER it also holds the model's J and f at x (as the user's J came: dense,
    CSR or an operator, rescaled for a robust loss) and the step solver built on them,
    factorised once per iterate."""

    def __init__(
        self, x: np.ndarray, f: np.ndarray, J: Jacobian, residuals: Residuals, opts: Settings
    ) -> None:
        self.residuals, self.opts = residuals, opts
        self.dense = dense_mode(J, opts)
        self.machine = GaussNewtonMachine(
            x[None, :],
            f[None, :],
            opts,
            dense=self.dense,
            precision=residuals.precision,
            report=opts.verbose == 2 or opts.stop is not None,
        )
        self.vectors = self.machine.vectors[0]
        self.trial_f: np.ndarray | None = None
        self.solver: Callable[[float, float], GaussNewtonStep] | None = None
        self.solver_nit = -1
        if self.dense:
            self.machine.jacobians[0, 0] = J
        else:
            self.J, self.model_f = self._write_model(f, J)
            if opts.loss is not None:
                self.machine.real[0, G.R_COST] = _cost(f, opts)

    def solve(self) -> OptimizeResult:
        """Run to the end; the result."""
        machine, ints = self.machine, self.machine.ints[0]
        if self.opts.verbose == 2:
            print(
                f"{'iteration':>9} {'total nfev':>11} {'cost':>14} {'radius':>11} "
                f"{'optimality':>11}"
            )
        while True:
            ints[G.I_NFEV] = self.residuals.nfev
            request = machine.advance(0)
            if request == G.REQUEST_NONE:
                break
            if request == G.REQUEST_F:
                self._serve_residuals()
            elif request == G.REQUEST_J:
                self._serve_jacobian()
            elif request == G.REQUEST_STEP:
                self._serve_step()
            else:
                self._report()
        jac = None if self.dense else self.J
        return machine.result(0, self.residuals.nfev, self.residuals.njev, jac)

    def _serve_residuals(self) -> None:
        f = self.residuals(self.vectors[G.V_TRIAL])
        self.trial_f = f
        if f is None:
            self.machine.residuals[0, 1, 0] = np.nan  # rejected: not finite
            return
        self.machine.residuals[0, 1] = f
        if self.opts.loss is not None:
            self.machine.real[0, G.R_COST_TRIAL] = _cost(f, self.opts)

    def _serve_jacobian(self) -> None:
        assert self.trial_f is not None  # J is asked for only where f is finite
        J = self.residuals.jacobian(self.vectors[G.V_TRIAL], self.trial_f)
        if self.dense:
            target = self.machine.jacobians[0, 1]
            if J is None:
                target[0, 0] = np.nan
            elif isinstance(J, np.ndarray):
                target[...] = J
            elif sp.issparse(J):
                target[...] = J.toarray()
            else:
                raise ValueError(
                    "jac returned a LinearOperator at a trial point; it returned a dense "
                    "array at x0, and must keep to one kind"
                )
            return
        self.machine.ints[0, G.I_J_FINITE] = J is not None
        if J is not None:  # finite: the kernel takes this point, so the model moves here
            self.J, self.model_f = self._write_model(self.trial_f, J)

    def _write_model(self, f: np.ndarray, J: Jacobian) -> tuple[Jacobian, np.ndarray]:
        """MODE_DRIVER's model at (f, J) into the kernel's rows; returns (J̃, f̃)."""
        vectors = self.vectors
        model_f, model_J, g, angle = _model(f, J, vectors[G.V_D], self.opts)
        vectors[G.V_G] = g
        vectors[G.V_ANGLE] = angle
        return model_J, model_f

    def _serve_step(self) -> None:
        real, nit = self.machine.real[0], int(self.machine.ints[0, G.I_NIT])
        if self.solver is None or self.solver_nit != nit:  # a new iterate: factorise
            self.solver, self.solver_nit = self._step_solver(), nit
        step = self.solver(float(real[G.R_RADIUS]), float(real[G.R_LAM]))
        self.vectors[G.V_P] = step.p
        real[G.R_PRED] = step.predicted_reduction
        real[G.R_STEP_LAM] = step.multiplier

    def _step_solver(self) -> Callable[[float, float], GaussNewtonStep]:
        """``solve(radius, λ) -> GaussNewtonStep`` for the model at this iterate."""
        opts, vectors = self.opts, self.vectors
        J, f = self.J, self.model_f
        g, d = vectors[G.V_G].copy(), vectors[G.V_D].copy()
        if opts.box is not None:
            x, box = vectors[G.V_X].copy(), opts.box
            return lambda radius, lam: bounded_step(J, g, d, radius, x, box)
        iterative = opts.tr_solver in ("steihaug", "gltr")
        if isinstance(J, np.ndarray) and not iterative:
            return ExactGaussNewton(J, f, d).step
        if opts.tr_solver == "exact":  # a sparse J: chosen, not the default (see least_squares)
            return SparseGaussNewton(J, f, d).step
        method = "gltr" if opts.tr_solver == "gltr" else "steihaug"
        return lambda radius, lam: krylov_step(J, g, d, radius, method, opts.tr_options)

    def _report(self) -> None:
        """The end of an outer iteration: the log line, and the callback while the run
        goes on."""
        machine, nfev = self.machine, self.residuals.nfev
        ints, real = machine.ints[0], machine.real[0]
        if self.opts.verbose == 2:
            optimality = float(np.abs(machine.free_gradient(0)).max(initial=0.0))
            print(
                f"{int(ints[G.I_NIT]):9d} {nfev:11d} {real[G.R_COST]:14.4e} "
                f"{real[G.R_RADIUS]:11.2e} {optimality:11.2e}"
            )
        stop = self.opts.stop
        if ints[G.I_PENDING] == G.RUNNING and stop is not None:
            ints[G.I_STOP] = bool(stop(machine.intermediate(0, nfev)))


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
    """F at residuals f; inf (rejected by the ratio test, without a warning) where it
    overflows."""
    if opts.loss is None:
        return float(K.half_sum_of_squares(f))
    with np.errstate(over="ignore"):
        return opts.loss.cost(f)


def _gradient(J: Jacobian, f: np.ndarray) -> np.ndarray:
    return np.asarray(J.T @ f, dtype=np.float64).ravel()
