"""Learning-curve figures from the training CSV."""

import csv
import math
import os
from collections.abc import Sequence


def read_log(path: str | os.PathLike[str]) -> dict[str, list[float]]:
    """The training CSV as a dict of columns (floats; empty cells are NaN)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            try:
                number = float(value) if value != "" else math.nan
            except ValueError:
                number = math.nan
            columns.setdefault(key, []).append(number)
    return columns


def plot_learning_curves(
    curves: Sequence[tuple[str, str | os.PathLike[str]]],
    path: str | os.PathLike[str],
    title: str = "",
) -> None:
    """Mean episode return against environment steps, one line per ``(label, csv_path)``
    in ``curves``, saved to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for label, csv_path in curves:
        log = read_log(csv_path)
        axes.plot(log["timesteps"], log["mean_return"], label=label)
    axes.set_xlabel("environment steps")
    axes.set_ylabel("mean return (last 100 episodes)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if len(curves) > 1:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
