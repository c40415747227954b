"""Dolan–Moré performance profiles."""

from collections.abc import Mapping, Sequence

import numpy as np


def performance_profile(
    times: Mapping[str, Sequence[float]], taus: Sequence[float] | np.ndarray
) -> dict[str, list[float]]:
    """ρ_s(τ): the fraction of problems solver s solves within τ times the best time.

    ``times[s][p]`` is solver s's cost on problem p, ``inf`` when it failed (Dolan & Moré,
    "Benchmarking optimization software with performance profiles", Math. Program. 91,
    2002). Problems no solver solves count as failures for all.
    """
    solvers = list(times)
    table = np.array([times[s] for s in solvers], dtype=float)
    best = table.min(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(best), table / best, np.inf)
    problems = table.shape[1]
    return {
        s: [float(np.count_nonzero(ratios[i] <= tau)) / problems for tau in taus]
        for i, s in enumerate(solvers)
    }


def save_profile_plot(times: Mapping[str, Sequence[float]], path: str, title: str) -> bool:
    """Write the profile as a PNG; False (and nothing written) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    finite = [t for ts in times.values() for t in ts if np.isfinite(t)]
    if not finite:
        return False
    taus = np.logspace(0, 3, 200)
    profile = performance_profile(times, taus)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for solver, rho in profile.items():
        ax.step(taus, rho, where="post", label=solver)
    ax.set_xscale("log")
    ax.set_xlabel("τ (time within a factor τ of the fastest solver)")
    ax.set_ylabel("fraction of problems solved")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
