"""Shared timing helpers for the benchmark scripts (not a test module).

All comparisons are made in one process, with the candidates' repeats
interleaved (A B, B A, A B, ...) so that slow drifts of a noisy machine hit
both sides alike.  Each sample times a batch of calls long enough for
``time.perf_counter`` to be accurate; the reported number is the median of the
per-call times of the samples.
"""
from __future__ import annotations

import gc
import math
import statistics
import sys
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parent.parent


def ensure_repo_on_path() -> None:
    """Make ``import trustregion`` work when run as ``python benchmarks/x.py``."""
    root = str(REPO)
    if root not in sys.path:
        sys.path.insert(0, root)


def _batch(fn, number: int) -> float:
    t0 = perf_counter()
    for _ in range(number):
        fn()
    return perf_counter() - t0


def calibrate(fn, min_batch_s: float, max_number: int = 1_000_000) -> int:
    """Smallest-ish number of calls whose batch takes at least ``min_batch_s``."""
    number = 1
    while True:
        dt = _batch(fn, number)
        if dt >= min_batch_s or number >= max_number:
            return number
        if dt <= 0.0:
            number = min(max_number, number * 10)
            continue
        number = min(max_number, max(number * 2, math.ceil(number * 1.2 * min_batch_s / dt)))


def compare(fns: dict, repeats: int, min_batch_s: float, warmup: bool = True) -> dict:
    """Time each callable of ``fns`` (name -> zero-argument callable), interleaved.

    Returns name -> {"median", "q1", "q3", "min", "number", "samples"} (seconds per call).
    The first call of every callable (warm-up: Numba compilation, lazy imports,
    caches) is excluded.
    """
    names = list(fns)
    if warmup:
        for k in names:
            fns[k]()
    numbers = {k: calibrate(fns[k], min_batch_s) for k in names}
    samples = {k: [] for k in names}
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(repeats):
            order = names if r % 2 == 0 else names[::-1]
            for k in order:
                samples[k].append(_batch(fns[k], numbers[k]) / numbers[k])
    finally:
        if gc_was_enabled:
            gc.enable()
    out = {}
    for k in names:
        s = sorted(samples[k])
        if len(s) >= 4:
            q = statistics.quantiles(s, n=4)
            q1, q3 = q[0], q[2]
        else:
            q1, q3 = s[0], s[-1]
        out[k] = {
            "median": statistics.median(s),
            "q1": q1,
            "q3": q3,
            "min": s[0],
            "number": numbers[k],
            "samples": samples[k],
        }
    return out


def fmt_time(t: float | None) -> str:
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return "-"
    a = abs(t)
    if a < 1e-6:
        return f"{t * 1e9:.0f} ns"
    if a < 1e-3:
        return f"{t * 1e6:.1f} us"
    if a < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def fmt_bytes(b: float | None) -> str:
    if b is None:
        return "-"
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(b) >= div:
            return f"{b / div:.2f} {unit}"
    return f"{b:.0f} B"


def print_table(title: str, header: list[str], rows: list[list], note: str | None = None) -> None:
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print()
    print(title)
    print("=" * len(title))
    print("  ".join(h.rjust(w) for h, w in zip(cells[0], widths)))
    print(line)
    for r in cells[1:]:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths)))
    if note:
        print(note)
    sys.stdout.flush()
