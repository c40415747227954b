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
