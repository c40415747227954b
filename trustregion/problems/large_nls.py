"""Large sparse nonlinear least-squares test problems, usable at n = 10³ to 10⁵.

Each builder returns a :class:`SparseLeastSquaresProblem`: a residual ``r(x)`` of
``m`` components, its exact Jacobian as a scipy CSR matrix, the Jacobian's structural
pattern (``sparsity``, what scipy's ``least_squares`` takes as ``jac_sparsity``) and the
loss the problem is meant to be fitted with. The cost is the one scipy and the
least-squares literature use,

.. math:: F(x) = \\tfrac12 \\sum_{i=1}^m \\rho\\big((r_i(x) / c)^2\\big) c^2 ,

with ``rho`` the identity for ``loss="linear"`` and ``c = f_scale``. (The
:class:`~._base.Problem` records of :mod:`.mgh` use ``f = sum r_i^2`` instead, twice
this cost for the linear loss.)

The problems, in :data:`LARGE_NLS`:

* ``"broyden_tridiagonal"``, ``"broyden_banded"``, ``"discrete_boundary_value"``:
  the banded Moré–Garbow–Hillstrom problems 30, 31 and 28, zero residual;
* ``"bratu_2d"``: the solid-fuel-ignition (Bratu) problem on the unit square with a
  5-point stencil, zero residual, Jacobian with the block-tridiagonal structure of a
  2-D Laplacian;
* ``"bundle_adjustment"``: synthetic bundle adjustment with angle-axis cameras, the
  block-sparse Jacobian of Triggs et al. (2000), rank-deficient by the 7-dimensional
  similarity gauge;
* ``"robust_spline"``: a log-link cubic B-spline fit of data with gross outliers, meant
  for ``loss="soft_l1"``.

Everything is vectorised: every builder and evaluation at n = 10⁵ takes well under a
second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import mgh
from ._base import ResidualView

__all__ = [
    "LARGE_NLS",
    "SparseLeastSquaresProblem",
    "bratu_2d",
    "broyden_banded",
    "broyden_tridiagonal",
    "bundle_adjustment",
    "discrete_boundary_value",
    "robust_spline",
]

Fn = Callable[[np.ndarray], np.ndarray]


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class SparseLeastSquaresProblem(ResidualView):
    """A nonlinear least-squares problem with a sparse Jacobian.

    Minimise :math:`F(x) = \\frac12 \\sum_i \\rho((r_i(x)/c)^2) c^2` over
    :math:`x \\in \\mathbb{R}^n`, where ``rho`` is given by ``loss`` (scipy's names) and
    ``c = f_scale``; for ``loss="linear"``, :math:`F(x) = \\frac12 \\|r(x)\\|^2`.

    Parameters
    ----------
    name : str
        Registry name in :data:`LARGE_NLS`.
    n, m : int
        Numbers of variables and residuals.
    x0 : ndarray, shape (n,)
        Starting point (stored read-only).
    residual_fn : callable
        ``x -> r(x)``, shape ``(m,)``.
    jacobian_fn : callable
        ``x -> J(x)``, a CSR matrix of shape ``(m, n)`` whose pattern is ``sparsity``.
    sparsity : scipy.sparse.csr_matrix, shape (m, n)
        The structural pattern of ``J``, a matrix of ones, the same for every ``x``: the
        ``jac_sparsity`` argument of :func:`scipy.optimize.least_squares`. ``J(x)`` has
        exactly these stored entries (some may be zero at particular ``x``).
    cost_star : float or None
        ``0.5 * ||r||^2`` at a known solution (``0`` for the zero-residual problems), or
        ``None`` when none is known (noisy data).
    x_star : ndarray or None
        A known solution, or ``None``.
    x_true : ndarray or None
        For the problems built from synthetic data, the parameters the data were
        generated from (not a minimiser: the data are noisy); otherwise ``None``.
    loss : str
        The loss the problem is meant to be fitted with (scipy's ``loss``).
    f_scale : float
        Its scale ``c`` (scipy's ``f_scale``): the noise level for outlier problems.
    reference : str
        Where the problem comes from.
    """

    name: str
    n: int
    m: int
    x0: np.ndarray
    residual_fn: Fn = field(repr=False)
    jacobian_fn: Callable[[np.ndarray], sp.csr_matrix] = field(repr=False)
    sparsity: sp.csr_matrix = field(repr=False)
    cost_star: float | None = None
    x_star: np.ndarray | None = field(default=None, repr=False)
    x_true: np.ndarray | None = field(default=None, repr=False)
    loss: str = "linear"
    f_scale: float = 1.0
    reference: str = ""

    def __post_init__(self) -> None:
        for name in ("x0", "x_star", "x_true"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
            value = getattr(self, name)
            if value is not None and value.shape != (self.n,):
                raise ValueError(
                    f"{self.name}: {name} has shape {value.shape}, expected ({self.n},)"
                )
        if self.sparsity.shape != (self.m, self.n):
            raise ValueError(
                f"{self.name}: sparsity has shape {self.sparsity.shape}, "
                f"expected ({self.m}, {self.n})"
            )

    def cost(self, x: np.ndarray) -> float:
        """Plain least-squares cost :math:`\\frac12 \\|r(x)\\|^2` (whatever ``loss``)."""
        r = self.residual(x)
        return 0.5 * float(r @ r)


# --------------------------------------------------------------------------- patterns
class _Pattern:
    """A fixed sparsity pattern given by coordinates ``(rows, cols)`` (no duplicates).

    :meth:`matrix` turns values listed in the same order as the coordinates into a CSR
    matrix with exactly this pattern (explicit zeros kept), so ``J(x)`` never changes
    structure with ``x``."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, m: int, n: int) -> None:
        key = rows.astype(np.int64) * n + cols
        self.order = np.argsort(key, kind="stable")
        self.shape = (m, n)
        idx = np.int32 if max(m, n, key.size) < 2**31 - 1 else np.int64
        self.indices = cols[self.order].astype(idx)
        self.indptr = np.zeros(m + 1, dtype=idx)
        np.cumsum(np.bincount(rows, minlength=m), out=self.indptr[1:])
        self.keys = key[self.order]

    def matrix(self, vals: np.ndarray) -> sp.csr_matrix:
        return _csr(
            np.asarray(vals, dtype=float)[self.order], self.indices, self.indptr, self.shape
        )

    def ones(self) -> sp.csr_matrix:
        return _csr(np.ones(self.indices.size), self.indices, self.indptr, self.shape)

    def place(self, jac: sp.spmatrix) -> sp.csr_matrix:
        """``jac`` (whose nonzeros lie in the pattern) re-stored on the full pattern."""
        coo = sp.coo_matrix(jac)
        coo.sum_duplicates()
        key = coo.row.astype(np.int64) * self.shape[1] + coo.col
        pos = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
        if not np.array_equal(self.keys[pos], key):
            raise AssertionError("a Jacobian entry lies outside the declared pattern")
        data = np.zeros(self.indices.size)
        data[pos] = coo.data
        return _csr(data, self.indices, self.indptr, self.shape)


def _csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    # Copies of the index arrays: a caller's in-place sort_indices/eliminate_zeros on one
    # Jacobian must not change the pattern of the next.
    out = sp.csr_matrix((data, indices.copy(), indptr.copy()), shape=shape)
    out.has_sorted_indices = True
    return out


def _band_pattern(n: int, offsets: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``(i, i + d)`` of the band ``d in offsets`` of an n-by-n matrix, listed
    offset by offset."""
    rows, cols = [], []
    for d in offsets:  # a handful of diagonals, not a loop over entries
        i = np.arange(max(0, -d), min(n, n - d))
        rows.append(i)
        cols.append(i + d)
    return np.concatenate(rows), np.concatenate(cols)


def _check_n(n: object, least: int, name: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {n!r}.")
    return int(n)


def _check_positive(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}.")
    return value


# ------------------------------------------------------------- MGH 28, 30, 31
def _from_mgh(
    name: str, n: int, offsets: Iterable[int], reference_note: str
) -> SparseLeastSquaresProblem:
    """A zero-residual banded MGH problem whose residual and (sparse) Jacobian come from
    :mod:`.mgh`, re-stored on the band pattern so that its structure never varies."""
    base = getattr(mgh, name)(n)
    pattern = _Pattern(*_band_pattern(n, offsets), n, n)
    return SparseLeastSquaresProblem(
        name=name,
        n=n,
        m=n,
        x0=base.x0,
        residual_fn=base.residual_fn,
        jacobian_fn=lambda x: pattern.place(base.jacobian_fn(x)),
        sparsity=pattern.ones(),
        cost_star=0.0,
        reference=base.reference + reference_note,
    )


def broyden_tridiagonal(n: int = 1000) -> SparseLeastSquaresProblem:
    """Broyden tridiagonal function, MGH problem 30; m = n, zero residual.

    .. math:: r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, \\quad x_0 = x_{n+1} = 0,

    from ``x0 = (-1, ..., -1)``; ``cost_star = 0``. J is tridiagonal. The residual and
    Jacobian are those of :func:`.mgh.broyden_tridiagonal`.
    """
    n = _check_n(n, 2)
    return _from_mgh("broyden_tridiagonal", n, (-1, 0, 1), "; cost = 0.5 sum r_i^2")


def discrete_boundary_value(n: int = 1000) -> SparseLeastSquaresProblem:
    """Discrete boundary value function, MGH problem 28; m = n, zero residual.

    The centred-difference discretisation of ``u'' = (u + t + 1)^3 / 2``,
    ``u(0) = u(1) = 0`` with ``h = 1/(n+1)``, ``t_i = i h``:

    .. math:: r_i = 2 x_i - x_{i-1} - x_{i+1} + \\tfrac{h^2}{2} (x_i + t_i + 1)^3,
              \\quad x_0 = x_{n+1} = 0,

    from ``x0_j = t_j (t_j - 1)``; ``cost_star = 0``. J is tridiagonal and its
    condition number grows like ``n^2``: scipy's ``trf`` with a sparse J (inexact LSMR
    steps) stalls near ``x0`` already at n = 200, while exact steps (dense J) converge in
    a few iterations. The residual and Jacobian are those of
    :func:`.mgh.discrete_boundary_value`.
    """
    n = _check_n(n, 2)
    return _from_mgh("discrete_boundary_value", n, (-1, 0, 1), "; cost = 0.5 sum r_i^2")


_BANDED_OFFSETS = (-5, -4, -3, -2, -1, 1)  # j - i for j in J_i (ml = 5, mu = 1)


def broyden_banded(n: int = 1000) -> SparseLeastSquaresProblem:
    """Broyden banded function, MGH problem 31; m = n, zero residual.

    With ``ml = 5``, ``mu = 1`` and
    ``J_i = {j != i : max(1, i - ml) <= j <= min(n, i + mu)}``:

    .. math:: r_i = x_i (2 + 5 x_i^2) + 1 - \\sum_{j \\in J_i} x_j (1 + x_j),

    from ``x0 = (-1, ..., -1)``; ``cost_star = 0``. J has bandwidth (5, 1):
    ``J_ii = 2 + 15 x_i^2`` and ``J_ij = -(1 + 2 x_j)`` for ``j in J_i``. The same
    function as :func:`.mgh.broyden_banded`, whose storage is dense, written here on
    the band.
    """
    n = _check_n(n, 2)
    offsets = (0, *_BANDED_OFFSETS)
    rows, cols = _band_pattern(n, offsets)
    pattern = _Pattern(rows, cols, n, n)
    ndiag = n  # the first block of (rows, cols) is the diagonal

    def res(x: np.ndarray) -> np.ndarray:
        y = x * (1.0 + x)
        out = x * (2.0 + 5.0 * x * x) + 1.0
        for d in _BANDED_OFFSETS:  # six shifted copies of y
            if d < 0:
                out[-d:] -= y[:d]
            else:
                out[:-d] -= y[d:]
        return out

    def jac(x: np.ndarray) -> sp.csr_matrix:
        vals = np.empty(rows.size)
        vals[:ndiag] = 2.0 + 15.0 * x * x
        vals[ndiag:] = -(1.0 + 2.0 * x[cols[ndiag:]])
        return pattern.matrix(vals)

    return SparseLeastSquaresProblem(
        name="broyden_banded",
        n=n,
        m=n,
        x0=-np.ones(n),
        residual_fn=res,
        jacobian_fn=jac,
        sparsity=pattern.ones(),
        cost_star=0.0,
        reference=mgh._REF.format(k=31) + "; banded storage, cost = 0.5 sum r_i^2",
    )


# ----------------------------------------------------------------------- Bratu 2-D
_BRATU_LAMBDA_FK = 6.80812  # turning point of the continuous problem on the unit square


def _grid_shape(n: int) -> tuple[int, int]:
    """The most nearly square ``nx * ny = n`` with ``nx <= ny``."""
    nx = int(np.sqrt(n))
    while n % nx:
        nx -= 1
    return nx, n // nx


def bratu_2d(n: int = 1024, lam: float = 5.0) -> SparseLeastSquaresProblem:
    """Bratu's problem (solid fuel ignition) on the unit square; m = n, zero residual.

    ``-Δu = λ exp(u)`` on ``(0, 1)^2``, ``u = 0`` on the boundary, discretised on the
    ``nx``-by-``ny`` interior grid (``nx * ny = n``, the most nearly square
    factorisation with ``nx <= ny``; ``n = 10^4`` gives 100 x 100, ``n = 1000``
    25 x 40, a prime ``n`` a 1 x n strip) with ``hx = 1/(nx+1)``, ``hy = 1/(ny+1)`` and
    the 5-point stencil, scaled by the cell area ``hx hy`` as in MINPACK-2:

    .. math:: r_{ij} = \\frac{h_y}{h_x} (2u_{ij} - u_{i-1,j} - u_{i+1,j})
              + \\frac{h_x}{h_y} (2u_{ij} - u_{i,j-1} - u_{i,j+1})
              - h_x h_y \\lambda e^{u_{ij}},

    with ``u = 0`` outside the grid and ``x = u.ravel()`` (row-major, ``j`` fastest).
    J is the 5-point Laplacian minus ``diag(hx hy λ exp(u))``: block tridiagonal with
    tridiagonal diagonal blocks. For ``0 < λ < λ* ≈ 6.808`` the continuous problem has
    two solutions; from ``x0 = 0`` Newton's method finds the lower (stable) one, on
    which J is nonsingular. ``cost_star = 0``; no closed-form solution, so verify a
    solver by the residual norm it reaches (scipy's ``trf`` with the sparse J gets
    ``cost < 1e-29`` at n = 200 and 400 from ``x0``).

    Parameters
    ----------
    n : int
        Number of grid points (unknowns), at least 1.
    lam : float
        λ, in ``(0, λ*)`` with ``λ* = 6.80812`` (the continuous turning point).

    References
    ----------
    J. J. Moré, "A collection of nonlinear model problems", in *Computational Solution
    of Nonlinear Systems of Equations*, Lectures in Applied Mathematics 26, AMS, 1990,
    723–762 (the solid fuel ignition problem); B. M. Averick, R. G. Carter, J. J. Moré,
    G.-L. Xue, "The MINPACK-2 test problem collection", Argonne MCS-P153-0692, 1992.
    """
    n = _check_n(n, 1)
    lam = float(lam)
    if not 0.0 < lam < _BRATU_LAMBDA_FK:
        raise ValueError(
            f"lam must lie in (0, {_BRATU_LAMBDA_FK}), below the turning point, got {lam!r}."
        )
    nx, ny = _grid_shape(n)
    hx, hy = 1.0 / (nx + 1), 1.0 / (ny + 1)
    ax, ay, area = hy / hx, hx / hy, hx * hy
    idx = np.arange(n).reshape(nx, ny)
    # Coordinates: the diagonal, then the i-neighbours (offset +-ny), then the j-ones.
    row_blocks = [
        idx.ravel(),
        idx[1:].ravel(),
        idx[:-1].ravel(),
        idx[:, 1:].ravel(),
        idx[:, :-1].ravel(),
    ]
    col_blocks = [
        idx.ravel(),
        idx[:-1].ravel(),
        idx[1:].ravel(),
        idx[:, :-1].ravel(),
        idx[:, 1:].ravel(),
    ]
    counts = [r.size for r in row_blocks]
    rows, cols = np.concatenate(row_blocks), np.concatenate(col_blocks)
    pattern = _Pattern(rows, cols, n, n)
    offdiag = np.concatenate(
        [np.full(counts[1] + counts[2], -ax), np.full(counts[3] + counts[4], -ay)]
    )
    diag_const = 2.0 * (ax + ay)

    def res(x: np.ndarray) -> np.ndarray:
        u = x.reshape(nx, ny)
        lap = diag_const * u
        lap[1:] -= ax * u[:-1]
        lap[:-1] -= ax * u[1:]
        lap[:, 1:] -= ay * u[:, :-1]
        lap[:, :-1] -= ay * u[:, 1:]
        return (lap - area * lam * np.exp(u)).ravel()

    def jac(x: np.ndarray) -> sp.csr_matrix:
        return pattern.matrix(np.concatenate([diag_const - area * lam * np.exp(x), offdiag]))

    return SparseLeastSquaresProblem(
        name="bratu_2d",
        n=n,
        m=n,
        x0=np.zeros(n),
        residual_fn=res,
        jacobian_fn=jac,
        sparsity=pattern.ones(),
        cost_star=0.0,
        reference=(
            "J. J. Moré, A collection of nonlinear model problems, Lectures in Applied "
            "Mathematics 26, AMS, 1990, 723-762 (solid fuel ignition); "
            f"lambda = {lam}, grid {nx} x {ny}"
        ),
    )


# --------------------------------------------------------------- bundle adjustment
def _skew(v: np.ndarray) -> np.ndarray:
    """Cross-product matrices ``[v]x`` (``[v]x w = v × w``) of the rows of ``v``,
    shape (K, 3, 3)."""
    out = np.zeros((v.shape[0], 3, 3))
    out[:, 0, 1], out[:, 0, 2] = -v[:, 2], v[:, 1]
    out[:, 1, 0], out[:, 1, 2] = v[:, 2], -v[:, 0]
    out[:, 2, 0], out[:, 2, 1] = -v[:, 1], v[:, 0]
    return out


def _so3(omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrices ``R(ω)`` and left Jacobians ``J_l(ω)`` of the rows of ``omega``.

    With ``θ = |ω|`` and ``W = [ω]x`` (Rodrigues' formula and its derivative):

    ``R = I + (sin θ / θ) W + ((1 - cos θ) / θ^2) W^2``,
    ``J_l = I + ((1 - cos θ) / θ^2) W + ((θ - sin θ) / θ^3) W^2``,

    so that ``R(ω + dω) = (I + [J_l dω]x) R(ω) + O(|dω|^2)`` and hence
    ``∂(R v)/∂ω = -[R v]x J_l`` (Barfoot 2017, §7.1.5; Solà et al. 2018, eq. 143).
    The coefficients switch to their Taylor series below ``θ = 1e-2``, where the closed
    forms cancel."""
    theta2 = np.einsum("ij,ij->i", omega, omega)
    theta = np.sqrt(theta2)
    small = theta < 1e-2
    t = np.where(small, 1.0, theta)  # a safe divisor; the small entries are replaced below
    s = np.sin(t)
    one_minus_c = 2.0 * np.sin(0.5 * t) ** 2  # 1 - cos θ without cancellation
    a, b, c = s / t, one_minus_c / t**2, (t - s) / t**3
    q = theta2[small]
    a[small] = 1.0 - q / 6.0 + q * q / 120.0
    b[small] = 0.5 - q / 24.0 + q * q / 720.0
    c[small] = 1.0 / 6.0 - q / 120.0 + q * q / 5040.0
    w = _skew(omega)
    w2 = np.matmul(w, w)
    eye = np.eye(3)
    rot = eye + a[:, None, None] * w + b[:, None, None] * w2
    left = eye + b[:, None, None] * w + c[:, None, None] * w2
    return rot, left


# Columns, among an observation's 9 (ω, t, X), of its u-row and its v-row: all but the
# structural zeros du/dt_y = dv/dt_x = 0.
_BA_KEEP = np.array([0, 1, 2, 3, 5, 6, 7, 8, 0, 1, 2, 4, 5, 6, 7, 8])


def _ba_scene(
    rng: np.random.Generator, ncam: int, npts: int, views: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The true unknowns of :func:`bundle_adjustment`'s scene and its observations (point,
    camera), ordered by point: point p in cameras start_p, ..., start_p + views - 1."""
    pts = rng.normal(size=(npts, 3))
    pts *= (rng.uniform(size=npts) ** (1.0 / 3.0) / np.linalg.norm(pts, axis=1))[:, None]
    phi = -np.pi + 2.0 * np.pi * (np.arange(ncam) + 0.5) / ncam
    omega = np.column_stack([rng.normal(0.0, 0.1, ncam), phi, rng.normal(0.0, 0.1, ncam)])
    trans = np.column_stack([rng.normal(0.0, 0.1, (ncam, 2)), np.full(ncam, 4.0)])
    x_true = np.concatenate([np.column_stack([omega, trans]).ravel(), pts.ravel()])
    obs_pt = np.repeat(np.arange(npts), views)
    obs_cam = (
        np.repeat(rng.integers(0, ncam, npts), views) + np.tile(np.arange(views), npts)
    ) % ncam
    return x_true, obs_pt, obs_cam


def _ba_pattern(
    obs_cam: np.ndarray, obs_pt: np.ndarray, ncols_cam: int
) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indices, indptr) of :func:`bundle_adjustment`'s Jacobian: the u-row of an
    observation has the camera's ω, t_x, t_z and the point's 3 columns, the v-row ω, t_y,
    t_z and the point's (u does not depend on t_y, nor v on t_x): 8 entries a row, sorted
    since camera columns come first in x."""
    nobs = obs_pt.size
    cols = np.empty((nobs, 9), dtype=np.int64)
    cols[:, :6] = 6 * obs_cam[:, None] + np.arange(6)
    cols[:, 6:] = ncols_cam + 3 * obs_pt[:, None] + np.arange(3)
    idx_t = np.int32 if 16 * nobs < 2**31 - 1 else np.int64
    indices = cols[:, _BA_KEEP].ravel().astype(idx_t)
    indptr = np.arange(0, 16 * nobs + 1, 8, dtype=idx_t)
    return indices, indptr


def _ba_jacobian_values(
    y: np.ndarray, rx: np.ndarray, rot_o: np.ndarray, jl: np.ndarray, focal: float
) -> np.ndarray:
    """The 8 entries of each of an observation's two rows of :func:`bundle_adjustment`'s
    Jacobian, shape (observations, 2, 8), from the point in camera coordinates y, R X,
    the camera's R and its left Jacobian J_l."""
    fz = focal / y[:, 2]
    px, py = y[:, 0] / y[:, 2], y[:, 1] / y[:, 2]
    # The projection's derivative is fz [[1, 0, -px], [0, 1, -py]], so its product
    # with a 3x3 M is fz (M_0 - px M_2, M_1 - py M_2) (rows M_i), written out.
    data = np.empty((y.shape[0], 2, 8))
    # dy/dω = -[R X]x J_l(ω): rows of -[a]x M are (a2 M1 - a1 M2, a0 M2 - a2 M0,
    # a1 M0 - a0 M1) with a = R X and M = J_l.
    m0, m1, m2 = jl[:, 0], jl[:, 1], jl[:, 2]
    a0, a1, a2 = rx[:, 0:1], rx[:, 1:2], rx[:, 2:3]
    d0, d1, d2 = a2 * m1 - a1 * m2, a0 * m2 - a2 * m0, a1 * m0 - a0 * m1
    data[:, 0, :3] = fz[:, None] * (d0 - px[:, None] * d2)
    data[:, 1, :3] = fz[:, None] * (d1 - py[:, None] * d2)
    # dy/dt = I: u has t_x, t_z; v has t_y, t_z.
    data[:, :, 3] = fz[:, None]
    data[:, 0, 4] = -fz * px
    data[:, 1, 4] = -fz * py
    # dy/dX = R.
    data[:, 0, 5:] = fz[:, None] * (rot_o[:, 0] - px[:, None] * rot_o[:, 2])
    data[:, 1, 5:] = fz[:, None] * (rot_o[:, 1] - py[:, None] * rot_o[:, 2])
    return data


def bundle_adjustment(
    n: int = 1000,
    seed: int = 0,
    *,
    n_cameras: int | None = None,
    views_per_point: int | None = None,
    noise: float = 0.5,
    focal: float = 500.0,
) -> SparseLeastSquaresProblem:
    """Synthetic bundle adjustment: C cameras and P points, block-sparse Jacobian.

    Unknowns ``x = (ω_1, t_1, ..., ω_C, t_C, X_1, ..., X_P)``: per camera an angle-axis
    rotation ``ω`` and a translation ``t`` (6 parameters), per point its position ``X``
    (3), so ``n = 6 C + 3 P``. Observation ``k`` of point ``p`` in camera ``c`` gives two
    residuals, the pinhole reprojection error with a known focal length ``f`` (pixels)
    and principal point at 0:

    .. math:: y = R(ω_c) X_p + t_c, \\qquad
              r_k = f \\, (y_1 / y_3, \\; y_2 / y_3) - z_k ,

    with ``R(ω) = I + (sin θ / θ) [ω]x + ((1 - cos θ) / θ^2) [ω]x^2``, ``θ = |ω|``
    (Rodrigues' formula). The Jacobian is exact: ``∂y/∂t = I``, ``∂y/∂X = R`` and
    ``∂y/∂ω = -[R X]x J_l(ω)`` with the left Jacobian of SO(3)
    ``J_l = I + ((1 - cos θ) / θ^2) [ω]x + ((θ - sin θ) / θ^3) [ω]x^2`` (see
    ``_so3``), chained with the projection's ``2 x 3`` derivative. Each row depends on
    one camera block and one point block, so J has the structure of Triggs et al.
    (2000): 8 nonzeros a row, ``J = [J_cam | J_pts]`` with ``J_pts`` block-diagonal
    (one 3-column block per point; observations are ordered by point).

    **Gauge.** Reprojection errors are invariant under a similarity transform of the
    whole scene (3 rotation, 3 translation, 1 scale), so ``J`` is rank-deficient by 7
    everywhere and the minimisers form a 7-dimensional manifold: solvers must cope
    (damping, or a minimum-norm step). No parameters are held fixed. Compare fits by
    the cost, or after aligning the gauge, not by ``||x - x_true||``.

    **Data.** From ``seed``: points uniform in the unit ball; camera ``c`` has
    rotation ``ω_c = (ε, φ_c, ε)`` with ``φ_c`` evenly spread over ``(-π, π)`` (a ring
    around the scene) and ``ε ~ N(0, 0.1^2)``, and translation ``t_c = (ε', ε', 4)``
    with ``ε' ~ N(0, 0.1^2)``, so the scene centre lies about 4 units in front of every
    camera and every point at depth 3 to 5. Point ``p`` is seen by the
    ``views_per_point`` consecutive cameras starting at a random one (cyclically); the
    observations are the true projections plus ``N(0, noise^2)`` pixel noise. ``x0`` is
    the truth perturbed by ``N(0, 0.02^2)`` on rotations and ``N(0, 0.05^2)`` on
    translations and points. ``x_true`` holds the truth; its cost is about
    ``m noise^2 / 2``, and a minimiser's is smaller (about
    ``(m - n + 7) noise^2 / 2``). ``cost_star`` and ``x_star`` are ``None``.

    Parameters
    ----------
    n : int
        Requested number of unknowns, at least 27; the problem has
        ``n' = 6 C + 3 P <= n`` with ``P = (n - 6 C) // 3`` (``n' = n`` when ``n`` is a
        multiple of 3).
    seed : int
        Seed of the data.
    n_cameras : int or None
        C; default ``max(3, n // 200)``.
    views_per_point : int or None
        Observations per point, at most C; default ``min(5, C)``;
        ``m = 2 P views_per_point``.
    noise : float
        Standard deviation of the pixel noise (``>= 0``; ``0`` gives a zero-residual
        problem with ``cost_star = 0``, ``x_star = x_true``).
    focal : float
        Focal length in pixels.

    References
    ----------
    B. Triggs, P. F. McLauchlan, R. I. Hartley, A. W. Fitzgibbon, "Bundle adjustment —
    a modern synthesis", in *Vision Algorithms: Theory and Practice*, LNCS 1883,
    Springer, 2000, 298–372. T. D. Barfoot, *State Estimation for Robotics*, Cambridge
    University Press, 2017, §7.1 (the left Jacobian of SO(3)); J. Solà, J. Deray,
    D. Atchuthan, "A micro Lie theory for state estimation in robotics",
    arXiv:1812.01537, 2018.
    """
    n = _check_n(n, 27)
    ncam = max(3, n // 200) if n_cameras is None else _check_n(n_cameras, 2, "n_cameras")
    if 6 * ncam + 3 > n:
        raise ValueError(f"n = {n} leaves no room for points with n_cameras = {ncam}.")
    views = min(5, ncam) if views_per_point is None else views_per_point
    views = _check_n(views, 2, "views_per_point")
    if views > ncam:
        raise ValueError(f"views_per_point must be at most n_cameras = {ncam}, got {views}.")
    noise = float(noise)
    if not np.isfinite(noise) or noise < 0.0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    focal = _check_positive(focal, "focal")
    npts = (n - 6 * ncam) // 3
    n = 6 * ncam + 3 * npts
    ncols_cam = 6 * ncam
    rng = np.random.default_rng(seed)
    x_true, obs_pt, obs_cam = _ba_scene(rng, ncam, npts, views)
    nobs = obs_pt.size
    m = 2 * nobs
    indices, indptr = _ba_pattern(obs_cam, obs_pt, ncols_cam)

    def camera_frame(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per observation: the point in camera coordinates ``y``, ``R X`` and the
        camera's ``R`` and ``J_l`` (rotations computed once per camera)."""
        cams = x[:ncols_cam].reshape(ncam, 6)
        rot, left = _so3(cams[:, :3])
        rot_o = rot[obs_cam]
        rx = np.einsum("kij,kj->ki", rot_o, x[ncols_cam:].reshape(npts, 3)[obs_pt])
        return rx + cams[obs_cam, 3:], rx, rot_o, left

    def project(x: np.ndarray) -> np.ndarray:
        y = camera_frame(x)[0]
        return focal * y[:, :2] / y[:, 2:3]

    observed = project(x_true) + rng.normal(0.0, noise, (nobs, 2))

    def res(x: np.ndarray) -> np.ndarray:
        return (project(x) - observed).ravel()

    def jac(x: np.ndarray) -> sp.csr_matrix:
        y, rx, rot_o, left = camera_frame(x)
        data = _ba_jacobian_values(y, rx, rot_o, left[obs_cam], focal)
        return _csr(data.ravel(), indices, indptr, (m, n))

    x0 = x_true.copy()
    cam0 = x0[:ncols_cam].reshape(ncam, 6)
    cam0[:, :3] += rng.normal(0.0, 0.02, (ncam, 3))
    cam0[:, 3:] += rng.normal(0.0, 0.05, (ncam, 3))
    x0[ncols_cam:] += rng.normal(0.0, 0.05, 3 * npts)

    exact = noise == 0.0
    return SparseLeastSquaresProblem(
        name="bundle_adjustment",
        n=n,
        m=m,
        x0=x0,
        residual_fn=res,
        jacobian_fn=jac,
        sparsity=_csr(np.ones(indices.size), indices, indptr, (m, n)),
        cost_star=0.0 if exact else None,
        x_star=x_true if exact else None,
        x_true=x_true,
        reference=(
            "B. Triggs, P. F. McLauchlan, R. I. Hartley, A. W. Fitzgibbon, Bundle "
            "adjustment - a modern synthesis, LNCS 1883, 2000, 298-372; synthetic, "
            f"{ncam} cameras, {npts} points, seed {seed}"
        ),
    )


# ------------------------------------------------------------------ robust spline
def _bspline_basis(t: np.ndarray, nbasis: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform cubic B-spline basis on ``[0, 1]`` with ``nbasis`` functions: for each
    ``t`` the first index ``k`` of the 4 functions that do not vanish there and their
    values, shape (len(t), 4)."""
    scaled = t * (nbasis - 3)
    k = np.minimum(np.floor(scaled).astype(np.int64), nbasis - 4)
    u = scaled - k
    u2, u3 = u * u, u * u * u
    vals = np.column_stack(
        [(1.0 - u) ** 3, 3.0 * u3 - 6.0 * u2 + 4.0, -3.0 * u3 + 3.0 * u2 + 3.0 * u + 1.0, u3]
    )
    return k, vals / 6.0


def robust_spline(
    n: int = 1000,
    seed: int = 0,
    *,
    obs_per_param: int = 8,
    noise: float = 0.05,
    outlier_fraction: float = 0.08,
) -> SparseLeastSquaresProblem:
    """Log-link cubic spline fit of noisy data with gross outliers; meant for
    ``loss="soft_l1"`` with ``f_scale = noise``.

    The model is ``y(t) = exp(s(t))`` with ``s(t) = sum_j x_j B_j(t)`` a uniform cubic
    B-spline on ``[0, 1]`` with ``n`` coefficients (knot spacing ``1/(n-3)``), fitted
    to ``m = obs_per_param * n`` observations ``(t_i, z_i)``:

    .. math:: r_i(x) = \\exp\\Big(\\sum_{j=k_i}^{k_i+3} x_j B_j(t_i)\\Big) - z_i,
              \\qquad J_{ij} = e^{s(t_i)} B_j(t_i),

    so each observation depends on 4 consecutive coefficients (J has 4 nonzeros a row,
    bandwidth 4 after sorting by ``t``) and the problem is nonlinear through the link.

    **Data.** From ``seed``: true coefficients ``x_true_j = 0.5 sin(2π(3τ_j + φ_1)) +
    0.3 sin(2π(7τ_j + φ_2))`` with ``τ_j = j/(n-1)`` and random phases (so
    ``y`` lies in about ``[0.45, 2.2]``); sorted uniform ``t_i``;
    ``z_i = exp(s_true(t_i)) + N(0, noise^2)``, and a random ``outlier_fraction`` of
    the ``z_i`` get an additional positive spike uniform in ``[20, 50] * noise``
    (impulsive noise, as from cosmic-ray hits). The linear loss is biased by the
    spikes; a robust loss at ``f_scale = noise`` nearly ignores them. ``x0 = 0``.
    ``cost_star`` and ``x_star`` are ``None``; ``x_true`` holds the truth.

    **Conditioning.** The two coefficients at each end are weakly determined (``B_0``
    is at most 1/6 and lives on the first knot interval only), so a fit's end
    coefficients can stray by several times ``noise`` while its model values do not,
    and they slow solvers down (flat directions). Judge a fit by its model values at
    the data, ``r(x) - r(x_true) = exp(s(t_i)) - exp(s_true(t_i))``, or by the interior
    coefficients: at n = 100 and seed 0, scipy's ``trf`` with ``soft_l1`` gets the
    former to RMS 0.025 (half the noise) and the interior coefficients to RMS 0.06,
    while the linear loss gets 0.23 and 0.37.

    Parameters
    ----------
    n : int
        Number of spline coefficients, at least 4.
    seed : int
        Seed of the data.
    obs_per_param : int
        Observations per coefficient (``m = obs_per_param * n``), at least 1.
    noise : float
        Standard deviation of the Gaussian noise, and the ``f_scale`` to fit with.
    outlier_fraction : float
        Fraction of gross outliers, in ``[0, 0.5)``.

    References
    ----------
    P. J. Huber, *Robust Statistics*, Wiley, 1981; B. Triggs et al., "Bundle
    adjustment — a modern synthesis", 2000, §3.3 (robust cost functions); the
    ``soft_l1`` loss ``rho(z) = 2 (sqrt(1 + z) - 1)`` of
    :func:`scipy.optimize.least_squares`.
    """
    n = _check_n(n, 4)
    per = _check_n(obs_per_param, 1, "obs_per_param")
    noise = _check_positive(noise, "noise")
    frac = float(outlier_fraction)
    if not 0.0 <= frac < 0.5:
        raise ValueError(f"outlier_fraction must lie in [0, 0.5), got {outlier_fraction!r}.")
    m = per * n
    rng = np.random.default_rng(seed)
    tau = np.linspace(0.0, 1.0, n)
    ph1, ph2 = rng.uniform(size=2)
    x_true = 0.5 * np.sin(2 * np.pi * (3 * tau + ph1)) + 0.3 * np.sin(2 * np.pi * (7 * tau + ph2))
    t = np.sort(rng.uniform(size=m))
    first, basis = _bspline_basis(t, n)
    cols = first[:, None] + np.arange(4)

    def spline(x: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", x[cols], basis)

    z = np.exp(spline(x_true)) + rng.normal(0.0, noise, m)
    bad = rng.uniform(size=m) < frac
    z[bad] += noise * rng.uniform(20.0, 50.0, int(bad.sum()))

    idx_t = np.int32 if 4 * m < 2**31 - 1 else np.int64
    indices = cols.ravel().astype(idx_t)
    indptr = np.arange(0, 4 * m + 1, 4, dtype=idx_t)

    def res(x: np.ndarray) -> np.ndarray:
        return np.exp(spline(x)) - z

    def jac(x: np.ndarray) -> sp.csr_matrix:
        return _csr((np.exp(spline(x))[:, None] * basis).ravel(), indices, indptr, (m, n))

    return SparseLeastSquaresProblem(
        name="robust_spline",
        n=n,
        m=m,
        x0=np.zeros(n),
        residual_fn=res,
        jacobian_fn=jac,
        sparsity=_csr(np.ones(indices.size), indices, indptr, (m, n)),
        x_true=x_true,
        loss="soft_l1",
        f_scale=noise,
        reference=(
            "log-link cubic B-spline fit with impulsive outliers (Huber, Robust "
            f"Statistics, 1981); seed {seed}, {bad.sum()} outliers of {m}"
        ),
    )


LARGE_NLS: dict[str, Callable[..., SparseLeastSquaresProblem]] = {
    "broyden_tridiagonal": broyden_tridiagonal,
    "broyden_banded": broyden_banded,
    "discrete_boundary_value": discrete_boundary_value,
    "bratu_2d": bratu_2d,
    "bundle_adjustment": bundle_adjustment,
    "robust_spline": robust_spline,
}
"""Builders by name; each takes ``n`` (default about 1000) and, where the data are
random, ``seed``."""
