"""``trustregion bench``: our methods and scipy's on a problem suite, side by side."""

from ._nls import NLS_SOLVERS, cases, run_nls
from ._profile import performance_profile, save_profile_plot
from ._report import lre_summary, problem_table, ratio_summary, solver_table
from ._solvers import DENSE_LIMIT, DENSE_SOLVERS, SOLVERS, Run, default_solvers, run

__all__ = [
    "DENSE_LIMIT",
    "DENSE_SOLVERS",
    "NLS_SOLVERS",
    "cases",
    "lre_summary",
    "run_nls",
    "SOLVERS",
    "Run",
    "default_solvers",
    "performance_profile",
    "problem_table",
    "ratio_summary",
    "run",
    "save_profile_plot",
    "solver_table",
]
