"""The ``trustregion`` command line: ``trustregion bench``.

Also the argument types both command lines (this one and ``python -m rl_adapters``) use:
each turns a string into a value checked by the shared checks of
:mod:`trustregion._validation` or raises ``argparse.ArgumentTypeError``, so that argparse
stops with one error line and exit status 2 before any work is done and before any file
or folder is made.
"""

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

from ._validation import (
    check_nonnegative_int,
    check_positive_int,
    check_positive_scalar,
    check_probability,
)

_T = TypeVar("_T")

# -- argument types -------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An integer ≥ 1."""
    return _parsed(text, int, check_positive_int)


def nonnegative_int(text: str) -> int:
    """An integer ≥ 0 (a seed)."""
    return _parsed(text, int, check_nonnegative_int)


def positive_float(text: str) -> float:
    """A finite number > 0."""
    return _parsed(text, float, check_positive_scalar)


def unit_interval(text: str) -> float:
    """A number in [0, 1] (a discount or a GAE λ)."""
    return _parsed(text, float, check_probability)


def writable_file(text: str) -> str:
    """A file path we may write: not a folder, in an existing folder we may write to, and
    itself writable if it exists. The empty string passes (an output turned off)."""
    if text == "":
        return text
    folder = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"the folder of {text!r} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(text) and not os.access(text, os.W_OK)):
        raise argparse.ArgumentTypeError(f"{text!r} is not writable")
    return text


def writable_folder(text: str) -> str:
    """A folder we may write into, or may create: its nearest existing ancestor is a
    writable folder (nothing is created here)."""
    path = os.path.abspath(text)
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise argparse.ArgumentTypeError(f"{text!r} cannot be a folder: {existing!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(
            f"{existing!r} is not writable, so {text!r} cannot be written"
        )
    return text


def _parsed(text: str, parse: Callable[[str], _T], check: Callable[[_T, str], _T]) -> _T:
    """``check`` (one of :mod:`trustregion._validation`'s, which the agents' configurations
    use too) of the number ``parse(text)``, its refusals as argparse's."""
    try:
        value = parse(text)
    except ValueError:
        kind = "an integer" if parse is int else "a number"
        raise argparse.ArgumentTypeError(f"must be {kind}, got {text!r}") from None
    try:
        return check(value, "the value")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# -- trustregion bench ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from . import _bench

    parser = argparse.ArgumentParser(prog="trustregion", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="compare our methods with scipy's on a suite")
    bench.add_argument(
        "--suite",
        default="mgh",
        help="problem suite: mgh (default), cutest, bounds, hs, or nls (least squares: NIST "
        "StRD from both starts and MGH, against scipy's least_squares)",
    )
    bench.add_argument(
        "--solvers",
        default=None,
        help="comma-separated; available: "
        + ", ".join(_bench.SOLVERS)
        + " (default: "
        + ", ".join(_bench.default_solvers("mgh"))
        + "; for bounds: "
        + ", ".join(_bench.default_solvers("bounds"))
        + "; for hs: "
        + ", ".join(_bench.default_solvers("hs"))
        + "; for nls: "
        + ", ".join(_bench.NLS_SOLVERS)
        + "; above n = "
        + str(_bench.DENSE_LIMIT)
        + " the defaults leave out "
        + ", ".join(_bench.DENSE_SOLVERS)
        + ")",
    )
    bench.add_argument(
        "--n",
        type=positive_int,
        default=None,
        help="dimension for the suite's variable-dimension problems",
    )
    bench.add_argument("--maxiter", type=positive_int, default=1000, help="iterations per run")
    bench.add_argument(
        "--repeat",
        type=positive_int,
        default=3,
        help="nls suite: time each run as the median of this many (default 3)",
    )
    bench.add_argument("--json", metavar="PATH", type=writable_file, help="write every run as JSON")
    bench.add_argument(
        "--profile",
        metavar="PATH",
        type=writable_file,
        default=None,
        help="write a Dolan-Moré performance profile (needs matplotlib; default "
        "performance_profile_SUITE[_nN].png; '' to skip)",
    )
    bench.add_argument(
        "--time-limit",
        metavar="SECONDS",
        type=positive_float,
        default=60.0,
        help="wall time allowed to each run, which past it counts as unsolved (default 60)",
    )
    bench.add_argument("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    solvers, suite = _bench_plan(args, bench)
    return _run_bench(args, solvers, suite)


def console() -> None:
    """The ``trustregion`` command: :func:`main` with BLAS pinned to one thread.

    BLAS reads its thread count once, when numpy loads it, which ``import trustregion``
    has done before any argument is read; so where the variables do not already say one
    thread, the command starts itself again with them set (each solver compared then runs
    on one thread; unpinned, scipy's L-BFGS-B on a 2-variable problem ran 100 times slower
    on a busy machine)."""
    if any(os.environ.get(name) != "1" for name in BLAS_THREAD_VARIABLES):
        os.environ.update(dict.fromkeys(BLAS_THREAD_VARIABLES, "1"))
        os.execv(sys.executable, [sys.executable, "-m", "trustregion", *sys.argv[1:]])
    sys.exit(main())


# The variables that OpenBLAS, OpenMP-threaded BLAS and MKL read their thread counts from.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _bench_plan(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> tuple[list[str], list[Any]]:
    """(solvers, problems) of a bench run, or ``parser.error`` before any run."""
    from . import _bench, problems

    nls = args.suite == "nls"
    available = _bench.NLS_SOLVERS if nls else _bench.SOLVERS
    named = [s.strip() for s in args.solvers.split(",") if s.strip()] if args.solvers else []
    unknown = [s for s in named if s not in available]
    if unknown:
        parser.error(f"unknown solver(s): {', '.join(unknown)}; available: {', '.join(available)}")
    if nls:
        if args.n is not None:
            parser.error("the 'nls' suite has fixed dimensions; --n is for 'cutest'")
        return named or list(available), _bench.cases()
    try:
        suite = problems.suite(args.suite, n=args.n)
    except ValueError as exc:
        parser.error(str(exc).replace("\n", " "))
    if named:
        return named, suite
    n = max(p.n for p in suite)
    solvers = list(_bench.default_solvers(args.suite, n))
    left_out = [s for s in _bench.default_solvers(args.suite) if s not in solvers]
    if left_out:
        print(
            f"{', '.join(left_out)} left out at n = {n}: each factorises a dense n×n matrix "
            f"at every iteration (the defaults include them up to n = {_bench.DENSE_LIMIT}); "
            "--solvers runs them"
        )
    return solvers, suite


def _run_bench(args: argparse.Namespace, solvers: list[str], suite: list[Any]) -> int:
    from . import _bench

    nls = args.suite == "nls"
    tasks = [(p, s) for p in suite for s in solvers]
    runs: list[_bench.Run] = []
    print(f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}")
    for problem, solver in _progress(tasks, args.quiet):
        if nls:
            runs.append(_bench.run_nls(solver, problem, args.repeat, args.time_limit))
        else:
            runs.append(_bench.run(solver, problem, args.maxiter, args.time_limit))
    print(_bench.problem_table(runs, solvers, field="nfev" if nls else "nit"))
    print()
    print(_bench.solver_table(runs, solvers))
    print()
    for line in _bench.lre_summary(runs, solvers) + _bench.ratio_summary(runs):
        print(line)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in runs], handle, indent=1)
    sized = f"{args.suite}, n = {args.n}" if args.n is not None else args.suite
    path = args.profile
    if path is None:
        path = f"performance_profile_{args.suite}{'' if args.n is None else f'_n{args.n}'}.png"
    if path:
        times = {
            s: [r.seconds if r.solved else math.inf for r in runs if r.solver == s] for s in solvers
        }
        if _bench.save_profile_plot(times, path, f"{sized}: time"):
            print(f"performance profile written to {path}")
        else:
            print(
                "matplotlib is not installed: no performance profile "
                "(pip install 'trustregion[bench]')"
            )
    return 0


def _progress(tasks: list[tuple[Any, str]], quiet: bool) -> Iterator[tuple[Any, str]]:
    """Iterate with a progress bar on stderr (tqdm when installed), unless quiet."""
    if quiet:
        yield from tasks
        return
    try:
        from tqdm import tqdm
    except ImportError:
        total = len(tasks)
        for i, task in enumerate(tasks, 1):
            print(
                f"\r{i}/{total} {task[0].name} {task[1]:<14}", end="", file=sys.stderr, flush=True
            )
            yield task
        print(file=sys.stderr)
        return
    bar = tqdm(tasks, desc="bench", unit="run", file=sys.stderr)
    for problem, solver in bar:
        bar.set_postfix_str(f"{problem.name} · {solver}")  # the run under way
        yield problem, solver


if __name__ == "__main__":
    sys.exit(main())
