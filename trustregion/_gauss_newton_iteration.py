"""Numba kernels: the Levenberg–Marquardt iteration of ``least_squares`` as one state
machine.

:func:`advance` runs the outer loop of :func:`trustregion.least_squares` (Moré 1978;
MINPACK's ``lmder``: the gtol test, the step in the scaled region ‖Dp‖ ≤ Δ, the ratio
test, the update of Δ and λ, the ftol and xtol tests and their confirmation) for one
problem in reverse-communication style, as :mod:`trustregion._iteration` does for
``minimize``: it runs until it needs something it cannot compute itself and returns a
``REQUEST_*`` code; the caller writes the value where the request says and calls again.
Three callers serve the requests, so the algorithm is written once:

* ``least_squares`` on Python functions, one kernel call per request;
* the compiled loop (:func:`compiled_loop`) on the user's ``numba.njit`` functions, which
  never returns to Python until the run ends;
* ``least_squares_batch``, which advances B problems in lockstep (:func:`advance_batch`)
  and serves each kind of request for all of them with one vectorised call.

Two modes (``I_MODE``):

* ``MODE_DENSE``: a dense J, no bounds, the linear loss. The kernel builds the model
  (∇F = Jᵀf, J's column norms, Moré's D) itself, factorises JD⁻¹ by an SVD once per
  iterate, and takes the exact Levenberg–Marquardt step (:func:`~trustregion._kernels.
  svd_tr_step`); the caller only evaluates f and J.
* ``MODE_DRIVER``: anything else (a sparse J or an operator, bounds, a robust loss, an
  iterative subproblem solver). The caller builds the model when it evaluates J
  (``REQUEST_J``), computes each step (``REQUEST_STEP``) and, for a robust loss, the cost
  of each trial (``REQUEST_F``); the kernel runs the rest.

A problem's state is the caller's arrays: ``vectors`` (V_ROWS, n), rows ``V_*`` (x, ∇F,
the scaling D, the gtol denominators ‖J_:j‖·‖ρ'f‖, the trial point, the step, the SVD's
σ, Uᵀf and y, and work); ``residuals`` (3, m), f at x and at the trial point and work;
``jacobians`` (3, m, n), J at x and at the trial point and work, and ``vt`` (n, n), the
SVD's Vᵀ (these two (3, 0, 0) and (0, 0) in MODE_DRIVER); ``real`` and ``ints``, the
``R_*`` and ``I_*`` slots; ``box`` (2, n), the bounds' rows, or (2, 0) without; ``options``, the ``O_*``
slots. Status codes are :class:`trustregion.LeastSquaresStatus` values (a test holds
them to the enum).

References
----------
J. J. Moré, "The Levenberg–Marquardt algorithm: implementation and theory", Lecture
Notes in Mathematics 630, Springer, 1978. J. J. Moré, B. S. Garbow, K. E. Hillstrom,
*User guide for MINPACK-1*, Argonne ANL-80-74, 1980.
"""

import functools

import numpy as np
from numba import njit, types

from ._kernels import (
    _CACHE,
    _FASTMATH,
    all_finite,
    gauss_newton_model,
    half_sum_of_squares,
    max_ratio,
    norm2,
    scaled_svd,
    svd_tr_step,
    trial_point,
)

# Requests: what the caller must supply before the next call.
REQUEST_NONE = 0  # the run has ended: I_STATUS says why
REQUEST_F = 1  # f at row V_TRIAL into residuals[1] (and, with O_CALLER_COST, F there
# into R_COST_TRIAL); a non-finite entry rejects the step
REQUEST_J = 2  # J at row V_TRIAL: MODE_DENSE, into jacobians[1]; MODE_DRIVER, I_J_FINITE
# and, where J is finite, the model there (rows V_G, V_ANGLE; V_D raised where it follows J)
REQUEST_STEP = 3  # (MODE_DRIVER) the step for R_RADIUS and R_LAM: row V_P, R_PRED, R_STEP_LAM
REQUEST_REPORT = 4  # (O_REPORT) an outer iteration has ended; I_PENDING says how. The
# caller may set I_STOP (the callback asked to stop) before the next call.

MODE_DENSE = 0
MODE_DRIVER = 1

# Rows of ``vectors``.
V_X = 0
V_G = 1  # ∇F = J̃ᵀf̃, of the model's (for a robust loss, rescaled) J̃ and f̃
V_D = 2  # Moré's scaling D
V_ANGLE = 3  # ‖J_:j‖·‖ρ'f‖, the gtol test's denominators (all ‖ρ'f‖ for an operator J)
V_TRIAL = 4
V_P = 5  # the step
V_SIGMA = 6  # the singular values of JD⁻¹
V_C = 7  # Uᵀf
V_Z = 8  # y = VᵀDp
V_WORK = 9
V_ROWS = 10

# Float slots of ``real``.
R_COST = 0  # F(x) = ½Σρ(fᵢ²)
R_COST_TRIAL = 1
R_RADIUS = 2
R_LAM = 3  # λ, which MODE_DRIVER's Levenberg–Marquardt solvers start from
R_INITIAL_COST = 4
R_SCALED_NORM = 5  # ‖Dx‖, for the xtol test
R_PRED = 6  # the step's predicted reduction
R_STEP_LAM = 7  # the step's λ (0: the Gauss–Newton step, or a solver without one)
R_STEP_NORM = 8  # ‖Ds‖ of the step s actually taken (projected onto the box)
R_SLOPE = 9  # ∇Fᵀs
R_ACTUAL = 10  # the trial's actual reduction
R_RATIO = 11
R_CUTOFF = 12  # singular values at most this count as zero
REAL_SIZE = 13

# Integer slots of ``ints``.
I_PHASE = 0
I_STATUS = 1
I_PENDING = 2  # the status an outer iteration ended with (RUNNING: none)
I_NIT = 3
I_NFEV = 4  # written by the caller before each call
I_NONFINITE = 5  # trials rejected for a non-finite f or J
I_GAUSS_NEWTON = 6  # whether the last trial was the step with λ = 0 (no bounds)
I_F_FINITE = 7
I_J_FINITE = 8  # written by the caller at REQUEST_J in MODE_DRIVER
I_STOP = 9  # written by the caller at REQUEST_REPORT
I_MODE = 10
INTS_SIZE = 11

# Slots of ``options``.
O_FTOL = 0
O_XTOL = 1
O_GTOL = 2
O_MAX_NFEV = 3
O_UPDATE_SCALE = 4  # 1.0: D follows the running maximum of J's column norms
O_CALLER_COST = 5  # 1.0: the caller computes F (a robust loss)
O_REPORT = 6  # 1.0: REQUEST_REPORT after every outer iteration
O_PRECISION = 7  # the unit roundoff of the residuals fun computes
OPTIONS_SIZE = 8

# Phases: where the next call resumes.
_START = 0
_CHECK = 1
_TRY = 2
_STEP_READY = 3
_TRIAL_F = 4
_TRIAL_J = 5
_REPORTED = 6
_DONE = 7
# (never stored)
_STEPPED = 8
_JUDGE = 9
_END_OUTER = 10

# LeastSquaresStatus codes.
RUNNING = -100  # (I_PENDING) the outer iterations go on
NO_PROGRESS = -4
NONFINITE = -3
CALLBACK = -2
MAX_NFEV = 0
GTOL = 1
FTOL = 2
XTOL = 3
FTOL_AND_XTOL = 4

# A step is taken when it achieves this share of its predicted reduction (MINPACK).
_ACCEPT = 1e-4
# Moré (1978), §5: λ is accepted once ‖Dp(λ)‖ is within 10% of Δ.
_RADIUS_RTOL = 0.1
_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _free_gradient(vectors, box):
    """Row V_WORK = ∇F with the components that push against an active bound set to
    zero: x - P(x - ∇F), the negated projected gradient (∇F itself without bounds)."""
    x, g, out = vectors[V_X], vectors[V_G], vectors[V_WORK]
    bounded = box.shape[1] > 0
    for j in range(x.shape[0]):
        if bounded:
            out[j] = -(min(max(x[j] - g[j], box[0, j]), box[1, j]) - x[j])
        else:
            out[j] = g[j]
    return out


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _gradient_measure(vectors, box):
    """maxⱼ |gⱼ| / (‖J_:j‖·‖ρ'f‖) over the variables free to move (0 where a
    denominator vanishes): MINPACK's gtol test, the cosine between ρ'f and each column of
    J."""
    return max_ratio(_free_gradient(vectors, box), vectors[V_ANGLE])


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _dense_model(vectors, f, jac, options):
    """MODE_DENSE's model at x (f, J): ∇F = Jᵀf, D raised to J's column norms (where it
    follows them), and the gtol denominators ‖J_:j‖·‖f‖."""
    gauss_newton_model(
        jac, jac, f, vectors[V_D], options[O_UPDATE_SCALE] != 0.0, vectors[V_G], vectors[V_ANGLE]
    )
    size = norm2(f)
    for j in range(vectors.shape[1]):
        vectors[V_ANGLE, j] *= size


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _factorise(vectors, residuals, jacobians, vt, real):
    """The SVD JD⁻¹ = U diag(σ) Vᵀ at x (:func:`~trustregion._kernels.scaled_svd`): σ into
    row V_SIGMA, c = Uᵀf into row V_C, Vᵀ into ``vt``, and the cutoff σ₁·max(m, n)·u
    below which σᵢ counts as zero."""
    m, n = jacobians.shape[1], jacobians.shape[2]
    largest = scaled_svd(
        jacobians[0], residuals[0], vectors[V_D], jacobians[2].reshape((n, m)), residuals[2],
        vectors[V_SIGMA], vectors[V_C], vt,
    )  # fmt: skip
    real[R_CUTOFF] = largest * max(m, n) * _EPS


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _scaled_norm(vectors):
    """‖Dx‖, the xtol test's scale."""
    work = vectors[V_WORK]
    for j in range(vectors.shape[1]):
        work[j] = vectors[V_D, j] * vectors[V_X, j]
    return norm2(work)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _updated_region(real, cost_ratio):
    """Δ and λ after a trial (MINPACK's lmder, Moré 1978 §4): shrink to
    μ·min(Δ, 10‖Dp‖) when ρ ≤ ¼, with μ the minimiser of the quadratic that interpolates
    F along p clipped to [0.1, ½]; double to 2‖Dp‖ when ρ ≥ ¾ or λ = 0."""
    ratio, actual, slope = real[R_RATIO], real[R_ACTUAL], real[R_SLOPE]
    radius, lam, step_norm = real[R_RADIUS], real[R_LAM], real[R_STEP_NORM]
    if ratio <= 0.25:
        if actual >= 0.0:
            mu = 0.5
        elif np.isfinite(actual) and cost_ratio < 100.0 and slope + actual < 0.0:
            mu = min(0.5, max(0.1, 0.5 * slope / (slope + actual)))
        else:
            mu = 0.1  # F grew a hundredfold, or could not be evaluated
        real[R_RADIUS] = mu * min(radius, 10.0 * step_norm)
        real[R_LAM] = lam / mu
    elif lam == 0.0 or ratio >= 0.75:
        real[R_RADIUS] = 2.0 * step_norm
        real[R_LAM] = 0.5 * lam


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _termination(real, options):
    """MINPACK's ftol and xtol tests after a trial (at the current x), or RUNNING."""
    scale = real[R_COST]
    actual, ftol = real[R_ACTUAL], options[O_FTOL]
    small_f = (
        np.isfinite(actual)
        and abs(actual) <= ftol * scale
        and real[R_PRED] <= ftol * scale
        and real[R_RATIO] <= 2.0
    )
    xtol = options[O_XTOL]
    small_x = real[R_RADIUS] <= xtol * (xtol + real[R_SCALED_NORM])
    if small_f and small_x:
        return FTOL_AND_XTOL
    if small_f:
        return FTOL
    return XTOL if small_x else RUNNING


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _confirmed(status, vectors, real, ints, box, options):
    """ftol and xtol stop on small changes; report success only where the gradient agrees
    (or the residuals have vanished), else say why the iteration could not go on.

    An xtol stop after a Gauss–Newton step (λ = 0, inside the region) is one too: the
    iteration ended because that step became negligible, not because the region
    collapsed around a point it could not leave. Two gradient measures, since each fails
    somewhere: the cosine of gtol, and Dennis & Schnabel's relative gradient
    maxⱼ |gⱼ|·max(|xⱼ|, 1)/F (1996, §7.2) — where a column of J vanishes at a minimiser
    with nonzero residuals (f = x² + 5 at x = 0) the cosine stays 1 while the relative
    gradient goes to 0. Both are compared with the fourth root of the residuals' unit
    roundoff."""
    if status != FTOL and status != XTOL and status != FTOL_AND_XTOL:
        return status
    precision = options[O_PRECISION]
    critical = precision**0.25
    g = _free_gradient(vectors, box)
    x = vectors[V_X]
    relative = 0.0
    for j in range(x.shape[0]):
        relative = max(relative, abs(g[j]) * max(abs(x[j]), 1.0))
    relative /= max(real[R_COST], _TINY)
    if (
        (ints[I_GAUSS_NEWTON] and status != FTOL)
        or _gradient_measure(vectors, box) <= critical
        or relative <= critical
        or real[R_COST] <= precision * real[R_INITIAL_COST]
    ):
        return status
    return NONFINITE if ints[I_NONFINITE] else NO_PROGRESS


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _move(vectors, residuals, jacobians, real, ints, options):
    """Take the trial point: x, f, F (and in MODE_DENSE J and the model) move there."""
    n, m = vectors.shape[1], residuals.shape[1]
    for j in range(n):
        vectors[V_X, j] = vectors[V_TRIAL, j]
    for i in range(m):
        residuals[0, i] = residuals[1, i]
    real[R_COST] = real[R_COST_TRIAL]
    if ints[I_MODE] == MODE_DENSE:
        for i in range(m):
            for j in range(n):
                jacobians[0, i, j] = jacobians[1, i, j]
        _dense_model(vectors, residuals[0], jacobians[0], options)
    real[R_SCALED_NORM] = _scaled_norm(vectors)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def advance(vectors, residuals, jacobians, vt, real, ints, box, options):
    """Run a problem's iteration from its phase until the next request; return it.

    Start with ``I_PHASE`` 0, x = x₀ in row V_X, f(x₀) in ``residuals[0]``, the initial D
    in row V_D (1/x_scale, or zeros where D follows J's column norms), and: in
    MODE_DENSE, J(x₀) in ``jacobians[0]``; in MODE_DRIVER, the model at x₀ in rows V_G
    and V_ANGLE (D raised) and, with O_CALLER_COST, F(x₀) in R_COST.

    Each outer iteration (MINPACK's ``lmder``): stop if the gtol test holds; then try
    steps from this x (a new one after each rejection, in the shrunken region) until one
    is taken (ρ ≥ 10⁻⁴) or a termination test holds. A non-finite f, or a non-finite J at
    a point the ratio test accepts, rejects the step and shrinks Δ tenfold. The first
    step's ‖Dp‖ caps Δ₀. The ftol and xtol stops are confirmed against the gradient.
    """
    n, m = vectors.shape[1], residuals.shape[1]
    dense = ints[I_MODE] == MODE_DENSE
    if (
        vectors.shape[0] < V_ROWS
        or residuals.shape[0] != 3
        or real.shape[0] < REAL_SIZE
        or ints.shape[0] < INTS_SIZE
        or box.shape[0] != 2
        or (box.shape[1] != 0 and box.shape[1] != n)
        or options.shape[0] < OPTIONS_SIZE
        or (
            dense
            and (
                jacobians.shape[0] != 3
                or jacobians.shape[1] != m
                or jacobians.shape[2] != n
                or vt.shape[0] != n
                or vt.shape[1] != n
                or box.shape[1] != 0
            )
        )
    ):
        raise ValueError("advance: the state arrays do not match x and f")
    phase = ints[I_PHASE]
    if phase == _DONE:
        return REQUEST_NONE
    while True:
        if phase == _START:
            if options[O_CALLER_COST] == 0.0:
                real[R_COST] = half_sum_of_squares(residuals[0])
            if dense:
                _dense_model(vectors, residuals[0], jacobians[0], options)
            d = vectors[V_D]
            for j in range(n):
                if d[j] == 0.0:  # a zero column, or an operator's J (no column norms)
                    d[j] = 1.0
            real[R_INITIAL_COST] = real[R_COST]
            scaled = _scaled_norm(vectors)
            real[R_SCALED_NORM] = scaled
            # Δ₀ = ‖Dx₀‖ (MINPACK: 100‖Dx₀‖, which sends BoxBOD and MGH09 from NIST's
            # first starts off to plateaus); 1 at x₀ = 0, as scipy's.
            real[R_RADIUS] = scaled if scaled > 0.0 else 1.0
            ints[I_PENDING] = RUNNING
            phase = _CHECK
        if phase == _CHECK:
            if _gradient_measure(vectors, box) <= options[O_GTOL]:
                ints[I_PENDING] = GTOL
                phase = _END_OUTER
            else:
                if dense:
                    _factorise(vectors, residuals, jacobians, vt, real)
                ints[I_NIT] += 1
                phase = _TRY
        if phase == _TRY:
            if ints[I_NFEV] >= options[O_MAX_NFEV]:
                ints[I_PENDING] = MAX_NFEV
                phase = _END_OUTER
            elif dense:
                real[R_STEP_LAM], real[R_PRED] = svd_tr_step(
                    vectors[V_SIGMA], vectors[V_C], vt, vectors[V_D], real[R_CUTOFF],
                    real[R_RADIUS], _RADIUS_RTOL, vectors[V_Z], vectors[V_P],
                )  # fmt: skip
                phase = _STEPPED
            else:
                ints[I_PHASE] = _STEP_READY
                return REQUEST_STEP
        if phase == _STEP_READY:
            phase = _STEPPED
        if phase == _STEPPED:
            step_norm, slope, finite = trial_point(
                vectors[V_X], vectors[V_P], vectors[V_D], vectors[V_G], box[0], box[1],
                vectors[V_TRIAL],
            )  # fmt: skip
            real[R_STEP_NORM], real[R_SLOPE] = step_norm, slope
            ints[I_GAUSS_NEWTON] = real[R_STEP_LAM] == 0.0 and box.shape[1] == 0
            if ints[I_NIT] == 1 and ints[I_NONFINITE] == 0:
                real[R_RADIUS] = min(real[R_RADIUS], step_norm)  # lmder: the first step sets Δ
            if finite:
                ints[I_PHASE] = _TRIAL_F
                return REQUEST_F
            ints[I_F_FINITE] = 0
            real[R_COST_TRIAL] = np.inf
            real[R_ACTUAL] = -np.inf
            real[R_RATIO] = -np.inf
            phase = _JUDGE
        if phase == _TRIAL_F:
            finite = all_finite(residuals[1])
            ints[I_F_FINITE] = finite
            if not finite:
                real[R_COST_TRIAL] = np.inf
            elif options[O_CALLER_COST] == 0.0:
                real[R_COST_TRIAL] = half_sum_of_squares(residuals[1])
            cost = real[R_COST_TRIAL]
            real[R_ACTUAL] = real[R_COST] - cost
            pred = real[R_PRED]
            real[R_RATIO] = real[R_ACTUAL] / pred if pred > 0.0 and np.isfinite(cost) else -np.inf
            if finite and real[R_RATIO] >= _ACCEPT:
                ints[I_PHASE] = _TRIAL_J
                return REQUEST_J
            phase = _JUDGE
        if phase == _TRIAL_J:
            if dense:
                ints[I_J_FINITE] = all_finite(jacobians[1].ravel())
            phase = _JUDGE
        if phase == _JUDGE:
            accepted = real[R_RATIO] >= _ACCEPT
            if not ints[I_F_FINITE] or (accepted and not ints[I_J_FINITE]):
                # Not finite: rejected (a point without a finite J cannot be the next
                # iterate), and the region shrinks tenfold.
                ints[I_NONFINITE] += 1
                real[R_RATIO] = -np.inf
                real[R_ACTUAL] = -np.inf
                accepted = False
            _updated_region(real, real[R_COST_TRIAL] / max(real[R_COST], 1e-300))
            status = _termination(real, options)
            if accepted:
                _move(vectors, residuals, jacobians, real, ints, options)
            if accepted or status != RUNNING:
                ints[I_PENDING] = status
                phase = _END_OUTER
            else:
                phase = _TRY
                continue
        if phase == _END_OUTER:
            if options[O_REPORT] != 0.0:
                ints[I_PHASE] = _REPORTED
                return REQUEST_REPORT
            phase = _REPORTED
        if phase == _REPORTED:
            status = ints[I_PENDING]
            if status == RUNNING and ints[I_STOP]:
                status = CALLBACK
            if status == RUNNING:
                phase = _CHECK
                continue
            ints[I_STATUS] = _confirmed(status, vectors, real, ints, box, options)
            ints[I_PHASE] = _DONE
            return REQUEST_NONE


@njit(cache=_CACHE, fastmath=_FASTMATH)
def advance_batch(
    vectors, residuals, jacobians, vt, real, ints, options, counts, requests, points, f, jac
):
    """:func:`advance` in MODE_DENSE for each problem of a batch that has not ended, in
    lockstep.

    One problem per leading index of every array. ``requests`` holds each problem's
    request of the last round (REQUEST_NONE before the first), at its point in
    ``points`` (B, n); the caller has evaluated the residuals ``f`` (B, m) and the
    Jacobians ``jac`` (B, m, n) at all the points. Each problem reads its row of the
    kind it asked for and, when it asked for f and then takes the step, its row of
    ``jac`` at the same point at once: so a round is one evaluation of each function and
    a problem advances by a whole trial in it. What a problem reads is counted in
    ``counts`` (B, 2) (nfev, njev). Each problem then advances to its next request,
    written into ``requests``, with its trial point in ``points``. Returns how many
    problems are still running.
    """
    batch, n = vectors.shape[0], vectors.shape[2]
    m = residuals.shape[2]
    if (
        residuals.shape[0] != batch
        or jacobians.shape[0] != batch
        or vt.shape[0] != batch
        or real.shape[0] != batch
        or ints.shape[0] != batch
        or counts.shape[0] != batch
        or counts.shape[1] < 2
        or requests.shape[0] != batch
        or points.shape[0] != batch
        or points.shape[1] != n
        or f.shape[0] != batch
        or f.shape[1] != m
        or jac.shape[0] != batch
        or jac.shape[1] != m
        or jac.shape[2] != n
    ):
        raise ValueError("advance_batch: the arrays do not have one row per problem")
    no_box = np.empty((2, 0))
    running = 0
    for b in range(batch):
        if ints[b, I_PHASE] == _DONE:
            requests[b] = REQUEST_NONE
            continue
        request = requests[b]
        if request == REQUEST_F:
            counts[b, 0] += 1
            for i in range(m):
                residuals[b, 1, i] = f[b, i]
        while True:
            if request == REQUEST_J:
                counts[b, 1] += 1
                for i in range(m):
                    for j in range(n):
                        jacobians[b, 1, i, j] = jac[b, i, j]
            ints[b, I_NFEV] = counts[b, 0]
            previous = request
            request = advance(
                vectors[b], residuals[b], jacobians[b], vt[b], real[b], ints[b], no_box, options
            )
            # J at the point whose f was just read has been evaluated too: take it now.
            if not (previous == REQUEST_F and request == REQUEST_J):
                break
        requests[b] = request
        for j in range(n):
            points[b, j] = vectors[b, V_TRIAL, j]
        running += request != REQUEST_NONE
    return running


def _run_compiled(fun, jac, vectors, residuals, jacobians, vt, real, ints, options, counts):
    """The whole run of :func:`advance` (MODE_DENSE) on compiled user functions, with no
    return to Python: ``fun(x) -> (m,)`` and ``jac(x) -> (m, n)``, each given a copy of x;
    ``counts`` receives nfev and njev. Raises ValueError when a user function returns an
    array of the wrong shape."""
    no_box = np.empty((2, 0))
    m, n = residuals.shape[1], vectors.shape[1]
    trial = vectors[V_TRIAL]
    while True:
        ints[I_NFEV] = counts[0]
        request = advance(vectors, residuals, jacobians, vt, real, ints, no_box, options)
        if request == REQUEST_NONE:
            return
        if request == REQUEST_F:
            f = fun(trial.copy())
            if f.shape[0] != m:
                raise ValueError("fun(x) returned residuals of another length than at x0")
            counts[0] += 1
            for i in range(m):
                residuals[1, i] = f[i]
        else:
            J = jac(trial.copy())
            if J.shape[0] != m or J.shape[1] != n:
                raise ValueError("jac(x) must return an array of shape (m, n)")
            counts[1] += 1
            for i in range(m):
                for j in range(n):
                    jacobians[1, i, j] = J[i, j]


# The user's functions reach the compiled loop as first-class functions of these types,
# called through their addresses (see trustregion._iteration.COMPILED_SIGNATURES).
_VECTOR = types.float64[::1]
_MATRIX = types.float64[:, ::1]
COMPILED_SIGNATURES = {
    "fun": _VECTOR(_VECTOR),
    "jac": _MATRIX(_VECTOR),
}


@functools.cache
def compiled_loop():
    """:func:`_run_compiled`, compiled on first use (not at import: the first compilation
    takes seconds, loading it from the cache a fraction of one)."""
    signature = types.void(
        types.FunctionType(COMPILED_SIGNATURES["fun"]),
        types.FunctionType(COMPILED_SIGNATURES["jac"]),
        _MATRIX,
        _MATRIX,
        types.float64[:, :, ::1],
        _MATRIX,
        _VECTOR,
        types.int64[::1],
        _VECTOR,
        types.int64[::1],
    )
    return njit(signature, cache=_CACHE, fastmath=_FASTMATH)(_run_compiled)
