"""`generate` writes a manifest of the files it wrote, last; `--clean` removes only files a
manifest lists and refuses a folder holding anything else; a second run on a folder another
run is writing is refused; `replay` refuses a folder of generated cases whose manifest is
missing, incomplete or does not match, naming the difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapi_submission.cli import main
from mapi_submission.generators.suite_folder import (
    LOCK,
    MANIFEST,
    read_manifest,
    sha256,
    suite_lock,
)

SMALL = ["--messages", "1", "--recipients", "1", "--coupling", "loose", "--folders", "outbox"]
REGRESSION = Path(__file__).resolve().parents[1] / "regression"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _generate(out: Path, criterion: str = "states", *more: str) -> tuple[int, str, str]:
    return _run("generate", "--criterion", criterion, *SMALL, "-o", str(out), *more)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    return lines[0]


def test_generate_writes_a_manifest_of_every_file_last(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    assert _generate(out)[0] == 0
    manifest = read_manifest(out)
    assert manifest is not None and manifest.complete
    cases = sorted(out.glob("*.json"))
    assert sorted(manifest.files) == [p.name for p in cases]
    assert all(manifest.files[p.name] == sha256(p.read_bytes()) for p in cases)
    assert not (out / LOCK).exists()
    # deterministic: a second run into another folder gives the same manifest, byte for byte
    assert _generate(tmp_path / "again")[0] == 0
    assert (out / MANIFEST).read_bytes() == (tmp_path / "again" / MANIFEST).read_bytes()


def test_clean_refuses_a_folder_holding_files_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "package.json").write_text('{"name": "mine"}\n', encoding="utf-8")
    (out / "tsconfig.json").write_text("{}\n", encoding="utf-8")
    code, _, err = _generate(out, "states", "--clean")
    assert code == 2
    line = _one_line(err)
    assert "package.json" in line and "tsconfig.json" in line and str(out) in line
    assert sorted(p.name for p in out.iterdir()) == ["package.json", "tsconfig.json"]


def test_clean_removes_only_what_an_earlier_manifest_lists(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    assert _generate(out, "states")[0] == 0
    states = {p.name for p in out.glob("*.json")}
    assert _generate(out, "transitions", "--clean")[0] == 0
    left = {p.name for p in out.glob("*.json")}
    assert not states & left and all(name.startswith("transitions-") for name in left)
    manifest = read_manifest(out)
    assert manifest is not None and set(manifest.files) == left
    # a file someone added since is not removed, and the clean is refused
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, _, err = _generate(out, "states", "--clean")
    assert code == 2 and "notes.txt" in _one_line(err)
    assert {p.name for p in out.glob("*.json")} == left


def test_without_clean_the_manifest_keeps_earlier_files(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    assert _generate(out, "states")[0] == 0
    assert _generate(out, "transitions")[0] == 0
    manifest = read_manifest(out)
    assert manifest is not None and set(manifest.files) == {p.name for p in out.glob("*.json")}
    assert _run("replay", str(out))[0] == 0


def test_a_second_run_on_a_folder_being_written_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    with suite_lock(out):  # another run holds the folder
        code, _, err = _generate(out, "states", "--clean")
    assert code == 2
    assert "another generate is writing this folder" in _one_line(err)
    assert not list(out.glob("*.json"))
    assert _generate(out, "states", "--clean")[0] == 0  # and once it is done, the folder is free


@pytest.mark.parametrize(("damage", "named"), [
    ("delete-manifest", f"no {MANIFEST}"),
    ("incomplete", "did not finish"),
    ("edit-case", "changed since written: states-"),
    ("delete-case", "missing: states-"),
    ("add-case", "not in the manifest: extra.json"),
])
def test_replay_refuses_a_suite_that_does_not_match_its_manifest(
        tmp_path: Path, damage: str, named: str) -> None:
    out = tmp_path / "suite"
    assert _generate(out)[0] == 0
    cases = sorted(out.glob("*.json"))
    if damage == "delete-manifest":
        (out / MANIFEST).unlink()
    elif damage == "incomplete":
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        data["complete"] = False
        (out / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    elif damage == "edit-case":
        case = json.loads(cases[0].read_text(encoding="utf-8"))
        case["title"] += " (edited)"
        cases[0].write_text(json.dumps(case), encoding="utf-8")
    elif damage == "delete-case":
        cases[0].unlink()
    else:
        (out / "extra.json").write_bytes(cases[0].read_bytes())
    code, _, err = _run("replay", str(out))
    assert code == 2
    line = _one_line(err)
    assert named in line and str(out) in line, line


def test_counterexamples_need_no_manifest(tmp_path: Path) -> None:
    out = tmp_path / "found"
    code, _, _ = _run("check", "--variant", "location-only", "--messages", "1", "--recipients",
                      "1", "--transports", "1", "--no-liveness", "--out", str(out))
    assert code == 1
    code, _, err = _run("replay", str(out), "--variant", "location-only")
    assert code == 0, err


def test_the_checked_in_regression_suite_matches_its_manifests() -> None:
    code, out, err = _run("replay", str(REGRESSION))
    assert code == 0, err
    assert "all pass" in out
