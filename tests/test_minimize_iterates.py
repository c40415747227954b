"""The accepted points of ``minimize`` held against a record, so that work on the driver's
speed (issue 14) cannot change what the driver does.

The record, ``data/minimize_iterates.json``, holds the first accepted points of each
method on a few MGH problems, made by running this module (``python
tests/test_minimize_iterates.py``) on the code before such work. Regenerate it only for a
change that means to change the iterates, and say so in the commit. Points are compared
to 1e-7 relative (rounding differs between CPUs and BLAS builds, and a trust-region
iteration amplifies it only slowly over the first steps), not bit for bit, and only the
first ``_POINTS``: how many iterations a run takes is not held.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

# The driver's loop is the kernel trustregion._iteration.advance: run it uncompiled too.
pytestmark = pytest.mark.kernels

_RECORD = Path(__file__).parent / "data" / "minimize_iterates.json"
_POINTS = 12
_PROBLEMS = ("rosenbrock", "helical_valley", "beale", "box_3d", "wood", "gaussian")
_METHODS = ("steihaug", "gltr", "exact", "dogleg")


def accepted_points(problem_name: str, method: str) -> list[list[float]]:
    """The first accepted points of ``minimize(method)`` on an MGH problem, x₀ first."""
    from trustregion import minimize
    from trustregion.problems import get

    p = get(problem_name)
    points = [np.asarray(p.x0, dtype=float).tolist()]

    def record(intermediate_result):
        if len(points) <= _POINTS and not np.array_equal(intermediate_result.x, points[-1]):
            points.append(np.asarray(intermediate_result.x).tolist())

    model = {"hessp": p.hessp} if method in ("steihaug", "gltr") else {"hess": p.hess}
    minimize(p.fun, p.x0, jac=p.grad, method=method, callback=record, **model)
    return points[: _POINTS + 1]


def _record() -> dict[str, list[list[float]]]:
    return json.loads(_RECORD.read_text())


@pytest.mark.parametrize("method", _METHODS)
@pytest.mark.parametrize("problem", _PROBLEMS)
def test_accepted_points_are_the_recorded_ones(problem, method):
    expected = _record()[f"{problem}/{method}"]
    got = accepted_points(problem, method)
    assert len(got) >= min(len(expected), _POINTS + 1) - 1  # at most the last one short
    for k, (a, b) in enumerate(zip(got, expected, strict=False)):
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7 * scale, err_msg=f"point {k}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    data = {f"{p}/{m}": accepted_points(p, m) for p in _PROBLEMS for m in _METHODS}
    _RECORD.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data)} sequences to {_RECORD}")
