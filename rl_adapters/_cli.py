"""``python -m rl_adapters train|evaluate``.

Every argument is checked as it is parsed (the argument types of :mod:`trustregion._cli`,
shared with ``trustregion bench``), and the environment id and the run folder before any
work: a bad one stops with one error line and exit status 2, and no folder is made.
"""

import argparse
import json
import os
import time
from collections.abc import Sequence

from trustregion._cli import (
    nonnegative_int,
    positive_float,
    positive_int,
    unit_interval,
    writable_folder,
)

from .agents import ALGORITHMS, TRPO, OnPolicyAgent

_MODEL, _LOG, _CURVE, _SUMMARY = "model.npz", "progress.csv", "learning_curve.png", "summary.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rl_adapters", description="Train and evaluate TRPO and NPG agents."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser(
        "train",
        help="train an agent, writing a CSV log, a checkpoint and a learning-curve PNG to --out",
    )
    train.add_argument("algorithm", choices=sorted(ALGORITHMS))
    train.add_argument("env", help="a gymnasium environment id, e.g. CartPole-v1")
    train.add_argument("--timesteps", type=positive_int, default=100_000)
    train.add_argument("--seed", type=nonnegative_int, default=0)
    train.add_argument(
        "--out", required=True, type=writable_folder, help="the run's directory (created)"
    )
    train.add_argument("--n-envs", type=positive_int, default=2)
    train.add_argument("--n-steps", type=positive_int, default=512)
    train.add_argument("--gamma", type=unit_interval, default=0.99)
    train.add_argument("--gae-lambda", type=unit_interval, default=0.97)
    train.add_argument(
        "--max-kl", type=positive_float, default=0.01, help="TRPO's KL bound, or NPG's KL target"
    )
    train.add_argument("--eval-episodes", type=positive_int, default=10)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--verbose", action="store_true", help="a line per iteration")

    evaluate = commands.add_parser("evaluate", help="evaluate a trained run")
    evaluate.add_argument("run", help="the directory train wrote")
    evaluate.add_argument("--episodes", type=positive_int, default=10)
    evaluate.add_argument("--seed", type=nonnegative_int, default=None)
    evaluate.add_argument(
        "--env",
        default=None,
        help="the environment to evaluate on (default: the saved id; "
        "needed for an id with a module prefix, module:Env, which "
        "a checkpoint is not trusted to import)",
    )
    evaluate.add_argument(
        "--stochastic",
        action="store_true",
        help="sample actions instead of taking the most likely one",
    )

    args = parser.parse_args(argv)
    if args.command == "train":
        _check_env_id(args.env, train)
        return _train(args, _agent(args, train))
    if args.env is not None:
        _check_env_id(args.env, evaluate)
    return _evaluate(args, _loaded(args.run, args.env, evaluate))


def _check_env_id(env: str, parser: argparse.ArgumentParser) -> None:
    """That gymnasium knows ``env`` (a ``module:Env`` id imports its module, as asked)."""
    import gymnasium as gym

    try:
        gym.spec(env)
    except (gym.error.Error, ImportError, ValueError) as exc:
        parser.error(f"unknown environment {env!r}: {str(exc).splitlines()[0]}")


def _agent(args: argparse.Namespace, parser: argparse.ArgumentParser) -> OnPolicyAgent:
    """The agent to train, or ``parser.error`` (an environment of spaces the agents do not
    take, say) before the run folder is made: the log opens only when training starts."""
    cls = ALGORITHMS[args.algorithm]
    kl = {"max_kl": args.max_kl} if cls is TRPO else {"target_kl": args.max_kl}
    try:
        return cls(
            args.env,
            n_envs=args.n_envs,
            n_steps=args.n_steps,
            gamma=args.gamma,
            gae_lambda=args.gae_lambda,
            seed=args.seed,
            log_path=os.path.join(args.out, _LOG),
            verbose=int(args.verbose),
            **kl,
        )
    except ValueError as exc:
        parser.error(str(exc).replace("\n", " "))


def _loaded(run: str, env: str | None, parser: argparse.ArgumentParser) -> OnPolicyAgent:
    """The agent saved in the run folder ``run`` (on ``env``, if not None), or
    ``parser.error``."""
    path = os.path.join(run, _MODEL)
    if not os.path.isfile(path):
        parser.error(f"{run}: no {_MODEL} (train writes it)")
    try:
        return OnPolicyAgent.load(path, env=env)
    except ValueError as exc:
        parser.error(str(exc).replace("\n", " "))


def _train(args: argparse.Namespace, agent: OnPolicyAgent) -> int:
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    agent.learn(args.timesteps, progress_bar=not args.quiet)
    seconds = time.perf_counter() - start
    agent.save(os.path.join(args.out, _MODEL))
    from .plots import plot_learning_curves

    plot_learning_curves(
        [(args.algorithm.upper(), os.path.join(args.out, _LOG))],
        os.path.join(args.out, _CURVE),
        title=f"{args.algorithm.upper()} on {args.env}, seed {args.seed}",
    )
    mean, std = agent.evaluate(args.eval_episodes, seed=args.seed + 10_000)
    summary = {
        "algorithm": args.algorithm.upper(),
        "env": args.env,
        "seed": args.seed,
        "timesteps": agent.num_timesteps,
        "train_seconds": seconds,
        "eval_mean_return": mean,
        "eval_std_return": std,
        "eval_episodes": args.eval_episodes,
    }
    with open(os.path.join(args.out, _SUMMARY), "w") as handle:
        json.dump(summary, handle, indent=2)
    print(
        f"{summary['algorithm']} {args.env}: {agent.num_timesteps} steps in {seconds:.1f} s; "
        f"evaluation return {mean:.1f} ± {std:.1f} over {args.eval_episodes} episodes; "
        f"wrote {args.out}/{{{_MODEL}, {_LOG}, {_CURVE}, {_SUMMARY}}}"
    )
    return 0


def _evaluate(args: argparse.Namespace, agent: OnPolicyAgent) -> int:
    mean, std = agent.evaluate(args.episodes, deterministic=not args.stochastic, seed=args.seed)
    print(
        f"{agent.algorithm} {agent.env_id}: return {mean:.1f} ± {std:.1f} over "
        f"{args.episodes} episodes"
    )
    return 0
