"""General constraints by an augmented Lagrangian outer loop (LANCELOT)."""

from dataclasses import asdict

import numpy as np
from scipy.optimize import Bounds

from ..operators import SymmetricOperator
from ._constraints import ConstraintSet
from ._result import MinimizeStatus, Result

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


def augmented_lagrangian(minimize, fun, grad, hessian, x0, box, constraints: ConstraintSet,
                         opts, stop=None):
    """min f(x) s.t. c_E(x) = 0, c_I(x) ≥ 0, lo ≤ x ≤ hi.

    Inequalities get slacks t ≥ 0 (c_I(x) - t = 0), so every subproblem is the
    bound-constrained minimisation of L_A(z) = f(x) - λᵀh(z) + (μ/2)‖h(z)‖², z = (x, t),
    h = (c_E(x), c_I(x) - t), solved by ``minimize`` with bounds (TRON's step). After each
    subproblem the multipliers take the first-order update λ ← λ - μh (λ_I then projected
    onto λ_I ≥ 0) when the violation fell below η, and otherwise the penalty μ grows
    (N&W Alg. 17.4). ``hessian(x)`` is the objective's Hessian as a
    :class:`SymmetricOperator`, or None; the subproblems then difference gradients.
    ``stop(intermediate_result)``, if given, runs after each outer iteration and ends the
    run by returning True.
    """
    n, m_eq, m_ineq = x0.shape[0], constraints.m_eq, constraints.m_ineq
    lo = np.concatenate([box.lo, np.zeros(m_ineq)])
    hi = np.concatenate([box.hi, np.full(m_ineq, np.inf)])
    x = np.clip(x0, box.lo, box.hi)
    _, c_ineq = constraints.values(x)
    z = np.concatenate([x, np.maximum(c_ineq, 0.0)])
    lam = np.zeros(m_eq + m_ineq)
    mu, eta, omega = _MU0, _MU0 ** -0.1, 1.0 / _MU0
    g0 = grad(x)
    kkt_tol = opts.gtol * max(1.0, float(np.abs(g0).max()))
    status, nit, inner_iterations, evaluations = MinimizeStatus.MAXITER, 0, 0, 0
    # The subproblems run with the caller's radius, ratio-test and difference options;
    # gtol, maxiter and max_nfev are set per subproblem below, ctol has no meaning there,
    # and what is displayed or kept is the outer loop's.
    inner_options = {name: value for name, value in asdict(opts).items()
                     if name not in ("gtol", "maxiter", "max_nfev", "ctol", "disp",
                                     "return_all")}

    def split(z):
        return z[:n], z[n:]

    def residual(z):
        x, t = split(z)
        c_eq, c_ineq = constraints.values(x)
        return np.concatenate([c_eq, c_ineq - t])

    def la_value(z):
        h = residual(z)
        return fun(split(z)[0]) - lam @ h + 0.5 * mu * (h @ h)

    def la_grad(z):
        x, _ = split(z)
        h = residual(z)
        J_eq, J_ineq = constraints.jacobians(x)
        w = lam - mu * h
        gx = grad(x) - J_eq.T @ w[:m_eq] - J_ineq.T @ w[m_eq:]
        return np.concatenate([gx, w[m_eq:]])  # ∂/∂t of -λᵀh + (μ/2)‖h‖² is λ_I - μh_I

    def la_hessian(z):
        # ∇²L_A = [[∇²f - Σ wᵢ∇²cᵢ + μJ_EᵀJ_E + μJ_IᵀJ_I, -μJ_Iᵀ], [-μJ_I, μI]], w = λ - μh:
        # evaluated once per accepted point (the driver asks for it there only).
        x = split(z)[0]
        w = lam - mu * residual(z)
        J_eq, J_ineq = constraints.jacobians(x)
        objective, second = hessian(x), constraints.hessian(x, w[:m_eq], w[m_eq:])
        if n + m_ineq <= _DENSE_MAX:
            H = np.empty((n + m_ineq, n + m_ineq))
            H[:n, :n] = (objective.to_dense(copy=False) - second.to_dense(copy=False)
                         + mu * (J_eq.T @ J_eq + J_ineq.T @ J_ineq))
            H[:n, n:] = -mu * J_ineq.T
            H[n:, :n] = -mu * J_ineq
            H[n:, n:] = mu * np.eye(m_ineq)
            return H

        def product(v):
            Jv = np.concatenate([J_eq @ v[:n], J_ineq @ v[:n] - v[n:]])
            top = (objective.apply(v[:n]) - second.apply(v[:n])
                   + mu * (J_eq.T @ Jv[:m_eq] + J_ineq.T @ Jv[m_eq:]))
            return np.concatenate([top, -mu * Jv[m_eq:]])

        return SymmetricOperator(n + m_ineq, product)

    la_hess = la_hessian if hessian is not None and constraints.has_hessians else None

    for nit in range(1, _MAX_OUTER + 1):
        # maxiter and max_nfev bound the subproblems' iterations and evaluations over the
        # whole run, so that a hard or inconsistent problem ends in bounded time.
        budget = {"gtol": omega, "maxiter": max(1, opts.maxiter - inner_iterations)}
        if opts.max_nfev is not None:
            budget["max_nfev"] = max(1, opts.max_nfev - evaluations)
        inner = minimize(la_value, z, jac=la_grad, hess=la_hess, bounds=Bounds(lo, hi),
                         options={**inner_options, **budget})
        inner_iterations += inner.nit
        evaluations += inner.nfev
        z = inner.x
        h = residual(z)
        violation = float(np.abs(h).max()) if h.size else 0.0
        if violation <= eta:
            lam = lam - mu * h
            # PHR's update for inequalities (Rockafellar 1973): with the slack eliminated,
            # λ_I ← max(λ_I - μ c_I, 0); it only differs where the subproblem's slack
            # gradient was left at rounding level with the wrong sign.
            lam[m_eq:] = np.maximum(lam[m_eq:], 0.0)
            kkt = _kkt_residual(split(z)[0], grad, constraints, lam, box, m_eq)
            if violation <= opts.ctol:
                if kkt <= kkt_tol:
                    status = MinimizeStatus.GTOL
                    break
                # Feasible, and the subproblem already went as far as rounding lets it:
                # more outer iterations would only move λ by μ·(rounding noise).
                if omega <= opts.gtol and inner.status in _AT_NOISE_FLOOR:
                    status = inner.status
                    break
            # The floors keep the schedule from asking for more than ctol and gtol, which
            # would otherwise drive μ up on a feasible point until the subproblems are
            # too ill-conditioned to solve (N&W Alg. 17.4 stops at η*, ω* instead).
            eta, omega = max(eta / mu ** 0.9, opts.ctol), max(omega / mu, opts.gtol)
        else:
            mu *= _MU_GROWTH
            eta, omega = max(mu ** -0.1, opts.ctol), max(1.0 / mu, opts.gtol)
            if mu > _MU_MAX:
                status = MinimizeStatus.INFEASIBLE
                break
        if inner_iterations >= opts.maxiter:
            status = MinimizeStatus.MAXITER
            break
        if opts.max_nfev is not None and evaluations >= opts.max_nfev:
            status = MinimizeStatus.MAX_NFEV
            break
        if stop is not None and stop(Result(x=split(z)[0].copy(), fun=fun(split(z)[0]),
                                            nit=inner_iterations, niter=inner_iterations,
                                            outer_iterations=nit, penalty=mu,
                                            constraint_violation=violation,
                                            constr_violation=violation)):
            status = MinimizeStatus.CALLBACK
            break
    x = split(z)[0]
    c_eq, c_ineq = constraints.values(x)
    violation = max(float(np.abs(c_eq).max()) if c_eq.size else 0.0,
                    float(np.maximum(-c_ineq, 0.0).max()) if c_ineq.size else 0.0)
    return x, {"nit": inner_iterations, "outer_iterations": nit,
               "constraint_violation": violation,
               "eq_multipliers": lam[:m_eq].copy(), "ineq_multipliers": lam[m_eq:].copy(),
               "kkt_residual": _kkt_residual(x, grad, constraints, lam, box, m_eq),
               "penalty": mu, "status": status}


def _kkt_residual(x, grad, constraints, lam, box, m_eq):
    """max(‖P(x - ∇ₓL) - x‖∞, ‖min(λ_I, c_I(x))‖∞), ∇ₓL = ∇f - J_Eᵀλ_E - J_Iᵀλ_I: zero
    exactly at a KKT point, the bounds handled by the projection, complementarity by the
    min (λ_I ≥ 0 holds by the projected multiplier update)."""
    J_eq, J_ineq = constraints.jacobians(x)
    g = grad(x) - J_eq.T @ lam[:m_eq] - J_ineq.T @ lam[m_eq:]
    stationarity = float(np.abs(np.clip(x - g, box.lo, box.hi) - x).max())
    _, c_ineq = constraints.values(x)
    complementarity = float(np.abs(np.minimum(lam[m_eq:], c_ineq)).max()) if c_ineq.size else 0.0
    return max(stationarity, complementarity)
