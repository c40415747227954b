"""pytest-benchmark suite for ``trustregion.solve_subproblem`` (every method).

Run explicitly (never part of ``python -m pytest tests/``)::

    python -m pytest benchmarks/test_bench_subproblems.py --benchmark-only

Instances: ``B = Q diag(eigs) Q^T`` with eigs = linspace(1, 100, n) ("pd") or
linspace(-10, 100, n) ("indef"), g ~ N(0, I), radius 1 (active in every case
here, ||B^{-1} g|| is about 0.1 sqrt(n) .. sqrt(n)) and 1e3 ("large": interior
for "pd").  Each benchmark warms up first (Numba compile excluded).
"""

from __future__ import annotations

import numpy as np
import pytest

from _problems import dense_sym, sparse_tridiag, vector

tr = pytest.importorskip("trustregion")

DENSE_SIZES = [10, 100, 1000]
SPECTRA = {"pd": (1.0, 100.0), "indef": (-10.0, 100.0)}
RADII = {"r1": 1.0, "large": 1e3}


def _check(step, radius, M=None):
    s = np.asarray(step.s)
    assert np.all(np.isfinite(s))
    if M is None:
        norm = np.linalg.norm(s)
    elif isinstance(M, np.ndarray) and M.ndim == 1:
        norm = np.sqrt(s @ (M * s))
    else:
        norm = np.sqrt(s @ (M @ s))
    assert norm <= radius * (1 + 1e-6)


def _run(benchmark, g, B, radius, method, group, **kw):
    benchmark.group = group
    tr.solve_subproblem(g, B, radius, method=method, **kw)  # warm-up (compile)
    step = benchmark(tr.solve_subproblem, g, B, radius, method=method, **kw)
    benchmark.extra_info["iterations"] = int(step.iterations)
    benchmark.extra_info["status"] = str(step.status)
    _check(step, radius, kw.get("M"))
    return step


@pytest.mark.parametrize("radius", list(RADII), ids=list(RADII))
@pytest.mark.parametrize("spectrum", list(SPECTRA))
@pytest.mark.parametrize("n", DENSE_SIZES)
@pytest.mark.parametrize("method", ["cauchy", "dogleg", "steihaug", "gltr", "exact"])
def test_subproblem_dense(benchmark, method, n, spectrum, radius):
    B = dense_sym(n, *SPECTRA[spectrum])
    _run(benchmark, vector(n), B, RADII[radius], method, f"{method} dense")


@pytest.mark.parametrize("n", [1000, 100_000])
@pytest.mark.parametrize("method", ["cauchy", "dogleg", "steihaug", "gltr"])
def test_subproblem_sparse_indefinite(benchmark, method, n):
    B = sparse_tridiag(n, -1.0, 10.0)
    _run(benchmark, vector(n), B, 1.0, method, f"{method} sparse")


@pytest.mark.parametrize("n", [10, 100])
def test_exact_sparse_small(benchmark, n):
    B = sparse_tridiag(n, -1.0, 10.0)
    _run(benchmark, vector(n), B, 1.0, "exact", "exact sparse")


@pytest.mark.parametrize("n", [100, 1000])
@pytest.mark.parametrize("method", ["steihaug", "gltr", "exact"])
def test_subproblem_diagonal_metric(benchmark, method, n):
    B = dense_sym(n, -10.0, 100.0)
    M = np.linspace(1.0, 10.0, n)
    _run(benchmark, vector(n), B, 1.0, method, f"{method} M=diag", M=M)


@pytest.mark.parametrize("n", [100, 1000, 100_000])
def test_natural_sparse_metric(benchmark, n):
    M = sparse_tridiag(n, 2.0, 100.0)
    _run(benchmark, vector(n), None, 1.0, "natural", "natural", M=M)


@pytest.mark.parametrize("N,P", [(256, 100), (1024, 1000)])
def test_natural_fisher_scores(benchmark, N, P):
    S = np.random.default_rng(N + P).standard_normal((N, P))
    F = tr.DampedOperator(tr.FisherOperator.from_scores(S), 1e-3)
    _run(benchmark, vector(P), None, 1.0, "natural", "natural fisher", M=F)
