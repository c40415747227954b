"""``import trustregion`` stays free of the RL side and its heavy optional dependencies.

The optimisation library must import (and stay fast to import) where gymnasium and
PyTorch are installed but not wanted, and ``rl_adapters`` sits on top of it, never under
it. Each check runs in a fresh interpreter, since this process has imported everything.
"""

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("rl_adapters", "torch", "gymnasium")


def _modules_after(statement: str) -> list:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded(modules, package):
    return [m for m in modules if m == package or m.startswith(package + ".")]


@pytest.mark.parametrize(
    "statement",
    [
        "import trustregion",
        "import trustregion.problems, trustregion.operators, trustregion.linesearch",
        "import trustregion._cli",  # the `trustregion` command's module
    ],
)
def test_trustregion_imports_no_rl_torch_or_gymnasium(statement):
    modules = _modules_after(statement)
    assert "trustregion" in modules
    for package in FORBIDDEN:
        assert not _loaded(modules, package), f"{statement!r} imported {package}"


def test_rl_adapters_imports_no_torch():
    # The PyTorch bridge is the separate module rl_adapters.torch, for the same reason.
    pytest.importorskip("gymnasium")
    modules = _modules_after("import rl_adapters")
    assert not _loaded(modules, "torch"), "'import rl_adapters' imported torch"
    assert "rl_adapters.torch" not in modules


def test_one_version_for_both_packages():
    from importlib.metadata import PackageNotFoundError, version

    import trustregion

    rl_adapters = pytest.importorskip("rl_adapters")

    assert rl_adapters.__version__ == trustregion.__version__
    try:
        installed = version("trustregion")
    except PackageNotFoundError:  # running from a checkout that was never installed
        pytest.skip("trustregion is not installed")
    assert installed == trustregion.__version__
