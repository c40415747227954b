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

Targets (the script exits 1 when one is missed), per environment: ours learns as well as
sb3-contrib (mean evaluation return over the seeds at least sb3-contrib's less 10 % of
its magnitude: three seeds of either agent scatter by about that much) and trains no
slower (median wall-time ratio sb3-contrib / ours >= 1).
"""

import argparse
import os
import statistics
import sys

from _timing import (
    EVAL_EPISODES,
    EVAL_SEED_OFFSET,
    LearningRun,
    Target,
    check_targets,
    ensure_repo_on_path,
    fmt_ratio,
    learn_and_evaluate,
    pin_blas_threads,
    print_table,
    write_json,
)

pin_blas_threads()  # before NumPy loads its BLAS

import numpy as np  # noqa: E402

ensure_repo_on_path()

SETTINGS = dict(
    n_envs=2,
    n_steps=512,
    gamma=0.99,
    gae_lambda=0.97,
    max_kl=0.01,
    cg_iters=10,
    cg_damping=0.1,
    backtrack_coeff=0.8,
    max_backtracks=10,
)
METHODS = ("ours", "sb3-contrib")
RETURN_TOLERANCE = 0.1  # of |sb3-contrib's mean return|
TIME_RATIO_TARGET = 1.0  # sb3-contrib / ours


def run_ours(env_id, seed, timesteps, log_dir) -> LearningRun:
    from rl_adapters import TRPO

    log = os.path.join(log_dir, f"ours_{env_id}_{seed}.csv")
    agent = TRPO(env_id, seed=seed, log_path=log, **SETTINGS)
    return learn_and_evaluate(agent, env_id, seed, "ours", timesteps, log_path=log)


def run_sb3(env_id, seed, timesteps) -> LearningRun:
    import time

    import torch
    from sb3_contrib import TRPO as SB3TRPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    torch.set_num_threads(1)
    env = VecNormalize(
        make_vec_env(env_id, n_envs=SETTINGS["n_envs"], seed=seed),
        norm_obs=True,
        norm_reward=False,
        clip_obs=10.0,
    )

    class Curve(BaseCallback):
        def __init__(self):
            super().__init__()
            self.steps, self.returns = [], []

        def _on_rollout_end(self):
            buffer = self.model.ep_info_buffer
            self.steps.append(self.num_timesteps)
            self.returns.append(
                float(np.mean([e["r"] for e in buffer])) if buffer else float("nan")
            )

        def _on_step(self):
            return True

    model = SB3TRPO(
        "MlpPolicy",
        env,
        n_steps=SETTINGS["n_steps"],
        batch_size=128,
        gamma=SETTINGS["gamma"],
        gae_lambda=SETTINGS["gae_lambda"],
        target_kl=SETTINGS["max_kl"],
        cg_max_steps=SETTINGS["cg_iters"],
        cg_damping=SETTINGS["cg_damping"],
        line_search_shrinking_factor=SETTINGS["backtrack_coeff"],
        line_search_max_iter=SETTINGS["max_backtracks"],
        normalize_advantage=True,
        seed=seed,
        device="cpu",
        policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=torch.nn.Tanh),
    )
    curve = Curve()
    start = time.perf_counter()
    model.learn(timesteps, callback=curve)
    seconds = time.perf_counter() - start
    eval_env = VecNormalize(
        make_vec_env(env_id, n_envs=1, seed=EVAL_SEED_OFFSET + seed),
        norm_obs=True,
        norm_reward=False,
        clip_obs=10.0,
        training=False,
    )
    eval_env.obs_rms = env.obs_rms
    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=EVAL_EPISODES, deterministic=True)
    return LearningRun(
        env_id,
        seed,
        "sb3-contrib",
        seconds,
        float(mean),
        float(std),
        tuple(curve.steps),
        tuple(curve.returns),
    )


def plot(runs: list[LearningRun], path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({r.env for r in runs})
    figure, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4), squeeze=False)
    for ax, env_id in zip(axes[0], envs, strict=True):
        for method, colour in zip(METHODS, ("C0", "C1"), strict=True):
            of_method = [r for r in runs if r.env == env_id and r.method == method]
            for r in of_method:
                ax.plot(r.curve_steps, r.curve_returns, color=colour, alpha=0.3, linewidth=0.8)
            length = min(len(r.curve_steps) for r in of_method)
            mean = np.nanmean([r.curve_returns[:length] for r in of_method], axis=0)
            ax.plot(
                of_method[0].curve_steps[:length],
                mean,
                color=colour,
                label=f"{method} (mean of {len(of_method)} seeds)",
            )
        ax.set_title(env_id)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("mean training return (last 100 episodes)")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def report(runs: list[LearningRun], envs: list[str], timesteps: int) -> list[Target]:
    """Print the table of returns and times; the targets per environment."""
    rows, targets = [], []
    for env_id in envs:
        mean_return, median_time = {}, {}
        for method in METHODS:
            of_method = [r for r in runs if r.env == env_id and r.method == method]
            mean_return[method] = float(np.mean([r.eval_mean for r in of_method]))
            median_time[method] = statistics.median(r.seconds for r in of_method)
            rows.append(
                [
                    env_id,
                    method,
                    " ".join(f"{r.eval_mean:.1f}" for r in of_method),
                    f"{mean_return[method]:.1f}",
                    f"{median_time[method]:.1f} s",
                ]
            )
        ratio = median_time["sb3-contrib"] / median_time["ours"]
        rows.append([env_id, "sb3-contrib / ours", "", "", fmt_ratio(ratio)])
        sb3 = mean_return["sb3-contrib"]
        targets += [
            Target(
                f"{env_id}: ours' mean evaluation return",
                mean_return["ours"],
                ">=",
                sb3 - RETURN_TOLERANCE * abs(sb3),
                unit="",
            ),
            Target(f"{env_id}: wall time sb3-contrib / ours", ratio, ">=", TIME_RATIO_TARGET),
        ]
    print_table(
        f"{timesteps} steps per run; evaluation: mean return of {EVAL_EPISODES} deterministic "
        "episodes",
        ["env", "method", "eval return per seed", "mean", "median time"],
        rows,
    )
    return targets


def main(argv=None) -> int:
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
        sys.exit("this comparison needs sb3-contrib: pip install sb3-contrib")
    os.makedirs(args.out, exist_ok=True)
    envs, seeds = args.envs.split(","), [int(s) for s in args.seeds.split(",")]
    jobs = [(env_id, seed, method) for env_id in envs for seed in seeds for method in METHODS]
    bar = None
    if not args.quiet:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), unit="run")
    runs = []
    for env_id, seed, method in jobs:  # ours and sb3 alternate, so drifts hit both
        if method == "ours":
            runs.append(run_ours(env_id, seed, args.timesteps, args.out))
        else:
            runs.append(run_sb3(env_id, seed, args.timesteps))
        if bar is not None:
            bar.update()
            bar.set_postfix(last=f"{method} {env_id} {seed}: {runs[-1].eval_mean:.0f}")
    if bar is not None:
        bar.close()
    plot(runs, os.path.join(args.out, "learning_curves.png"))
    targets = report(runs, envs, args.timesteps)
    print(f"\nlearning curves: {os.path.join(args.out, 'learning_curves.png')}")
    if args.json:
        write_json(args.json, {"runs": runs, "targets": targets})
    return check_targets(targets)


if __name__ == "__main__":
    sys.exit(main())
