"""Faults around the agents' checkpoints, learning runs and command lines: a checkpoint is
untrusted data, a resumed run counts on from where it stopped, writes are atomic, a
non-finite update is reported, and a bad command-line argument stops before any work."""

import csv
import json
import os
import zipfile

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from rl_adapters import NPG, TRPO, OnPolicyAgent  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A CartPole TRPO agent trained for one batch, saved from its id."""
    path = tmp_path_factory.mktemp("checkpoint") / "agent.npz"
    agent = TRPO("CartPole-v1", n_steps=32, seed=0)
    agent.learn(64, progress_bar=False)
    agent.save(path)
    return path


def _contents(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def _forge(path, tmp_path, meta_change=None, **array_changes):
    """A copy of the checkpoint at ``path`` with its metadata and arrays changed (an array
    given as None is left out)."""
    meta, arrays = _contents(path)
    if meta_change is not None:
        meta_change(meta)
    arrays.update(array_changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    forged = tmp_path / "forged.npz"
    np.savez(forged, meta=np.array(json.dumps(meta)), **arrays)
    return forged


# -- a checkpoint is untrusted data ------------------------------------------------------


def test_load_never_takes_a_log_path_from_the_checkpoint(checkpoint, tmp_path):
    target = tmp_path / "elsewhere.csv"
    forged = _forge(
        checkpoint, tmp_path, lambda meta: meta["hyperparameters"].update(log_path=str(target))
    )
    with pytest.raises(ValueError, match=f"{forged}.*log_path"):
        TRPO.load(forged)
    assert not target.exists()
    # a clean checkpoint loads with no log unless the caller asks for one
    assert TRPO.load(checkpoint).log_path is None


def test_load_refuses_an_environment_id_that_imports_a_module(checkpoint, tmp_path):
    forged = _forge(checkpoint, tmp_path, lambda meta: meta.update(env_id="os:CartPole-v1"))
    with pytest.raises(ValueError, match="pass env="):
        TRPO.load(forged)
    # the caller's own environment is fine
    assert TRPO.load(forged, env=gym.make("CartPole-v1")).env_id == "CartPole-v1"


def _with(index, value):
    """The saved array with one entry replaced."""

    def change(array):
        array = array.astype(np.float64)
        array[index] = value
        return array

    return change


@pytest.mark.parametrize(
    "key, change",
    [
        ("policy_parameters", lambda a: a[:3]),
        ("policy_parameters", _with(1, np.nan)),
        ("value_parameters", lambda a: a.reshape(-1, 1)),
        ("value_parameters", _with(0, np.inf)),
        ("normalizer_mean", lambda a: a[:3]),
        ("normalizer_mean", lambda a: np.array(["a", "b", "c", "d"])),
        ("normalizer_var", _with(1, -1.0)),
        ("normalizer_var", _with(1, np.inf)),
        ("normalizer_count", lambda a: np.array(-5.0)),
        ("normalizer_count", lambda a: np.array(np.nan)),
        ("normalizer_clip", lambda a: np.array(0.0)),
        ("value_parameters", lambda a: np.array([{"a": 1}, None], dtype=object)),  # pickled
    ],
)
def test_load_checks_every_array(checkpoint, tmp_path, key, change):
    _, arrays = _contents(checkpoint)
    forged = _forge(checkpoint, tmp_path, **{key: change(arrays[key])})
    with pytest.raises(ValueError, match=f"{forged}.*{key}"):
        TRPO.load(forged)


@pytest.mark.parametrize(
    "missing",
    ["meta", "policy_parameters", "value_parameters", "normalizer_var", "normalizer_count"],
)
def test_load_names_a_missing_entry_and_the_file(checkpoint, tmp_path, missing):
    if missing == "meta":
        _, arrays = _contents(checkpoint)
        forged = tmp_path / "forged.npz"
        np.savez(forged, **arrays)
    else:
        forged = _forge(checkpoint, tmp_path, **{missing: None})
    with pytest.raises(ValueError, match=f"{forged}.*{missing}"):
        TRPO.load(forged)


@pytest.mark.parametrize(
    "meta_change, match",
    [
        (lambda meta: meta.pop("num_timesteps"), "num_timesteps"),
        (lambda meta: meta.update(num_timesteps=-3), "num_timesteps"),
        (lambda meta: meta.update(iteration="many"), "iteration"),
        (lambda meta: meta.update(hyperparameters=[1, 2]), "hyperparameters"),
        (lambda meta: meta["hyperparameters"].pop("gamma"), "gamma"),
        (lambda meta: meta.update(env_id=7), "env_id"),
        (lambda meta: meta.update(spaces={"observation": {"box": [5]}}), "observations"),
        # networks far larger than the saved vectors are refused before they are built
        (
            lambda meta: meta["hyperparameters"].update(hidden_sizes=[10**7, 10**7]),
            "value_parameters",
        ),
        (lambda meta: meta["policy"].update(hidden_sizes=[10**7, 10**7]), "policy_parameters"),
        (lambda meta: meta["policy"].pop("hidden_sizes"), "hidden_sizes"),
    ],
)
def test_load_checks_the_metadata(checkpoint, tmp_path, meta_change, match):
    forged = _forge(checkpoint, tmp_path, meta_change)
    with pytest.raises(ValueError, match=f"{forged}.*{match}"):
        TRPO.load(forged)


def test_load_says_which_file_is_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a checkpoint\n")
    other_zip = tmp_path / "other.npz"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    array = tmp_path / "array.npy"
    np.save(array, np.zeros(3))
    json_meta = tmp_path / "badjson.npz"
    np.savez(json_meta, meta=np.array("{not json"))
    truncated = tmp_path / "truncated.npz"
    whole = tmp_path / "whole.npz"
    TRPO("CartPole-v1", n_envs=1).save(whole)
    truncated.write_bytes(whole.read_bytes()[:2000])
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    for path in (text, other_zip, array, json_meta, truncated, empty):
        with pytest.raises(ValueError, match=str(path)):
            OnPolicyAgent.load(path)


def test_hyperparameters_saved_are_those_load_accepts():
    for agent in (TRPO("CartPole-v1", n_envs=1), NPG("CartPole-v1", n_envs=1)):
        assert sorted(agent.hyperparameters) == sorted(type(agent).HYPERPARAMETERS)


# -- loading onto the caller's environment ------------------------------------------------


def test_a_checkpoint_saved_from_an_id_loads_onto_an_env_instance(checkpoint):
    saved = TRPO.load(checkpoint)
    loaded = TRPO.load(checkpoint, env=gym.make("CartPole-v1"))
    assert loaded.env.num_envs == 1 and saved.env.num_envs == 2
    obs = np.random.default_rng(0).standard_normal((20, 4))
    np.testing.assert_array_equal(loaded.predict(obs), saved.predict(obs))
    loaded.learn(32, progress_bar=False)  # and it trains there


@pytest.mark.parametrize(
    "env, match",
    [
        (
            "Acrobot-v1",
            "observations in a Box of shape \\(4,\\).*observation space is a Box of shape \\(6,\\)",
        ),
        ("MountainCarContinuous-v0", "observation"),
        ("Pendulum-v1", "observation"),
    ],
)
def test_loading_onto_other_spaces_says_which_space_differs(checkpoint, env, match):
    with pytest.raises(ValueError, match=match):
        TRPO.load(checkpoint, env=gym.make(env))


def test_loading_onto_other_actions_says_so(tmp_path):
    agent = TRPO("MountainCarContinuous-v0", n_envs=1, n_steps=16)
    agent.save(tmp_path / "car.npz")
    # MountainCar-v0: the same observations, three discrete actions instead of a Box
    with pytest.raises(
        ValueError, match="actions in a Box of shape \\(1,\\).*action space is Discrete\\(3\\)"
    ):
        TRPO.load(tmp_path / "car.npz", env=gym.make("MountainCar-v0"))


# -- a loaded agent counts on -------------------------------------------------------------


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_learn_after_load_trains_the_steps_asked_for(checkpoint):
    """The checkpoint holds 64 steps; learn(64) is one more batch of 64, not two."""
    loaded = TRPO.load(checkpoint)
    rows = []
    loaded.learn(64, progress_bar=False, callback=lambda agent, row: rows.append(row))
    assert len(rows) == 1 and loaded.num_timesteps == 64  # SB3: the count starts afresh


def test_a_loaded_agent_continues_its_count_and_log(checkpoint, tmp_path):
    log = tmp_path / "resumed.csv"
    loaded = TRPO.load(checkpoint, log_path=str(log))
    rows = []
    loaded.learn(
        64,
        progress_bar=False,
        reset_num_timesteps=False,
        callback=lambda agent, row: rows.append(row),
    )
    assert len(rows) == 1 and loaded.num_timesteps == 128
    logged = _rows(log)
    assert [int(r["timesteps"]) for r in logged] == [128]
    assert [int(r["iteration"]) for r in logged] == [2]


def test_a_second_learn_restarts_the_count_unless_told_otherwise(tmp_path):
    log = tmp_path / "log.csv"
    agent = TRPO("CartPole-v1", n_steps=32, seed=0, log_path=str(log))
    agent.learn(64, progress_bar=False).learn(64, progress_bar=False)
    assert agent.num_timesteps == 64
    assert [int(r["timesteps"]) for r in _rows(log)] == [64]  # a new run, a new log
    agent.learn(128, progress_bar=False, reset_num_timesteps=False)
    assert [int(r["timesteps"]) for r in _rows(log)] == [64, 128, 192]


# -- saving --------------------------------------------------------------------------------


@pytest.fixture
def small_agent():
    return TRPO("CartPole-v1", n_envs=1, n_steps=16, seed=0)


def test_save_creates_missing_folders(small_agent, tmp_path):
    path = tmp_path / "runs" / "seed0" / "agent.npz"
    small_agent.save(path)
    assert TRPO.load(path).num_timesteps == 0


def test_save_gives_the_file_the_permissions_of_any_other_output(small_agent, tmp_path):
    old = os.umask(0o022)
    try:
        small_agent.save(tmp_path / "agent.npz")
        (tmp_path / "other.txt").write_text("an output written the ordinary way")
    finally:
        os.umask(old)
    mode = (tmp_path / "agent.npz").stat().st_mode & 0o777
    assert mode == (tmp_path / "other.txt").stat().st_mode & 0o777 == 0o644


def test_a_failed_save_leaves_no_temporary_and_keeps_the_old_file(
    small_agent, tmp_path, monkeypatch
):
    path = tmp_path / "agent.npz"
    small_agent.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        small_agent.save(path)
    assert os.listdir(tmp_path) == ["agent.npz"] and path.read_bytes() == before


def test_saving_over_a_folder_fails_cleanly(small_agent, tmp_path):
    (tmp_path / "agent.npz").mkdir()
    with pytest.raises(OSError):
        small_agent.save(tmp_path / "agent.npz")
    assert os.listdir(tmp_path) == ["agent.npz"]


# -- non-finite updates are reported, never applied ---------------------------------------


class HugeRewards(gym.Env):
    """Rewards of ±1e300: the returns are finite, their squares are not."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,))
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2), {}

    def step(self, action):
        self.t += 1
        return (np.full(2, 0.01 * self.t), 1e300 if action else -1e300, self.t % 20 == 0, False, {})


def test_advantages_too_large_to_square_are_standardised():
    from rl_adapters import standardize

    small = np.array([1.0, -1.0, 0.0, 3.0])
    exact = (small - small.mean()) / small.std()  # eps is negligible at either scale
    np.testing.assert_allclose(standardize(1e300 * small), exact, rtol=1e-12)
    np.testing.assert_allclose(standardize(small), exact, rtol=1e-7)
    assert np.isnan(standardize(np.array([np.inf, 1.0]))).any()  # reported downstream


@pytest.mark.parametrize("algorithm", [TRPO, NPG])
def test_huge_rewards_skip_the_value_fit_with_the_reason(algorithm, tmp_path):
    log = tmp_path / "log.csv"
    agent = algorithm(HugeRewards(), n_envs=1, n_steps=64, seed=0, log_path=str(log))
    value_before = agent.value.theta.copy()
    agent.learn(128, progress_bar=False)  # overflow warnings are errors in this suite
    rows = _rows(log)
    assert len(rows) == 2
    for row in rows:
        assert "value" in row["skipped"] and "non-finite" in row["skipped"]
    np.testing.assert_array_equal(agent.value.theta, value_before)
    assert np.isfinite(agent.policy.get_parameters()).all()


class _Poisoned:
    """A policy evaluation that is non-finite away from θ_old."""

    def __init__(self, evaluation, log_prob=False, kl=False):
        self._evaluation, self._log_prob, self._kl = evaluation, log_prob, kl

    def __getattr__(self, name):
        return getattr(self._evaluation, name)

    def log_prob(self, actions):
        value = self._evaluation.log_prob(actions)
        return np.full_like(value, np.nan) if self._log_prob else value

    def kl_from(self, other):
        return np.inf if self._kl else self._evaluation.kl_from(other)


@pytest.mark.parametrize("algorithm", [TRPO, NPG])
@pytest.mark.parametrize("poison, word", [({"log_prob": True}, "surrogate"), ({"kl": True}, "KL")])
def test_a_non_finite_surrogate_or_kl_skips_the_update_and_says_so(
    algorithm, poison, word, monkeypatch
):
    agent = algorithm("CartPole-v1", n_envs=1, seed=0)
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((64, 4))
    actions = agent.policy.act(obs, rng)
    advantages = rng.standard_normal(64)
    theta = agent.policy.get_parameters()
    evaluate = agent.policy.evaluate

    def poisoned(obs, parameters=None):
        evaluation = evaluate(obs, parameters)
        moved = parameters is not None and not np.array_equal(parameters, theta)
        return _Poisoned(evaluation, **poison) if moved else evaluation

    monkeypatch.setattr(agent.policy, "evaluate", poisoned)
    row = agent.policy_update(obs, actions, advantages)
    assert not row.accepted and word in row.skipped
    np.testing.assert_array_equal(agent.policy.get_parameters(), theta)


# -- command lines: every argument checked before any work ---------------------------------

from rl_adapters._cli import main as rl_cli  # noqa: E402
from trustregion._cli import main as bench_cli  # noqa: E402


def _refused(cli, argv, capsys, *words):
    """``cli(argv)`` stops with argparse's exit status 2 and a one-line error naming
    ``words``, having printed nothing on stdout (no work done)."""
    with pytest.raises(SystemExit) as stop:
        cli(argv)
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    for word in words:
        assert word in errors[0], err


@pytest.mark.parametrize(
    "option, value",
    [
        ("--timesteps", "0"),
        ("--timesteps", "ten"),
        ("--n-envs", "0"),
        ("--n-steps", "-4"),
        ("--max-kl", "0"),
        ("--max-kl", "nan"),
        ("--max-kl", "inf"),
        ("--gamma", "1.5"),
        ("--gamma", "-0.1"),
        ("--gae-lambda", "2"),
        ("--eval-episodes", "0"),
        ("--seed", "-1"),
    ],
)
def test_rl_train_refuses_a_bad_number_before_making_its_folder(tmp_path, capsys, option, value):
    out = tmp_path / "new" / "run"
    _refused(
        rl_cli,
        ["train", "trpo", "CartPole-v1", "--out", str(out), "--quiet", option, value],
        capsys,
        option,
    )
    assert not (tmp_path / "new").exists()


def test_rl_train_refuses_an_unknown_environment_before_making_its_folder(tmp_path, capsys):
    out = tmp_path / "run"
    _refused(rl_cli, ["train", "npg", "NoSuchEnv-v9", "--out", str(out)], capsys, "NoSuchEnv-v9")
    assert not out.exists()


def test_rl_train_refuses_an_out_it_cannot_write(tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("")
    _refused(rl_cli, ["train", "trpo", "CartPole-v1", "--out", str(a_file)], capsys, "--out")
    _refused(
        rl_cli, ["train", "trpo", "CartPole-v1", "--out", str(a_file / "run")], capsys, "--out"
    )
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        _refused(
            rl_cli, ["train", "trpo", "CartPole-v1", "--out", str(locked / "run")], capsys, "--out"
        )
        assert not (locked / "run").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--episodes", "0"], ["--episodes"]),
        (["--seed", "-3"], ["--seed"]),
    ],
)
def test_rl_evaluate_refuses_bad_numbers(checkpoint, capsys, argv, words):
    _refused(rl_cli, ["evaluate", str(checkpoint.parent), *argv], capsys, *words)


def test_rl_evaluate_refuses_a_run_without_a_checkpoint(tmp_path, capsys):
    _refused(rl_cli, ["evaluate", str(tmp_path)], capsys, "model.npz")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--maxiter", "0"], ["--maxiter"]),
        (["--n", "-5"], ["--n"]),
        (["--suite", "nope"], ["nope"]),
        (["--solvers", "newton"], ["newton"]),
        (["--suite", "cutest", "--n", "7"], ["dimension"]),
    ],
)
def test_bench_refuses_bad_arguments_before_any_run(capsys, argv, words):
    _refused(bench_cli, ["bench", "--quiet", "--profile", "", *argv], capsys, *words)


def test_bench_refuses_output_paths_it_cannot_write_before_any_run(tmp_path, capsys):
    missing = tmp_path / "missing" / "runs.json"
    _refused(
        bench_cli, ["bench", "--quiet", "--profile", "", "--json", str(missing)], capsys, "--json"
    )
    _refused(
        bench_cli,
        ["bench", "--quiet", "--profile", str(tmp_path / "no" / "p.png")],
        capsys,
        "--profile",
    )
    _refused(
        bench_cli, ["bench", "--quiet", "--profile", "", "--json", str(tmp_path)], capsys, "--json"
    )
    assert not (tmp_path / "missing").exists() and not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    "module, argv",
    [
        ("rl_adapters", ["train", "trpo", "CartPole-v1", "--out", "{tmp}/run", "--gamma", "7"]),
        ("trustregion", ["bench", "--maxiter", "-1"]),
    ],
)
def test_both_command_lines_exit_2_with_one_error_line(tmp_path, module, argv):
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-m", module, *[a.format(tmp=tmp_path) for a in argv]],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert sum("error:" in line for line in done.stderr.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_rl_train_refuses_unsupported_spaces_before_making_its_folder(tmp_path, capsys):
    out = tmp_path / "run"
    _refused(
        rl_cli, ["train", "trpo", "Blackjack-v1", "--out", str(out)], capsys, "observation_space"
    )
    assert not out.exists()


def test_rl_evaluate_refuses_a_damaged_checkpoint_naming_it(tmp_path, capsys):
    (tmp_path / "model.npz").write_text("not a checkpoint")
    _refused(rl_cli, ["evaluate", str(tmp_path)], capsys, str(tmp_path / "model.npz"))


def test_rl_evaluate_takes_a_module_prefixed_environment_only_from_the_user(
    checkpoint, tmp_path, capsys
):
    run = tmp_path / "run"
    run.mkdir()
    forged = _forge(checkpoint, tmp_path, lambda meta: meta.update(env_id="os:CartPole-v1"))
    os.replace(forged, run / "model.npz")
    _refused(rl_cli, ["evaluate", str(run), "--episodes", "1"], capsys, "pass env=")
    assert rl_cli(["evaluate", str(run), "--episodes", "1", "--env", "CartPole-v1"]) == 0
    assert "TRPO CartPole-v1: return" in capsys.readouterr().out
    _refused(rl_cli, ["evaluate", str(run), "--env", "NoSuchEnv-v9"], capsys, "NoSuchEnv-v9")
