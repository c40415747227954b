"""Single trust-region steps that other algorithms are built from.

* :func:`natural_step` — the natural-gradient step M⁻¹g by CG, scaled by a step size or to a
  target ½ sᵀMs = δ, with no line search (the NPG update);
* :func:`constrained_step` — improve f within a divergence bound D(x) ≤ δ: the linear
  model of f in the ellipsoid of D's quadratic model, then constraint-aware backtracking on
  the true f and D (the TRPO update).

Both are generic: the RL adapters call them with a policy's surrogate, KL divergence and
Fisher operator, and nothing here knows about policies.
"""

from .constrained import ConstrainedStep, constrained_step
from .natural import NaturalStep, natural_step

__all__ = ["ConstrainedStep", "NaturalStep", "constrained_step", "natural_step"]
