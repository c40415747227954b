"""General constraints in one form: c_E(x) = 0 and c_I(x) ≥ 0, from scipy's kinds."""

from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, NonlinearConstraint, approx_fprime

from ..operators import as_operator


@dataclass
class _Piece:
    """One user constraint's rows in the stacked form: c_rows(x) = sign·(c(x) - offset)."""

    fun: Callable
    jac: Callable
    hess: Optional[Callable]  # hess(x, v) = Σ vᵢ ∇²cᵢ(x) of the user's function, or None
    rows: np.ndarray  # which components of the user's c
    offset: np.ndarray
    sign: np.ndarray
    name: str


class ConstraintSet:
    """The user's constraints as equalities c_E(x) = 0 and inequalities c_I(x) ≥ 0.

    Accepts scipy ``NonlinearConstraint`` (lb ≤ c(x) ≤ ub; lb = ub is an equality, each
    finite side of the others an inequality), ``LinearConstraint`` (lb ≤ Ax ≤ ub) and
    SLSQP-style dicts ``{'type': 'eq' | 'ineq', 'fun', 'jac'}`` (ineq: fun(x) ≥ 0). A
    missing Jacobian is approximated by forward differences; a missing constraint Hessian
    makes the set report ``has_hessians = False``.

    Checks at x₀ raise ``ValueError`` naming the constraint (by its position): a value or
    Jacobian of the wrong shape, or non-finite values.
    """

    def __init__(self, constraints, x0):
        if isinstance(constraints, (dict, NonlinearConstraint, LinearConstraint)):
            constraints = [constraints]
        self.equalities: List[_Piece] = []
        self.inequalities: List[_Piece] = []
        n = x0.shape[0]
        for index, constraint in enumerate(constraints):
            name = f"constraints[{index}]"
            fun, jac, hess, lb, ub = _normalise(constraint, name)
            value = np.atleast_1d(np.asarray(fun(x0), dtype=float))
            m = value.shape[0]
            if value.ndim != 1 or not np.isfinite(value).all():
                raise ValueError(f"{name}: the constraint value at x0 must be a finite vector, "
                                 f"got {value!r}")
            J = _dense(jac(x0))
            if J.shape != (m, n):
                raise ValueError(f"{name}: its Jacobian at x0 has shape {J.shape}, expected "
                                 f"({m}, {n})")
            if not np.isfinite(J).all():
                raise ValueError(f"{name}: its Jacobian at x0 is not finite")
            lb = np.broadcast_to(np.asarray(lb, dtype=float), (m,))
            ub = np.broadcast_to(np.asarray(ub, dtype=float), (m,))
            if np.isnan(lb).any() or np.isnan(ub).any() or (lb > ub).any():
                raise ValueError(f"{name}: bounds must satisfy lb <= ub, without NaN")
            eq = lb == ub
            self._add(self.equalities, fun, jac, hess, np.flatnonzero(eq), lb[eq], 1.0, name)
            low = ~eq & np.isfinite(lb)
            self._add(self.inequalities, fun, jac, hess, np.flatnonzero(low), lb[low], 1.0, name)
            high = ~eq & np.isfinite(ub)
            self._add(self.inequalities, fun, jac, hess, np.flatnonzero(high), ub[high], -1.0,
                      name)
        self.m_eq = sum(p.rows.size for p in self.equalities)
        self.m_ineq = sum(p.rows.size for p in self.inequalities)
        self.has_hessians = all(p.hess is not None
                                for p in self.equalities + self.inequalities)

    @staticmethod
    def _add(group, fun, jac, hess, rows, offset, sign, name):
        if rows.size:
            group.append(_Piece(fun, jac, hess, rows, offset, np.full(rows.size, sign), name))

    def values(self, x):
        """(c_E(x), c_I(x))."""
        return tuple(np.concatenate([np.empty(0)] + [
            p.sign * (np.atleast_1d(np.asarray(p.fun(x), dtype=float))[p.rows] - p.offset)
            for p in group]) for group in (self.equalities, self.inequalities))

    def jacobians(self, x):
        """(J_E(x), J_I(x)), dense."""
        n = x.shape[0]
        return tuple(np.vstack([np.empty((0, n))] + [
            p.sign[:, None] * _dense(p.jac(x))[p.rows] for p in group])
            for group in (self.equalities, self.inequalities))

    def hessian_operator(self, x, w_eq, w_ineq):
        """v ↦ (Σ wᵢ ∇²cᵢ(x)) v over both groups (needs ``has_hessians``); each piece's
        ``hess(x, weights)`` is evaluated once here and may be a matrix, sparse matrix or
        LinearOperator."""
        n = x.shape[0]
        operators = []
        for group, w in ((self.equalities, w_eq), (self.inequalities, w_ineq)):
            start = 0
            for p in group:
                k = p.rows.size
                weights = np.zeros(_length(p, x))
                weights[p.rows] = p.sign * w[start:start + k]
                operators.append(as_operator(p.hess(x, weights), n,
                                             name=f"{p.name}.hess(x, v)"))
                start += k

        def product(v):
            return sum((op.apply(v) for op in operators), np.zeros(n))

        return product


def _length(piece, x):
    return np.atleast_1d(np.asarray(piece.fun(x))).shape[0]


def _normalise(constraint, name):
    """(fun, jac, hess, lb, ub) of one constraint of any accepted kind."""
    if isinstance(constraint, LinearConstraint):
        A = constraint.A
        return ((lambda x: A @ x), (lambda x: A),
                (lambda x, v: sp.csr_matrix((x.shape[0], x.shape[0]))), constraint.lb,
                constraint.ub)
    if isinstance(constraint, NonlinearConstraint):
        fun, jac = constraint.fun, constraint.jac
        hess = constraint.hess if callable(constraint.hess) else None
        return fun, _jacobian(fun, jac), hess, constraint.lb, constraint.ub
    if isinstance(constraint, dict):
        kind = constraint.get("type")
        if kind not in ("eq", "ineq") or not callable(constraint.get("fun")):
            raise ValueError(f"{name}: a dict constraint needs 'type' ('eq' or 'ineq') and a "
                             f"callable 'fun'")
        args = tuple(constraint.get("args", ()))

        def fun(x):
            return constraint["fun"](x, *args)

        user_jac = constraint.get("jac")
        jac = (lambda x: user_jac(x, *args)) if callable(user_jac) else None
        return fun, _jacobian(fun, jac), None, 0.0, (0.0 if kind == "eq" else np.inf)
    raise ValueError(f"{name}: expected a NonlinearConstraint, LinearConstraint or dict, got "
                     f"{type(constraint).__name__}")


def _jacobian(fun, jac):
    if callable(jac):
        return jac
    return lambda x: np.atleast_2d(approx_fprime(x, lambda z: np.atleast_1d(fun(z))))


def _dense(a):
    a = a.toarray() if sp.issparse(a) else np.asarray(a, dtype=float)
    return np.atleast_2d(a) if a.ndim < 2 else a
