"""The benchmark machinery: Dolan–Moré profiles, run records, summaries."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from trustregion import problems
from trustregion._bench import (
    SOLVERS,
    Run,
    default_solvers,
    performance_profile,
    problem_table,
    ratio_summary,
    run,
    solver_table,
)

ROSENBROCK = SimpleNamespace(
    name="rosenbrock",
    n=2,
    x0=np.array([-1.2, 1.0]),
    f_star=0.0,
    fun=rosen,
    grad=rosen_der,
    hess=rosen_hess,
    hessp=rosen_hess_prod,
)


def test_performance_profile_by_hand():
    """Solver a: 1 s and 4 s; b: 2 s and fails. Ratios a: 1, 1; b: 2, inf."""
    profile = performance_profile({"a": [1.0, 4.0], "b": [2.0, math.inf]}, [1.0, 1.9, 2.0, 10])
    assert profile["a"] == [1.0, 1.0, 1.0, 1.0]
    assert profile["b"] == [0.0, 0.0, 0.5, 0.5]


def test_problems_nobody_solves_count_as_failures():
    profile = performance_profile({"a": [math.inf, 1.0], "b": [math.inf, 3.0]}, [1.0, 5.0])
    assert profile == {"a": [0.5, 0.5], "b": [0.0, 0.5]}


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_every_solver_solves_rosenbrock(solver):
    record = run(solver, ROSENBROCK, maxiter=2000)
    assert record.solved, record.message
    assert record.nit > 0 and record.nfev > 0 and record.seconds > 0


def test_a_crashing_solver_is_an_unsolved_record():
    broken = SimpleNamespace(**{**vars(ROSENBROCK), "hessp": lambda x, v: 1 / 0})
    record = run("steihaug", broken, maxiter=10)
    assert not record.solved and "ZeroDivisionError" in record.message


def test_tables_and_summary():
    runs = [run(s, ROSENBROCK, 2000) for s in ("steihaug", "trust-ncg", "exact", "trust-exact")]
    solvers = ["steihaug", "trust-ncg", "exact", "trust-exact"]
    assert "rosenbrock (n=2)" in problem_table(runs, solvers)
    assert "1/1" in solver_table(runs, solvers)
    summary = ratio_summary(runs)
    assert len(summary) == 2 and summary[0].startswith("steihaug vs trust-ncg: solved 1/1 vs 1/1")


@pytest.mark.parametrize("solver", ["steihaug", "SLSQP", "trust-constr"])
def test_constrained_runs_are_judged_by_optimum_and_feasibility(solver):
    """HS71 from its infeasible x0: solved means f* to 1e-6 at a feasible point."""
    record = run(solver, problems.get("hs071"), maxiter=1000)
    assert record.solved, record.message
    assert abs(record.fun - 17.0140173) <= 1e-6 * 17.0140173


def test_an_infeasible_low_objective_is_not_solved():
    """Dropping HS71's constraints reaches f < f*: that must not count as solved."""
    hs071 = problems.get("hs071")
    unconstrained = SimpleNamespace(
        **{
            **{
                k: getattr(hs071, k)
                for k in (
                    "name",
                    "n",
                    "x0",
                    "f_star",
                    "fun",
                    "grad",
                    "hess",
                    "hessp",
                    "bounds",
                    "eq",
                    "ineq",
                )
            },
            "scipy_constraints": lambda: [],
        }
    )
    record = run("steihaug", unconstrained, maxiter=1000)
    assert record.fun < hs071.f_star - 1.0 and not record.solved


def test_default_solvers_per_suite():
    assert default_solvers("hs") == ("steihaug", "SLSQP", "trust-constr")
    assert "L-BFGS-B" in default_solvers("bounds") and "trust-ncg" in default_solvers("mgh")


def test_default_solvers_leave_the_dense_ones_out_of_large_problems():
    small, large = default_solvers("cutest", 100), default_solvers("cutest", 10_000)
    assert {"exact", "trust-exact"} <= set(small)
    assert not {"exact", "dogleg", "trust-exact"} & set(large)
    assert {"steihaug", "gltr", "trust-ncg", "trust-krylov"} <= set(large)


def test_a_run_past_its_time_limit_is_unsolved_and_says_so():
    import signal
    import time

    def slow(x):
        time.sleep(0.05)
        return rosen(x)

    problem = SimpleNamespace(**{**vars(ROSENBROCK), "fun": slow})
    before = signal.getsignal(signal.SIGALRM)
    record = run("steihaug", problem, maxiter=1000, limit=0.2)
    assert not record.solved and record.message == "time limit of 0.2 s"
    assert signal.getsignal(signal.SIGALRM) is before  # the handler is put back
    assert run("steihaug", ROSENBROCK, maxiter=1000, limit=30.0).solved


def test_ratio_lines_say_which_solver_was_faster():
    def record(solver, seconds):
        return Run("rosenbrock", 2, solver, True, 0.0, 10, 12, 12, 10, seconds, "done")

    for theirs, words in [(2.0, "steihaug is faster, 2.00x"), (0.5, "trust-ncg is faster, 2.00x")]:
        [line] = ratio_summary([record("steihaug", 1.0), record("trust-ncg", theirs)])
        assert line.endswith(words), line
