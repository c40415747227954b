"""``trustregion.curve_fit``: NIST's certified values and standard deviations, scipy's
``curve_fit`` on the same fits, covariance that cannot be estimated, NaN handling,
argument checks and the full output."""

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import OptimizeResult, OptimizeWarning

from trustregion import curve_fit
from trustregion._least_squares._curve_fit import _covariance
from trustregion.problems import nist

# scipy run to its own accuracy limit, so that its answer is a reference.
TIGHT = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15}


# ---- NIST StRD: certified parameters and certified standard deviations ----


def _nist_fit(name, start, analytic=True):
    """(problem, popt, pcov) for NIST's dataset ``name``, the model as f(x, *b), with its
    analytic Jacobian or (``analytic=False``) curve_fit's default '2-point' one."""
    p = nist.nist_problem(name)
    model = nist._MODELS[name]  # one model function per formula, analytic Jacobian
    ydata = np.log(p.y) if name == "Nelson" else p.y  # Nelson's model is of log y

    def f(x, *b):
        return model(np.asarray(b), x)[0]

    def jac(x, *b):
        return model(np.asarray(b), x)[1]

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        popt, pcov = curve_fit(f, p.x, ydata, p0=p.starts[start], jac=jac if analytic else None)
    return p, popt, pcov


@pytest.mark.parametrize("start", [0, 1])
@pytest.mark.parametrize("name", sorted(nist.NIST))
def test_nist_certified_values_and_standard_deviations(name, start):
    # NIST's certified standard deviations are sqrt(diag((JᵀJ)⁻¹) · RSS/(m - n)) at the
    # certified values (Rat43's file states dof 9, but its values use m - n = 11), which
    # is what pcov is without sigma and with absolute_sigma=False.
    # Lanczos1's certified RSS, 1.4e-25, is at the rounding level of its data (y ~ 1):
    # in float64 the minimum RSS is 1.4296e-25, not 1.4308e-25, and pcov scales with it,
    # so its standard deviations agree to 1e-3 only.
    p, popt, pcov = _nist_fit(name, start)
    assert p.lre(popt) >= 6.0, (p.lre(popt), popt, p.certified)
    rtol = 1e-3 if name == "Lanczos1" else 1e-6
    np.testing.assert_allclose(np.sqrt(np.diag(pcov)), p.certified_std, rtol=rtol)
    np.testing.assert_allclose(pcov, pcov.T, rtol=1e-12, atol=0.0)


# The '2-point' steps are MINPACK's, √u·|bⱼ|, so that small parameters (Kirby2's) get
# steps in proportion. A one-sided difference is accurate to about √u relative, and the
# Lanczos fits (six exponentials through 24 points) and Bennett5 move their stationary
# points by about 1e-6 for that: their LRE depends on rounding, between 4.8 and 6.7 from
# starts perturbed by 1e-9 (7+ with '3-point' or the analytic Jacobian; see
# test_least_squares.py), so 4.5 is what holds on any CPU there.
# pcov from a differenced J carries the same error, hence 1e-3 rather than 1e-6.
@pytest.mark.parametrize("name", sorted(nist.NIST))
def test_nist_with_finite_differences_from_start_2(name):
    p, popt, pcov = _nist_fit(name, 1, analytic=False)
    lowest = 4.5 if name.startswith("Lanczos") or name == "Bennett5" else 6.0
    assert p.lre(popt) >= lowest, (p.lre(popt), popt, p.certified)
    np.testing.assert_allclose(np.sqrt(np.diag(pcov)), p.certified_std, rtol=1e-3)


# ---- scipy's curve_fit on the same fits ----


def _decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def _decay_jac(x, a, b, c):
    e = np.exp(-b * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


def _data(seed=0, m=40):
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 4.0, m)
    sigma = 0.02 + 0.05 * rng.random(m)
    y = _decay(x, 2.5, 1.3, 0.5) + sigma * rng.standard_normal(m)
    return x, y, sigma


def _ar1(m, rho=0.6, scale=0.05):
    i = np.arange(m)
    return scale**2 * rho ** np.abs(i[:, None] - i[None, :])


def _assert_like_scipy(ours, theirs):
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-12 * np.abs(theirs[1]).max())


@pytest.mark.parametrize("absolute_sigma", [False, True])
@pytest.mark.parametrize("method", [None, "trf", "dogbox"])
@pytest.mark.parametrize("sigma_kind", ["none", "1-D", "2-D"])
def test_like_scipy_with_sigma(sigma_kind, method, absolute_sigma):
    x, y, sigma = _data()
    sigma = {"none": None, "1-D": sigma, "2-D": _ar1(x.size)}[sigma_kind]
    kw = dict(p0=[1.0, 1.0, 1.0], sigma=sigma, absolute_sigma=absolute_sigma, method=method)
    theirs = so.curve_fit(_decay, x, y, jac=_decay_jac, **kw, **TIGHT)
    _assert_like_scipy(curve_fit(_decay, x, y, jac=_decay_jac, **kw), theirs)
    # The default '2-point' Jacobian: the same answer to finite-difference accuracy.
    ours = curve_fit(_decay, x, y, **kw)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)


def test_weighting_is_the_cholesky_transform():
    # A diagonal covariance matrix is the same fit as its standard deviations.
    x, y, sigma = _data(1)
    one = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma, jac=_decay_jac)
    two = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=np.diag(sigma**2), jac=_decay_jac)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-10)
    np.testing.assert_allclose(one[1], two[1], rtol=1e-8)


def test_relative_sigma_only_its_ratios_matter():
    x, y, sigma = _data(2)
    a = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma, jac=_decay_jac)
    b = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=7.0 * sigma, jac=_decay_jac)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-9)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-8)
    c = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=7.0 * sigma, absolute_sigma=True)
    np.testing.assert_allclose(
        c[1],
        49.0 * curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma, absolute_sigma=True)[1],
        rtol=1e-5,
    )


@pytest.mark.parametrize("method", [None, "trf", "dogbox"])
def test_like_scipy_with_bounds(method):
    # c ≤ 0.3 is active at the solution (c ≈ 0.5 unconstrained).
    x, y, sigma = _data(3)
    kw = dict(p0=[1.0, 1.0, 0.0], sigma=sigma, bounds=([0, 0, -1], [10, 10, 0.3]), method=method)
    ours = curve_fit(_decay, x, y, jac=_decay_jac, **kw)
    theirs = so.curve_fit(_decay, x, y, jac=_decay_jac, **kw, **TIGHT)
    assert ours[0][2] == pytest.approx(0.3)
    _assert_like_scipy(ours, theirs)


@pytest.mark.parametrize("loss", ["soft_l1", "huber", "cauchy"])
def test_like_scipy_with_a_robust_loss(loss):
    # pcov from the Jacobian of the loss's Gauss-Newton model and twice the robust cost,
    # as scipy computes it.
    x, y, _ = _data(4)
    y[[5, 17, 30]] += [2.0, -1.5, 3.0]  # outliers
    kw = dict(p0=[1.0, 1.0, 1.0], method="trf", loss=loss, f_scale=0.1)
    ours = curve_fit(_decay, x, y, jac=_decay_jac, **kw)
    theirs = so.curve_fit(_decay, x, y, jac=_decay_jac, **kw, **TIGHT)
    _assert_like_scipy(ours, theirs)
    assert ours[0] == pytest.approx([2.5, 1.3, 0.5], rel=0.1)  # the outliers are ignored


def test_default_p0_from_the_signature_and_inside_the_bounds():
    x, y, _ = _data(5)
    first = []

    def f(x, a, b, c):
        first.append((a, b, c))
        return _decay(x, a, b, c)

    curve_fit(f, x, y)
    assert first[0] == (1.0, 1.0, 1.0)
    first.clear()
    curve_fit(f, x, y, bounds=([0, 0.5, -np.inf], [4, np.inf, 2]))
    assert first[0] == (2.0, 1.5, 1.0)  # midpoint, lower + 1, upper - 1: scipy's p0


def test_maxfev_is_max_nfev_and_failure_is_a_runtime_error():
    x, y, _ = _data(6)
    with pytest.raises(RuntimeError, match="Optimal parameters not found: The maximum number"):
        curve_fit(_decay, x, y, p0=[10, 10, 10], maxfev=2)
    with pytest.raises(RuntimeError, match="Optimal parameters not found"):
        curve_fit(_decay, x, y, p0=[10, 10, 10], method="trf", max_nfev=2)


def test_leastsq_keywords_are_translated():
    # maxfev -> max_nfev, epsfcn -> diff_step = √epsfcn, diag -> x_scale = 1/diag.
    x, y, _ = _data(13)
    plain = curve_fit(_decay, x, y)
    for kw in ({"epsfcn": 1e-14}, {"diag": [1.0, 2.0, 4.0]}, {"maxfev": 500, "col_deriv": 0}):
        popt, pcov = curve_fit(_decay, x, y, **kw)
        np.testing.assert_allclose(popt, plain[0], rtol=1e-6)
        np.testing.assert_allclose(pcov, plain[1], rtol=1e-4)


def test_xdata_forms():
    # A tuple of equal-length arrays becomes a (k, m) array, as in scipy; anything that
    # does not convert (a ragged tuple, a dict) reaches f unchanged.
    rng = np.random.default_rng(7)
    u, v = rng.random(30), rng.random(30)
    y = 1.0 + 2.0 * u - 3.0 * v

    def plane(x, a, b, c):
        return a + b * x[0] + c * x[1]

    np.testing.assert_allclose(curve_fit(plane, (u, v), y)[0], [1, 2, -3], atol=1e-10)
    np.testing.assert_allclose(curve_fit(plane, {0: u, 1: v}, y)[0], [1, 2, -3], atol=1e-10)
    ragged = (u, v, np.zeros(3))
    np.testing.assert_allclose(curve_fit(plane, ragged, y)[0], [1, 2, -3], atol=1e-10)


def test_complex_step_jacobian():
    x, y, sigma = _data(8)
    ours = curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma, jac="cs")
    theirs = so.curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma, jac=_decay_jac, **TIGHT)
    _assert_like_scipy(ours, theirs)


# ---- covariance that cannot be estimated ----


def _sum_model(x, a, b, c):
    return (a + b) + c * x  # a and b enter only as a + b


def _sum_jac(x, a, b, c):
    return np.column_stack([np.ones_like(x), np.ones_like(x), x])


def test_rank_deficient_model_warns_and_marks_the_undetermined_parameters():
    rng = np.random.default_rng(9)
    x = np.linspace(0.0, 1.0, 20)
    y = 2.0 + 3.0 * x + 0.01 * rng.standard_normal(20)
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        popt, pcov = curve_fit(_sum_model, x, y, jac=_sum_jac)
    assert np.isinf(pcov[:2, :]).all() and np.isinf(pcov[:, :2]).all()
    # scipy is not consistent here: its 'lm' with '2-point' differences gives inf
    # everywhere with the warning (we agree wherever a or b is involved), with this
    # Jacobian it gives entries of 1e25 without one, and its 'trf' gives the
    # pseudo-inverse silently (whose entry for c, estimable, is ours).
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        _, theirs = so.curve_fit(_sum_model, x, y)
    assert np.isinf(theirs).all()
    _, pinv = so.curve_fit(_sum_model, x, y, jac=_sum_jac, method="trf", **TIGHT)
    assert pcov[2, 2] == pytest.approx(pinv[2, 2], rel=1e-6)
    # c is estimable: its variance is that of the fit with a + b as one parameter.
    line, line_cov = curve_fit(lambda x, s, c: s + c * x, x, y)
    assert popt[0] + popt[1] == pytest.approx(line[0], rel=1e-9)
    assert popt[2] == pytest.approx(line[1], rel=1e-9)
    # ... with s² = RSS/(m - n) over the n = 3 parameters of the model (as scipy).
    assert pcov[2, 2] == pytest.approx(line_cov[1, 1] * 18 / 17, rel=1e-8)


def test_rank_deficient_with_finite_differences():
    # From p0 = ones, a = b throughout and the '2-point' columns of a and b are equal.
    x = np.linspace(0.0, 1.0, 20)
    y = 2.0 + 3.0 * x + 0.01 * np.cos(7 * x)
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        _, pcov = curve_fit(_sum_model, x, y)
    assert np.isinf(pcov[:2]).all() and np.isfinite(pcov[2, 2])


def test_as_many_observations_as_parameters():
    # m = n: an exact fit, and no residual to estimate s² from.
    x, y = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    line = lambda x, a, b: a + b * x  # noqa: E731
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        popt, pcov = curve_fit(line, x, y)
    np.testing.assert_allclose(popt, [1.0, 2.0], atol=1e-12)
    assert np.isinf(pcov).all()
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        _, theirs = so.curve_fit(line, x, y)
    assert np.isinf(theirs).all()
    # With absolute sigma, pcov = (JᵀJ)⁻¹ needs no s².
    popt, pcov = curve_fit(line, x, y, sigma=[0.5, 0.5], absolute_sigma=True)
    _, theirs = so.curve_fit(line, x, y, sigma=[0.5, 0.5], absolute_sigma=True)
    np.testing.assert_allclose(pcov, theirs, rtol=1e-6)
    np.testing.assert_allclose(pcov, 0.25 * np.linalg.inv([[2.0, 1.0], [1.0, 1.0]]), rtol=1e-6)


def test_fewer_observations_than_parameters():
    x, y = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    quad = lambda x, a, b, c: a + b * x + c * x**2  # noqa: E731
    with pytest.raises(ValueError, match="'lm' needs at least as many observations"):
        curve_fit(quad, x, y)
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        popt, pcov = curve_fit(quad, x, y, method="trf")
    np.testing.assert_allclose(quad(x, *popt), y, atol=1e-10)
    assert np.isinf(pcov).all()


def test_nonfinite_jacobian_gives_inf():
    # least_squares never stops where J is not finite; the guard is for the Jacobian it
    # hands over, checked on its own.
    res = OptimizeResult(jac=np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]]), cost=1.0)
    with pytest.warns(OptimizeWarning, match="could not be estimated"):
        pcov = _covariance(res, absolute_sigma=False)
    assert pcov.shape == (2, 2) and np.isinf(pcov).all()


# ---- NaN in the data ----


def _with_nans():
    x, y, sigma = _data(10)
    x, y = x.copy(), y.copy()
    x[3] = np.nan
    y[[11, 25]] = np.nan
    return x, y, sigma


@pytest.mark.parametrize("sigma_kind", ["none", "1-D", "2-D"])
def test_nan_policy_omit_drops_those_observations(sigma_kind):
    x, y, sigma = _with_nans()
    sigma = {"none": None, "1-D": sigma, "2-D": _ar1(x.size)}[sigma_kind]
    keep = np.isfinite(x) & np.isfinite(y)
    clean_sigma = (
        None if sigma is None else (sigma[keep] if sigma.ndim == 1 else sigma[keep][:, keep])
    )
    ours = curve_fit(_decay, x, y, sigma=sigma, nan_policy="omit", jac=_decay_jac)
    clean = curve_fit(_decay, x[keep], y[keep], sigma=clean_sigma, jac=_decay_jac)
    np.testing.assert_allclose(ours[0], clean[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], clean[1], rtol=1e-12)
    theirs = so.curve_fit(_decay, x, y, sigma=sigma, nan_policy="omit", jac=_decay_jac, **TIGHT)
    _assert_like_scipy(ours, theirs)


def test_nan_policy_raise_and_check_finite():
    x, y, _ = _with_nans()
    with pytest.raises(ValueError, match="nan_policy='raise'"):
        curve_fit(_decay, x, y, nan_policy="raise")
    with pytest.raises(ValueError, match="xdata contains NaN"):
        curve_fit(_decay, x, np.ones_like(y))
    with pytest.raises(ValueError, match="ydata contains NaN"):
        curve_fit(_decay, x, y)
    with pytest.raises(ValueError, match="ydata contains NaN"):
        curve_fit(_decay, x, y, nan_policy="omit", check_finite=True)  # check_finite wins
    # Without NaN, 'raise' fits as usual.
    x, y, _ = _data(11)
    np.testing.assert_allclose(
        curve_fit(_decay, x, y, nan_policy="raise")[0], curve_fit(_decay, x, y)[0]
    )


# ---- argument checks, before any evaluation of f ----


def _never(x, a, b, c):
    raise AssertionError("f must not be evaluated")


def _never_star(x, *p):
    raise AssertionError("f must not be evaluated")


_X = np.linspace(0.0, 1.0, 10)
_Y = np.ones(10)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((_X, _Y[:9]), {}, "xdata and ydata must have the same length"),
        ((_X, np.ones((2, 5))), {}, "ydata must be 1-D"),
        ((_X[:0], _Y[:0]), {}, "ydata must not be empty"),
        ((_X, np.r_[_Y[:9], np.inf]), {}, "ydata contains NaN or infinity"),
        ((np.r_[_X[:9], np.inf], _Y), {}, "xdata contains NaN or infinity"),
        ((_X, _Y), {"sigma": np.ones(9)}, "sigma must be a scalar, shape"),
        ((_X, _Y), {"sigma": np.ones((10, 9))}, "sigma must be a scalar, shape"),
        ((_X, _Y), {"sigma": np.r_[np.ones(9), 0.0]}, "sigma .* must be finite and positive"),
        ((_X, _Y), {"sigma": -1.0}, "sigma .* must be finite and positive"),
        ((_X, _Y), {"sigma": -np.eye(10)}, "sigma .* must be positive definite"),
        ((_X, _Y), {"sigma": np.eye(10) + np.triu(np.ones((10, 10)), 1)}, "must be symmetric"),
        ((_X, _Y), {"p0": [1, 2]}, "p0 has 2 parameters, but f takes 3"),
        ((_X, _Y), {"p0": [1, 2, 3, 4]}, "p0 has 4 parameters"),
        ((_X, _Y), {"p0": np.ones((3, 1))}, "p0 must be 1-D"),
        ((_X, _Y), {"nan_policy": "propagate"}, "nan_policy must be one of"),
        ((_X, _Y), {"nan_policy": "ignore"}, "nan_policy must be one of"),
        ((_X, _Y), {"method": "lm", "bounds": (0, 2)}, "'lm' only works without bounds"),
        ((_X, _Y), {"method": "newton"}, "method must be"),
        ((_X, _Y), {"bounds": ([0, 0], [1, 1])}, "bounds must be scalars or arrays of length"),
        ((_X, _Y), {"bounds": (0, 1, 2)}, "bounds must be a pair"),
        ((_X, _Y), {"args": (1,)}, "'args' is not a supported keyword"),
        ((_X, _Y), {"epsfcn": -1.0}, "epsfcn must be a positive number"),
        ((_X, _Y), {"diag": [1.0, 0.0, 1.0]}, "diag must hold positive numbers"),
        ((_X, _Y), {"factor": 100.0}, "'factor' is not a supported keyword"),
        ((_X, _Y), {"col_deriv": True}, "col_deriv=True is not supported"),
        ((_X, _Y), {"p0": [5.0, 1.0, 1.0], "bounds": (0, 2)}, "p0 must lie within"),
        ((_X, _Y), {"ftol": -1.0}, "ftol"),
    ],
)
def test_bad_arguments_raise_before_any_evaluation(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        curve_fit(_never, *args, **kwargs)


def test_parameter_count_must_be_determinable():
    with pytest.raises(ValueError, match="p0 is needed"):
        curve_fit(_never_star, _X, _Y)
    with pytest.raises(ValueError, match="p0 is needed"):
        curve_fit(lambda x: x, _X, _Y)


def test_model_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"f\(xdata, \*p\) must return ydata's shape"):
        curve_fit(lambda x, a: a * np.ones(3), _X, _Y)
    with pytest.raises(ValueError, match=r"jac\(xdata, \*p\) must return shape \(10, 1\)"):
        curve_fit(lambda x, a: a * x, _X, _Y, jac=lambda x, a: np.ones((10, 2)), sigma=2.0)
    # A constant model broadcasts to ydata's shape, as in scipy.
    popt, _ = curve_fit(lambda x, c: c, _X, 3.0 + _X)
    assert popt[0] == pytest.approx(3.0 + _X.mean())


# ---- full output ----


def test_full_output():
    x, y, sigma = _data(12)
    popt, pcov, info, mesg, ier = curve_fit(
        _decay, x, y, p0=[1, 1, 1], sigma=sigma, jac=_decay_jac, full_output=True
    )
    assert {"nfev", "njev", "nit", "fvec", "jac"} <= set(info)
    assert info["nfev"] >= 1 and info["njev"] >= 1
    np.testing.assert_allclose(info["fvec"], (_decay(x, *popt) - y) / sigma, rtol=1e-12)
    np.testing.assert_allclose(info["jac"], _decay_jac(x, *popt) / sigma[:, None], rtol=1e-12)
    assert isinstance(mesg, str) and mesg
    assert ier in (1, 2, 3, 4)
    # scipy's fields for its 'trf' are a subset, with the same meaning.
    kw = dict(p0=[1, 1, 1], sigma=sigma, jac=_decay_jac, method="trf", full_output=True)
    _, _, theirs, their_mesg, their_ier = so.curve_fit(_decay, x, y, **kw, **TIGHT)
    assert set(theirs) <= set(info)
    assert isinstance(their_mesg, str) and their_ier in (1, 2, 3, 4)
    np.testing.assert_allclose(info["fvec"], theirs["fvec"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(popt, curve_fit(_decay, x, y, p0=[1, 1, 1], sigma=sigma)[0])
