"""Finite-difference Jacobians that never evaluate outside the bounds.

One mechanism serves the objective's gradient (a Jacobian with one row), the dense
finite-difference Hessian (the Jacobian of the gradient), constraint Jacobians and sparse
least-squares Jacobians: columns are perturbed in groups, one column per group when the
Jacobian is dense, and, given a sparsity pattern, structurally orthogonal columns together
(Curtis, Powell & Reid 1974), so that a banded Jacobian costs a few evaluations at any n.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .._kernels import greedy_column_groups

SCHEMES = ("2-point", "3-point", "cs")
_EPS = np.finfo(np.float64).eps
# Nocedal & Wright (2006), §8.1: the truncation error grows with h and the rounding error
# with u/h, so h ∝ √u balances them for one-sided differences and h ∝ u^(1/3) for
# central ones; the complex step has no rounding error to balance (Squire & Trapp 1998)
# and takes scipy's √u.
_DEFAULT_REL_STEP = {"2-point": _EPS**0.5, "3-point": _EPS ** (1.0 / 3.0), "cs": _EPS**0.5}


def column_groups(sparsity: sp.spmatrix | ArrayLike) -> np.ndarray:
    """Structurally orthogonal groups of the columns of a sparsity pattern.

    Columns in one group share no row, so a finite difference that perturbs a whole group
    at once still tells each entry of the Jacobian apart (Curtis, Powell & Reid 1974, "On
    the estimation of sparse Jacobian matrices", J. Inst. Maths Applics 13). The colouring
    is greedy in the natural column order: column j joins the smallest group that no
    earlier column sharing a row with it belongs to. (scipy's ``group_columns`` colours in
    a random order by default; the natural order gives the optimal 2b + 1 groups for a
    band of half-width b.) The cost is Σᵢ (nonzeros of row i)², O(nnz) for a banded
    pattern: about 15 ms for a tridiagonal one at n = 10⁵.

    Parameters
    ----------
    sparsity : scipy.sparse matrix or array_like, shape (m, n)
        The pattern: its nonzero entries (explicitly stored zeros do not count).

    Returns
    -------
    ndarray of int64, shape (n,)
        The group of each column, numbered 0, 1, … in order of first appearance.
    """
    pattern = _as_pattern(sparsity)
    return _colour(pattern)


def approx_jacobian(
    fun: Callable[[np.ndarray], ArrayLike],
    x: np.ndarray,
    f0: ArrayLike,
    scheme: str,
    *,
    rel_step: float | None = None,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
    sparsity: sp.spmatrix | ArrayLike | None = None,
    groups: ArrayLike | None = None,
    relative: bool = False,
) -> np.ndarray | sp.csr_matrix:
    """The Jacobian ∂f/∂x of ``fun: Rⁿ → Rᵐ`` at x by finite differences, shape (m, n).

    Column j uses the step hⱼ = ``rel_step``·max(1, |xⱼ|) (signed like xⱼ, as scipy's
    ``approx_derivative``), or with ``relative`` hⱼ = ``rel_step``·|xⱼ| (``rel_step`` at
    xⱼ = 0), MINPACK's ``fdjac2`` rule, which keeps the step in proportion to a small
    parameter; and for

    * ``"2-point"``: (f(x + hⱼeⱼ) - f(x)) / hⱼ, error O(h);
    * ``"3-point"``: (f(x + hⱼeⱼ) - f(x - hⱼeⱼ)) / 2hⱼ, error O(h²), or near a bound the
      one-sided (-3f(x) + 4f(x + hⱼeⱼ) - f(x + 2hⱼeⱼ)) / 2hⱼ, also O(h²);
    * ``"cs"``: Im f(x + i·hⱼeⱼ) / hⱼ, the complex step (Squire & Trapp 1998), exact to
      rounding; ``fun`` must accept complex x and be analytic.

    Every point evaluated lies in [lo, hi] (for x in the box): a step that would leave the
    box is reversed, and where neither side has room for it, it is shortened to the room
    on the wider side. The step actually taken, (xⱼ + hⱼ) - xⱼ, is the divisor, which
    removes the rounding error of forming x + h.

    With ``sparsity``, the columns of each group (:func:`column_groups`) move together,
    each by its own step, so the evaluations are one per group for ``"2-point"`` and
    ``"cs"`` and two for ``"3-point"`` (Curtis, Powell & Reid 1974): entry (i, j) of the
    pattern is read off row i of the group's difference, since no other column of the
    group touches row i. The choice between the central and the one-sided formula stays
    per column: in a group's two evaluations a central column is at xⱼ + hⱼ, then
    xⱼ - hⱼ, and a one-sided one at xⱼ + hⱼ, then xⱼ + 2hⱼ (as scipy's
    ``_sparse_difference``). A group whose columns all have a zero step (lo = hi) is not
    evaluated, as a fixed variable is not in the dense case.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> array_like`` of shape (m,) or a scalar (m = 1); given a new array.
    x : ndarray, shape (n,)
    f0 : ndarray, shape (m,)
        fun(x), already known.
    scheme : {"2-point", "3-point", "cs"}
    rel_step : float, optional
        Relative step; defaults √u, u^(1/3), √u (u = machine epsilon).
    lo, hi : ndarray, shape (n,), optional
        Bounds (±inf for none).
    sparsity : scipy.sparse matrix or array_like, shape (m, n), optional
        Where the Jacobian may be nonzero (the nonzero entries; a stored zero does not
        count). An entry outside the pattern is taken to be zero and is never assigned.
    groups : array_like of int, shape (n,), optional
        Structurally orthogonal column groups of ``sparsity`` (non-negative integers; the
        numbers need not be consecutive), for instance :func:`column_groups` computed once
        for many calls; by default computed from ``sparsity``. Only with ``sparsity``.
    relative : bool
        Steps proportional to ``|xⱼ|`` rather than to ``max(1, |xⱼ|)``.

    Returns
    -------
    ndarray, shape (m, n), or, with ``sparsity``, scipy.sparse.csr_matrix
        The sparse result stores exactly the entries of the pattern, zeros included.
    """
    n = x.shape[0]
    f0 = np.atleast_1d(np.asarray(f0, dtype=np.float64))
    m = f0.shape[0]
    pattern, groups = _check_structure(sparsity, groups, m, n)
    rel = _DEFAULT_REL_STEP[scheme] if rel_step is None else float(rel_step)
    size = np.where(x != 0.0, np.abs(x), 1.0) if relative else np.maximum(1.0, np.abs(x))
    h = rel * np.where(x >= 0, 1.0, -1.0) * size
    if scheme == "cs":
        central = np.zeros(n, dtype=bool)
    else:
        lo = np.full(n, -np.inf) if lo is None else lo
        hi = np.full(n, np.inf) if hi is None else hi
        one_sided = scheme == "2-point"
        h, central = _fit_steps(
            x, h, lo, hi, reach=1.0 if one_sided else 2.0, central=not one_sided
        )
    if pattern is None:
        jacobian = np.empty((m, n))
        for j in range(n):
            if h[j] == 0.0:
                # lo = hi: a fixed variable has no direction to differentiate in, and a
                # feasible method never moves it.
                jacobian[:, j] = 0.0
                continue
            by_central, by_one_sided, divisor = _group_difference(
                fun, x, f0, scheme, h, central, np.array([j])
            )
            numerator = by_central if central[j] else by_one_sided
            assert numerator is not None  # the formula that column j uses is computed
            jacobian[:, j] = numerator / divisor[0]
        return jacobian
    assert groups is not None  # _check_structure gives both or neither
    return _sparse_jacobian(fun, x, f0, scheme, h, central, pattern, groups)


def _group_difference(
    fun: Callable[[np.ndarray], ArrayLike],
    x: np.ndarray,
    f0: np.ndarray,
    scheme: str,
    h: np.ndarray,
    central: np.ndarray,
    cols: np.ndarray,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Perturb the columns ``cols`` of x together, each by its step hⱼ (nonzero).

    Returns the numerators of the central and of the one-sided formula (per row, each
    ``None`` where no column of the group uses it) and the divisors (per column of
    ``cols``): row i of the numerator over the divisor of the one column of the group in
    row i's pattern is the entry (i, j). With one column, these are the dense formulas,
    operation for operation."""
    if scheme == "cs":
        point = x.astype(np.complex128)
        point[cols] += 1j * h[cols]
        return None, np.atleast_1d(fun(point)).imag, h[cols]
    point = x.copy()
    point[cols] = x[cols] + h[cols]
    f1 = _evaluate(fun, point)
    dx = point[cols] - x[cols]
    if scheme == "2-point":
        return None, f1 - f0, dx
    uses_central = central[cols]
    point[cols] = x[cols] + np.where(uses_central, -dx, 2.0 * dx)
    f2 = _evaluate(fun, point)
    by_central = f1 - f2 if uses_central.any() else None
    by_one_sided = -3.0 * f0 + 4.0 * f1 - f2 if not uses_central.all() else None
    return by_central, by_one_sided, 2.0 * dx


def _evaluate(fun: Callable[[np.ndarray], ArrayLike], point: np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.asarray(fun(point), dtype=np.float64))


def _sparse_jacobian(
    fun: Callable[[np.ndarray], ArrayLike],
    x: np.ndarray,
    f0: np.ndarray,
    scheme: str,
    h: np.ndarray,
    central: np.ndarray,
    pattern: sp.csc_matrix,
    groups: np.ndarray,
) -> sp.csr_matrix:
    """The entries of the CSC ``pattern``, one group of columns at a time, as CSR."""
    m, n = pattern.shape
    rows = pattern.indices
    entry_column = np.repeat(np.arange(n), np.diff(pattern.indptr))
    moves = h != 0.0
    # Entries and moving columns sorted by group, so that each group is one slice.
    labels, group_of_column = np.unique(groups, return_inverse=True)
    entries = np.argsort(group_of_column[entry_column], kind="stable")
    entry_starts = np.searchsorted(
        group_of_column[entry_column][entries], np.arange(labels.size + 1)
    )
    columns = np.argsort(group_of_column, kind="stable")
    column_starts = np.searchsorted(group_of_column[columns], np.arange(labels.size + 1))
    data = np.zeros(rows.shape[0])
    divisor = np.ones(n)
    for g in range(labels.size):
        cols = columns[column_starts[g] : column_starts[g + 1]]
        cols = cols[moves[cols]]
        if cols.size == 0:
            continue
        by_central, by_one_sided, divisor[cols] = _group_difference(
            fun, x, f0, scheme, h, central, cols
        )
        mine = entries[entry_starts[g] : entry_starts[g + 1]]
        mine = mine[moves[entry_column[mine]]]
        r, c = rows[mine], entry_column[mine]
        if by_central is None:
            assert by_one_sided is not None  # every column uses one of the two formulas
            numerator = by_one_sided[r]
        elif by_one_sided is None:
            numerator = by_central[r]
        else:
            numerator = np.where(central[c], by_central[r], by_one_sided[r])
        data[mine] = numerator / divisor[c]
    return sp.csc_matrix((data, rows, pattern.indptr), shape=(m, n)).tocsr()


def _as_pattern(sparsity: sp.spmatrix | ArrayLike, name: str = "sparsity") -> sp.csc_matrix:
    """The nonzero pattern of a sparse matrix or an array as a boolean CSC matrix with
    sorted indices and no duplicates or stored zeros."""
    if sp.issparse(sparsity):
        matrix = cast("sp.spmatrix", sparsity)  # scipy ships no types: issparse narrows nothing
        if matrix.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (m, n) pattern, got shape {matrix.shape}.")
        pattern = sp.csc_matrix(matrix, copy=True)
        pattern.sum_duplicates()
        pattern.data = pattern.data != 0
    else:
        dense = np.asarray(sparsity)
        if dense.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (m, n) pattern, got shape {dense.shape}.")
        pattern = sp.csc_matrix(dense != 0)
    pattern = pattern.astype(bool)
    pattern.eliminate_zeros()
    pattern.sort_indices()
    return pattern


def _colour(pattern: sp.csc_matrix) -> np.ndarray:
    rows = pattern.tocsr()
    groups = np.empty(pattern.shape[1], dtype=np.int64)
    greedy_column_groups(
        pattern.indptr.astype(np.int64),
        pattern.indices.astype(np.int64),
        rows.indptr.astype(np.int64),
        rows.indices.astype(np.int64),
        groups,
    )
    return groups


def _check_structure(
    sparsity: sp.spmatrix | ArrayLike | None, groups: ArrayLike | None, m: int, n: int
) -> tuple[sp.csc_matrix | None, np.ndarray | None]:
    """The pattern (CSC) and its column groups, checked against the Jacobian's (m, n);
    ``(None, None)`` for a dense Jacobian."""
    if sparsity is None:
        if groups is not None:
            raise ValueError("groups is given without sparsity; groups need the pattern.")
        return None, None
    pattern = _as_pattern(sparsity)
    if pattern.shape != (m, n):
        raise ValueError(
            f"sparsity must have the Jacobian's shape (m, n) = ({m}, {n}) (m = len(f0), "
            f"n = len(x)), got {pattern.shape}."
        )
    if groups is None:
        return pattern, _colour(pattern)
    labels = np.asarray(groups)
    if labels.shape != (n,):
        raise ValueError(
            f"groups must have one entry per column, shape ({n},), got {labels.shape}."
        )
    if labels.dtype.kind not in "iu" or (n > 0 and labels.min() < 0):
        raise ValueError("groups must hold non-negative integers (the group of each column).")
    _check_orthogonal(pattern, labels)
    return pattern, labels.astype(np.int64)


def _check_orthogonal(pattern: sp.csc_matrix, groups: np.ndarray) -> None:
    """Raise unless no two columns of a group share a row of the pattern: otherwise their
    differences would add up in that row, silently."""
    entry_column = np.repeat(np.arange(pattern.shape[1]), np.diff(pattern.indptr))
    _, group_of_column = np.unique(groups, return_inverse=True)
    hits = sp.csr_matrix(
        (np.ones(entry_column.size), (pattern.indices, group_of_column[entry_column])),
        shape=(pattern.shape[0], max(1, int(group_of_column.max(initial=0)) + 1)),
    )
    if hits.nnz and hits.data.max() > 1.0:
        raise ValueError(
            "groups must be structurally orthogonal for sparsity: two columns of one group "
            "share a row (column_groups(sparsity) gives valid groups)."
        )


def _fit_steps(
    x: np.ndarray, h: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, reach: float, central: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Steps that keep x ± h (central) or x + reach·h (one-sided) inside [lo, hi].

    Returns the steps and, per coordinate, whether the central formula fits; where it
    does not, the one-sided formula runs in the direction with room, with the step cut to
    that room if the full one does not fit."""
    room_up, room_down = hi - x, x - lo
    fits_central = (
        np.abs(h) <= np.minimum(room_up, room_down) if central else np.zeros(x.shape, dtype=bool)
    )
    fits_ahead = np.where(h > 0, reach * h <= room_up, -reach * h <= room_down)
    fits_behind = np.where(h > 0, reach * h <= room_down, -reach * h <= room_up)
    wider = np.where(room_up >= room_down, 1.0, -1.0)
    widest_room = np.maximum(room_up, room_down) / reach
    steps = np.where(
        fits_central | fits_ahead,
        h,
        np.where(fits_behind, -h, wider * np.minimum(np.abs(h), widest_room)),
    )
    return steps, fits_central
