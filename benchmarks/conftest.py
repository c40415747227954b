"""pytest configuration for the benchmark suites under benchmarks/.

The suites here use pytest-benchmark's ``benchmark`` fixture and are meant to
be run explicitly::

    python -m pytest benchmarks/ --benchmark-only

They are never part of the normal test run (``python -m pytest tests/`` does
not look here).  As an extra guard, if this directory gets collected by a bare
``pytest`` from the repository root without ``--benchmark-only`` and without
naming ``benchmarks/`` on the command line, the benchmarks are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _explicitly_requested(config) -> bool:
    try:
        if config.getoption("benchmark_only"):
            return True
    except ValueError:
        pass
    for arg in config.args:
        p = Path(str(arg).split("::")[0])
        if not p.is_absolute():
            p = Path(config.invocation_params.dir) / p
        try:
            p.resolve().relative_to(HERE)
            return True
        except ValueError:
            continue
    return False


def pytest_collection_modifyitems(config, items):
    if _explicitly_requested(config):
        return
    skip = pytest.mark.skip(
        reason="benchmark: run with `python -m pytest benchmarks/ --benchmark-only`"
    )
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(skip)
