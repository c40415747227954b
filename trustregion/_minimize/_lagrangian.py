"""General constraints by an augmented Lagrangian outer loop (LANCELOT)."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import Bounds

from ..operators import SymmetricOperator
from ._bounds import Box
from ._constraints import ConstraintSet
from ._options import TrustRegionOptions
from ._result import MinimizeStatus, Result

_VectorFunction = Callable[[np.ndarray], np.ndarray]
_HessianFunction = Callable[[np.ndarray], SymmetricOperator]

# Penalty growth and tolerance schedule of Conn, Gould & Toint's LANCELOT (1992), as in
# Nocedal & Wright (2006), Algorithm 17.4: μ₀ = 10, η = μ^-0.1 then η/μ^0.9, ω = 1/μ.
_MU0 = 10.0
_MU_GROWTH = 100.0
_MU_MAX = 1e12
_MAX_OUTER = 60
_AT_NOISE_FLOOR = (MinimizeStatus.NO_PREDICTED_DECREASE, MinimizeStatus.XTOL)
# Up to this many variables and slacks the subproblem Hessian is formed as a matrix. That
# costs n products of ∇²f (one ``hess(x)``, or n ``hessp``) per point, against about ten
# for TRON's Cauchy search plus one per CG iteration matrix-free, and turns every later
# product into a dense matvec, with the free-variable CG run inside one kernel call.
_DENSE_MAX = 50


class AugmentedLagrangian:
    """L_A(z) = f(x) - λᵀh(z) + (μ/2)‖h(z)‖² over z = (x, t), h = (c_E(x), c_I(x) - t),
    with its gradient and Hessian, for the current multipliers λ and penalty μ.

    λ and μ are the state that the outer loop updates (:meth:`update`); the subproblem
    solver only reads them, through :meth:`value`, :meth:`gradient` and :meth:`hessian`.
    """

    def __init__(
        self,
        fun: Callable[[np.ndarray], float],
        grad: _VectorFunction,
        hessian: _HessianFunction | None,
        constraints: ConstraintSet,
        n: int,
    ) -> None:
        self.fun, self.grad, self.constraints, self.n = fun, grad, constraints, n
        self.m_eq, self.m_ineq = constraints.m_eq, constraints.m_ineq
        self.lam = np.zeros(self.m_eq + self.m_ineq)
        self.mu = _MU0
        self._objective_hessian = hessian
        # Exact second derivatives only when both the objective's and the constraints'
        # are known; otherwise the subproblems difference gradients.
        self.has_hessian = hessian is not None and constraints.has_hessians

    def x(self, z: np.ndarray) -> np.ndarray:
        return z[: self.n]

    def residual(self, z: np.ndarray) -> np.ndarray:
        """h(z) = (c_E(x), c_I(x) - t)."""
        c_eq, c_ineq = self.constraints.values(z[: self.n])
        return np.concatenate([c_eq, c_ineq - z[self.n :]])

    def value(self, z: np.ndarray) -> float:
        h = self.residual(z)
        return self.fun(z[: self.n]) - self.lam @ h + 0.5 * self.mu * (h @ h)

    def gradient(self, z: np.ndarray) -> np.ndarray:
        x, m_eq = z[: self.n], self.m_eq
        J_eq, J_ineq = self.constraints.jacobians(x)
        w = self.lam - self.mu * self.residual(z)
        gx = self.grad(x) - J_eq.T @ w[:m_eq] - J_ineq.T @ w[m_eq:]
        return np.concatenate([gx, w[m_eq:]])  # ∂/∂t of -λᵀh + (μ/2)‖h‖² is λ_I - μh_I

    def hessian(self, z: np.ndarray) -> np.ndarray | SymmetricOperator:
        """∇²L_A = [[∇²f - Σ wᵢ∇²cᵢ + μJ_EᵀJ_E + μJ_IᵀJ_I, -μJ_Iᵀ], [-μJ_I, μI]], w = λ - μh:
        evaluated once per accepted point (the driver asks for it there only); a matrix
        up to _DENSE_MAX variables and slacks, else an operator."""
        n, m_eq, m_ineq, mu = self.n, self.m_eq, self.m_ineq, self.mu
        x = z[:n]
        w = self.lam - mu * self.residual(z)
        J_eq, J_ineq = self.constraints.jacobians(x)
        assert self._objective_hessian is not None  # asked for only with has_hessian
        objective = self._objective_hessian(x)
        second = self.constraints.hessian(x, w[:m_eq], w[m_eq:])
        if n + m_ineq <= _DENSE_MAX:
            H = np.empty((n + m_ineq, n + m_ineq))
            H[:n, :n] = (
                objective.to_dense(copy=False)
                - second.to_dense(copy=False)
                + mu * (J_eq.T @ J_eq + J_ineq.T @ J_ineq)
            )
            H[:n, n:] = -mu * J_ineq.T
            H[n:, :n] = -mu * J_ineq
            H[n:, n:] = mu * np.eye(m_ineq)
            return H

        def product(v: np.ndarray) -> np.ndarray:
            Jv = np.concatenate([J_eq @ v[:n], J_ineq @ v[:n] - v[n:]])
            top = (
                objective.apply(v[:n])
                - second.apply(v[:n])
                + mu * (J_eq.T @ Jv[:m_eq] + J_ineq.T @ Jv[m_eq:])
            )
            return np.concatenate([top, -mu * Jv[m_eq:]])

        return SymmetricOperator(n + m_ineq, product)

    def update_multipliers(self, h: np.ndarray) -> None:
        """λ ← λ - μh, then for inequalities PHR's λ_I ← max(λ_I, 0) (Rockafellar 1973):
        with the slack eliminated that is λ_I ← max(λ_I - μ c_I, 0); it only differs
        where the subproblem's slack gradient was left at rounding level with the wrong
        sign."""
        self.lam = self.lam - self.mu * h
        self.lam[self.m_eq :] = np.maximum(self.lam[self.m_eq :], 0.0)


@dataclass
class _Schedule:
    """LANCELOT's tolerances: the violation η that earns a multiplier update, and the
    subproblem's gtol ω (N&W Alg. 17.4), floored at ctol and gtol."""

    eta: float = _MU0**-0.1
    omega: float = 1.0 / _MU0

    def after_update(self, mu: float, opts: TrustRegionOptions) -> None:
        # The floors keep the schedule from asking for more than ctol and gtol, which
        # would otherwise drive μ up on a feasible point until the subproblems are too
        # ill-conditioned to solve (N&W Alg. 17.4 stops at η*, ω* instead).
        self.eta = max(self.eta / mu**0.9, opts.ctol)
        self.omega = max(self.omega / mu, opts.gtol)

    def after_penalty(self, mu: float, opts: TrustRegionOptions) -> None:
        self.eta, self.omega = max(mu**-0.1, opts.ctol), max(1.0 / mu, opts.gtol)


def augmented_lagrangian(
    minimize: Callable[..., Result],
    fun: Callable[[np.ndarray], float],
    grad: _VectorFunction,
    hessian: _HessianFunction | None,
    x0: np.ndarray,
    box: Box,
    constraints: ConstraintSet,
    opts: TrustRegionOptions,
    stop: Callable[[Result], bool] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """min f(x) s.t. c_E(x) = 0, c_I(x) ≥ 0, lo ≤ x ≤ hi.

    Inequalities get slacks t ≥ 0 (c_I(x) - t = 0), so every subproblem is the
    bound-constrained minimisation of :class:`AugmentedLagrangian`, solved by
    ``minimize`` with bounds (TRON's step). After each subproblem the multipliers take
    the first-order update λ ← λ - μh (λ_I then projected onto λ_I ≥ 0) when the
    violation fell below η, and otherwise the penalty μ grows (N&W Alg. 17.4).
    ``hessian(x)`` is the objective's Hessian as a :class:`SymmetricOperator`, or None;
    the subproblems then difference gradients. ``stop(intermediate_result)``, if given,
    runs after each outer iteration and ends the run by returning True. ``maxiter`` and
    ``max_nfev`` bound the subproblems' iterations and evaluations over the whole run, so
    that a hard or inconsistent problem ends in bounded time.
    """
    n, m_ineq = x0.shape[0], constraints.m_ineq
    merit = AugmentedLagrangian(fun, grad, hessian, constraints, n)
    bounds = Bounds(
        np.concatenate([box.lo, np.zeros(m_ineq)]),
        np.concatenate([box.hi, np.full(m_ineq, np.inf)]),
    )
    x = np.clip(x0, box.lo, box.hi)
    z = np.concatenate([x, np.maximum(constraints.values(x)[1], 0.0)])
    schedule = _Schedule()
    kkt_tol = opts.gtol * max(1.0, float(np.abs(grad(x)).max()))
    outer, inner_iterations, evaluations = 0, 0, 0
    # The subproblems run with the caller's radius, ratio-test and difference options;
    # gtol, maxiter and max_nfev are set per subproblem below, ctol has no meaning there,
    # and what is displayed or kept is the outer loop's.
    inner_options = {
        name: value
        for name, value in asdict(opts).items()
        if name not in ("gtol", "maxiter", "max_nfev", "ctol", "disp", "return_all")
    }
    for outer in range(1, _MAX_OUTER + 1):
        budget: dict[str, float] = {
            "gtol": schedule.omega,
            "maxiter": max(1, opts.maxiter - inner_iterations),
        }
        if opts.max_nfev is not None:
            budget["max_nfev"] = max(1, opts.max_nfev - evaluations)
        inner = minimize(
            merit.value,
            z,
            jac=merit.gradient,
            hess=merit.hessian if merit.has_hessian else None,
            bounds=bounds,
            options={**inner_options, **budget},
        )
        inner_iterations += inner.nit
        evaluations += inner.nfev
        z = inner.x
        status = _outer_step(merit, schedule, z, inner.status, box, opts, kkt_tol)
        if status is None and inner_iterations >= opts.maxiter:
            status = MinimizeStatus.MAXITER
        if status is None and opts.max_nfev is not None and evaluations >= opts.max_nfev:
            status = MinimizeStatus.MAX_NFEV
        if (
            status is None
            and stop is not None
            and stop(_intermediate(merit, z, inner_iterations, outer))
        ):
            status = MinimizeStatus.CALLBACK
        if status is not None:
            break
    else:
        status = MinimizeStatus.MAXITER  # _MAX_OUTER outer iterations
    x = merit.x(z)
    return x, {
        "nit": inner_iterations,
        "outer_iterations": outer,
        "constraint_violation": _violation(constraints, x),
        "eq_multipliers": merit.lam[: merit.m_eq].copy(),
        "ineq_multipliers": merit.lam[merit.m_eq :].copy(),
        "kkt_residual": _kkt_residual(x, grad, constraints, merit.lam, box, merit.m_eq),
        "penalty": merit.mu,
        "status": status,
    }


def _outer_step(
    merit: AugmentedLagrangian,
    schedule: _Schedule,
    z: np.ndarray,
    inner_status: MinimizeStatus,
    box: Box,
    opts: TrustRegionOptions,
    kkt_tol: float,
) -> MinimizeStatus | None:
    """After a subproblem: update λ when the violation is below η and test for a KKT
    point, or grow μ; a status when the run ends, else None."""
    h = merit.residual(z)
    violation = _max_abs(h)
    if violation > schedule.eta:
        merit.mu *= _MU_GROWTH
        schedule.after_penalty(merit.mu, opts)
        return MinimizeStatus.INFEASIBLE if merit.mu > _MU_MAX else None
    merit.update_multipliers(h)
    if violation <= opts.ctol:
        kkt = _kkt_residual(merit.x(z), merit.grad, merit.constraints, merit.lam, box, merit.m_eq)
        if kkt <= kkt_tol:
            return MinimizeStatus.GTOL
        # Feasible, and the subproblem already went as far as rounding lets it: more
        # outer iterations would only move λ by μ·(rounding noise).
        if schedule.omega <= opts.gtol and inner_status in _AT_NOISE_FLOOR:
            return inner_status
    schedule.after_update(merit.mu, opts)
    return None


def _intermediate(
    merit: AugmentedLagrangian, z: np.ndarray, inner_iterations: int, outer: int
) -> Result:
    """The Result a callback sees after an outer iteration."""
    x = merit.x(z).copy()
    violation = _max_abs(merit.residual(z))
    return Result(
        x=x,
        fun=merit.fun(x),
        nit=inner_iterations,
        niter=inner_iterations,
        outer_iterations=outer,
        penalty=merit.mu,
        constraint_violation=violation,
        constr_violation=violation,
    )


def _violation(constraints: ConstraintSet, x: np.ndarray) -> float:
    """max(‖c_E(x)‖∞, ‖max(-c_I(x), 0)‖∞): how far x is from feasible."""
    c_eq, c_ineq = constraints.values(x)
    return max(_max_abs(c_eq), _max_abs(np.maximum(-c_ineq, 0.0)))


def _max_abs(v: np.ndarray) -> float:
    """‖v‖∞, 0 for an empty v."""
    return float(np.abs(v).max()) if v.size else 0.0


def _kkt_residual(
    x: np.ndarray,
    grad: _VectorFunction,
    constraints: ConstraintSet,
    lam: np.ndarray,
    box: Box,
    m_eq: int,
) -> float:
    """max(‖P(x - ∇ₓL) - x‖∞, ‖min(λ_I, c_I(x))‖∞), ∇ₓL = ∇f - J_Eᵀλ_E - J_Iᵀλ_I: zero
    exactly at a KKT point, the bounds handled by the projection, complementarity by the
    min (λ_I ≥ 0 holds by the projected multiplier update)."""
    J_eq, J_ineq = constraints.jacobians(x)
    g = grad(x) - J_eq.T @ lam[:m_eq] - J_ineq.T @ lam[m_eq:]
    stationarity = float(np.abs(np.clip(x - g, box.lo, box.hi) - x).max())
    _, c_ineq = constraints.values(x)
    complementarity = _max_abs(np.minimum(lam[m_eq:], c_ineq))
    return max(stationarity, complementarity)
