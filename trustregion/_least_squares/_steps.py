"""The trust-region subproblem of least squares: the Gauss–Newton model in a scaled region.

At x with residuals f and Jacobian J (both already rescaled for a robust loss), the step
solves

    min_p  m(p) = ½‖f + Jp‖²   subject to   ‖Dp‖ ≤ Δ   (and lo ≤ x + p ≤ hi),

with D the diagonal scaling of the variables (Moré 1978). Three solvers, one per kind of
problem:

* :class:`ExactGaussNewton` — dense J, no bounds: the Levenberg–Marquardt step
  p(λ) = -(JᵀJ + λD²)⁻¹Jᵀf with λ from Moré's safeguarded Newton iteration on
  ‖Dp(λ)‖ = Δ, from one SVD of JD⁻¹ per Jacobian, so that J is never squared (JᵀJ would
  square the condition numbers the NIST problems are made of).
* :func:`krylov_step` — J sparse or a LinearOperator: Steihaug–Toint CG (or GLTR) on
  JᵀJ, applied as Jᵀ(Jv), in the D-norm (which preconditions it).
* :func:`bounded_step` — with bounds: TRON's projected step (generalised Cauchy point,
  then CG on the free variables) on the same model in the scaled variables Dx.

Each returns a :class:`GaussNewtonStep`.

References
----------
J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory", in
Numerical Analysis (G. A. Watson, ed.), Lecture Notes in Mathematics 630, Springer,
1978, pp. 105–116.
C.-J. Lin and J. J. Moré, "Newton's method for large bound-constrained optimization
problems", SIAM J. Optim. 9(4), 1999.
"""

from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse.linalg import splu

from .. import _kernels as K
from .._minimize._bounds import Box, tron_step
from .._validation import vector_norm
from ..operators import GaussNewtonOperator
from ..subproblems import solve_subproblem
from ._loss import row_scaled

_EPS = np.finfo(np.float64).eps
# Moré (1978), §5: λ is accepted once ‖Dp(λ)‖ is within 10% of Δ, which keeps the
# iteration to one or two SVD-basis evaluations without weakening the convergence theory.
_RADIUS_RTOL = 0.1
_MAX_NEWTON = 10


class GaussNewtonStep(NamedTuple):
    """A step p with its predicted reduction m(0) - m(p) ≥ 0 and its λ (0 inside the
    region or where the solver does not compute one)."""

    p: np.ndarray
    predicted_reduction: float
    multiplier: float


class ExactGaussNewton:
    """The Levenberg–Marquardt subproblem for one dense J, factorised once.

    With the SVD JD⁻¹ = U diag(σ) Vᵀ and c = Uᵀf (:func:`trustregion._kernels.
    scaled_svd` up to ``JACOBI_MAX_COLUMNS`` columns, LAPACK's gesdd beyond), the scaled
    step y = Dp is

        y(λ) = -V diag(σᵢ / (σᵢ² + λ)) c,    ‖y(λ)‖² = Σ (σᵢcᵢ / (σᵢ² + λ))²,

    so each trial λ costs O(n), and the steps tried after a rejection (same J, smaller Δ)
    cost no new factorisation (:func:`trustregion._kernels.svd_tr_step`). Singular values
    below σ₁·max(m, n)·u count as zero: the Gauss–Newton step (λ = 0) is then the
    minimum-norm one. The iteration kernel factorises and steps the same way when it
    runs the whole iteration (a dense J with the linear loss).
    """

    def __init__(self, J: np.ndarray, f: np.ndarray, d: np.ndarray):
        m, n = J.shape
        self.d = d
        if n <= K.JACOBI_MAX_COLUMNS:
            self.sigma, self.c, self.Vt = np.empty(n), np.empty(n), np.empty((n, n))
            largest = K.scaled_svd(
                np.ascontiguousarray(J),
                f,
                d,
                np.empty((n, m)),
                np.empty(m),
                self.sigma,
                self.c,
                self.Vt,
            )
        else:
            U, self.sigma, self.Vt = _svd(J / d)
            self.c = U.T @ f
            largest = self.sigma[0] if self.sigma.size else 0.0
        self.cutoff = largest * max(m, n) * _EPS

    def step(self, radius: float, multiplier: float) -> GaussNewtonStep:
        """The step for region Δ = ``radius``. ``multiplier`` (the last λ, which MINPACK
        starts from) is not needed: the kernel brackets λ itself, in O(n) per trial."""
        p = np.empty(self.Vt.shape[1])
        z = np.empty_like(self.c)
        lam, predicted = K.svd_tr_step(
            self.sigma, self.c, self.Vt, self.d, self.cutoff, radius, _RADIUS_RTOL, z, p
        )
        return GaussNewtonStep(p, predicted, lam)


def _svd(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The thin SVD of A by LAPACK directly (numpy's wrapper costs three times the
    factorisation of small matrices); QR iteration (gesvd) where divide and conquer
    (gesdd) fails to converge."""
    U, sigma, Vt, info = lapack.dgesdd(A, full_matrices=0)
    if info != 0:
        U, sigma, Vt, info = lapack.dgesvd(A, full_matrices=0)
    if info != 0:
        raise np.linalg.LinAlgError(f"the SVD of the scaled Jacobian failed (LAPACK info {info})")
    return U, sigma, Vt


def krylov_step(
    J: Any, g: np.ndarray, d: np.ndarray, radius: float, method: str, options: dict
) -> GaussNewtonStep:
    """The step by an iterative method on JᵀJ (never formed) in the norm ‖Dp‖, for the
    model's gradient g = Jᵀf.

    ``method`` is ``"steihaug"`` or ``"gltr"`` (see :func:`trustregion.solve_subproblem`);
    the metric D² is the Jacobi preconditioner of JᵀJ when D holds J's column norms.
    """
    step = solve_subproblem(
        g,
        GaussNewtonOperator(J),
        radius,
        method=method,
        M=d * d,
        **options,
    )
    return GaussNewtonStep(step.s, float(step.predicted_reduction), step.multiplier or 0.0)


def bounded_step(
    J: Any, g: np.ndarray, d: np.ndarray, radius: float, x: np.ndarray, box: Box
) -> GaussNewtonStep:
    """TRON's projected step in the scaled variables u = Dx, whose region is a ball, for
    the model's gradient g = Jᵀf.

    The model is ½‖f + (JD⁻¹)w‖² with w = Dp (gradient D⁻¹g), the box (D·lo, D·hi); the
    step returned is p = w/D, feasible for the original box up to the driver's final
    projection.
    """
    A = _column_scaled(J, 1.0 / d)
    scaled_box = Box(d * box.lo, d * box.hi)
    step = tron_step(g / d, GaussNewtonOperator(A), radius, d * x, scaled_box, rtol=0.1)
    return GaussNewtonStep(step.s / d, float(step.predicted_reduction), 0.0)


def _column_scaled(J: Any, w: np.ndarray) -> Any:
    """J diag(w), in J's own form."""
    if isinstance(J, np.ndarray):
        return J * w
    if sp.issparse(J):
        return (J @ sp.diags(w)).tocsr()
    return row_scaled(J.T, w).T


class SparseGaussNewton:
    """The Levenberg–Marquardt subproblem for a sparse J, by sparse LU factorisations of
    the augmented system (Björck 1996, §7.1)

        [ I    J   ] [r]   [-f]
        [ Jᵀ  -λD² ] [p] = [ 0],   that is (JᵀJ + λD²) p = -Jᵀf,  r = -(f + Jp),

    which keeps J's sparsity and its condition number (JᵀJ would square it), with λ from
    the same safeguarded Newton iteration as :class:`ExactGaussNewton`: φ'(λ) comes from a
    second solve with the same factors. Each λ tried costs one factorisation.
    """

    def __init__(self, J: Any, f: np.ndarray, d: np.ndarray):
        self.J = sp.csr_matrix(J)
        self.f, self.d = f, d
        self.m, self.n = self.J.shape
        self.g = np.asarray(self.J.T @ f).ravel()
        self.gradient_norm = float(vector_norm(self.g / d))
        top = sp.hstack([sp.identity(self.m, format="csr"), self.J])
        self._top = top
        self._cache: dict[float, Any] = {}

    def _factor(self, lam: float) -> Any:
        if lam not in self._cache:
            bottom = sp.hstack([self.J.T, sp.diags(-lam * self.d * self.d)])
            system = sp.vstack([self._top, bottom], format="csc")
            self._cache = {lam: splu(system, permc_spec="COLAMD")}
        return self._cache[lam]

    def _solve(self, lam: float) -> np.ndarray | None:
        try:
            lu = self._factor(lam)
        except RuntimeError:  # exactly singular: J rank-deficient and λ = 0
            return None
        p = lu.solve(np.concatenate([-self.f, np.zeros(self.n)]))[self.m :]
        return p if np.isfinite(p).all() else None

    def step(self, radius: float, multiplier: float) -> GaussNewtonStep:
        """As :meth:`ExactGaussNewton.step`."""
        if self.gradient_norm == 0.0:
            return GaussNewtonStep(np.zeros(self.n), 0.0, 0.0)
        p = self._solve(0.0)
        if p is not None and vector_norm(self.d * p) <= (1.0 + _RADIUS_RTOL) * radius:
            return self._step(p, 0.0)
        lam = self._multiplier(radius, multiplier)
        p = self._solve(lam)
        if p is None:  # λ > 0 makes the system nonsingular; only rounding gets here
            return GaussNewtonStep(np.zeros(self.n), 0.0, lam)
        return self._step(p, lam)

    def _step(self, p: np.ndarray, lam: float) -> GaussNewtonStep:
        Jp = self.J @ p
        predicted = -(float(self.g @ p) + 0.5 * float(Jp @ Jp))
        return GaussNewtonStep(p, max(predicted, 0.0), lam)

    def _multiplier(self, radius: float, lam: float) -> float:
        """λ > 0 with |‖Dp(λ)‖ - Δ| ≤ 0.1Δ, Newton's method on 1/‖Dp(λ)‖ in [l, u]."""
        lower, upper = 0.0, self.gradient_norm / radius
        if not lower < lam < upper:
            lam = 1e-3 * upper
        for _ in range(_MAX_NEWTON):
            if not lower < lam < upper:
                lam = max(np.sqrt(lower * upper), 1e-3 * upper)
            p = self._solve(lam)
            if p is None:
                lower = lam
                continue
            size = vector_norm(self.d * p)
            phi = size - radius
            if abs(phi) <= _RADIUS_RTOL * radius:
                break
            if phi > 0.0:
                lower = max(lower, lam)
            else:
                upper = min(upper, lam)
            # q = (JᵀJ + λD²)⁻¹D²p from the same factors: d‖Dp‖/dλ = -pᵀD²q/‖Dp‖
            d2p = self.d * self.d * p
            q = self._factor(lam).solve(np.concatenate([np.zeros(self.m), -d2p]))[self.m :]
            slope = float(d2p @ q)
            if not slope > 0.0:
                break
            lam += phi / radius * size**2 / slope
        return lam
