"""A user's PyTorch network trained by our TRPO: CartPole-v1 with a 32-unit tanh
``nn.Sequential`` wrapped in :class:`rl_adapters.torch.TorchPolicy`.

Run from the repository root (needs ``pip install ".[torch]"``)::

    python benchmarks/torch_policy_learning.py                 # seeds 0, 1, 2; 60k steps
    python benchmarks/torch_policy_learning.py --seeds 0 --timesteps 60000

Each run seeds PyTorch (the module's initial weights) and the agent, trains with the
agent's defaults, and evaluates the deterministic policy on 10 fresh episodes. BLAS and
PyTorch run on one thread.

Target (the script exits 1 when it is missed): every seed solves CartPole-v1, i.e. its
evaluation return reaches the environment's registered ``reward_threshold`` (475).
"""

import argparse
import sys

from _timing import (
    LearningRun,
    check_targets,
    count_target,
    ensure_repo_on_path,
    learn_and_evaluate,
    pin_blas_threads,
    print_table,
)

pin_blas_threads()

ensure_repo_on_path()

ENV_ID = "CartPole-v1"


def run(seed, timesteps) -> LearningRun:
    import gymnasium as gym
    import torch
    from torch import nn

    from rl_adapters import TRPO
    from rl_adapters.torch import TorchPolicy

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2)).double()
    agent = TRPO(ENV_ID, policy=TorchPolicy(net, gym.make(ENV_ID).action_space), seed=seed)
    return learn_and_evaluate(agent, ENV_ID, seed, "trpo torch", timesteps)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--timesteps", type=int, default=60_000)
    args = parser.parse_args(argv)
    import gymnasium as gym
    import torch

    torch.set_num_threads(1)
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        runs.append(run(seed, args.timesteps))
        print(
            f"seed {seed}: evaluation return {runs[-1].eval_mean:.1f} ± "
            f"{runs[-1].eval_std:.1f} after "
            f"{args.timesteps} steps ({runs[-1].seconds:.1f} s)",
            flush=True,
        )
    threshold = gym.spec(ENV_ID).reward_threshold
    print_table(
        f"{ENV_ID}, TorchPolicy(32-unit nn.Sequential), {args.timesteps} steps per run",
        ["seed", "eval return", "std", "training time", f">= {threshold:g}"],
        [
            [
                r.seed,
                f"{r.eval_mean:.1f}",
                f"{r.eval_std:.1f}",
                f"{r.seconds:.1f} s",
                "solved" if r.eval_mean >= threshold else "no",
            ]
            for r in runs
        ],
    )
    solved = sum(r.eval_mean >= threshold for r in runs)
    return check_targets(
        [count_target(f"seeds solving {ENV_ID} (return >= {threshold:g})", solved, len(runs))]
    )


if __name__ == "__main__":
    sys.exit(main())
