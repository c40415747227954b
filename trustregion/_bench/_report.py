"""Tables and summaries of benchmark runs."""

import math
import statistics
from collections.abc import Sequence

from ._solvers import Run

# Each of our methods beside the scipy solvers that do the same job (with bounds, our
# steihaug is TRON's projected step and trust-constr scipy's bound-capable trust region).
COUNTERPARTS = {
    "steihaug": ("trust-ncg", "trust-constr", "SLSQP"),
    "gltr": ("trust-krylov",),
    "exact": ("trust-exact",),
    "least_squares": ("trf", "dogbox", "lm"),
}


def _median(runs: Sequence[Run], field: str) -> float:
    values = [getattr(r, field) for r in runs]
    return statistics.median(values) if values else float("nan")


def solver_table(runs: Sequence[Run], solvers: Sequence[str]) -> str:
    """One line per solver: problems solved, median iterations, evaluations and time."""
    lines = [
        f"{'solver':>13} {'solved':>8} {'med nit':>8} {'med nfev':>9} {'med nhev':>9} "
        f"{'med time':>10} {'total time':>11}"
    ]
    for solver in solvers:
        mine = [r for r in runs if r.solver == solver]
        solved = [r for r in mine if r.solved]
        if not mine:
            continue
        lines.append(
            f"{solver:>13} {len(solved):>4}/{len(mine):<3} {_median(solved, 'nit'):>8.0f} "
            f"{_median(solved, 'nfev'):>9.0f} {_median(solved, 'nhev'):>9.0f} "
            f"{1e3 * _median(solved, 'seconds'):>8.2f}ms "
            f"{sum(r.seconds for r in mine):>10.2f}s"
        )
    return "\n".join(lines)


def problem_table(runs: Sequence[Run], solvers: Sequence[str], field: str = "nit") -> str:
    """One line per problem: ``field`` (iterations, or another count) per solver, '-' where
    the solver failed."""
    problems: dict[str, dict[str, Run]] = {}
    for r in runs:
        problems.setdefault(f"{r.problem} (n={r.n})", {})[r.solver] = r
    width = max(len(p) for p in problems) if problems else 10
    lines = [
        f"{'problem':<{width}} "
        + " ".join(f"{s:>12}" for s in solvers)
        + f"   ({field}; - unsolved)"
    ]
    for name, by_solver in problems.items():
        cells = []
        for s in solvers:
            cell = by_solver.get(s)
            value = "" if cell is None else str(getattr(cell, field)) if cell.solved else "-"
            cells.append(f"{value:>12}")
        lines.append(f"{name:<{width}} " + " ".join(cells))
    return "\n".join(lines)


def lre_summary(runs: Sequence[Run], solvers: Sequence[str]) -> list[str]:
    """For the runs with a certified answer (NIST): per solver, how many reach LRE ≥ 6 and
    ≥ 4, and the median and smallest LRE."""
    lines = []
    for solver in solvers:
        lre = [r.lre for r in runs if r.solver == solver and r.lre == r.lre]  # not NaN
        if lre:
            lines.append(
                f"{solver}: LRE >= 6 on {sum(v >= 6 for v in lre)}/{len(lre)}, >= 4 on "
                f"{sum(v >= 4 for v in lre)}/{len(lre)}; median LRE {statistics.median(lre):.1f}, "
                f"smallest {min(lre):.1f}"
            )
    return lines


def ratio_summary(runs: Sequence[Run]) -> list[str]:
    """For each of our methods and its scipy counterpart: solved counts and the median, over
    problems both solve, of scipy's time over ours."""
    by = {(r.solver, r.problem, r.n): r for r in runs}
    lines = []
    for ours, counterparts in COUNTERPARTS.items():
        for theirs in counterparts:
            candidates = [(by[k], by.get((theirs,) + k[1:])) for k in by if k[0] == ours]
            pairs = [(a, b) for a, b in candidates if b is not None]
            if not pairs:
                continue
            ratios = [
                b.seconds / a.seconds for a, b in pairs if a.solved and b.solved and a.seconds > 0
            ]
            solved_ours = sum(a.solved for a, _ in pairs)
            solved_theirs = sum(b.solved for _, b in pairs)
            ratio = statistics.median(ratios) if ratios else math.nan
            lines.append(
                f"{ours} vs {theirs}: solved {solved_ours}/{len(pairs)} vs "
                f"{solved_theirs}/{len(pairs)}; median time ratio {theirs}/{ours} = "
                f"{ratio:.2f}x over {len(ratios)} problems both solve: "
                + _verdict(ours, theirs, ratio)
            )
    return lines


def _verdict(ours: str, theirs: str, ratio: float) -> str:
    """The ratio ``theirs/ours`` in words."""
    if not math.isfinite(ratio):
        return "no problem to compare on"
    if ratio == 1.0:
        return "equally fast"
    faster, factor = (ours, ratio) if ratio > 1.0 else (theirs, 1.0 / ratio)
    return f"{faster} is faster, {factor:.2f}x"
