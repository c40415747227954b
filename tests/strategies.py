"""Hypothesis strategies producing trust-region subproblem instances.

Hypothesis draws only the structural choices (dimension, kind, radius regime,
metric, and an integer seed); the numerical data come from
``numpy.random.default_rng(seed)``, so every example is reproducible from the
printed ``Subproblem`` repr / seed, and shrinking acts on n, kind and seed.

Every instance is generated in the coordinates of the metric, y = L^T s with
M = L L^T:  a "transformed" pair (Bt, gt) of the requested kind is drawn and
mapped to  B = L Bt L^T,  g = L gt.  Congruence preserves inertia (Sylvester), so
positive definite / indefinite / singular stays so, and the hard case is a hard
case of the pencil (B, M), which is the one that matters for
min m(s) s.t. ||s||_M <= radius.  Without a metric L = I.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "KINDS",
    "PD_KINDS",
    "HARD_KINDS",
    "Subproblem",
    "make_subproblem",
    "subproblems",
    "spd_systems",
]

#: every kind of instance
KINDS = (
    "posdef",  # SPD, condition number up to 1e3
    "indefinite",  # eigenvalues of both signs (at least one negative)
    "singular",  # rank-deficient PSD (rank 0 .. n-1), generic g
    "illcond",  # SPD with condition number 1e9
    "hard",  # hard case: g orthogonal to the eigenspace of the (negative) smallest eigenvalue
    "zero_g_posdef",  # g = 0, B SPD
    "zero_g_indefinite",  # g = 0, B indefinite (a hard case too)
)
#: kinds whose B is positive definite
PD_KINDS = ("posdef", "illcond", "zero_g_posdef")
#: kinds that are (by construction) instances of the hard case
HARD_KINDS = ("hard", "zero_g_indefinite")

RADIUS_MODES = ("normal", "tiny", "huge")


@dataclass
class Subproblem:
    g: np.ndarray
    B: np.ndarray  # dense, exactly symmetric
    radius: float
    M: np.ndarray | None  # None, 1-D (diagonal of M) or 2-D SPD
    kind: str
    radius_mode: str
    seed: int
    metric: str  # "none" | "diag" | "dense"
    info: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return self.g.size

    @property
    def hard_case(self) -> bool:
        return self.kind in HARD_KINDS

    @property
    def positive_definite(self) -> bool:
        return self.kind in PD_KINDS

    @property
    def M_dense(self) -> np.ndarray:
        if self.M is None:
            return np.eye(self.n)
        if self.M.ndim == 1:
            return np.diag(self.M)
        return self.M


# --------------------------------------------------------------------------- numerics


def _orthogonal(rng, n):
    Z = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(Z)
    return Q * np.sign(np.where(np.diag(R) == 0, 1.0, np.diag(R)))


def _sym(Q, w):
    A = (Q * w) @ Q.T
    return 0.5 * (A + A.T)


def _loguniform(rng, lo, hi):
    return float(10.0 ** rng.uniform(np.log10(lo), np.log10(hi)))


def _metric(rng, n, metric):
    """Return (M as passed to the solver, L with M = L L^T) -- L None for the identity."""
    if metric == "none":
        return None, None
    cond = _loguniform(rng, 1.0, 1e3)
    scale = _loguniform(rng, 0.3, 3.0)
    if metric == "diag":
        d = scale * 10.0 ** rng.uniform(-np.log10(cond), 0.0, size=n)
        return d, np.diag(np.sqrt(d))
    Q = _orthogonal(rng, n)
    ev = scale * 10.0 ** rng.uniform(-np.log10(cond), 0.0, size=n)
    if n > 1:
        ev[0], ev[-1] = scale, scale / cond
    M = _sym(Q, ev)
    return M, np.linalg.cholesky(M)


def _transformed_instance(rng, n, kind, radius_mode):
    """(Bt, gt, radius, info) in the Euclidean coordinates of the metric."""
    b_scale = _loguniform(rng, 0.1, 10.0)
    g_scale = _loguniform(rng, 0.1, 10.0)
    Q = _orthogonal(rng, n)
    info = {}
    gt = rng.standard_normal(n)
    gt *= g_scale / max(np.linalg.norm(gt), 1e-300)

    if kind in ("posdef", "zero_g_posdef"):
        cond = _loguniform(rng, 1.0, 1e3)
        w = b_scale * 10.0 ** rng.uniform(-np.log10(cond), 0.0, size=n)
    elif kind in ("indefinite", "zero_g_indefinite"):
        w = b_scale * rng.uniform(-1.0, 1.0, size=n)
        w[rng.integers(n)] = -b_scale * rng.uniform(0.05, 1.0)  # at least one negative
    elif kind == "singular":
        rank = int(rng.integers(0, n))  # 0 .. n-1
        w = np.zeros(n)
        w[:rank] = b_scale * 10.0 ** rng.uniform(-2.0, 0.0, size=rank)
        info["rank"] = rank
    elif kind == "illcond":
        w = b_scale * np.logspace(0.0, -9.0, n) if n > 1 else np.array([b_scale])
        rng.shuffle(w)
    elif kind == "hard":
        mult = int(min(n, rng.integers(1, 3)))  # multiplicity 1 or 2
        w1 = -b_scale * rng.uniform(0.05, 1.0)
        gap = b_scale * rng.uniform(0.05, 1.0)
        rest = w1 + gap + b_scale * rng.uniform(0.0, 2.0, size=n - mult)
        w = np.concatenate([np.full(mult, w1), rest])
        c = rng.standard_normal(n - mult)
        if n > mult:
            c *= g_scale / np.linalg.norm(c)
        gt = Q[:, mult:] @ c  # orthogonal to the w1-eigenspace
        p = -Q[:, mult:] @ (c / (rest - w1))  # pseudo-inverse solution at lam = -w1
        pnorm = float(np.linalg.norm(p))
        info.update(multiplicity=mult, min_eig=w1, pinv_norm=pnorm)
    else:  # pragma: no cover
        raise ValueError(kind)

    if kind.startswith("zero_g"):
        gt = np.zeros(n)

    Bt = _sym(Q, w)
    # radius
    if radius_mode == "tiny":
        radius = _loguniform(rng, 1e-9, 1e-7)
    elif radius_mode == "huge":
        radius = _loguniform(rng, 1e7, 1e9)
    elif kind == "hard":
        base = info["pinv_norm"] if info["pinv_norm"] > 0 else g_scale / b_scale
        radius = base * _loguniform(rng, 1.1, 10.0)
    elif kind in ("posdef", "illcond"):
        newton_norm = float(np.linalg.norm(np.linalg.solve(Bt, gt)))
        # mix of interior and boundary solutions
        radius = newton_norm * _loguniform(rng, 0.03, 3.0)
    else:
        radius = (g_scale / b_scale) * _loguniform(rng, 0.01, 100.0)
    if not radius > 0:
        radius = 1.0
    info["eigenvalues"] = w
    return Bt, gt, float(radius), info


@st.composite
def subproblems(draw, kinds=KINDS, min_n=1, max_n=60, metric=True, radius_modes=RADIUS_MODES):
    """Strategy for :class:`Subproblem` instances.

    kinds:        subset of :data:`KINDS`
    metric:       False (Euclidean only), True (None / diagonal / dense SPD M), or a
                  tuple of metric names from ("none", "diag", "dense")
    radius_modes: subset of ("normal", "tiny", "huge")
    """
    n = draw(st.integers(min_n, max_n), label="n")
    kind = draw(st.sampled_from(tuple(kinds)), label="kind")
    radius_mode = draw(st.sampled_from(tuple(radius_modes)), label="radius_mode")
    if kind == "hard" and radius_mode == "tiny":
        # a radius below ||pinv solution|| would not be the hard case any more
        radius_mode = "normal"
    if metric is True:
        metrics = ("none", "diag", "dense")
    elif metric is False:
        metrics = ("none",)
    else:
        metrics = tuple(metric)
    mname = draw(st.sampled_from(metrics), label="metric")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    return make_subproblem(n, kind, radius_mode, mname, seed)


def make_subproblem(n, kind, radius_mode="normal", metric="none", seed=0) -> Subproblem:
    """The instance that :func:`subproblems` builds for these choices (for reproducers)."""
    if kind == "hard" and radius_mode == "tiny":
        radius_mode = "normal"
    rng = np.random.default_rng(seed)
    Bt, gt, radius, info = _transformed_instance(rng, n, kind, radius_mode)
    M, L = _metric(rng, n, metric)
    if L is None:
        B, g = Bt, gt
    else:
        B = L @ Bt @ L.T
        B = 0.5 * (B + B.T)
        g = L @ gt
    return Subproblem(
        g=np.ascontiguousarray(g, dtype=float),
        B=np.ascontiguousarray(B, dtype=float),
        radius=radius,
        M=M,
        kind=kind,
        radius_mode=radius_mode,
        seed=seed,
        metric=metric,
        info=info,
    )


@st.composite
def spd_systems(draw, min_n=1, max_n=60, max_log_cond=4.0):
    """(A, b, seed) with A SPD (condition number up to 10**max_log_cond) and b != 0."""
    n = draw(st.integers(min_n, max_n), label="n")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    cond = 10.0 ** rng.uniform(0.0, max_log_cond)
    scale = _loguniform(rng, 0.1, 10.0)
    w = scale * 10.0 ** rng.uniform(-np.log10(cond), 0.0, size=n)
    A = _sym(_orthogonal(rng, n), w)
    b = rng.standard_normal(n) * _loguniform(rng, 0.1, 10.0)
    return A, b, seed
