"""What the benchmark scripts share (not a test module): thread pinning, interleaved
timing, the records of timings, learning runs and targets, tables, child processes and
JSON output.

Timing method.  All candidates of a comparison run in one process, with their samples
interleaved (A B, B A, A B, ...) so that slow drifts of a noisy machine hit both sides
alike.  Each sample times a batch of calls long enough for ``time.perf_counter`` to be
accurate; the reported number is the median of the samples' per-call times.

This module imports nothing heavy at import time, so that a script can import it and
pin the BLAS threads before NumPy loads its BLAS.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parent.parent
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
RESULT_MARKER = "@@RESULT@@"


def pin_blas_threads(threads: str = "1") -> None:
    """Set the BLAS thread count of this process and of its children ("0": leave the
    library's default).

    Must run before NumPy is imported: OpenBLAS and MKL read these variables once, when
    they load.  One thread for every solver compared, because a multi-threaded BLAS on a
    small loaded machine is slow and noisy (a 1000x1000 Cholesky measured 10x slower with
    2 threads on 2 busy cores), which would distort every dense comparison.
    """
    if threads != "0":
        for variable in BLAS_THREAD_VARIABLES:
            os.environ[variable] = threads


def ensure_repo_on_path() -> None:
    """Make ``import trustregion`` find this checkout when run as ``python benchmarks/x.py``."""
    root = str(REPO)
    if root not in sys.path:
        sys.path.insert(0, root)


# ----------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one candidate: the median of the samples and its spread."""

    median: float
    q1: float
    q3: float
    min: float
    number: int  # calls per sample
    samples: tuple[float, ...]


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


def compare(fns: dict, repeats: int, min_batch_s: float) -> dict[str, Timing]:
    """Time each zero-argument callable of ``fns`` (name -> callable), interleaved.

    The first call of every callable (Numba compilation, lazy imports, caches) is made
    before timing and not counted.  The garbage collector is off while sampling, so that
    a collection triggered by one candidate is not charged to the next.
    """
    names = list(fns)
    for k in names:
        fns[k]()
    numbers = {k: calibrate(fns[k], min_batch_s) for k in names}
    samples = {k: [] for k in names}
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(repeats):
            for k in names if r % 2 == 0 else names[::-1]:
                samples[k].append(_batch(fns[k], numbers[k]) / numbers[k])
    finally:
        if gc_was_enabled:
            gc.enable()
    out = {}
    for k in names:
        s = sorted(samples[k])
        q1, _, q3 = statistics.quantiles(s, n=4) if len(s) >= 4 else (s[0], None, s[-1])
        out[k] = Timing(
            median=statistics.median(s),
            q1=q1,
            q3=q3,
            min=s[0],
            number=numbers[k],
            samples=tuple(samples[k]),
        )
    return out


def geometric_mean(values) -> float:
    values = list(values)
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


# ----------------------------------------------------------------------------- learning runs


@dataclass(frozen=True)
class LearningRun:
    """One agent trained on one environment with one seed, then evaluated: the mean and
    standard deviation of the return of ``EVAL_EPISODES`` fresh deterministic episodes
    (seeded ``EVAL_SEED_OFFSET + seed``), and the training wall time."""

    env: str
    seed: int
    method: str
    seconds: float
    eval_mean: float
    eval_std: float
    curve_steps: tuple[float, ...] = ()  # learning curve: mean training return against steps
    curve_returns: tuple[float, ...] = ()


EVAL_EPISODES = 10
EVAL_SEED_OFFSET = 10_000  # evaluation episodes never replay a training seed


def learn_and_evaluate(
    agent, env_id: str, seed: int, method: str, timesteps: int, log_path: str | None = None
) -> LearningRun:
    """Train one of our agents (``rl_adapters``) for ``timesteps`` steps and evaluate it;
    with ``log_path`` (the agent's CSV log) the run carries its learning curve."""
    start = perf_counter()
    agent.learn(timesteps, progress_bar=False)
    seconds = perf_counter() - start
    mean, std = agent.evaluate(EVAL_EPISODES, seed=EVAL_SEED_OFFSET + seed)
    curve = {"timesteps": (), "mean_return": ()}
    if log_path is not None:
        from rl_adapters.plots import read_log

        curve = read_log(log_path)
    return LearningRun(
        env_id,
        seed,
        method,
        seconds,
        mean,
        std,
        tuple(curve["timesteps"]),
        tuple(curve["mean_return"]),
    )


# ----------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """A measured number and the bound a benchmark states for it.

    ``unit`` only chooses how the numbers print: "x" a ratio, "s" seconds, "B" bytes,
    "" a plain number (a count).
    """

    what: str
    measured: float
    op: str  # ">=", "<=" or "<"
    bound: float
    unit: str = "x"

    def __post_init__(self):
        if self.op not in (">=", "<=", "<"):
            raise ValueError(f"Target op must be '>=', '<=' or '<', got {self.op!r}.")

    @property
    def met(self) -> bool:
        if math.isnan(self.measured):
            return False
        return {
            ">=": self.measured >= self.bound,
            "<=": self.measured <= self.bound,
            "<": self.measured < self.bound,
        }[self.op]

    def text(self, value: float) -> str:
        if self.unit == "x":
            return f"{value:.2f}x"
        if self.unit == "s":
            return fmt_time(value)
        if self.unit == "B":
            return fmt_bytes(value)
        return f"{value:.8g}"


def check_targets(targets: list[Target], title: str = "Targets") -> int:
    """Print the targets as a table and one line per missed target; the exit status
    (1 when a target is missed, else 0)."""
    if not targets:
        return 0
    print_table(
        title,
        ["what", "measured", "target", ""],
        [
            [t.what, t.text(t.measured), f"{t.op} {t.text(t.bound)}", "PASS" if t.met else "FAIL"]
            for t in targets
        ],
    )
    missed = [t for t in targets if not t.met]
    for t in missed:
        print(
            f"MISSED TARGET: {t.what}: measured {t.text(t.measured)}, target {t.op} "
            f"{t.text(t.bound)}"
        )
    sys.stdout.flush()
    return 1 if missed else 0


def count_target(what: str, passed: int, total: int) -> Target:
    """All ``total`` runs must pass (solved, checked): ``passed >= total``."""
    return Target(f"{what} ({passed}/{total})", passed, ">=", total, unit="")


# ----------------------------------------------------------------------------- printing


def fmt_time(t: float | None) -> str:
    if t is None or math.isnan(t):
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


def fmt_ratio(r: float) -> str:
    return "-" if math.isnan(r) else f"{r:.2f}x"


def print_table(title: str, header: list[str], rows: list[list], note: str | None = None) -> None:
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print()
    print(title)
    print("=" * len(title))
    for i, r in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if note:
        print(note)
    sys.stdout.flush()


def environment_line(**extra: str) -> str:
    """Versions, CPU count, BLAS threads and load: what a reader needs to weigh the numbers."""
    import numba
    import numpy as np
    import scipy

    import trustregion

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "library default")
    parts = [
        f"python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"scipy {scipy.__version__}",
        f"numba {numba.__version__}",
        f"trustregion {trustregion.__version__}",
        *(f"{k} {v}" for k, v in extra.items()),
        f"cpus {os.cpu_count()}",
        f"BLAS threads {threads}",
        "load " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
    return "  ".join(parts)


# ------------------------------------------------------------------ child processes and output


class ChildFailed(RuntimeError):
    """A measurement subprocess exited non-zero or printed no result line."""


def emit_result(payload: dict) -> None:
    """The child's side of :func:`run_child`: its result, one JSON line after a marker."""
    print(RESULT_MARKER + json.dumps(payload), flush=True)


def run_child(
    args: list[str], env: dict | None = None, timeout: float | None = None
) -> tuple[dict, float]:
    """Run ``python *args`` in the repository root; its :func:`emit_result` payload and
    the process's wall time.  A fresh process is what makes first-call (compile) times
    and peak resident memory measurable."""
    t0 = perf_counter()
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=str(REPO),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        raise ChildFailed(
            f"{' '.join(args)} failed (rc={proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return json.loads(lines[-1][len(RESULT_MARKER) :]), wall


def _jsonable(o):
    import numpy as np

    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    if isinstance(o, (np.generic, np.ndarray)):
        return o.tolist()
    return str(o)  # enums (statuses)


def write_json(path: str, payload) -> None:
    """Write ``payload`` (records, lists and dicts of them) to ``path``."""
    with open(path, "w") as fh:
        json.dump(payload, fh, indent=1, default=_jsonable)
    print(f"numbers written to {path}")
