"""A user's PyTorch network trained by our TRPO: CartPole-v1 with a 32-unit tanh
``nn.Sequential`` wrapped in :class:`rl_adapters.torch.TorchPolicy`.

Run from the repository root (needs ``pip install ".[torch]"``)::

    python benchmarks/torch_policy_learning.py                 # seeds 0, 1, 2; 60k steps
    python benchmarks/torch_policy_learning.py --seeds 0 --timesteps 60000

Each run seeds PyTorch (the module's initial weights) and the agent, trains with the
agent's defaults, and evaluates the deterministic policy on 10 fresh episodes. BLAS and
PyTorch run on one thread.
"""

import argparse
import os
import time

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

from _timing import ensure_repo_on_path  # noqa: E402

ensure_repo_on_path()


def run(seed, timesteps):
    import gymnasium as gym
    import torch
    from torch import nn

    from rl_adapters import TRPO
    from rl_adapters.torch import TorchPolicy

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2)).double()
    agent = TRPO("CartPole-v1", policy=TorchPolicy(net, gym.make("CartPole-v1").action_space),
                 seed=seed)
    start = time.perf_counter()
    agent.learn(timesteps, progress_bar=False)
    seconds = time.perf_counter() - start
    return agent.evaluate(10, seed=10_000 + seed), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--timesteps", type=int, default=60_000)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    for seed in (int(s) for s in args.seeds.split(",")):
        (mean, std), seconds = run(seed, args.timesteps)
        print(f"seed {seed}: evaluation return {mean:.1f} ± {std:.1f} after {args.timesteps} "
              f"steps ({seconds:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
