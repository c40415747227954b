"""The trust-region driver's options: every constant named, validated and justified."""

import math
from dataclasses import dataclass, fields
from typing import Optional


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
        gradient max |∇f|ᵢ·max(|xᵢ|, 1) / max(|f|, 1) ≤ gtol (default 1e-8; with bounds,
        the projected gradient). Each test alone is fooled by some scaling (a huge starting
        gradient, a large constant in f); scipy's absolute 1e-4 stops early on
        small-scaled problems and never on large ones.
    xtol : float
        Stop when Δ < xtol · (1 + ‖x‖) (default 1e-14): no representable progress.
    maxiter : int
        Iterations (default 1000).
    max_nfev : int or None
        Function-evaluation budget (default none).
    ctol : float
        With general constraints: the largest constraint violation accepted at a solution
        (default 1e-8).
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
    maxiter: int = 1000
    max_nfev: Optional[int] = None
    ctol: float = 1e-8

    def __post_init__(self):
        if not (self.initial_radius > 0 and math.isfinite(self.initial_radius)):
            raise ValueError(f"initial_radius must be positive and finite, "
                             f"got {self.initial_radius!r}")
        if not self.max_radius >= self.initial_radius:
            raise ValueError("max_radius must be at least initial_radius")
        if not (0.0 <= self.accept_threshold < self.shrink_threshold
                < self.expand_threshold < 1.0):
            raise ValueError("the thresholds must satisfy 0 <= accept_threshold < "
                             "shrink_threshold < expand_threshold < 1")
        if not 0.0 < self.shrink_factor < 1.0:
            raise ValueError(f"shrink_factor must lie in (0, 1), got {self.shrink_factor!r}")
        if not self.expand_factor > 1.0:
            raise ValueError(f"expand_factor must exceed 1, got {self.expand_factor!r}")
        for name in ("gtol", "xtol", "ctol"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)!r}")
        if isinstance(self.maxiter, bool) or not isinstance(self.maxiter, int) \
                or self.maxiter < 0:
            raise ValueError(f"maxiter must be a non-negative integer, got {self.maxiter!r}")
        if self.max_nfev is not None and (not isinstance(self.max_nfev, int)
                                          or self.max_nfev < 1):
            raise ValueError(f"max_nfev must be a positive integer, got {self.max_nfev!r}")

    @classmethod
    def from_dict(cls, options):
        """Options from a dict; unknown keys are refused by name."""
        options = dict(options or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; the options are: "
                             f"{', '.join(sorted(known))}")
        return cls(**options)
