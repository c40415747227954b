"""The NIST StRD nonlinear regression problems (trustregion.problems.nist).

Checked against NIST's own certified results: the certified residual sum of squares at
the certified parameters, the first-order condition J^T r = 0 there (model, data and
Jacobian together), and the analytic Jacobians against complex-step derivatives.
"""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pytest

from trustregion.problems import nist
from trustregion.problems.nist import LRE_CAP, NIST, NISTProblem, nist_problem

NAMES = sorted(NIST)

# Lanczos1's data are generated to 14 digits and its certified RSS is ~1e-25: compare
# absolutely there, relatively (6 significant digits) elsewhere.
ABSOLUTE_RSS = {"Lanczos1": 1e-20}


def _complex_step_jacobian(p, b):
    """d r / d b_j = Im f(x; b + i h e_j) / h + O(h^2), free of cancellation, so exact to
    rounding even for columns far smaller than the residual (MGH17 at start 1). It runs the
    model function on complex parameters: the models are analytic (no abs, no conj)."""
    model = nist._MODELS[p.name]
    b = np.asarray(b, dtype=complex)
    cols = []
    for j in range(b.size):
        h = 1e-20 * max(abs(b[j]), 1e-30)
        e = np.zeros_like(b)
        e[j] = 1j * h
        cols.append(model(b + e, p.x)[0].imag / h)
    return np.column_stack(cols)


def test_shipped_files_are_the_registered_datasets():
    folder = resources.files("trustregion.problems").joinpath("data").joinpath("nist")
    files = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".dat"))
    assert files == NAMES
    assert len(NAMES) >= 14


@pytest.mark.parametrize("name", NAMES)
def test_certified_rss_at_certified_parameters(name):
    p = NIST[name]()
    r = p.residual(p.certified)
    assert r.shape == (p.m,) and r.dtype == np.float64
    rss = float(r @ r)
    if name in ABSOLUTE_RSS:
        assert abs(rss) < ABSOLUTE_RSS[name]
    else:
        assert rss == pytest.approx(p.certified_rss, rel=1e-6)
    assert p.cost(p.certified) == pytest.approx(0.5 * rss, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_header_fields_are_consistent(name):
    p = NIST[name]()
    assert p.name == name
    assert p.difficulty in ("lower", "average", "higher")
    assert "b1" in p.model
    # NIST's Rat43 file states 9 degrees of freedom for 15 observations and 4 parameters
    # (its certified residual standard deviation uses m - n = 11).
    assert p.dof == (9 if name == "Rat43" else p.m - p.n)
    assert p.y.shape == (p.m,)
    assert p.x.shape[0] == p.m
    assert len(p.starts) == 2
    for v in (*p.starts, p.certified, p.certified_std):
        assert v.shape == (p.n,)
    assert np.all(p.certified_std > 0)
    # The certified residual standard deviation is sqrt(RSS / (m - n)) (to its 11 digits).
    assert p.residual_std == pytest.approx(np.sqrt(p.certified_rss / (p.m - p.n)), rel=1e-9)
    # The number of parameters is the one the model block states ("N Parameters").
    text = (
        resources.files("trustregion.problems")
        .joinpath("data")
        .joinpath("nist")
        .joinpath(f"{name}.dat")
        .read_text(encoding="ascii")
    )
    assert int(re.search(r"(\d+) Parameters", text).group(1)) == p.n
    assert int(re.search(r"(\d+) Observations", text).group(1)) == p.m


@pytest.mark.parametrize("name", NAMES)
def test_data_arrays_are_read_only(name):
    p = NIST[name]()
    for a in (p.x, p.y, *p.starts, p.certified, p.certified_std):
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[0] = 1.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("point", ["start1", "start2", "certified"])
def test_jacobian_matches_complex_step(name, point):
    p = NIST[name]()
    b = {"start1": p.starts[0], "start2": p.starts[1], "certified": p.certified}[point]
    J = p.jacobian(b)
    assert J.shape == (p.m, p.n) and J.dtype == np.float64
    fd = _complex_step_jacobian(p, b)
    err = np.linalg.norm(J - fd, axis=0)
    scale = np.linalg.norm(fd, axis=0)
    assert np.all(err <= 1e-6 * scale), err / scale


@pytest.mark.parametrize("name", NAMES)
def test_gradient_vanishes_at_certified_parameters(name):
    # First-order condition: J(c)^T r(c) = 0 at the least-squares solution. The certified
    # values are rounded to 11 digits, which leaves a gradient of about J^T J delta with
    # |delta_j| <= 5e-11 |c_j|; we allow twice that on top of a 1e-6 relative floor.
    p = NIST[name]()
    r = p.residual(p.certified)
    J = p.jacobian(p.certified)
    norm_j = np.linalg.norm(J, 2)
    rounding = norm_j**2 * np.linalg.norm(1e-10 * p.certified)
    assert np.linalg.norm(J.T @ r) <= 1e-6 * norm_j * np.linalg.norm(r) + rounding


@pytest.mark.parametrize("name", NAMES)
def test_lre(name):
    p = NIST[name]()
    c = p.certified
    assert p.lre(c) == LRE_CAP
    # One parameter off by a relative 1e-4 (the others exact): 4 correct digits.
    for j in range(p.n):
        b = c.copy()
        b[j] = c[j] * (1.0 + 1e-4)
        assert p.lre(b) == pytest.approx(4.0, abs=1e-9)
    # The worst parameter decides.
    b = c * (1.0 + 1e-7)
    b[-1] = c[-1] * (1.0 - 1e-3)
    assert p.lre(b) == pytest.approx(3.0, abs=1e-9)
    # Below the cap; no correct digit reads 0; non-finite reads 0.
    assert p.lre(c * (1.0 + 1e-13)) == LRE_CAP
    assert p.lre(c * 3.0) == 0.0
    assert p.lre(np.full(p.n, np.nan)) == 0.0


def test_nelson_fits_log_y():
    p = nist_problem("Nelson")
    assert p.model.startswith("log[y]")
    assert p.x.shape == (p.m, 2)
    b = p.certified
    model = b[0] - b[1] * p.x[:, 0] * np.exp(-b[2] * p.x[:, 1])
    np.testing.assert_allclose(p.residual(b), model - np.log(p.y), rtol=0, atol=1e-14)


def test_registry_and_errors():
    assert nist_problem("Misra1a") is NIST["Misra1a"]()
    assert isinstance(nist_problem("Misra1a"), NISTProblem)
    with pytest.raises(ValueError, match="name"):
        nist_problem("misra1a")
    p = nist_problem("Misra1a")
    with pytest.raises(ValueError, match="shape"):
        p.residual(np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        p.lre(np.ones(3))
    with pytest.raises(AttributeError):
        p.n = 3


def test_all_27_datasets_are_shipped():
    # NIST's nonlinear regression collection has 27 datasets; every model has its file.
    assert len(NIST) == 27 and set(NIST) == set(nist._MODELS)
