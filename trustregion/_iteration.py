"""Numba kernels: the trust-region iteration of ``minimize`` as one state machine.

:func:`advance` runs the outer loop of :func:`trustregion.minimize` (Conn, Gould & Toint
2000, Alg. 6.1.1: stopping tests, model, subproblem, ratio test, radius update) for one
problem in reverse-communication style, like the Krylov kernels of
:mod:`trustregion._kernels`: it runs until it needs a value it cannot compute itself (f or
the gradient at a point, the model Hessian at x, a Hessian product, a step from a
subproblem solver it does not hold, or the driver's attention at the end of an iteration)
and returns a ``REQUEST_*`` code; the caller writes the value where the request says and
calls again. Three callers serve the requests, and the algorithm is written once for all:

* ``minimize`` on Python functions, serving each request in Python (one kernel call per
  request; the Steihaug–Toint step on a dense Hessian is computed here, in the same call);
* the compiled loop (:func:`compiled_loop`), which serves them by calling the user's
  ``numba.njit`` functions, never returning to Python until the run ends;
* ``minimize_batch``, which advances B problems in lockstep (:func:`advance_batch`) and
  serves each kind of request for all of them with one vectorised call of the user's
  functions.

A problem's state is four arrays the caller allocates once (``trustregion._minimize.
_machine.Machine``): ``vectors`` (V_ROWS, n), whose rows named by the ``V_*`` constants
hold x, the gradient, the trial point, the gradient there, the step and the CG work;
``hess``, the dense model Hessian (n, n), or (0, 0) when the model is not stored
densely, and ``data``, ``indices``, ``indptr``, a CSR model Hessian (empty otherwise);
``real``, the float slots ``R_*`` followed by the truncated-CG state; ``ints``, the
integer slots ``I_*``. ``box`` is (2, n) with the bounds' lower and upper rows, or (2, 0)
without bounds; ``options`` holds the ``O_*`` slots (TrustRegionOptions' numbers and the
driver's flags). The status codes are :class:`trustregion.MinimizeStatus` values. Few,
packed arguments keep the cost of a call from Python at about a microsecond.

Evaluation counts are the caller's: it knows how many evaluations a request took (a
finite-difference gradient takes n + 1), and writes ``I_NFEV`` before each call so that
the ``max_nfev`` test sees them.
"""

import functools

import numpy as np
from numba import njit, types

from ._kernels import (
    _CACHE,
    _FASTMATH,
    BOUNDARY,
    CONVERGED,
    CSR,
    DENSE,
    EXTERNAL,
    HAVE_PRODUCT,
    NEEDS_PRODUCT,
    NEGATIVE_CURVATURE,
    NONFINITE,
    START_FROM_ZERO,
    TCG_STATE_SIZE,
    all_finite,
    max_abs,
    norm2,
    power_of_two,
    truncated_cg,
)

# Requests: what the caller must supply before the next call.
REQUEST_NONE = 0  # the run has ended: I_STATUS says why
REQUEST_F = 1  # f at row V_TRIAL into R_F_TRIAL
REQUEST_G = 2  # ∇f at row V_TRIAL into row V_TRIAL_G
REQUEST_MODEL = 3  # the model at x: its dense Hessian into hess (I_STEP_MODE = STEP_DENSE),
# and I_MODEL_FINITE set to whether the model is finite
REQUEST_PRODUCT = 4  # B p into row V_WORK + 3, p = row V_WORK + 2 (STEP_PRODUCTS)
REQUEST_STEP = 5  # the driver's step (I_STEP_MODE = STEP_DRIVER) for g, R_RADIUS and
# I_TIGHT: row V_S, R_PRED, I_ON_BOUNDARY and I_STEP_NONFINITE
REQUEST_ACCEPTED = 6  # the step V_TRIAL - V_X is about to be taken (O_NOTIFY_ACCEPTED)
REQUEST_REPORT = 7  # an iteration has ended (O_REPORT): log, callback, allvecs

# How the step is computed (I_STEP_MODE, which the caller may change at REQUEST_MODEL).
STEP_DENSE = 0  # Steihaug–Toint CG here, on the stored dense model Hessian
STEP_PRODUCTS = 1  # Steihaug–Toint CG here, asking for each product
STEP_DRIVER = 2  # the caller's subproblem solver
STEP_SPARSE = 3  # Steihaug–Toint CG here, on the stored CSR model Hessian

# Rows of a problem's ``vectors``.
V_X = 0
V_G = 1  # ∇f(x)
V_TRIAL = 2
V_TRIAL_G = 3  # ∇f(trial)
V_S = 4  # the step
V_RHS = 5  # the scaled right-hand side -g/σ of the CG solve
V_WORK = 6  # four rows of CG work: r, z, p, Ap
V_ROWS = 10

# Float slots of ``real``; the truncated-CG state follows them.
R_F = 0  # f(x)
R_RADIUS = 1
R_GTOL_ABSOLUTE = 2  # gtol·max(1, stationarity at x₀)
R_PRED = 3  # the step's predicted decrease
R_RATIO = 4  # ρ of the last trial step (NaN when none was tried)
R_F_TRIAL = 5
R_SIGMA = 6  # the power-of-two scale of the CG solve
R_CG = 7  # first slot of the truncated-CG state
REAL_SIZE = R_CG + TCG_STATE_SIZE

# Integer slots of ``ints``.
I_PHASE = 0
I_STATUS = 1
I_NIT = 2
I_NFEV = 3  # written by the caller
I_NONFINITE = 4  # rejected trials with a non-finite f, gradient or model product
I_ON_BOUNDARY = 5
I_STEP_NONFINITE = 6
I_TIGHT = 7  # whether the current solve is the tight one
I_MODEL_CURRENT = 8  # whether the model was built at the current x
I_MODEL_FINITE = 9
I_STEP_MODE = 10
INTS_SIZE = 11

# Slots of ``options``: TrustRegionOptions' numbers (±inf for none) and the driver's flags.
O_GTOL = 0
O_XTOL = 1
O_MAXITER = 2
O_MAX_NFEV = 3
O_F_UNBOUNDED = 4
O_ACCEPT = 5
O_SHRINK_THRESHOLD = 6
O_EXPAND_THRESHOLD = 7
O_SHRINK = 8
O_EXPAND = 9
O_MAX_RADIUS = 10
O_REPORT = 11  # 1.0: REQUEST_REPORT at the end of every iteration
O_NOTIFY_ACCEPTED = 12  # 1.0: REQUEST_ACCEPTED before a step is taken
OPTIONS_SIZE = 13

# Phases: where the next call resumes.
_START = 0
_START_F = 1
_START_G = 2
_CHECK = 3
_MODEL = 4
_PRODUCT = 5
_STEP = 6
_TRIAL_F = 7
_TRIAL_G = 8
_TRIAL_ACCEPTED = 9
_PROGRESS_G = 10
_PROGRESS_F = 11
_PROGRESS_ACCEPTED = 12
_REPORTED = 13
_DONE = 14
_END = 15  # (never stored) an iteration without a trial has ended
_STEP_READY = 16  # the driver has written the step

# MinimizeStatus codes (a test holds them to the enum).
_RUNNING = -1
_MAXITER = 0
_GTOL = 1
_XTOL = 2
_NO_PREDICTED_DECREASE = 4
_MAX_NFEV = 5
_NONFINITE = 6
_NO_PROGRESS = 8
_UNBOUNDED = 9
_NONFINITE_START = 10

_EPS = np.finfo(np.float64).eps
_TINY = np.finfo(np.float64).tiny
# Predicted decreases below this multiple of eps·|f| cannot be measured in f.
_NOISE = 16.0 * _EPS
# Below the noise, a step is taken only if it cuts the stationarity measure by this factor.
_GRADIENT_PROGRESS = 0.5
# The subproblem tolerance used to confirm that the model predicts no decrease.
TIGHT_RTOL = 1e-10
# When no representable step decreases f, x is a minimiser to rounding only if the
# relative gradient is at most this. At a minimiser x* of f with relative rounding error
# u, f stops decreasing at a distance d with ½B·d² ≈ u|f|, where the gradient is B·d ≈
# √(2uB|f|); relative to |f|/|x| that is √(2u·B|x|²/|f|), about u^(1/4) for a curvature
# B|x|²/|f| as large as u^(-1/2). An inconsistent gradient (a wrong jac) is O(1) there.
_ROUNDING_STATIONARITY = _EPS**0.25
# The radius never grows past this: x + s must stay representable.
_MAX_RADIUS = 1e300


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _stationarity(x, g, lo, hi, relative, f):
    """‖∇f‖∞, or with bounds ‖P(x - ∇f) - x‖∞ (Conn, Gould & Toint 2000, §12.1); with
    ``relative`` Dennis & Schnabel's max_i |·ᵢ|·max(|xᵢ|, 1) / max(|f|, 1) (1983, §7.2),
    invariant under scaling f or the variables. NaN in g gives NaN."""
    bounded = lo.shape[0] > 0
    big = 0.0
    for i in range(x.shape[0]):
        m = g[i]
        if bounded:
            m = min(max(x[i] - g[i], lo[i]), hi[i]) - x[i]
        m = abs(m)
        if relative:
            m *= max(abs(x[i]), 1.0)
        if m != m:
            return np.nan
        big = max(big, m)
    return big / max(abs(f), 1.0) if relative else big


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _at_rounding(status, x, f, g, lo, hi):
    """``status`` (a success) when the relative gradient is small to rounding; otherwise
    NO_PROGRESS: no representable step decreases f, yet the gradient says one should."""
    if _stationarity(x, g, lo, hi, True, f) <= _ROUNDING_STATIONARITY:
        return status
    return _NO_PROGRESS


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _stopping_status(x, f, g, lo, hi, real, ints, options):
    """Why the loop stops before another iteration, or _RUNNING: the gradient test (the
    absolute and the relative one), f below f_unbounded, the budgets, and the radius
    collapsing (a success only where the gradient agrees)."""
    if (
        _stationarity(x, g, lo, hi, False, 0.0) <= real[R_GTOL_ABSOLUTE]
        and _stationarity(x, g, lo, hi, True, f) <= options[O_GTOL]
    ):
        return _GTOL
    if f <= options[O_F_UNBOUNDED]:
        return _UNBOUNDED
    if ints[I_NIT] >= options[O_MAXITER]:
        return _MAXITER
    if ints[I_NFEV] >= options[O_MAX_NFEV]:
        return _MAX_NFEV
    if real[R_RADIUS] < options[O_XTOL] * (1.0 + norm2(x)):
        if ints[I_NONFINITE] > 0:
            return _NONFINITE
        return _at_rounding(_XTOL, x, f, g, lo, hi)
    return _RUNNING


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _trial_point(vectors, lo, hi):
    """trial = P(x + s), projected again with bounds (x + (P(y) - x) can miss P(y) by a
    rounding error); whether every entry is finite."""
    bounded = lo.shape[0] > 0
    x, s, trial = vectors[V_X], vectors[V_S], vectors[V_TRIAL]
    for i in range(x.shape[0]):
        t = x[i] + s[i]
        if bounded:
            t = min(max(t, lo[i]), hi[i])
        trial[i] = t
    return all_finite(trial)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _cg_step(vectors, hess, data, indices, indptr, real, ints, product_ready):
    """Steihaug–Toint CG (Conn, Gould & Toint 2000, Alg. 7.5.1) from s = 0 on the stored
    Hessian or on requested products, to the forcing tolerance min(0.5, √‖g‖)·‖g‖ (N&W
    eq. 7.3) or the tight one, at most n products. The system is scaled by a power of two
    σ (exact) so that its squared norms stay in range. Returns NEEDS_PRODUCT, or the
    kernel's terminal code with the step, R_PRED, I_ON_BOUNDARY and I_STEP_NONFINITE set."""
    n = vectors.shape[1]
    g, s, rhs = vectors[V_G], vectors[V_S], vectors[V_RHS]
    work = vectors[V_WORK : V_WORK + 4]
    mode = ints[I_STEP_MODE]
    kind = DENSE if mode == STEP_DENSE else (CSR if mode == STEP_SPARSE else EXTERNAL)
    radius = real[R_RADIUS]
    cg_state = real[R_CG:]
    if product_ready:
        resume, rtol = HAVE_PRODUCT, 0.0
    else:
        gnorm = norm2(g)
        if gnorm == 0.0:
            for i in range(n):
                s[i] = 0.0
            real[R_PRED] = 0.0
            ints[I_ON_BOUNDARY] = 0
            ints[I_STEP_NONFINITE] = 0
            return CONVERGED
        resume = START_FROM_ZERO
        rtol = TIGHT_RTOL if ints[I_TIGHT] else min(0.5, np.sqrt(gnorm))
        real[R_SIGMA] = power_of_two(max_abs(g), radius)
        for i in range(n):
            rhs[i] = -g[i] / real[R_SIGMA]
    sigma = real[R_SIGMA]
    code = truncated_cg(
        kind, hess, data, indices, indptr, 0.0, real[:0], True,
        rhs, s, work, cg_state, (radius / sigma) ** 2, rtol, 0.0, n, False, resume,
    )  # fmt: skip
    if code == NEEDS_PRODUCT:
        return code
    gs = 0.0
    sr = 0.0
    for i in range(n):
        s[i] *= sigma
        r = work[0, i] * sigma
        gs += g[i] * s[i]
        sr += s[i] * r
    # r = -g - Bs, so m(s) = gᵀs + ½sᵀBs = ½(gᵀs - sᵀr): no extra product.
    real[R_PRED] = -0.5 * (gs - sr)
    ints[I_ON_BOUNDARY] = code == BOUNDARY or code == NEGATIVE_CURVATURE
    ints[I_STEP_NONFINITE] = code == NONFINITE
    return code


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _updated_radius(radius, ratio, step_norm, on_boundary, options):
    """The ratio test's radius (Conn, Gould & Toint 2000, Alg. 6.1.1; N&W Alg. 4.1):
    shrink to shrink_factor·min(Δ, ‖s‖) when ρ < shrink_threshold, expand by
    expand_factor (up to max_radius) when ρ ≥ expand_threshold with s on the boundary."""
    if ratio < options[O_SHRINK_THRESHOLD]:
        return options[O_SHRINK] * min(radius, step_norm)
    if ratio >= options[O_EXPAND_THRESHOLD] and on_boundary:
        return min(options[O_EXPAND] * radius, options[O_MAX_RADIUS], _MAX_RADIUS)
    return radius


@njit(cache=_CACHE, fastmath=_FASTMATH)
def advance(vectors, hess, data, indices, indptr, real, ints, box, options):
    """Run a problem's iteration from its phase until the next request; return it.

    Start with ``I_PHASE`` 0 (and the other slots 0), x = x₀ and ``R_RADIUS`` = Δ₀; the
    first requests are f and the gradient at x₀.

    The iteration (the order of its tests is :func:`trustregion.minimize`'s contract):
    stop if the gradient test passes (absolute and relative), f ≤ f_unbounded, a budget is
    spent, or Δ < xtol·(1 + ‖x‖); build the model at a new x; solve the subproblem to the
    forcing tolerance, and again tightly if the predicted decrease is below the noise
    16·eps·|f| inside the region; a non-finite model product rejects the step and
    shrinks Δ; a step whose prediction f cannot measure is taken only if it cuts the
    stationarity measure by half without raising f past the noise (else x is stationary
    to rounding); otherwise the ratio ρ of actual to predicted decrease decides, a
    non-finite f or gradient at the trial point counting as ρ = -∞.
    """
    n = vectors.shape[1]
    if (
        vectors.shape[0] < V_ROWS
        or real.shape[0] < REAL_SIZE
        or ints.shape[0] < INTS_SIZE
        or box.shape[0] != 2
        or (box.shape[1] != 0 and box.shape[1] != n)
        or (ints[I_STEP_MODE] == STEP_DENSE and (hess.shape[0] != n or hess.shape[1] != n))
        or (ints[I_STEP_MODE] == STEP_SPARSE and indptr.shape[0] != n + 1)
        or options.shape[0] < OPTIONS_SIZE
    ):
        raise ValueError("advance: the state arrays do not match x")
    x, g = vectors[V_X], vectors[V_G]
    trial, trial_g = vectors[V_TRIAL], vectors[V_TRIAL_G]
    lo, hi = box[0], box[1]
    phase = ints[I_PHASE]
    if phase == _DONE:
        return REQUEST_NONE
    if phase == _REPORTED:  # the driver has looked
        phase = _CHECK
    while True:
        if phase == _START:
            for i in range(n):
                trial[i] = x[i]
            ints[I_PHASE] = _START_F
            return REQUEST_F
        if phase == _START_F:
            real[R_F] = real[R_F_TRIAL]
            real[R_RATIO] = np.nan
            if not np.isfinite(real[R_F]):
                return _finish(ints, _NONFINITE_START)
            ints[I_PHASE] = _START_G
            return REQUEST_G
        if phase == _START_G:
            for i in range(n):
                g[i] = trial_g[i]
            if not all_finite(g):
                return _finish(ints, _NONFINITE_START)
            stationarity = _stationarity(x, g, lo, hi, False, 0.0)
            real[R_GTOL_ABSOLUTE] = options[O_GTOL] * max(1.0, stationarity)
            phase = _CHECK
        if phase == _CHECK:
            status = _stopping_status(x, real[R_F], g, lo, hi, real, ints, options)
            if status != _RUNNING:
                return _finish(ints, status)
            if not ints[I_MODEL_CURRENT]:
                ints[I_PHASE] = _MODEL
                return REQUEST_MODEL
            phase = _MODEL
        if phase == _MODEL:
            ints[I_MODEL_CURRENT] = 1
            if not ints[I_MODEL_FINITE]:
                return _finish(ints, _NONFINITE)  # hess(x) itself: no step helps
            ints[I_NIT] += 1
            ints[I_TIGHT] = 0
            phase = _STEP
        if phase == _STEP or phase == _PRODUCT or phase == _STEP_READY:
            if phase != _STEP_READY:
                if ints[I_STEP_MODE] == STEP_DRIVER:
                    ints[I_PHASE] = _STEP_READY
                    return REQUEST_STEP
                code = _cg_step(vectors, hess, data, indices, indptr, real, ints, phase == _PRODUCT)
                if code == NEEDS_PRODUCT:
                    ints[I_PHASE] = _PRODUCT
                    return REQUEST_PRODUCT
            phase = _after_step(vectors, real, ints, lo, hi, options)
            if phase == _DONE:
                return REQUEST_NONE
            if phase == _STEP:
                continue
            if phase == _END:
                phase = _end_iteration(ints, options)
            else:
                ints[I_PHASE] = phase
                return REQUEST_F if phase == _TRIAL_F else REQUEST_G
        if phase == _TRIAL_F:
            f_trial = real[R_F_TRIAL]
            ratio = -np.inf
            if np.isfinite(f_trial):
                ratio = (real[R_F] - f_trial) / real[R_PRED]
            real[R_RATIO] = ratio
            if ratio >= options[O_ACCEPT]:
                ints[I_PHASE] = _TRIAL_G
                return REQUEST_G
            if ratio == -np.inf:
                ints[I_NONFINITE] += 1
            phase = _radius_update(vectors[V_S], real, ints, options)
        if phase == _TRIAL_G:
            if not all_finite(trial_g):
                real[R_RATIO] = -np.inf
                ints[I_NONFINITE] += 1
                phase = _radius_update(vectors[V_S], real, ints, options)
            elif options[O_NOTIFY_ACCEPTED]:
                ints[I_PHASE] = _TRIAL_ACCEPTED
                return REQUEST_ACCEPTED
            else:
                phase = _TRIAL_ACCEPTED
        if phase == _TRIAL_ACCEPTED:
            _commit(vectors, real, ints)
            phase = _radius_update(vectors[V_S], real, ints, options)
        if phase == _PROGRESS_G:
            f = real[R_F]
            if not (
                all_finite(trial_g)
                and _stationarity(trial, trial_g, lo, hi, False, 0.0)
                <= _GRADIENT_PROGRESS * _stationarity(x, g, lo, hi, False, 0.0)
            ):
                return _finish(ints, _at_rounding(_NO_PREDICTED_DECREASE, x, f, g, lo, hi))
            ints[I_PHASE] = _PROGRESS_F
            return REQUEST_F
        if phase == _PROGRESS_F:
            f = real[R_F]
            if not real[R_F_TRIAL] <= f + _NOISE * abs(f) + _TINY:
                return _finish(ints, _at_rounding(_NO_PREDICTED_DECREASE, x, f, g, lo, hi))
            if options[O_NOTIFY_ACCEPTED]:
                ints[I_PHASE] = _PROGRESS_ACCEPTED
                return REQUEST_ACCEPTED
            phase = _PROGRESS_ACCEPTED
        if phase == _PROGRESS_ACCEPTED:
            _commit(vectors, real, ints)
            phase = _end_iteration(ints, options)
        if phase == _REPORTED:
            ints[I_PHASE] = _REPORTED
            return REQUEST_REPORT


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _after_step(vectors, real, ints, lo, hi, options):
    """What follows a solved subproblem: the tight solve (_STEP again), the trial
    (_TRIAL_F), the gradient test of a step below the noise (_PROGRESS_G), the end of an
    iteration that rejects the step and shrinks the radius (_END), or the end of the run
    (_DONE: x + s overflowed)."""
    f = real[R_F]
    noise = _NOISE * abs(f) + _TINY
    pred = real[R_PRED]
    on_boundary = ints[I_ON_BOUNDARY]
    if pred <= noise and not on_boundary and not ints[I_TIGHT]:
        # An inexact solve can stop short of the model's minimiser; ask for it before
        # concluding anything from a tiny prediction.
        ints[I_TIGHT] = 1
        return _STEP
    real[R_RATIO] = np.nan
    if ints[I_STEP_NONFINITE]:
        # A non-finite Hessian product: the step is not trusted, the radius shrinks.
        ints[I_NONFINITE] += 1
        real[R_RADIUS] *= options[O_SHRINK]
        return _END
    if not pred > noise:
        if on_boundary:  # the region is too small to measure progress in
            real[R_RADIUS] *= options[O_SHRINK]
            return _END
        _trial_point(vectors, lo, hi)
        return _PROGRESS_G
    if not _trial_point(vectors, lo, hi):
        _finish(ints, _UNBOUNDED)  # the step overflowed
        return _DONE
    return _TRIAL_F


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _finish(ints, status):
    """End the run with ``status``; the request that says so."""
    ints[I_STATUS] = status
    ints[I_PHASE] = _DONE
    return REQUEST_NONE


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _commit(vectors, real, ints):
    """Take the trial point: x, f and g move there, and the model is stale."""
    for i in range(vectors.shape[1]):
        vectors[V_X, i] = vectors[V_TRIAL, i]
        vectors[V_G, i] = vectors[V_TRIAL_G, i]
    real[R_F] = real[R_F_TRIAL]
    ints[I_MODEL_CURRENT] = 0


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _radius_update(s, real, ints, options):
    """The ratio test's radius after a trial, then the end of the iteration."""
    real[R_RADIUS] = _updated_radius(
        real[R_RADIUS], real[R_RATIO], norm2(s), ints[I_ON_BOUNDARY], options
    )
    return _end_iteration(ints, options)


@njit(cache=_CACHE, fastmath=_FASTMATH)
def _end_iteration(ints, options):
    """The phase after an iteration: _REPORTED (the driver wants to look, O_REPORT) or
    _CHECK."""
    return _REPORTED if options[O_REPORT] else _CHECK


@njit(cache=_CACHE, fastmath=_FASTMATH)
def take(request, f, g, h, p, vectors, matrix, real, ints, counts):
    """Write the value served for ``request`` into a problem's state and count it in
    ``counts`` (nfev, njev, nhev): f (a float), the gradient g (n,), the model Hessian h
    (n, n) (its finiteness decides I_MODEL_FINITE), or the product p (n,); the others
    are not read. Raises ValueError for a value of the wrong shape."""
    n = vectors.shape[1]
    if request == REQUEST_F:
        counts[0] += 1
        real[R_F_TRIAL] = f
    elif request == REQUEST_G:
        if g.shape[0] != n:
            raise ValueError("the gradient must be an array of shape (n,)")
        counts[1] += 1
        for i in range(n):
            vectors[V_TRIAL_G, i] = g[i]
    elif request == REQUEST_MODEL:
        ints[I_MODEL_FINITE] = 1
        if ints[I_STEP_MODE] == STEP_DENSE:
            if h.shape[0] != n or h.shape[1] != n:
                raise ValueError("the Hessian must be an array of shape (n, n)")
            counts[2] += 1
            finite = 0.0
            for i in range(n):
                for j in range(n):
                    matrix[i, j] = h[i, j]
                    finite += h[i, j] - h[i, j]  # 0, or NaN for a non-finite entry
            ints[I_MODEL_FINITE] = finite == 0.0
    elif request == REQUEST_PRODUCT:
        if p.shape[0] != n:
            raise ValueError("the Hessian product must be an array of shape (n,)")
        counts[2] += 1
        for i in range(n):
            vectors[V_WORK + 3, i] = p[i]


@njit(cache=_CACHE, fastmath=_FASTMATH)
def advance_batch(
    vectors, hess, real, ints, options, counts, requests, points, directions, f, g, h, p
):
    """:func:`advance` for each problem of a batch that has not ended, in lockstep.

    One problem per leading index of every array. ``requests`` holds each problem's
    request of the last round (REQUEST_NONE before the first), which the caller has
    served for all problems at once: row b of ``f`` (B,), ``g`` (B, n), ``h`` (B, n, n)
    and ``p`` (B, n) holds problem b's value of its kind (:func:`take` writes it into the
    state, ``counts`` (B, 3) counts it; rows of other kinds are not read). Each problem
    then advances to its next request, written into ``requests``, with the point to
    evaluate at in ``points`` (B, n) (the trial point for f and the gradient, x for the
    model and its products) and, for a product, the vector in ``directions`` (B, n).
    Returns how many problems are still running.
    """
    batch, n = vectors.shape[0], vectors.shape[2]
    if (
        hess.shape[0] != batch
        or real.shape[0] != batch
        or ints.shape[0] != batch
        or counts.shape[0] != batch
        or counts.shape[1] < 3
        or requests.shape[0] != batch
        or points.shape[0] != batch
        or points.shape[1] != n
        or directions.shape[0] != batch
        or directions.shape[1] != n
        or f.shape[0] != batch
        or g.shape[0] != batch
        or h.shape[0] != batch
        or p.shape[0] != batch
    ):
        raise ValueError("advance_batch: the arrays do not have one row per problem")
    no_box = np.empty((2, 0))
    # Empty CSR arrays of the types the Python driver passes (the model is dense here).
    data, indices, indptr = np.empty(0), np.empty(0, np.uint64), np.empty(0, np.int64)
    running = 0
    for b in range(batch):
        if ints[b, I_PHASE] == _DONE:
            requests[b] = REQUEST_NONE
            continue
        take(requests[b], f[b], g[b], h[b], p[b], vectors[b], hess[b], real[b], ints[b], counts[b])
        ints[b, I_NFEV] = counts[b, 0]
        request = advance(
            vectors[b], hess[b], data, indices, indptr, real[b], ints[b], no_box, options
        )
        requests[b] = request
        source = V_TRIAL if request == REQUEST_F or request == REQUEST_G else V_X
        for i in range(n):
            points[b, i] = vectors[b, source, i]
        if request == REQUEST_PRODUCT:
            for i in range(n):
                directions[b, i] = vectors[b, V_WORK + 2, i]
        running += request != REQUEST_NONE
    return running


def _run_compiled(fun, jac, hess, hessp, stored, vectors, matrix, real, ints, options, counts):
    """The whole run of :func:`advance` on compiled user functions, with no return to
    Python: ``fun(x) -> float``, ``jac(x) -> (n,)``, and ``hess(x) -> (n, n)`` into
    ``matrix`` (``stored``) or ``hessp(x, p) -> (n,)``. Each is given a copy of its
    arguments; ``counts`` receives nfev, njev and nhev. Raises ValueError when a user
    function returns an array of the wrong shape."""
    no_box = np.empty((2, 0))
    no_vector = np.empty(0)
    no_matrix = np.empty((0, 0))
    # Empty CSR arrays of the types the Python driver passes (the model is dense here).
    indices, indptr = np.empty(0, np.uint64), np.empty(0, np.int64)
    x, trial, work = vectors[V_X], vectors[V_TRIAL], vectors[V_WORK : V_WORK + 4]
    while True:
        ints[I_NFEV] = counts[0]
        request = advance(vectors, matrix, no_vector, indices, indptr, real, ints, no_box, options)
        if request == REQUEST_NONE:
            return
        f, g, h, p = 0.0, no_vector, no_matrix, no_vector
        if request == REQUEST_F:
            f = fun(trial.copy())
        elif request == REQUEST_G:
            g = jac(trial.copy())
        elif request == REQUEST_MODEL and stored:
            h = hess(x.copy())
        elif request == REQUEST_PRODUCT:
            p = hessp(x.copy(), work[2].copy())
        take(request, f, g, h, p, vectors, matrix, real, ints, counts)


# The user's functions reach the compiled loop as first-class functions of these types,
# called through their addresses: the loop is compiled once (and cached) for all users'
# functions, rather than once for each set of them, which would take seconds every time.
_VECTOR = types.float64[::1]
_MATRIX = types.float64[:, ::1]
COMPILED_SIGNATURES = {
    "fun": types.float64(_VECTOR),
    "jac": _VECTOR(_VECTOR),
    "hess": _MATRIX(_VECTOR),
    "hessp": _VECTOR(_VECTOR, _VECTOR),
}


@functools.cache
def compiled_loop():
    """:func:`_run_compiled`, compiled on first use (not at import: the first compilation
    takes seconds, loading it from the cache a fraction of one)."""
    signature = types.void(
        types.FunctionType(COMPILED_SIGNATURES["fun"]),
        types.FunctionType(COMPILED_SIGNATURES["jac"]),
        types.FunctionType(COMPILED_SIGNATURES["hess"]),
        types.FunctionType(COMPILED_SIGNATURES["hessp"]),
        types.boolean,
        _MATRIX,
        _MATRIX,
        _VECTOR,
        types.int64[::1],
        _VECTOR,
        types.int64[::1],
    )
    return njit(signature, cache=_CACHE, fastmath=_FASTMATH)(_run_compiled)


@njit(cache=_CACHE)
def no_hessian(x):
    """The stand-in for ``hess`` when the model is a product (never called)."""
    return np.empty((0, 0))


@njit(cache=_CACHE)
def no_product(x, p):
    """The stand-in for ``hessp`` when the model is stored (never called)."""
    return np.empty(0)
