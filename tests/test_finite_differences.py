"""Finite-difference Jacobians by groups of structurally orthogonal columns (Curtis, Powell
& Reid 1974): the colouring's invariants, agreement with the dense differences, the
number of evaluations, the bounds, and accuracy against exact Jacobians."""

import numpy as np
import pytest
import scipy.sparse as sp

from trustregion import _kernels as K
from trustregion._minimize._finite_differences import approx_jacobian, column_groups

SCHEMES = ("2-point", "3-point", "cs")
EVALUATIONS_PER_GROUP = {"2-point": 1, "3-point": 2, "cs": 1}


def random_pattern(rng, m, n, density):
    """A random m×n pattern with some empty rows and columns."""
    pattern = rng.random((m, n)) < density
    pattern[rng.random(m) < 0.15, :] = False
    pattern[:, rng.random(n) < 0.15] = False
    return pattern


def band(n, half_width):
    offsets = list(range(-half_width, half_width + 1))
    return sp.diags([np.ones(n - abs(k)) for k in offsets], offsets, format="csr")


def reference_groups(pattern):
    """Greedy colouring in column order with Python sets: the kernel's reference."""
    pattern = np.asarray(pattern, dtype=bool)
    groups = np.empty(pattern.shape[1], dtype=np.int64)
    rows_of_group = []
    for j in range(pattern.shape[1]):
        rows = set(np.flatnonzero(pattern[:, j]))
        g = next((g for g, used in enumerate(rows_of_group) if not used & rows), None)
        if g is None:
            g = len(rows_of_group)
            rows_of_group.append(set())
        rows_of_group[g] |= rows
        groups[j] = g
    return groups


def assert_structurally_orthogonal(pattern, groups):
    pattern = sp.csc_matrix(pattern, dtype=bool)
    for g in np.unique(groups):
        rows_hit = np.asarray(pattern[:, groups == g].sum(axis=1))
        assert rows_hit.max(initial=0) <= 1, f"group {g} has two columns in one row"


class SparseResidual:
    """f(x) = A sin(x) + (B x)² + c, with A and B on one pattern, so the Jacobian
    A·diag(cos x) + 2 diag(Bx) B has exactly that pattern; counts its evaluations and
    keeps every point it is given."""

    def __init__(self, rng, pattern):
        pattern = sp.csr_matrix(pattern, dtype=bool)
        self.A = _on_pattern(rng.uniform(0.5, 2.0, pattern.nnz), pattern)
        self.B = _on_pattern(rng.uniform(-1.0, 1.0, pattern.nnz), pattern)
        self.c = rng.standard_normal(pattern.shape[0])
        self.points = []

    def __call__(self, x):
        self.points.append(np.array(x))
        return self.A @ np.sin(x) + (self.B @ x) ** 2 + self.c

    def jacobian(self, x):
        return (self.A @ sp.diags(np.cos(x)) + sp.diags(2.0 * (self.B @ x)) @ self.B).toarray()


def _on_pattern(values, csr):
    return sp.csr_matrix((values, csr.indices, csr.indptr), shape=csr.shape)


@pytest.mark.kernels
@pytest.mark.parametrize("seed", range(6))
def test_groups_are_the_greedy_structurally_orthogonal_colouring(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 30, size=2)
    pattern = random_pattern(rng, m, n, density=rng.uniform(0.05, 0.5))
    groups = column_groups(pattern)
    assert groups.dtype == np.int64 and groups.shape == (n,)
    assert_structurally_orthogonal(pattern, groups)
    np.testing.assert_array_equal(groups, reference_groups(pattern))
    # Sparse input, stored zeros included, colours alike: a stored zero is no entry.
    stored = sp.coo_matrix(pattern.astype(float))
    with_zeros = sp.coo_matrix(
        (
            np.concatenate([stored.data, [0.0]]),
            (np.concatenate([stored.row, [0]]), np.concatenate([stored.col, [n - 1]])),
        ),
        shape=(m, n),
    )
    if not pattern[0, n - 1]:
        np.testing.assert_array_equal(column_groups(with_zeros), groups)


@pytest.mark.kernels
def test_kernel_refuses_mismatched_arrays():
    ptr, idx = np.array([0, 1], dtype=np.int64), np.array([0], dtype=np.int64)
    with pytest.raises(ValueError, match="do not match"):
        K.greedy_column_groups(ptr, idx, ptr, idx, np.empty(2, dtype=np.int64))
    with pytest.raises(ValueError, match="outside"):
        K.greedy_column_groups(ptr, idx + 1, ptr, idx, np.empty(1, dtype=np.int64))


@pytest.mark.kernels
def test_a_band_needs_one_group_per_diagonal():
    for half_width in (0, 1, 2, 3):
        groups = column_groups(band(40, half_width))
        np.testing.assert_array_equal(groups, np.arange(40) % (2 * half_width + 1))


@pytest.mark.parametrize("half_width", [1, 2])
def test_banded_pattern_at_n_1e5(half_width):
    n = 100_000
    pattern = band(n, half_width)
    groups = column_groups(pattern)
    assert groups.max() + 1 == 2 * half_width + 1
    assert_structurally_orthogonal(pattern[:, :3000], groups[:3000])  # the band repeats


def test_grouped_differences_of_a_tridiagonal_residual_at_n_1e5():
    n = 100_000
    calls = []

    def fun(x):  # Broyden's tridiagonal function, with a cube for curvature
        calls.append(None)
        f = (3.0 - 2.0 * x) * x + 1.0 - x**3
        f[1:] -= x[:-1]
        f[:-1] -= 2.0 * x[1:]
        return f

    x = np.linspace(-1.0, 1.0, n)
    f0 = fun(x)
    groups = column_groups(band(n, 1))
    for scheme in SCHEMES:
        calls.clear()
        J = approx_jacobian(fun, x, f0, scheme, sparsity=band(n, 1), groups=groups)
        assert len(calls) == 3 * EVALUATIONS_PER_GROUP[scheme]
        assert sp.isspmatrix_csr(J) and J.nnz == 3 * n - 2
        np.testing.assert_allclose(J.diagonal(), 3.0 - 4.0 * x - 3.0 * x**2, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(J.diagonal(-1), -1.0, rtol=1e-6)
        np.testing.assert_allclose(J.diagonal(1), -2.0, rtol=1e-6)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(5))
def test_grouped_agrees_with_dense_and_counts_one_evaluation_set_per_group(scheme, seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(2, 40, size=2)
    pattern = random_pattern(rng, m, n, density=rng.uniform(0.05, 0.3))
    fun = SparseResidual(rng, pattern)
    x = rng.uniform(-2.0, 2.0, n)
    f0 = fun(x)
    dense = approx_jacobian(fun, x, f0, scheme)
    fun.points.clear()
    grouped = approx_jacobian(fun, x, f0, scheme, sparsity=sp.csr_matrix(pattern))
    n_groups = np.unique(column_groups(pattern)).size
    assert len(fun.points) == EVALUATIONS_PER_GROUP[scheme] * n_groups
    assert sp.isspmatrix_csr(grouped) and grouped.shape == (m, n)
    # Exactly the pattern's entries are stored, and they are the dense ones.
    np.testing.assert_array_equal(grouped.toarray() != 0, pattern & (dense != 0))
    assert grouped.nnz == pattern.sum()
    np.testing.assert_allclose(grouped.toarray(), np.where(pattern, dense, 0.0), rtol=1e-12)
    np.testing.assert_allclose(dense[~pattern], 0.0, atol=0.0)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_full_pattern_is_the_dense_jacobian_bit_for_bit(scheme):
    rng = np.random.default_rng(11)
    m, n = 5, 7
    fun = SparseResidual(rng, np.ones((m, n), dtype=bool))
    x = rng.uniform(-1.0, 1.0, n)
    lo, hi = x - rng.choice([0.0, 1e-7, np.inf], n), x + rng.choice([0.0, 1e-7, np.inf], n)
    f0 = fun(x)
    dense = approx_jacobian(fun, x, f0, scheme, lo=lo, hi=hi)
    grouped = approx_jacobian(fun, x, f0, scheme, lo=lo, hi=hi, sparsity=np.ones((m, n)))
    np.testing.assert_array_equal(grouped.toarray(), dense)


def test_entries_outside_the_pattern_are_not_assigned():
    # f depends on every x, but only the diagonal is declared: the off-diagonal
    # dependencies add up in the group's difference and must not appear anywhere else.
    n = 6

    def fun(x):
        return x**2 + np.sum(x)

    x = np.arange(1.0, n + 1.0)
    J = approx_jacobian(fun, x, fun(x), "3-point", sparsity=sp.eye(n))
    assert J.nnz == n
    np.testing.assert_array_equal(J.indices, np.arange(n))


def box_case(rng, n):
    """x on, near and away from its bounds, some variables fixed (lo = hi)."""
    lo, hi = rng.uniform(-2.0, -1.0, n), rng.uniform(1.0, 2.0, n)
    x = rng.uniform(lo, hi)
    where = rng.integers(0, 6, n)
    x = np.select(
        [where == 0, where == 1, where == 2, where == 3],
        [lo, hi, lo + 1e-10, hi - 1e-7],
        x,
    )
    fixed = where == 4
    lo[fixed] = hi[fixed] = x[fixed]
    return x, lo, hi


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(4))
def test_every_evaluation_is_inside_the_bounds_and_accurate(scheme, seed):
    # One-sided and central columns share groups near the bounds (3-point): each entry
    # must still use its own column's formula.
    rng = np.random.default_rng(100 + seed)
    n = 60
    pattern = band(n, 2).toarray().astype(bool) | random_pattern(rng, n, n, 0.02)
    fun = SparseResidual(rng, pattern)
    x, lo, hi = box_case(rng, n)
    fun.points.clear()
    J = approx_jacobian(fun, x, fun(x), scheme, lo=lo, hi=hi, sparsity=pattern)
    for point in fun.points:
        assert np.all(lo <= point.real) and np.all(point.real <= hi)
    exact = fun.jacobian(x)
    moving = lo < hi
    if scheme != "cs":  # the complex step moves no real coordinate, fixed or not
        np.testing.assert_array_equal(J.toarray()[:, ~moving], 0.0)
        exact = exact[:, moving]
    tolerance = {"2-point": 1e-6, "3-point": 1e-8, "cs": 1e-13}[scheme]
    got = J.toarray()[:, moving] if scheme != "cs" else J.toarray()
    np.testing.assert_allclose(got, exact, rtol=tolerance, atol=tolerance * np.abs(exact).max())


@pytest.mark.parametrize(
    ("scheme", "tolerance"), [("2-point", 1e-6), ("3-point", 1e-9), ("cs", 1e-13)]
)
def test_accuracy_against_the_exact_jacobian(scheme, tolerance):
    rng = np.random.default_rng(5)
    pattern = band(200, 2).toarray().astype(bool) | random_pattern(rng, 200, 200, 0.01)
    fun = SparseResidual(rng, pattern)
    x = rng.uniform(-1.0, 1.0, 200)
    J = approx_jacobian(fun, x, fun(x), scheme, sparsity=pattern).toarray()
    exact = fun.jacobian(x)
    error = np.abs(J - exact) / np.maximum(np.abs(exact), 1.0)
    assert error.max() < tolerance


def test_bad_structure_is_refused_by_name():
    x, f0 = np.zeros(4), np.zeros(3)

    def fun(z):
        return z[:3]

    cases = [
        (dict(sparsity=np.ones((4, 3))), "sparsity must have the Jacobian's shape"),
        (dict(sparsity=sp.eye(4)), "sparsity must have the Jacobian's shape"),
        (dict(sparsity=np.ones(12)), "sparsity must be a 2-D"),
        (dict(sparsity=np.eye(3, 4), groups=[0, 1, 2]), "groups must have one entry per column"),
        (dict(sparsity=np.eye(3, 4), groups=[0, 1, -1, 2]), "groups must hold non-negative"),
        (dict(sparsity=np.eye(3, 4), groups=[0.0, 1.0, 2.0, 3.0]), "non-negative integers"),
        (dict(sparsity=np.ones((3, 4)), groups=[0, 0, 1, 2]), "structurally orthogonal"),
        (dict(groups=[0, 1, 2, 3]), "groups is given without sparsity"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            approx_jacobian(fun, x, f0, "2-point", **kwargs)
    with pytest.raises(ValueError, match="sparsity must be a 2-D"):
        column_groups(np.ones(3))


def test_given_groups_need_not_be_consecutive_and_empty_groups_cost_nothing():
    n, calls = 9, []

    def fun(x):
        calls.append(None)
        return np.sin(x)

    x = np.linspace(0.0, 1.0, n)
    J = approx_jacobian(fun, x, fun(x), "2-point", sparsity=sp.eye(n), groups=np.full(n, 7))
    assert len(calls) == 2  # f0 and one group
    np.testing.assert_allclose(J.diagonal(), np.cos(x), rtol=1e-7)
