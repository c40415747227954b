"""The NIST StRD nonlinear least-squares reference problems.

The Statistical Reference Datasets of NIST's Information Technology Laboratory
(https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml) pose 27 nonlinear regressions
``y_i = f(x_i; b) + e_i``, each with two published starting vectors, parameters certified
to 11 significant digits (computed in 128-bit arithmetic), their standard deviations and
the certified residual sum of squares. The data files are shipped unchanged in
``trustregion/problems/data/nist/`` and parsed here at run time: every number of a
problem comes from its file, none is copied into this module.

A :class:`NISTProblem` gives the residual ``r(b) = f(x; b) - y`` (for Nelson, whose model
is stated for ``log y``, ``r(b) = f(x; b) - log y``), its analytic Jacobian, the cost
``0.5 * ||r||^2`` (the objective of :func:`scipy.optimize.least_squares`) and NIST's
accuracy measure, the log relative error of the worst parameter (:meth:`NISTProblem.lre`).

Datasets that share a model share one model function here (one per formula): Misra1a and
BoxBOD; Chwirut1 and Chwirut2; the Lanczos sets; the Gauss sets; Kirby2, Hahn1 and Thurber
(rational functions with constant denominator term 1). All 27 data files are shipped; a
dataset is registered in :data:`NIST` by the presence of its file next to its model.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = ["LRE_CAP", "NIST", "NISTProblem", "nist_problem"]

#: Ceiling of :meth:`NISTProblem.lre`. The certified values carry 11 significant digits,
#: so agreement beyond 11 digits cannot be measured; NIST and McCullough (1999) report
#: LREs on the same scale.
LRE_CAP = 11.0


# A model function takes the parameters b (shape (n,)) and the predictors x (shape (m,),
# or (m, k) for k > 1 predictors) and returns f(x; b), shape (m,), and its Jacobian
# df/db, shape (m, n). Each is written once per formula of the NIST headers.
_Model = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _exp_rise(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 (1 - exp(-b2 x))`` (Misra1a, BoxBOD)."""
    e = np.exp(-b[1] * x)
    return b[0] * (1.0 - e), np.column_stack([1.0 - e, b[0] * x * e])


def _chwirut(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = exp(-b1 x) / (b2 + b3 x)`` (Chwirut1, Chwirut2)."""
    e = np.exp(-b[0] * x)
    d = b[1] + b[2] * x
    f = e / d
    return f, np.column_stack([-x * f, -f / d, -x * f / d])


def _exp_sum(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = sum_k b_{2k-1} exp(-b_{2k} x)`` (Lanczos1-3: three terms; MGH17 adds b1)."""
    cols = []
    f = np.zeros_like(x, dtype=np.result_type(b, x))
    for a, c in zip(b[0::2], b[1::2], strict=True):
        e = np.exp(-c * x)
        f = f + a * e
        cols += [e, -a * x * e]
    return f, np.column_stack(cols)


def _gauss(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 exp(-b2 x) + b3 exp(-(x-b4)^2/b5^2) + b6 exp(-(x-b7)^2/b8^2)`` (Gauss1-3)."""
    e = np.exp(-b[1] * x)
    f = b[0] * e
    cols = [e, -b[0] * x * e]
    for a, mu, s in (b[2:5], b[5:8]):
        u = (x - mu) / s
        g = np.exp(-(u**2))
        f = f + a * g
        # d/dmu exp(-u^2) = 2 u g / s and d/ds exp(-u^2) = 2 u^2 g / s.
        cols += [g, 2.0 * a * u * g / s, 2.0 * a * u**2 * g / s]
    return f, np.column_stack(cols)


def _misra1b(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 (1 - (1 + b2 x / 2)^-2)`` (Misra1b)."""
    t = 1.0 + 0.5 * b[1] * x
    return b[0] * (1.0 - t**-2), np.column_stack([1.0 - t**-2, b[0] * x * t**-3])


def _misra1c(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 (1 - (1 + 2 b2 x)^-1/2)`` (Misra1c)."""
    t = 1.0 + 2.0 * b[1] * x
    return b[0] * (1.0 - t**-0.5), np.column_stack([1.0 - t**-0.5, b[0] * x * t**-1.5])


def _misra1d(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 b2 x / (1 + b2 x)`` (Misra1d)."""
    t = 1.0 + b[1] * x
    return b[0] * b[1] * x / t, np.column_stack([b[1] * x / t, b[0] * x / t**2])


def _rational(p: int) -> _Model:
    """``f = (b1 + ... + b_{p+1} x^p) / (1 + b_{p+2} x + ... + b_n x^q)`` (Kirby2: p = q = 2;
    Thurber, Hahn1: p = q = 3), for numerator degree ``p``."""

    def model(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        num_powers = np.column_stack([x**k for k in range(p + 1)])
        den_powers = np.column_stack([x**k for k in range(1, b.size - p)])
        num = num_powers @ b[: p + 1]
        den = 1.0 + den_powers @ b[p + 1 :]
        f = num / den
        return f, np.column_stack([num_powers / den[:, None], -den_powers * (f / den)[:, None]])

    model.__doc__ = _rational.__doc__
    return model


def _danwood(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 x^b2`` (DanWood)."""
    p = x ** b[1]
    return b[0] * p, np.column_stack([p, b[0] * p * np.log(x)])


def _eckerle4(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = (b1 / b2) exp(-0.5 ((x - b3) / b2)^2)`` (Eckerle4)."""
    u = (x - b[2]) / b[1]
    g = np.exp(-0.5 * u**2)
    f = b[0] / b[1] * g
    return f, np.column_stack([g / b[1], f * (u**2 - 1.0) / b[1], f * u / b[1]])


def _mgh09(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 (x^2 + x b2) / (x^2 + x b3 + b4)`` (MGH09)."""
    num = x**2 + x * b[1]
    den = x**2 + x * b[2] + b[3]
    f = b[0] * num / den
    return f, np.column_stack([num / den, b[0] * x / den, -f * x / den, -f / den])


def _mgh10(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 exp(b2 / (x + b3))`` (MGH10)."""
    s = x + b[2]
    e = np.exp(b[1] / s)
    f = b[0] * e
    return f, np.column_stack([e, f / s, -f * b[1] / s**2])


def _mgh17(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 + b2 exp(-x b4) + b3 exp(-x b5)`` (MGH17)."""
    e4 = np.exp(-x * b[3])
    e5 = np.exp(-x * b[4])
    f = b[0] + b[1] * e4 + b[2] * e5
    return f, np.column_stack([np.ones_like(f), e4, e5, -b[1] * x * e4, -b[2] * x * e5])


def _nelson(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 - b2 x1 exp(-b3 x2)``, a model of ``log y`` (Nelson)."""
    x1, x2 = x[:, 0], x[:, 1]
    e = np.exp(-b[2] * x2)
    f = b[0] - b[1] * x1 * e
    return f, np.column_stack([np.ones_like(f), -x1 * e, b[1] * x1 * x2 * e])


def _rat42(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 / (1 + exp(b2 - b3 x))`` (Rat42)."""
    e = np.exp(b[1] - b[2] * x)
    f = b[0] / (1.0 + e)
    g = f * e / (1.0 + e)
    return f, np.column_stack([f / b[0], -g, g * x])


def _rat43(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 / (1 + exp(b2 - b3 x))^(1/b4)`` (Rat43)."""
    e = np.exp(b[1] - b[2] * x)
    t = 1.0 + e
    f = b[0] * t ** (-1.0 / b[3])
    g = f * e / (b[3] * t)  # -df/db2 = df/db3 / x
    return f, np.column_stack([f / b[0], -g, g * x, f * np.log(t) / b[3] ** 2])


def _bennett5(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 (b2 + x)^(-1/b3)`` (Bennett5)."""
    s = b[1] + x
    f = b[0] * s ** (-1.0 / b[2])
    return f, np.column_stack([f / b[0], -f / (b[2] * s), f * np.log(s) / b[2] ** 2])


def _enso(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 + b2 cos(2 pi x/12) + b3 sin(2 pi x/12) + b5 cos(2 pi x/b4)
    + b6 sin(2 pi x/b4) + b8 cos(2 pi x/b7) + b9 sin(2 pi x/b7)`` (ENSO)."""
    t = 2.0 * math.pi * x
    f = b[0] + b[1] * np.cos(t / 12.0) + b[2] * np.sin(t / 12.0)
    cols = [np.ones_like(f), np.cos(t / 12.0), np.sin(t / 12.0)]
    for period, a_cos, a_sin in (b[3:6], b[6:9]):
        c, s = np.cos(t / period), np.sin(t / period)
        f = f + a_cos * c + a_sin * s
        # d/dP of cos(t/P) is sin(t/P) t/P^2, of sin(t/P) is -cos(t/P) t/P^2.
        cols += [(a_cos * s - a_sin * c) * t / period**2, c, s]
    return f, np.column_stack(cols)


def _roszman1(b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f = b1 - b2 x - arctan(b3 / (x - b4)) / pi`` (Roszman1)."""
    d = x - b[3]
    # d/db3 arctan(b3/d) = d / (d^2 + b3^2); d/db4 arctan(b3/d) = b3 / (d^2 + b3^2).
    q = math.pi * (d**2 + b[2] ** 2)
    f = b[0] - b[1] * x - np.arctan(b[2] / d) / math.pi
    return f, np.column_stack([np.ones_like(f), -x, -d / q, -b[2] / q])


_MODELS: dict[str, _Model] = {
    "Bennett5": _bennett5,
    "BoxBOD": _exp_rise,
    "Chwirut1": _chwirut,
    "Chwirut2": _chwirut,
    "DanWood": _danwood,
    "ENSO": _enso,
    "Eckerle4": _eckerle4,
    "Gauss1": _gauss,
    "Gauss2": _gauss,
    "Gauss3": _gauss,
    "Hahn1": _rational(3),
    "Kirby2": _rational(2),
    "Lanczos1": _exp_sum,
    "Lanczos2": _exp_sum,
    "Lanczos3": _exp_sum,
    "MGH09": _mgh09,
    "MGH10": _mgh10,
    "MGH17": _mgh17,
    "Misra1a": _exp_rise,
    "Misra1b": _misra1b,
    "Misra1c": _misra1c,
    "Misra1d": _misra1d,
    "Nelson": _nelson,
    "Rat42": _rat42,
    "Rat43": _rat43,
    "Roszman1": _roszman1,
    "Thurber": _rational(3),
}

# Models stated for log(y) rather than y (the "Model:" block of the file says log[y] = ...).
_LOG_RESPONSE = frozenset({"Nelson"})


@dataclass(frozen=True, eq=False)
class NISTProblem:
    """One NIST StRD nonlinear regression, as a least-squares problem in ``b``.

    The residual is ``r(b) = f(x; b) - y`` (``f(x; b) - log y`` for Nelson, whose model is
    stated for ``log y``) and the certified parameters ``c`` minimise ``||r(b)||^2``; NIST's
    certified residual sum of squares is ``||r(c)||^2`` (NIST StRD,
    https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml).

    Attributes
    ----------
    name : str
        NIST's dataset name, e.g. ``"Misra1a"``.
    difficulty : {"lower", "average", "higher"}
        NIST's level of difficulty, from the file header.
    model : str
        The model formula as the file header states it.
    n, m : int
        Number of parameters and of observations.
    x : numpy.ndarray
        Predictors, shape ``(m,)``, or ``(m, k)`` for ``k > 1`` predictors (Nelson);
        read-only.
    y : numpy.ndarray
        Responses, shape ``(m,)``, read-only (the raw ``y``, also for Nelson).
    starts : tuple of numpy.ndarray
        NIST's two starting vectors ("Start 1", far from the solution, and "Start 2").
    certified, certified_std : numpy.ndarray
        Certified parameters and their certified standard deviations.
    certified_rss : float
        Certified residual sum of squares ``||r(c)||^2``.
    residual_std : float
        Certified residual standard deviation, ``sqrt(certified_rss / (m - n))``.
    dof : int
        Degrees of freedom as the file header states them, ``m - n`` except for Rat43,
        whose file says 9 for ``m - n = 11`` (its certified ``residual_std`` uses 11).
    """

    name: str
    difficulty: str
    model: str
    n: int
    m: int
    x: np.ndarray
    y: np.ndarray
    starts: tuple[np.ndarray, np.ndarray]
    certified: np.ndarray
    certified_std: np.ndarray
    certified_rss: float
    residual_std: float
    dof: int

    def _eval(self, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (self.n,):
            raise ValueError(f"b must have shape ({self.n},) for {self.name}, not {b.shape}.")
        # Far from the certified values the models overflow (exp of a large argument): the
        # value is then inf or NaN, which a solver rejects, and no warning is raised.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _MODELS[self.name](b, self.x)

    def _target(self) -> np.ndarray:
        return np.log(self.y) if self.name in _LOG_RESPONSE else self.y

    def residual(self, b: ArrayLike) -> np.ndarray:
        """The residual ``r(b) = f(x; b) - y`` (``- log y`` for Nelson), shape ``(m,)``."""
        return np.asarray(self._eval(b)[0] - self._target(), dtype=np.float64)

    def jacobian(self, b: ArrayLike) -> np.ndarray:
        """The analytic Jacobian ``dr/db = df(x; b)/db`` of the residual, shape ``(m, n)``."""
        return np.asarray(self._eval(b)[1], dtype=np.float64)

    def cost(self, b: ArrayLike) -> float:
        """``0.5 * ||r(b)||^2``, the cost that :func:`scipy.optimize.least_squares` reports."""
        r = self.residual(b)
        return 0.5 * float(r @ r)

    def lre(self, b: ArrayLike) -> float:
        """NIST's log relative error of the worst parameter of ``b``.

        ``LRE = -log10(max_j |b_j - c_j| / |c_j|)`` with ``c`` the certified parameters
        (McCullough, B. D. (1999), "Assessing the reliability of statistical software",
        The American Statistician 53(2); NIST StRD), roughly the
        number of correct significant digits of the least accurate parameter. It is
        capped at :data:`LRE_CAP` (11: the certified values have 11 digits, so more cannot
        be measured) and is 0 when it would be negative (no correct digit) or when ``b``
        is not finite. McCullough's absolute error is used for a parameter certified as
        zero (none of NIST's is).
        """
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (self.n,):
            raise ValueError(f"b must have shape ({self.n},) for {self.name}, not {b.shape}.")
        if not np.all(np.isfinite(b)):
            return 0.0
        c = self.certified
        scale = np.where(c == 0.0, 1.0, np.abs(c))
        err = float(np.max(np.abs(b - c) / scale))
        if err == 0.0:
            return LRE_CAP
        return float(min(LRE_CAP, max(0.0, -math.log10(err))))


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _header_value(lines: Sequence[str], label: str) -> float:
    """The number after ``label:`` in the header (e.g. "Residual Sum of Squares")."""
    for line in lines:
        if line.strip().startswith(label + ":"):
            return float(line.split(":", 1)[1])
    raise ValueError(f"NIST file has no '{label}' line.")


def _line_range(lines: Sequence[str], label: str) -> tuple[int, int]:
    """The 1-based inclusive line range ``(lines A to B)`` given for ``label``."""
    for line in lines[:10]:
        match = re.search(label + r"\s*\(lines\s+(\d+)\s+to\s+(\d+)\)", line)
        if match:
            return int(match.group(1)), int(match.group(2))
    raise ValueError(f"NIST file header gives no line range for '{label}'.")


def _model_text(lines: Sequence[str]) -> str:
    """The formula lines of the "Model:" block, between "N Parameters" and the table."""
    start = next(i for i, s in enumerate(lines) if s.startswith("Model:"))
    body = []
    for line in lines[start + 2 :]:
        if re.search(r"Starting\s+[Vv]alues", line):
            break
        if line.strip():
            body.append(line.strip())
    return "\n".join(body)


def _parameters(lines: Sequence[str]) -> np.ndarray:
    """Rows ``bj = start1 start2 certified std`` of the parameter table."""
    first, last = _line_range(lines, "Starting Values")
    rows = []
    for line in lines[first - 1 : last]:
        match = re.match(r"\s*b(\d+)\s*=(.*)", line)
        if match is None:
            raise ValueError(f"NIST parameter line is malformed: {line!r}.")
        rows.append([float(v) for v in re.findall(_NUMBER, match.group(2))])
    table = np.array(rows, dtype=np.float64)
    if table.shape[1] != 4:
        raise ValueError("NIST parameter lines must hold two starts, a value and its std.")
    return table


def _readonly(a: ArrayLike) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def _parse(name: str, text: str) -> NISTProblem:
    lines = text.splitlines()
    table = _parameters(lines)
    first, last = _line_range(lines, "Data")
    data = np.array([[float(v) for v in line.split()] for line in lines[first - 1 : last]])
    m = int(_header_value(lines, "Number of Observations"))
    if data.shape[0] != m or last - first + 1 != m:
        raise ValueError(f"{name}: {data.shape[0]} data lines, but the header says {m}.")
    level = re.search(r"(Lower|Average|Higher) Level of Difficulty", text)
    if level is None:
        raise ValueError(f"{name}: NIST file header states no level of difficulty.")
    x = data[:, 1] if data.shape[1] == 2 else data[:, 1:]
    return NISTProblem(
        name=name,
        difficulty=level.group(1).lower(),
        model=_model_text(lines),
        n=table.shape[0],
        m=m,
        x=_readonly(x),
        y=_readonly(data[:, 0]),
        starts=(_readonly(table[:, 0]), _readonly(table[:, 1])),
        certified=_readonly(table[:, 2]),
        certified_std=_readonly(table[:, 3]),
        certified_rss=_header_value(lines, "Residual Sum of Squares"),
        residual_std=_header_value(lines, "Residual Standard Deviation"),
        dof=int(_header_value(lines, "Degrees of Freedom")),
    )


@functools.cache
def nist_problem(name: str) -> NISTProblem:
    """The NIST StRD problem ``name`` (e.g. ``"Misra1a"``), parsed from its data file.

    Parameters
    ----------
    name : str
        A key of :data:`NIST`: NIST's dataset name, case as NIST spells it.

    Returns
    -------
    NISTProblem
        The problem; one object per name (cached), with read-only arrays.

    Raises
    ------
    ValueError
        If ``name`` is not one of the datasets shipped (:data:`NIST`).
    """
    if name not in NIST:
        raise ValueError(f"name must be one of the NIST datasets {sorted(NIST)}, not {name!r}.")
    text = _data_dir().joinpath(f"{name}.dat").read_text(encoding="ascii")
    return _parse(name, text)


def _data_dir() -> Traversable:
    # Anchored at the package: data/ and data/nist/ are plain folders, not packages.
    return resources.files("trustregion.problems").joinpath("data").joinpath("nist")


def _available() -> list[str]:
    files = {p.name for p in _data_dir().iterdir()}
    return sorted(name for name in _MODELS if f"{name}.dat" in files)


#: The NIST StRD datasets shipped with the package: name -> a function returning its
#: (cached) :class:`NISTProblem`.
NIST: dict[str, Callable[[], NISTProblem]] = {
    name: functools.partial(nist_problem, name) for name in _available()
}
