"""The generate, replay and coverage commands: output, byte-identical files, exit codes 0/1/2
and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.generators.generate import REGRESSION_SUITE
from mapi_submission.generators.suite_folder import MANIFEST

SMALL = ["--messages", "1", "--recipients", "1", "--coupling", "loose", "--folders", "outbox"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_generate_prints_the_numbers_and_is_byte_identical(tmp_path: Path) -> None:
    code, out, _ = _run("generate", "--criterion", "transitions", *SMALL, "-o",
                        str(tmp_path / "a"))
    assert code == 0, out
    assert "coverage" in out and "lower bound" in out and "infeasible" in out
    _run("generate", "--criterion", "transitions", *SMALL, "-o", str(tmp_path / "b"))
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    second = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert first and first == second


def test_generate_json_summary(tmp_path: Path) -> None:
    code, out, _ = _run("generate", "--criterion", "tour", *SMALL, "--json", "-o",
                        str(tmp_path))
    assert code == 0
    summary = json.loads(out)
    assert summary["steps"] <= 1.1 * summary["lower_bound"]
    assert summary["cases"] == len(list(tmp_path.glob("*.json")))


def test_generate_limit_writes_nothing(tmp_path: Path) -> None:
    code, _, err = _run("generate", "--criterion", "states", *SMALL, "--max-states", "50",
                        "-o", str(tmp_path / "out"))
    assert code == 2
    assert "stopped early" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_replay_exit_codes(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    _run("generate", "--criterion", "guards", *SMALL, "-o", str(cases))
    code, out, _ = _run("replay", str(cases))
    assert code == 0 and "all pass" in out
    code, out, err = _run("replay", str(cases), "--variant", "abort-ignores-lock")
    assert code == 1
    assert "\nFAIL " in out and "step" in out and "R41" in out
    bad = tmp_path / "bad.json"
    case = json.loads(next(cases.glob("*.json")).read_text())
    case["steps"][0]["message"] = "zero"
    bad.write_text(json.dumps(case))
    code, _, err = _run("replay", str(bad))
    assert code == 2
    assert str(bad) in err and "steps/0/message" in err and len(err.strip().splitlines()) == 1


def test_coverage_names_unexercised_rules(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    _run("generate", "--criterion", "states", *SMALL, "-o", str(cases))
    code, out, _ = _run("coverage", str(cases), "--json")
    assert code == 0
    matrix = json.loads(out)
    assert matrix["unexercised"]
    assert matrix["exercised"] + len(matrix["unexercised"]) == matrix["encoded"]
    code, out, _ = _run("coverage", str(cases), "--strict")
    assert code == 1 and "encoded rules no case exercises" in out
    code, out, _ = _run("coverage")
    assert code == 0 and "every encoded rule is exercised" in out


STATES_SUITE = Path(__file__).resolve().parents[1] / "regression" / "states"


def test_coverage_tells_detection_apart_from_exercise() -> None:
    code, out, err = _run("coverage", str(STATES_SUITE), "--json")
    assert code == 0, err
    matrix = json.loads(out)
    detection = matrix["detection"]
    assert detection["reference_fails"] is None
    assert 0 < detection["killed"] < detection["mutants"]
    r20 = next(entry for entry in matrix["rules"] if entry["rule"] == "R20")
    late = next(m for m in r20["mutants"] if m["mutant"] == "repull-in-flight-while-finishing")
    # the states suite exercises R20 in many cases, and still misses this re-pull
    assert r20["cases"] and not late["killed"] and late["by"] is None
    assert "replaying the cases on reference (1 of" in err
    code, out, _ = _run("coverage", str(STATES_SUITE))
    assert "exercised by " in out and "     detected: " in out
    assert "survive: " in out and "repull-in-flight-while-finishing" in out
    code, out, _ = _run("coverage", str(STATES_SUITE), "--no-mutants", "--json")
    assert code == 0 and "detection" not in json.loads(out)


def test_generate_without_a_criterion_writes_the_recommended_suite(tmp_path: Path) -> None:
    # the suite the kill matrix's `cases` column replays (kill_matrix.regression_cases, the
    # suite tests/regression checks in),
    # one subfolder per entry, each with its manifest
    result = CliRunner().invoke(main, ["generate", "-o", str(tmp_path), "--quiet", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [entry["folder"] for entry in summary["suite"]] == [
        folder for folder, _, _ in REGRESSION_SUITE]
    written = sorted(path.stem for path in tmp_path.glob("*/*.json")
                     if path.name != MANIFEST)
    # the checked-in suite is regression_cases() as of now (test_suite_has_not_drifted)
    checked_in = Path(__file__).resolve().parents[1] / "regression"
    assert written == sorted(path.stem for path in checked_in.glob("*/*.json")
                             if path.name != MANIFEST)
    assert summary["cases"] == len(written)
    refused = CliRunner().invoke(main, ["generate", "-o", str(tmp_path / "x"),
                                        "--messages", "1"])
    assert refused.exit_code == 2 and "give --criterion" in refused.output


def test_the_recommended_suite_s_timeout_bounds_the_whole_suite(tmp_path: Path) -> None:
    # one second for seven folders: the suite stops with one line and a non-zero exit,
    # not after seven seconds of one-second entries
    result = CliRunner().invoke(main, ["generate", "-o", str(tmp_path), "--quiet",
                                       "--timeout", "1"])
    assert result.exit_code == 2, result.output
    assert "stopped early" in result.output and len(result.output.strip().splitlines()) <= 8
