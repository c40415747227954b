"""The ``trustregion`` command line: ``trustregion bench``."""

import argparse
import json
import math
import sys
from dataclasses import asdict

from . import _bench, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="trustregion", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("bench", help="compare our methods with scipy's on a suite")
    bench.add_argument("--suite", default="mgh",
                       help="problem suite: mgh (default), cutest, bounds or hs")
    bench.add_argument("--solvers", default=None,
                       help="comma-separated; available: " + ", ".join(_bench.SOLVERS)
                       + " (default: " + ", ".join(_bench.default_solvers("mgh"))
                       + "; for bounds: " + ", ".join(_bench.default_solvers("bounds"))
                       + "; for hs: " + ", ".join(_bench.default_solvers("hs")) + ")")
    bench.add_argument("--n", type=int, default=None,
                       help="dimension for the suite's variable-dimension problems")
    bench.add_argument("--maxiter", type=int, default=1000, help="iterations per run")
    bench.add_argument("--json", metavar="PATH", help="write every run as JSON")
    bench.add_argument("--profile", metavar="PATH", default="performance_profile.png",
                       help="write a Dolan-Moré performance profile (needs matplotlib; "
                            "'' to skip)")
    bench.add_argument("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    return _run_bench(args)


def _run_bench(args) -> int:
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()] if args.solvers \
        else list(_bench.default_solvers(args.suite))
    unknown = [s for s in solvers if s not in _bench.SOLVERS]
    if unknown:
        print(f"unknown solver(s): {', '.join(unknown)}; available: "
              f"{', '.join(_bench.SOLVERS)}", file=sys.stderr)
        return 2
    try:
        suite = problems.suite(args.suite, n=args.n)
    except ValueError as exc:
        print(f"trustregion bench: {exc}", file=sys.stderr)
        return 2
    tasks = [(p, s) for p in suite for s in solvers]
    runs = []
    for problem, solver in _progress(tasks, args.quiet):
        runs.append(_bench.run(solver, problem, args.maxiter))
    print(_bench.problem_table(runs, solvers))
    print()
    print(_bench.solver_table(runs, solvers))
    print()
    for line in _bench.ratio_summary(runs):
        print(line)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([asdict(r) for r in runs], handle, indent=1)
    if args.profile:
        times = {s: [r.seconds if r.solved else math.inf for r in runs if r.solver == s]
                 for s in solvers}
        if _bench.save_profile_plot(times, args.profile, f"{args.suite}: time"):
            print(f"performance profile written to {args.profile}")
        else:
            print("matplotlib is not installed: no performance profile "
                  "(pip install 'trustregion[bench]')")
    return 0


def _progress(tasks, quiet):
    """Iterate with a progress bar on stderr (tqdm when installed), unless quiet."""
    if quiet:
        yield from tasks
        return
    try:
        from tqdm import tqdm
    except ImportError:
        total = len(tasks)
        for i, task in enumerate(tasks, 1):
            print(f"\r{i}/{total} {task[0].name} {task[1]:<14}", end="", file=sys.stderr,
                  flush=True)
            yield task
        print(file=sys.stderr)
        return
    yield from tqdm(tasks, desc="bench", unit="run", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
