"""Quick start: conjugate gradients and every trust-region subproblem method.

Run ``python examples/quickstart.py``. It solves a random indefinite subproblem
min gᵀs + ½ sᵀBs, ‖s‖ ≤ Δ with each method and prints the model decrease each one
achieves, then solves a sparse SPD system with ``trustregion.cg``.
"""

import numpy as np
import scipy.sparse as sp

import trustregion as tr


def main(n: int = 200, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    B = Q @ np.diag(np.linspace(-1.0, 10.0, n)) @ Q.T  # indefinite
    g = rng.standard_normal(n)
    radius = 1.0
    print(f"trust-region subproblem, n = {n}, indefinite B, radius {radius}")
    print(f"{'method':>9} {'decrease':>12} {'‖s‖':>8} {'iters':>6} {'products':>9}  status")
    for method in ("cauchy", "dogleg", "steihaug", "gltr", "exact"):
        step = tr.solve_subproblem(g, B, radius, method=method)
        print(
            f"{method:>9} {step.predicted_reduction:12.6f} {np.linalg.norm(step.s):8.4f} "
            f"{step.iterations:6d} {step.operator_products:9d}  {step.status.name}"
        )

    A = sp.diags([-1.0, 2.05, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    b = rng.standard_normal(n)
    res = tr.cg(A, b, rtol=1e-10)
    err = np.linalg.norm(A @ res.x - b) / np.linalg.norm(b)
    print(
        f"\ncg on a sparse SPD system, n = {n}: {res.iterations} iterations, "
        f"relative residual {err:.1e}, {res.status.name}"
    )


if __name__ == "__main__":
    main()
