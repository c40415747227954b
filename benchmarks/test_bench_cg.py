"""pytest-benchmark suite for ``trustregion.cg``.

Run explicitly (never part of ``python -m pytest tests/``)::

    python -m pytest benchmarks/test_bench_cg.py --benchmark-only
    python -m pytest benchmarks/ --benchmark-only --benchmark-group-by=group

Every benchmark calls the function once before timing, so Numba compile time
is excluded.  Problems: condition number ~100, rtol=1e-5 (tens of iterations).
"""

from __future__ import annotations

import pytest
import scipy.sparse.linalg as spla

from _problems import dense_sym, sparse_tridiag, vector

tr = pytest.importorskip("trustregion")

RTOL = 1e-5


def _run(benchmark, A, b, group, **kw):
    benchmark.group = group
    res = tr.cg(A, b, rtol=RTOL, **kw)  # warm-up (compile)
    res = benchmark(tr.cg, A, b, rtol=RTOL, **kw)
    benchmark.extra_info["iterations"] = int(res.iterations)
    benchmark.extra_info["operator_products"] = int(res.operator_products)
    assert res.success, res.status
    return res


@pytest.mark.parametrize("n", [10, 100, 1000, 3000])
def test_cg_dense(benchmark, n):
    _run(benchmark, dense_sym(n, 1.0, 100.0), vector(n), "cg dense")


@pytest.mark.parametrize("n", [10, 100, 1000])
def test_cg_dense_scipy_reference(benchmark, n):
    """The incumbent on the same problems, for side-by-side reading."""
    A, b = dense_sym(n, 1.0, 100.0), vector(n)
    benchmark.group = "cg dense"
    x, info = benchmark(spla.cg, A, b, rtol=RTOL, atol=0.0)
    assert info == 0


@pytest.mark.parametrize("n", [1000, 10_000, 100_000])
def test_cg_sparse(benchmark, n):
    _run(benchmark, sparse_tridiag(n, 2.0, 100.0), vector(n), "cg sparse")


@pytest.mark.parametrize("n", [1000, 100_000])
def test_cg_sparse_jacobi(benchmark, n):
    A = sparse_tridiag(n, 2.0, 100.0)
    _run(benchmark, A, vector(n), "cg sparse jacobi", M=tr.JacobiPreconditioner(A))


@pytest.mark.parametrize("n", [10, 100, 1000])
def test_cg_callable(benchmark, n):
    A = dense_sym(n, 1.0, 100.0)
    _run(benchmark, lambda v: A @ v, vector(n), "cg callable")


@pytest.mark.parametrize("n", [10, 100, 1000])
def test_cg_linear_operator(benchmark, n):
    A = dense_sym(n, 1.0, 100.0)
    op = spla.aslinearoperator(A)
    _run(benchmark, op, vector(n), "cg LinearOperator")
