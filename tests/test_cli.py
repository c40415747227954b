"""``trustregion bench`` end to end, on a small run."""

import json

import pytest

from trustregion._cli import main


def test_bench_runs_and_reports(tmp_path, capsys):
    out = tmp_path / "runs.json"
    code = main(
        [
            "bench",
            "--suite",
            "cutest",
            "--n",
            "100",
            "--solvers",
            "steihaug,trust-ncg",
            "--maxiter",
            "20",
            "--json",
            str(out),
            "--profile",
            "",
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "steihaug vs trust-ncg: solved" in printed
    runs = json.loads(out.read_text())
    assert len(runs) == 2 * 11 and {r["solver"] for r in runs} == {"steihaug", "trust-ncg"}


def test_bench_refuses_unknown_solvers(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--solvers", "newton", "--quiet"])
    assert stop.value.code == 2 and "unknown solver" in capsys.readouterr().err


def test_bench_reports_a_bad_dimension(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--suite", "cutest", "--n", "7", "--quiet"])
    assert stop.value.code == 2 and "invalid dimension" in capsys.readouterr().err


def test_bench_nls_suite_reports_lre_and_ratios(tmp_path, capsys):
    out = tmp_path / "nls.json"
    code = main(
        ["bench", "--suite", "nls", "--solvers", "least_squares,lm", "--json", str(out)]
        + ["--profile", "", "--repeat", "1", "--quiet"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "least_squares: LRE >= 6 on" in printed
    assert "least_squares vs lm: solved" in printed
    runs = json.loads(out.read_text())
    nist = [r for r in runs if r["solver"] == "least_squares" and r["lre"] == r["lre"]]
    assert nist and all(r["solved"] == (r["lre"] >= 6.0) for r in nist)
    assert {r["problem"] for r in runs} >= {"Misra1a-1", "Misra1a-2", "rosenbrock"}


def test_bench_nls_refuses_a_dimension_and_minimize_solvers(capsys):
    for argv in (["--n", "10"], ["--solvers", "steihaug"]):
        with pytest.raises(SystemExit) as stop:
            main(["bench", "--suite", "nls", "--quiet", *argv])
        assert stop.value.code == 2
    assert "unknown solver" in capsys.readouterr().err


def test_bench_default_solvers_fit_the_size_and_the_profile_is_named_by_suite(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code = main(["bench", "--suite", "cutest", "--n", "1000", "--maxiter", "3", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "exact, trust-exact left out at n = 1000" in printed
    assert "exact vs trust-exact" not in printed and "steihaug vs trust-ncg" in printed
    pytest.importorskip("matplotlib")
    assert (tmp_path / "performance_profile_cutest_n1000.png").is_file()


def test_the_command_pins_blas_to_one_thread(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    argv = ["bench", "--solvers", "steihaug", "--maxiter", "3", "--profile", "", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "trustregion", *argv],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "BLAS threads: 1" in done.stdout
