"""General constraints in one form: c_E(x) = 0 and c_I(x) ≥ 0, from scipy's kinds."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import LinearConstraint, NonlinearConstraint

from ..operators import SymmetricOperator, as_operator
from ._bounds import Box
from ._finite_differences import SCHEMES, approx_jacobian

_Function = Callable[[np.ndarray], Any]
_Hessian = Callable[[np.ndarray, np.ndarray], Any]
# One constraint as scipy's kinds give it: a NonlinearConstraint, a LinearConstraint or an
# SLSQP-style dict.
Constraint: TypeAlias = NonlinearConstraint | LinearConstraint | dict[str, Any]


@dataclass
class _Source:
    """One user constraint c: Rⁿ → Rᵐ with its derivatives."""

    fun: _Function
    jac: _Function
    hess: _Hessian | None  # hess(x, v) = Σ vᵢ ∇²cᵢ(x), or None
    size: int


@dataclass
class _Rows:
    """Rows of the stacked form taken from one source: sign·(c(x)[rows] - offset)."""

    source: int
    rows: np.ndarray
    offset: np.ndarray
    sign: float


class ConstraintSet:
    """The user's constraints as equalities c_E(x) = 0 and inequalities c_I(x) ≥ 0.

    Accepts scipy ``NonlinearConstraint`` (lb ≤ c(x) ≤ ub; lb = ub is an equality, each
    finite side of the others an inequality), ``LinearConstraint`` (lb ≤ Ax ≤ ub) and
    SLSQP-style dicts ``{'type': 'eq' | 'ineq', 'fun', 'jac'}`` (ineq: fun(x) ≥ 0). A
    missing Jacobian, or one given as "2-point", "3-point" or "cs", is a finite
    difference that stays inside ``box``; a constraint Hessian that is not a callable
    makes the set report ``has_hessians = False``. Each user constraint is evaluated once
    per call, however many rows of either kind it gives, on a copy of x.

    Checks at x₀ raise ``ValueError`` naming the constraint (by its position): a value or
    Jacobian of the wrong shape, or non-finite values.
    """

    def __init__(
        self, constraints: Constraint | Iterable[Constraint], x0: np.ndarray, box: Box | None = None
    ) -> None:
        if isinstance(constraints, (dict, NonlinearConstraint, LinearConstraint)):
            constraints = [constraints]
        self._sources: list[_Source] = []
        self._names: list[str] = []
        self._equalities: list[_Rows] = []
        self._inequalities: list[_Rows] = []
        n = x0.shape[0]
        for index, constraint in enumerate(constraints):
            name = f"constraints[{index}]"
            fun, jac, hess, lb, ub = _normalise(constraint, name, box)
            value = np.atleast_1d(np.asarray(fun(x0), dtype=float))
            m = value.shape[0]
            if value.ndim != 1 or not np.isfinite(value).all():
                raise ValueError(
                    f"{name}: the constraint value at x0 must be a finite vector, got {value!r}"
                )
            J = _dense(jac(x0))
            if J.shape != (m, n):
                raise ValueError(
                    f"{name}: its Jacobian at x0 has shape {J.shape}, expected ({m}, {n})"
                )
            if not np.isfinite(J).all():
                raise ValueError(f"{name}: its Jacobian at x0 is not finite")
            lb = np.broadcast_to(np.asarray(lb, dtype=float), (m,))
            ub = np.broadcast_to(np.asarray(ub, dtype=float), (m,))
            if np.isnan(lb).any() or np.isnan(ub).any() or (lb > ub).any():
                raise ValueError(f"{name}: bounds must satisfy lb <= ub, without NaN")
            eq = lb == ub
            low = ~eq & np.isfinite(lb)
            high = ~eq & np.isfinite(ub)
            if not (eq | low | high).any():
                continue  # -inf ≤ c(x) ≤ inf constrains nothing
            source = len(self._sources)
            self._sources.append(_Source(fun, jac, hess, m))
            self._names.append(name)
            for group, mask, bound, sign in (
                (self._equalities, eq, lb, 1.0),
                (self._inequalities, low, lb, 1.0),
                (self._inequalities, high, ub, -1.0),
            ):
                if mask.any():
                    group.append(_Rows(source, np.flatnonzero(mask), bound[mask], sign))
        self.m_eq = sum(r.rows.size for r in self._equalities)
        self.m_ineq = sum(r.rows.size for r in self._inequalities)
        self.has_hessians = all(c.hess is not None for c in self._sources)
        self._point: np.ndarray | None = None
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(c_E(x), c_I(x)), read-only."""

        def evaluate() -> tuple[np.ndarray, np.ndarray]:
            c = [np.atleast_1d(np.asarray(source.fun(x), dtype=float)) for source in self._sources]
            return self._stack(lambda r: r.sign * (c[r.source][r.rows] - r.offset), np.empty(0))

        return self._at(x, "values", evaluate)

    def jacobians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(J_E(x), J_I(x)), dense and read-only."""

        def evaluate() -> tuple[np.ndarray, np.ndarray]:
            J = [_dense(source.jac(x)) for source in self._sources]
            return self._stack(lambda r: r.sign * J[r.source][r.rows], np.empty((0, x.shape[0])))

        return self._at(x, "jacobians", evaluate)

    def _at(
        self, x: np.ndarray, what: str, evaluate: Callable[[], tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        # The solver asks for the values and Jacobians at one point several times (the
        # merit function, its gradient, its Hessian, the multiplier update, the KKT test):
        # the user's functions run once per point.
        if self._point is None or not np.array_equal(self._point, x):
            self._point, self._cache = x.copy(), {}
        if what not in self._cache:
            pair = evaluate()
            for array in pair:
                array.flags.writeable = False
            self._cache[what] = pair
        return self._cache[what]

    def _stack(
        self, rows_of: Callable[[_Rows], np.ndarray], empty: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(equality rows, inequality rows), each group's blocks stacked in order."""

        def stacked(group: list[_Rows]) -> np.ndarray:
            return np.concatenate([empty] + [rows_of(r) for r in group])

        return stacked(self._equalities), stacked(self._inequalities)

    def hessian(self, x: np.ndarray, w_eq: np.ndarray, w_ineq: np.ndarray) -> SymmetricOperator:
        """Σ wᵢ ∇²cᵢ(x) over both groups (needs ``has_hessians``): one ``hess(x, weights)``
        per user constraint, evaluated here; each may be a matrix, sparse matrix or
        LinearOperator."""
        n = x.shape[0]
        weights = [np.zeros(source.size) for source in self._sources]
        for group, w in ((self._equalities, w_eq), (self._inequalities, w_ineq)):
            start = 0
            for r in group:
                weights[r.source][r.rows] += r.sign * w[start : start + r.rows.size]
                start += r.rows.size
        operators = []
        for source, weight, name in zip(self._sources, weights, self._names, strict=False):
            assert source.hess is not None, "hessian() needs has_hessians"
            operators.append(as_operator(source.hess(x, weight), n, name=f"{name}.hess(x, v)"))
        if len(operators) == 1:
            return operators[0]
        return SymmetricOperator(n, lambda v: sum((op.apply(v) for op in operators), np.zeros(n)))


def _normalise(
    constraint: Any, name: str, box: Box | None
) -> tuple[_Function, _Function, _Hessian | None, ArrayLike, ArrayLike]:
    """(fun, jac, hess, lb, ub) of one constraint of any accepted kind, each function
    given a copy of x."""
    if isinstance(constraint, LinearConstraint):
        # An np.matrix would make A @ x a 1×m matrix: work with a plain array.
        A = constraint.A if sp.issparse(constraint.A) else np.asarray(constraint.A, float)
        return (
            (lambda x: A @ x),
            (lambda x: A),
            (lambda x, v: sp.csr_matrix((x.shape[0], x.shape[0]))),
            constraint.lb,
            constraint.ub,
        )
    if isinstance(constraint, NonlinearConstraint):
        user_fun, user_jac, user_hess = constraint.fun, constraint.jac, constraint.hess

        def fun(x: np.ndarray) -> Any:
            return user_fun(x.copy())

        jac = (lambda x: user_jac(x.copy())) if callable(user_jac) else user_jac
        hess = (lambda x, v: user_hess(x.copy(), v.copy())) if callable(user_hess) else None
        return fun, _jacobian(fun, jac, name, box), hess, constraint.lb, constraint.ub
    if isinstance(constraint, dict):
        kind = constraint.get("type")
        if kind not in ("eq", "ineq") or not callable(constraint.get("fun")):
            raise ValueError(
                f"{name}: a dict constraint needs 'type' ('eq' or 'ineq') and a callable 'fun'"
            )
        args = constraint.get("args", ())
        args = args if isinstance(args, tuple) else (args,)

        def fun(x: np.ndarray) -> Any:
            return constraint["fun"](x.copy(), *args)

        user_jac = constraint.get("jac")
        jac = (lambda x: user_jac(x.copy(), *args)) if callable(user_jac) else None
        return (fun, _jacobian(fun, jac, name, box), None, 0.0, (0.0 if kind == "eq" else np.inf))
    raise ValueError(
        f"{name}: expected a NonlinearConstraint, LinearConstraint or dict, got "
        f"{type(constraint).__name__}"
    )


def _jacobian(fun: _Function, jac: Any, name: str, box: Box | None) -> _Function:
    """``jac`` if callable, else its finite difference ("2-point" for None)."""
    if callable(jac):
        return jac
    scheme = "2-point" if jac is None or jac is False else jac
    if scheme not in SCHEMES:
        raise ValueError(
            f"{name}: jac must be a callable, None or one of "
            f"{', '.join(map(repr, SCHEMES))}; got {jac!r}"
        )
    lo, hi = (None, None) if box is None else (box.lo, box.hi)

    def jacobian(x: np.ndarray) -> np.ndarray:
        value = fun(x) if scheme != "cs" else np.asarray(fun(x)).real
        return approx_jacobian(fun, x, value, scheme, lo=lo, hi=hi)

    return jacobian


def _dense(a: Any) -> np.ndarray:
    a = a.toarray() if sp.issparse(a) else np.asarray(a, dtype=float)
    return np.atleast_2d(a) if a.ndim < 2 else a
