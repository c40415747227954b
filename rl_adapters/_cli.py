"""``python -m rl_adapters train|evaluate``."""

import argparse
import json
import os
import time

from .agents import NPG, TRPO, OnPolicyAgent

_AGENTS = {"trpo": TRPO, "npg": NPG}
_MODEL, _LOG, _CURVE, _SUMMARY = "model.npz", "progress.csv", "learning_curve.png", \
    "summary.json"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rl_adapters",
                                     description="Train and evaluate TRPO and NPG agents.")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train an agent, writing a CSV log, a "
                                "checkpoint and a learning-curve PNG to --out")
    train.add_argument("algorithm", choices=sorted(_AGENTS))
    train.add_argument("env", help="a gymnasium environment id, e.g. CartPole-v1")
    train.add_argument("--timesteps", type=int, default=100_000)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", required=True, help="the run's directory (created)")
    train.add_argument("--n-envs", type=int, default=2)
    train.add_argument("--n-steps", type=int, default=512)
    train.add_argument("--gamma", type=float, default=0.99)
    train.add_argument("--gae-lambda", type=float, default=0.97)
    train.add_argument("--max-kl", type=float, default=0.01,
                       help="TRPO's KL bound, or NPG's KL target")
    train.add_argument("--eval-episodes", type=int, default=10)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--verbose", action="store_true", help="a line per iteration")

    evaluate = commands.add_parser("evaluate", help="evaluate a trained run")
    evaluate.add_argument("run", help="the directory train wrote")
    evaluate.add_argument("--episodes", type=int, default=10)
    evaluate.add_argument("--seed", type=int, default=None)
    evaluate.add_argument("--stochastic", action="store_true",
                          help="sample actions instead of taking the most likely one")

    args = parser.parse_args(argv)
    return _train(args) if args.command == "train" else _evaluate(args)


def _train(args):
    os.makedirs(args.out, exist_ok=True)
    cls = _AGENTS[args.algorithm]
    kl = {"max_kl": args.max_kl} if cls is TRPO else {"target_kl": args.max_kl}
    agent = cls(args.env, n_envs=args.n_envs, n_steps=args.n_steps, gamma=args.gamma,
                gae_lambda=args.gae_lambda, seed=args.seed,
                log_path=os.path.join(args.out, _LOG), verbose=int(args.verbose), **kl)
    start = time.perf_counter()
    agent.learn(args.timesteps, progress_bar=not args.quiet)
    seconds = time.perf_counter() - start
    agent.save(os.path.join(args.out, _MODEL))
    from .plots import plot_learning_curves

    plot_learning_curves([(args.algorithm.upper(), os.path.join(args.out, _LOG))],
                         os.path.join(args.out, _CURVE),
                         title=f"{args.algorithm.upper()} on {args.env}, seed {args.seed}")
    mean, std = agent.evaluate(args.eval_episodes, seed=args.seed + 10_000)
    summary = {"algorithm": args.algorithm.upper(), "env": args.env, "seed": args.seed,
               "timesteps": agent.num_timesteps, "train_seconds": seconds,
               "eval_mean_return": mean, "eval_std_return": std,
               "eval_episodes": args.eval_episodes}
    with open(os.path.join(args.out, _SUMMARY), "w") as handle:
        json.dump(summary, handle, indent=2)
    print(f"{summary['algorithm']} {args.env}: {agent.num_timesteps} steps in {seconds:.1f} s; "
          f"evaluation return {mean:.1f} ± {std:.1f} over {args.eval_episodes} episodes; "
          f"wrote {args.out}/{{{_MODEL}, {_LOG}, {_CURVE}, {_SUMMARY}}}")
    return 0


def _evaluate(args):
    path = os.path.join(args.run, _MODEL)
    if not os.path.exists(path):
        raise SystemExit(f"{args.run}: no {_MODEL} (train writes it)")
    agent = OnPolicyAgent.load(path)
    mean, std = agent.evaluate(args.episodes, deterministic=not args.stochastic,
                               seed=args.seed)
    print(f"{agent.algorithm} {agent.env_id}: return {mean:.1f} ± {std:.1f} over "
          f"{args.episodes} episodes")
    return 0
