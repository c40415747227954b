"""Deterministic test problems shared by the pytest-benchmark suites (not a test module)."""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.sparse as sp


def _orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


@cache
def dense_sym(n: int, lo: float, hi: float, seed: int = 0) -> np.ndarray:
    """Q diag(linspace(lo, hi, n)) Q^T (read-only)."""
    rng = np.random.default_rng(seed + n)
    q = _orthogonal(n, rng)
    a = (q * np.linspace(lo, hi, n)) @ q.T
    a = 0.5 * (a + a.T)
    a.setflags(write=False)
    return a


@cache
def sparse_tridiag(n: int, lo: float, hi: float, seed: int = 0) -> sp.csr_matrix:
    """Tridiagonal CSR, diagonal a permutation of linspace(lo, hi, n), off-diagonals -0.5.

    With lo >= 2 it is SPD with spectrum in [lo - 1, hi + 1]."""
    rng = np.random.default_rng(seed + n + 1)
    d = rng.permutation(np.linspace(lo, hi, n))
    off = -0.5 * np.ones(n - 1)
    return sp.diags([off, d, off], [-1, 0, 1], format="csr")


@cache
def vector(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed + 7 * n + 3).standard_normal(n)
    v.setflags(write=False)
    return v
