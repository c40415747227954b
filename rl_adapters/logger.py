"""Per-iteration training logs: a CSV file and, when asked, the console."""

import csv
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

_R = TypeVar("_R")

COLUMNS = (
    "iteration",
    "timesteps",
    "episodes",
    "mean_return",
    "mean_length",
    "kl",
    "predicted_improvement",
    "actual_improvement",
    "backtracks",
    "accepted",
    "cg_iterations",
    "cg_residual",
    "explained_variance",
    "entropy",
    "value_loss",
    "time_sampling",
    "time_gradient",
    "time_cg",
    "time_line_search",
    "time_value",
    "skipped",
)


class PhaseTimer:
    """Wall time per named phase, summed over the intervals measured."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def mark(self) -> tuple[float, dict[str, float]]:
        """A point to attribute time from: the clock and the phases' totals now."""
        return time.perf_counter(), dict(self.seconds)

    def attribute_rest(self, mark: tuple[float, dict[str, float]], name: str) -> None:
        """Add to ``name`` the time since ``mark`` that no phase measured meanwhile."""
        start, totals = mark
        measured = sum(self.seconds.get(k, 0.0) - totals.get(k, 0.0) for k in self.seconds)
        self.add(name, time.perf_counter() - start - measured)

    def timed(self, name: str, function: Callable[..., _R]) -> Callable[..., _R]:
        """``function`` with its calls' time added to ``name``."""

        def call(*args: Any) -> _R:
            with self.phase(name):
                return function(*args)

        return call


class IterationLogger:
    """Writes one row per training iteration to ``path`` (CSV, columns :data:`COLUMNS`,
    flushed each row so that a run can be watched; with ``append``, after the rows an
    earlier logger wrote there) and prints a short line when ``console``."""

    def __init__(self, path: str | None = None, console: bool = False, append: bool = False):
        self.console = console
        self._file: TextIO | None = None
        self._writer: csv.DictWriter[str] | None = None
        if path is not None:
            header = not (append and os.path.exists(path) and os.path.getsize(path) > 0)
            self._file = open(path, "a" if append else "w", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=COLUMNS)
            if header:
                self._writer.writeheader()
            self._file.flush()

    def log(self, row: dict[str, Any]) -> None:
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown log columns: {sorted(unknown)}")
        if self._writer is not None:
            self._writer.writerow({k: _format(row.get(k, "")) for k in COLUMNS})
            assert self._file is not None  # opened with the writer
            self._file.flush()
        if self.console:
            print(
                f"iter {row['iteration']:4d}  steps {row['timesteps']:8d}  "
                f"return {_format(row.get('mean_return', math.nan)):>10}  "
                f"kl {_format(row.get('kl', math.nan)):>10}  "
                f"backtracks {row.get('backtracks', '')}  "
                f"ev {_format(row.get('explained_variance', math.nan))}"
                + (f"  skipped: {row['skipped']}" if row.get("skipped") else "")
            )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _format(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return value
