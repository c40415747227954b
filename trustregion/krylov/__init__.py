"""Krylov solvers: preconditioned and truncated conjugate gradients."""

from ._cg import CGResult, cg
from ._truncated_cg import TruncatedCGRun, run_truncated_cg

__all__ = ["CGResult", "TruncatedCGRun", "cg", "run_truncated_cg"]
