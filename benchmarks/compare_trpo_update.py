"""One TRPO policy update: ours against the same update done the PyTorch way.

Run from the repository root (needs ``pip install torch``)::

    python benchmarks/compare_trpo_update.py            # both sizes
    python benchmarks/compare_trpo_update.py --quick    # fewer repeats
    python benchmarks/compare_trpo_update.py --json out.json

What is timed: the whole policy update of a 64×64 tanh diagonal-Gaussian policy on a
batch, from the batch to the new parameters — the surrogate gradient, 10 CG iterations
on the damped Fisher matrix (damping 0.1), the step scaled to ½ sᵀFs = δ = 0.01, and the
backtracking line search (shrink 0.8, at most 10 reductions, each candidate judged on
the surrogate and the mean KL from one forward pass).

* ours: :func:`rl_adapters.trpo_update` (Fisher products in Jᵀ M J form: one
  forward-mode and one reverse-mode pass through the MLP, in numpy/BLAS);
* ours on a :class:`rl_adapters.torch.TorchPolicy` wrapping an ``nn.Sequential`` with the
  same weights, with its Jᵀ M J Fisher product (``torch.func.jvp`` and ``vjp``) and with
  its double-backward option (the issue of the PyTorch bridge asks for both);
* PyTorch: the update of the widely used pytorch-trpo (Kostrikov), written here with the
  same hyper-parameters: Fisher-vector products by double back-propagation through the
  mean KL (``autograd.grad`` with ``create_graph=True``, then the gradient of its dot
  product with v), a forward pass per product as that code does, and one more product
  for sᵀFs after CG — in float64, as pytorch-trpo runs, and in float32.

Sizes: obs 11, act 3, batch 5000 (Hopper-like) and obs 17, act 6, batch 25000
(HalfCheetah-like, the batch of the TRPO paper's locomotion runs). BLAS and PyTorch are
pinned to one thread. Each update starts from the same parameters; the samples of all
candidates are interleaved and the medians reported, with ratio = theirs / ours.

The floor is the update's floating-point operations (the matrix products of our update:
forward, gradient, 10 Fisher products, the line search's forward passes) divided by this
machine's single-core float64 matrix-multiply rate, measured on 1000×1000 products.

Targets (the script exits 1 when one is missed), at both sizes: ours at least 2x faster
than pytorch-trpo in float64 (measured 4.5x and 4.8x when the Jᵀ M J products landed;
2x leaves room for a noisy machine) and not slower than it in float32; on the wrapped
nn.Sequential, the Jᵀ M J product not slower than double back-propagation (the reason
it is the default); every update, ours and PyTorch's, accepts a step.
"""

import argparse
import sys
import time
from dataclasses import dataclass

from _timing import (
    Target,
    Timing,
    check_targets,
    compare,
    count_target,
    ensure_repo_on_path,
    environment_line,
    fmt_ratio,
    fmt_time,
    pin_blas_threads,
    print_table,
    write_json,
)

pin_blas_threads()  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

ensure_repo_on_path()

SIZES = ((11, 3, 5000), (17, 6, 25000))
HIDDEN = (64, 64)
MAX_KL, DAMPING, CG_ITERS, SHRINK, BACKTRACKS = 0.01, 0.1, 10, 0.8, 10
TORCH64_TARGET = 2.0  # pytorch-trpo float64 / ours
TORCH32_TARGET = 1.0  # pytorch-trpo float32 / ours
DOUBLE_OVER_JMJ_TARGET = 1.0


@dataclass(frozen=True)
class UpdateComparison:
    """One batch size: the median time of each candidate's whole update."""

    obs: int
    act: int
    batch: int
    ours: Timing
    torch64: Timing
    torch32: Timing
    wrapped_jmj: Timing  # trpo_update on a TorchPolicy, Jᵀ M J Fisher products
    wrapped_double: Timing  # the same, double back-propagation Fisher products
    flops: float  # matrix-product flops of our update
    floor_s: float  # flops / single-core matmul rate
    ours_accepted: bool
    ours_backtracks: int
    torch_backtracks: int | None  # None: pytorch-trpo's line search found no step

    @property
    def ratio_torch64(self) -> float:
        return self.torch64.median / self.ours.median

    @property
    def ratio_torch32(self) -> float:
        return self.torch32.median / self.ours.median


def _batch(policy, n, seed):
    rng = np.random.default_rng(seed)
    obs = rng.standard_normal((n, policy.obs_dim))
    actions = policy.act(obs, rng)
    advantages = rng.standard_normal(n)
    return obs, actions, (advantages - advantages.mean()) / advantages.std()


def ours(policy, theta0, obs, actions, advantages):
    """One ``trpo_update`` of ``policy`` from θ₀ (any policy of the protocol)."""
    from rl_adapters import trpo_update

    def run():
        policy.set_parameters(theta0)
        return trpo_update(
            policy,
            obs,
            actions,
            advantages,
            max_kl=MAX_KL,
            cg_iters=CG_ITERS,
            cg_damping=DAMPING,
            backtrack_coeff=SHRINK,
            max_backtracks=BACKTRACKS,
        )

    return run


def _sequential(policy, dtype):
    """An nn.Sequential of the built-in policy's architecture, and the policy's θ in its
    parameter order (weights transposed: nn.Linear stores out × in)."""
    from torch import nn

    sizes = policy.net.sizes
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers += [nn.Linear(fan_in, fan_out)] + ([nn.Tanh()] if i < len(sizes) - 2 else [])

    def torch_order(theta):
        parts = []
        for W, b in policy.net.layers(theta[: policy.net.size]):
            parts += [W.T.ravel(), b]
        return np.concatenate(parts + [theta[policy.net.size :]])

    return nn.Sequential(*layers).to(dtype), torch_order


def torch_policy(policy, theta0, obs, actions, advantages, fisher):
    """Our update on a TorchPolicy wrapping an nn.Sequential with the same weights."""
    import torch

    from rl_adapters.torch import TorchPolicy

    module, torch_order = _sequential(policy, torch.float64)
    wrapped = TorchPolicy(module, policy.action_space, fisher=fisher)
    return ours(wrapped, torch_order(theta0), obs, actions, advantages)


def _torch_conjugate_gradients(Avp, b, nsteps, residual_tol=1e-10):
    """pytorch-trpo's CG, as it is: a fixed number of steps or a squared-residual floor."""
    import torch

    xk = torch.zeros_like(b)
    r, p = b.clone(), b.clone()
    rdotr = r @ r
    for _ in range(nsteps):
        Ap = Avp(p)
        alpha = rdotr / (p @ Ap)
        xk += alpha * p
        r -= alpha * Ap
        new_rdotr = r @ r
        p = r + (new_rdotr / rdotr) * p
        rdotr = new_rdotr
        if rdotr < residual_tol:
            break
    return xk


def pytorch(policy, theta0, obs, actions, advantages, dtype):
    """pytorch-trpo's update on a module with our policy's initial weights."""
    import torch
    from torch import nn

    model, torch_order = _sequential(policy, dtype)
    log_std = nn.Parameter(torch.zeros(policy.net.sizes[-1], dtype=dtype))
    params = [p for p in model.parameters()] + [log_std]

    def set_flat(theta):
        put_flat(torch.as_tensor(torch_order(theta), dtype=dtype))

    def get_flat():
        return torch.cat([p.detach().reshape(-1) for p in params])

    def put_flat(flat):
        with torch.no_grad():
            start = 0
            for p in params:
                p.copy_(flat[start : start + p.numel()].view_as(p))
                start += p.numel()

    x = torch.as_tensor(obs, dtype=dtype)
    a = torch.as_tensor(actions, dtype=dtype)
    adv = torch.as_tensor(advantages, dtype=dtype)

    def log_prob(mean, ls):
        return (-0.5 * ((a - mean) / ls.exp()) ** 2 - ls - 0.5 * np.log(2 * np.pi)).sum(1)

    def run():
        set_flat(theta0)
        with torch.no_grad():
            mean_old, ls_old = model(x), log_std.detach().clone()
            logp_old = log_prob(mean_old, ls_old)
        loss = -(torch.exp(log_prob(model(x), log_std) - logp_old) * adv).mean()
        loss_grad = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

        def kl_to(mean, ls):  # mean KL(old ‖ new)
            return (
                (
                    ls
                    - ls_old
                    + (ls_old.exp() ** 2 + (mean_old - mean) ** 2) / (2.0 * (ls.exp() ** 2))
                    - 0.5
                )
                .sum(1)
                .mean()
            )

        def Fvp(v):
            kl = kl_to(model(x), log_std)
            grads = torch.autograd.grad(kl, params, create_graph=True)
            flat = torch.cat([g.reshape(-1) for g in grads])
            second = torch.autograd.grad(flat @ v, params)
            return torch.cat([g.reshape(-1) for g in second]) + DAMPING * v

        stepdir = _torch_conjugate_gradients(Fvp, -loss_grad, CG_ITERS)
        shs = 0.5 * (stepdir @ Fvp(stepdir))
        fullstep = stepdir / torch.sqrt(shs / MAX_KL)
        expected = -(loss_grad @ fullstep)
        start, fval = get_flat(), loss.detach()
        for k in range(BACKTRACKS + 1):
            fraction = SHRINK**k
            put_flat(start + fraction * fullstep)
            with torch.no_grad():
                mean = model(x)
                new_loss = -(torch.exp(log_prob(mean, log_std) - logp_old) * adv).mean()
                kl = kl_to(mean, log_std)
            improve = fval - new_loss
            if improve / (expected * fraction) > 0.1 and improve > 0 and kl <= MAX_KL:
                return k
        put_flat(start)
        return None

    return run


def matmul_rate(n=1000, repeats=10):
    """Single-core float64 matrix-multiply rate (flop/s) on n×n products: the best of
    ``repeats``, so that a busy moment lowers neither it nor the floor."""
    A, B = np.random.default_rng(0).standard_normal((2, n, n))
    A @ B
    best = min(_seconds(lambda: A @ B) for _ in range(repeats))
    return 2.0 * n**3 / best


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def update_flops(sizes, n, forward_passes):
    """Matrix-product flops of our update: forward passes, one gradient (reverse pass),
    CG_ITERS Fisher products (a forward-mode and a reverse-mode pass each)."""
    layer = [2.0 * n * i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    forward = sum(layer)
    reverse = sum(layer) + sum(layer[1:])  # weight gradients + back-propagation
    tangent = sum(layer) + sum(layer[1:])  # dW terms + propagated tangents
    return forward_passes * forward + reverse + CG_ITERS * (tangent + reverse)


def measure(obs_dim, act_dim, n, repeats, torch) -> tuple[dict, dict, int | None, float]:
    """Time every candidate on one batch: timings, our update's log, PyTorch's backtracks
    and our update's flops."""
    from gymnasium import spaces

    from rl_adapters import MLPPolicy

    policy = MLPPolicy(
        spaces.Box(-np.inf, np.inf, (obs_dim,)), spaces.Box(-1.0, 1.0, (act_dim,)), HIDDEN, seed=0
    )
    theta0 = policy.get_parameters()
    data = _batch(policy, n, seed=1)
    candidates = {
        "ours": ours(policy, theta0, *data),
        "torch64": pytorch(policy, theta0, *data, torch.float64),
        "torch32": pytorch(policy, theta0, *data, torch.float32),
        "wrapped_jmj": torch_policy(policy, theta0, *data, "jmj"),
        "wrapped_double": torch_policy(policy, theta0, *data, "double_backward"),
    }
    log = candidates["ours"]()
    torch_backtracks = candidates["torch64"]()
    timings = compare(candidates, repeats=repeats, min_batch_s=0.2)
    return timings, log, torch_backtracks, update_flops(policy.net.sizes, n, 2 + log.backtracks)


def targets_of(records: list[UpdateComparison]) -> list[Target]:
    targets = []
    for r in records:
        at = f"batch {r.batch}"
        targets += [
            Target(f"{at}: pytorch-trpo float64 / ours", r.ratio_torch64, ">=", TORCH64_TARGET),
            Target(f"{at}: pytorch-trpo float32 / ours", r.ratio_torch32, ">=", TORCH32_TARGET),
            Target(
                f"{at}: wrapped double-backward / JᵀMJ",
                r.wrapped_double.median / r.wrapped_jmj.median,
                ">=",
                DOUBLE_OVER_JMJ_TARGET,
            ),
        ]
    accepted = sum(r.ours_accepted for r in records) + sum(
        r.torch_backtracks is not None for r in records
    )
    return targets + [
        count_target(
            "updates that accepted a step (ours and PyTorch's)", accepted, 2 * len(records)
        )
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--json", help="write the numbers to this file")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("this comparison needs PyTorch: pip install torch")
    torch.set_num_threads(1)

    rate = matmul_rate()
    measured = [(size, *measure(*size, 3 if args.quick else 7, torch)) for size in SIZES]
    # Measured again after the timings: the faster of the two readings sets the floor.
    rate = max(rate, matmul_rate())
    records = [
        UpdateComparison(
            obs,
            act,
            n,
            **timings,
            flops=flops,
            floor_s=flops / rate,
            ours_accepted=log.accepted,
            ours_backtracks=log.backtracks,
            torch_backtracks=torch_backtracks,
        )
        for (obs, act, n), timings, log, torch_backtracks, flops in measured
    ]
    print(environment_line(torch=torch.__version__))
    print(f"single-core float64 matmul rate: {rate / 1e9:.1f} Gflop/s; BLAS and torch on 1 thread")
    print_table(
        "One TRPO update: ours against pytorch-trpo (ratio = PyTorch / ours, > 1: ours is faster)",
        [
            "obs",
            "act",
            "batch",
            "ours",
            "torch f64",
            "torch f32",
            "f64/ours",
            "f32/ours",
            "floor",
            "ours/floor",
            "backtracks ours, torch",
        ],
        [
            [
                r.obs,
                r.act,
                r.batch,
                fmt_time(r.ours.median),
                fmt_time(r.torch64.median),
                fmt_time(r.torch32.median),
                fmt_ratio(r.ratio_torch64),
                fmt_ratio(r.ratio_torch32),
                fmt_time(r.floor_s),
                fmt_ratio(r.ours.median / r.floor_s),
                f"{r.ours_backtracks}, {r.torch_backtracks}",
            ]
            for r in records
        ],
    )
    print_table(
        "The same update (trpo_update) on a TorchPolicy wrapping an nn.Sequential with the "
        "same weights, float64",
        ["obs", "act", "batch", "JᵀMJ", "double-bw", "double/JᵀMJ", "JᵀMJ/built-in"],
        [
            [
                r.obs,
                r.act,
                r.batch,
                fmt_time(r.wrapped_jmj.median),
                fmt_time(r.wrapped_double.median),
                fmt_ratio(r.wrapped_double.median / r.wrapped_jmj.median),
                fmt_ratio(r.wrapped_jmj.median / r.ours.median),
            ]
            for r in records
        ],
    )
    targets = targets_of(records)
    if args.json:
        write_json(args.json, {"matmul_rate": rate, "results": records, "targets": targets})
    return check_targets(targets)


if __name__ == "__main__":
    sys.exit(main())
