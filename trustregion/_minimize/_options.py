"""The trust-region driver's options: every constant named, validated and justified."""

import math
import numbers
import operator
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

# scipy's spellings of our options (trust-ncg & co., and trust-constr's).
SCIPY_ALIASES = {
    "initial_trust_radius": "initial_radius",
    "initial_tr_radius": "initial_radius",
    "max_trust_radius": "max_radius",
    "eta": "accept_threshold",
    "verbose": "disp",
}
# Options of scipy's trust-region methods that have no counterpart here, accepted and
# ignored so that a scipy call runs unchanged: how hard trust-krylov and trust-exact solve
# their subproblems (ours solve to the forcing tolerance), scipy's parallel finite
# differences, and the tuning of trust-constr's barrier and SQP internals.
SCIPY_IGNORED = frozenset(
    {
        "inexact",
        "subproblem_maxiter",
        "workers",
        "barrier_tol",
        "initial_barrier_parameter",
        "initial_barrier_tolerance",
        "initial_constr_penalty",
        "factorization_method",
        "sparse_jacobian",
    }
)


@dataclass(frozen=True)
class TrustRegionOptions:
    """Options of :func:`trustregion.minimize`.

    The radius update is the ratio test of Conn, Gould & Toint (2000), Alg. 6.1.1, with
    ρ = (actual decrease) / (predicted decrease): a step with ρ ≥ ``accept_threshold``
    is taken; ρ < ``shrink_threshold`` shrinks the radius to ``shrink_factor`` times the
    smaller of the radius and the step's length; ρ ≥ ``expand_threshold`` with a step on
    the boundary multiplies it by ``expand_factor``, up to ``max_radius``. The defaults
    (η₁ = 1e-4 ≤ 0.25 = shrink threshold, η₂ = 0.75, γ = 0.25 and 2) are Nocedal & Wright's
    Alg. 4.1 values, with a small positive acceptance threshold as they recommend.

    Attributes
    ----------
    initial_radius : float
        Δ₀ > 0 (default 1, as scipy).
    max_radius : float
        Upper bound on Δ (default ∞: a finite cap, such as scipy's 1000, stalls problems
        whose solution lies far away, e.g. MGH's Brown badly scaled).
    accept_threshold, shrink_threshold, expand_threshold : float
        0 ≤ accept < shrink < expand < 1 (defaults 1e-4, 0.25, 0.75).
    shrink_factor : float
        In (0, 1) (default 0.25).
    expand_factor : float
        > 1 (default 2).
    gtol : float
        Stop when both ‖∇f‖∞ ≤ gtol · max(1, ‖∇f(x₀)‖∞) and Dennis & Schnabel's relative
        gradient ``max |∇f|ᵢ·max(|xᵢ|, 1) / max(|f|, 1) ≤ gtol`` (default 1e-8; with bounds,
        the projected gradient). Each test alone is fooled by some scaling (a huge starting
        gradient, a large constant in f); scipy's absolute 1e-4 stops early on
        small-scaled problems and never on large ones.
    xtol : float
        Stop when Δ < xtol · (1 + ‖x‖) (default 1e-14): no representable progress. This
        is success only where the gradient is small too (see :class:`MinimizeStatus`).
    maxiter : int or float
        Iterations (default 1000). As in scipy's loops, the run stops once the count
        reaches it, so a float such as 2.5 allows 3 and ``inf`` none.
    max_nfev : int or None
        Function-evaluation budget (default none).
    ctol : float
        With general constraints: the largest constraint violation accepted at a solution
        (default 1e-8).
    f_unbounded : float
        Stop with status UNBOUNDED once f falls below it (default -1e300): f is then taken
        to be unbounded below, as it is when x + s overflows.
    finite_diff_rel_step : float or None
        The relative step of finite-difference gradients and Hessians (default: √u for
        "2-point" and "cs", u^(1/3) for "3-point"; u the machine epsilon).
    disp : bool
        Print one line per iteration and a final summary; a run that fails also warns
        (RuntimeWarning), as scipy's methods do.
    return_all : bool
        Keep every iterate in the result's ``allvecs`` (x₀ first).

    :meth:`from_dict` also takes scipy's spellings (``initial_trust_radius``,
    ``initial_tr_radius``, ``max_trust_radius``, ``eta``, ``verbose``), treats ``None`` as
    the default, and accepts and ignores the options of scipy's trust-region methods
    that have no counterpart here (:data:`SCIPY_IGNORED`).
    """

    initial_radius: float = 1.0
    max_radius: float = math.inf
    accept_threshold: float = 1e-4
    shrink_threshold: float = 0.25
    expand_threshold: float = 0.75
    shrink_factor: float = 0.25
    expand_factor: float = 2.0
    gtol: float = 1e-8
    xtol: float = 1e-14
    maxiter: float = 1000
    max_nfev: int | None = None
    ctol: float = 1e-8
    f_unbounded: float = -1e300
    finite_diff_rel_step: float | None = None
    disp: bool = False
    return_all: bool = False

    def __post_init__(self) -> None:
        self._check_radius_update()
        self._check_tolerances()
        self._check_budgets()

    def _check_radius_update(self) -> None:
        if not (self.initial_radius > 0 and math.isfinite(self.initial_radius)):
            raise ValueError(
                f"initial_radius must be positive and finite, got {self.initial_radius!r}"
            )
        if not self.max_radius >= self.initial_radius:
            raise ValueError("max_radius must be at least initial_radius")
        if not (0.0 <= self.accept_threshold < self.shrink_threshold < self.expand_threshold < 1.0):
            raise ValueError(
                "the thresholds must satisfy 0 <= accept_threshold < "
                "shrink_threshold < expand_threshold < 1"
            )
        if not 0.0 < self.shrink_factor < 1.0:
            raise ValueError(f"shrink_factor must lie in (0, 1), got {self.shrink_factor!r}")
        if not self.expand_factor > 1.0:
            raise ValueError(f"expand_factor must exceed 1, got {self.expand_factor!r}")

    def _check_tolerances(self) -> None:
        for name in ("gtol", "xtol", "ctol"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)!r}")
        if math.isnan(self.f_unbounded):
            raise ValueError("f_unbounded must be a number, not NaN")
        if self.finite_diff_rel_step is not None and not (0.0 < self.finite_diff_rel_step < 1.0):
            raise ValueError(
                f"finite_diff_rel_step must lie in (0, 1), got {self.finite_diff_rel_step!r}"
            )

    def _check_budgets(self) -> None:
        if (
            isinstance(self.maxiter, bool)
            or not isinstance(self.maxiter, numbers.Real)
            or not self.maxiter >= 0
        ):
            raise ValueError(f"maxiter must be a non-negative number, got {self.maxiter!r}")
        if self.max_nfev is None:
            return
        try:
            if isinstance(self.max_nfev, bool) or operator.index(self.max_nfev) < 1:
                raise TypeError
        except TypeError:
            raise ValueError(
                f"max_nfev must be a positive integer, got {self.max_nfev!r}"
            ) from None

    @classmethod
    def from_dict(cls, options: Mapping[str, Any] | None) -> "TrustRegionOptions":
        """Options from a dict, in our names or scipy's; unknown keys are refused by name."""
        if not options and cls is TrustRegionOptions:
            return _DEFAULTS  # the common case, on the path of every small solve
        known = {f.name for f in fields(cls)}
        given: dict[str, Any] = {}
        for key, value in dict(options or {}).items():
            name = SCIPY_ALIASES.get(key, key)
            if value is None or key in SCIPY_IGNORED:
                continue
            if name not in known:
                raise ValueError(
                    f"unknown option {key!r}; the options are: "
                    f"{', '.join(sorted(known | set(SCIPY_ALIASES)))}"
                )
            if name in given:
                raise ValueError(f"option {name!r} given twice (as {key!r} too)")
            given[name] = bool(value) if name in ("disp", "return_all") else value
        return cls(**given)


# Frozen, so one instance serves every call that gives no options.
_DEFAULTS = TrustRegionOptions()
