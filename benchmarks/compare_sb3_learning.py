"""Learning: our TRPO against sb3-contrib's TRPO, same machine, same run.

Run from the repository root (needs ``pip install sb3-contrib``, which brings PyTorch)::

    python benchmarks/compare_sb3_learning.py                       # CartPole and Pendulum, 3 seeds
    python benchmarks/compare_sb3_learning.py --envs CartPole-v1 --seeds 0
    python benchmarks/compare_sb3_learning.py --out bench-out/learning --json results.json

Each run trains for ``--timesteps`` environment steps (default 100k), then evaluates the
deterministic policy on 10 fresh episodes (seeded), with the observation statistics
frozen. Both agents use the same settings where they have them: 2 environments × 512
steps per update, γ = 0.99, GAE λ = 0.97, standardised advantages, running observation
normalisation (sb3: ``VecNormalize(norm_reward=False)``), a 64×64 tanh policy and value
network, KL bound 0.01, 10 CG iterations with damping 0.1, a line search shrinking by
0.8 at most 10 times. They differ in the value fit (ours: 5 trust-region Gauss–Newton
iterations; sb3: its default 10 epochs of Adam at 1e-3 in minibatches of 128) and in the
CG/Fisher machinery. BLAS and PyTorch run on one thread.

Writes learning curves (mean return of the last 100 training episodes against steps, the
mean over seeds) to ``<out>/learning_curves.png`` and prints a table: evaluation return
per seed and mean, wall time per run (training only) and the ratio sb3 / ours.
"""

import argparse
import json
import os
import statistics
import time

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402

from _timing import ensure_repo_on_path  # noqa: E402

ensure_repo_on_path()

SETTINGS = dict(n_envs=2, n_steps=512, gamma=0.99, gae_lambda=0.97, max_kl=0.01, cg_iters=10,
                cg_damping=0.1, backtrack_coeff=0.8, max_backtracks=10)
EVAL_EPISODES = 10


def run_ours(env_id, seed, timesteps, log_dir):
    from rl_adapters import TRPO

    log = os.path.join(log_dir, f"ours_{env_id}_{seed}.csv")
    agent = TRPO(env_id, seed=seed, log_path=log, **SETTINGS)
    start = time.perf_counter()
    agent.learn(timesteps, progress_bar=False)
    seconds = time.perf_counter() - start
    mean, std = agent.evaluate(EVAL_EPISODES, seed=10_000 + seed)
    from rl_adapters.plots import read_log

    curve = read_log(log)
    return {"seconds": seconds, "eval_mean": mean, "eval_std": std,
            "curve": (curve["timesteps"], curve["mean_return"])}


def run_sb3(env_id, seed, timesteps):
    import torch
    from sb3_contrib import TRPO as SB3TRPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    torch.set_num_threads(1)
    env = VecNormalize(make_vec_env(env_id, n_envs=SETTINGS["n_envs"], seed=seed),
                       norm_obs=True, norm_reward=False, clip_obs=10.0)

    class Curve(BaseCallback):
        def __init__(self):
            super().__init__()
            self.steps, self.returns = [], []

        def _on_rollout_end(self):
            buffer = self.model.ep_info_buffer
            self.steps.append(self.num_timesteps)
            self.returns.append(float(np.mean([e["r"] for e in buffer])) if buffer
                                else float("nan"))

        def _on_step(self):
            return True

    model = SB3TRPO("MlpPolicy", env, n_steps=SETTINGS["n_steps"],
                    batch_size=128, gamma=SETTINGS["gamma"],
                    gae_lambda=SETTINGS["gae_lambda"], target_kl=SETTINGS["max_kl"],
                    cg_max_steps=SETTINGS["cg_iters"], cg_damping=SETTINGS["cg_damping"],
                    line_search_shrinking_factor=SETTINGS["backtrack_coeff"],
                    line_search_max_iter=SETTINGS["max_backtracks"],
                    normalize_advantage=True, seed=seed, device="cpu",
                    policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]),
                                       activation_fn=torch.nn.Tanh))
    curve = Curve()
    start = time.perf_counter()
    model.learn(timesteps, callback=curve)
    seconds = time.perf_counter() - start
    eval_env = VecNormalize(make_vec_env(env_id, n_envs=1, seed=10_000 + seed),
                            norm_obs=True, norm_reward=False, clip_obs=10.0, training=False)
    eval_env.obs_rms = env.obs_rms
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=EVAL_EPISODES,
                                deterministic=True)
    return {"seconds": seconds, "eval_mean": float(mean), "eval_std": float(std),
            "curve": (curve.steps, curve.returns)}


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({r["env"] for r in results})
    figure, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4), squeeze=False)
    for ax, env_id in zip(axes[0], envs):
        for method, colour in (("ours", "C0"), ("sb3-contrib", "C1")):
            runs = [r for r in results if r["env"] == env_id and r["method"] == method]
            for r in runs:
                ax.plot(*r["curve"], color=colour, alpha=0.3, linewidth=0.8)
            length = min(len(r["curve"][0]) for r in runs)
            mean = np.nanmean([r["curve"][1][:length] for r in runs], axis=0)
            ax.plot(runs[0]["curve"][0][:length], mean, color=colour,
                    label=f"{method} (mean of {len(runs)} seeds)")
        ax.set_title(env_id)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("mean training return (last 100 episodes)")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", default="CartPole-v1,Pendulum-v1")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--out", default="bench-out/learning")
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        import sb3_contrib  # noqa: F401
    except ImportError:
        raise SystemExit("this comparison needs sb3-contrib: pip install sb3-contrib")
    os.makedirs(args.out, exist_ok=True)
    envs, seeds = args.envs.split(","), [int(s) for s in args.seeds.split(",")]
    jobs = [(env_id, seed, method) for env_id in envs for seed in seeds
            for method in ("ours", "sb3-contrib")]
    bar = None
    if not args.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), unit="run")
    results = []
    for env_id, seed, method in jobs:  # ours and sb3 alternate, so drifts hit both
        if method == "ours":
            run = run_ours(env_id, seed, args.timesteps, args.out)
        else:
            run = run_sb3(env_id, seed, args.timesteps)
        results.append({"env": env_id, "seed": seed, "method": method, **run})
        if bar is not None:
            bar.update()
            bar.set_postfix(last=f"{method} {env_id} {seed}: {run['eval_mean']:.0f}")
    if bar is not None:
        bar.close()
    plot(results, os.path.join(args.out, "learning_curves.png"))

    print(f"\n{args.timesteps} steps per run; evaluation: mean return of {EVAL_EPISODES} "
          f"deterministic episodes")
    print(f"{'env':<14} {'method':<12} {'eval return per seed':<28} {'mean':>8} "
          f"{'median time':>12}")
    for env_id in envs:
        times = {}
        for method in ("ours", "sb3-contrib"):
            runs = [r for r in results if r["env"] == env_id and r["method"] == method]
            per_seed = " ".join(f"{r['eval_mean']:.1f}" for r in runs)
            times[method] = statistics.median(r["seconds"] for r in runs)
            print(f"{env_id:<14} {method:<12} {per_seed:<28} "
                  f"{np.mean([r['eval_mean'] for r in runs]):>8.1f} {times[method]:>11.1f}s")
        print(f"{env_id:<14} wall-time ratio sb3-contrib / ours = "
              f"{times['sb3-contrib'] / times['ours']:.2f}x")
    print(f"\nlearning curves: {os.path.join(args.out, 'learning_curves.png')}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([{k: v for k, v in r.items() if k != "curve"} for r in results],
                      handle, indent=2)


if __name__ == "__main__":
    main()
