"""The pytest plugin, as an implementer uses it: a project of their own outside this
repository, an adapter module beside it, no conftest, `pytest --mapi-adapter mod:factory`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATES = ROOT / "tests" / "regression" / "states"

ADAPTER = '''\
from mapi_submission.reference import make_reference
from mapi_submission.reference.mutants import LocationOnlyRouting


def build():
    return make_reference()


def broken():
    return LocationOnlyRouting()
'''


def _pytest(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "no:xdist", *arguments], capture_output=True, text=True,
                          cwd=project, env=env, timeout=600, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "my_adapter.py").write_text(ADAPTER)
    return tmp_path


def test_one_junit_test_per_regression_case_and_the_machine(project: Path) -> None:
    # the default suite is regenerated from the table; tests/regression checks in the same
    # cases (test_suite_has_not_drifted), so its files name the tests expected
    # ten machine examples (the profile's hundred take the most of this test's time)
    done = _pytest(project, "--mapi-adapter", "my_adapter:build", "--junitxml", "r.xml", "-q",
                   "--mapi-examples", "10")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    junit = (project / "r.xml").read_text()
    names = re.findall(r'<testcase [^>]*name="([^"]+)"', junit)
    checked_in = sorted(f"{path.parent.name}/{path.stem}"
                        for path in (ROOT / "tests" / "regression").glob("*/*.json")
                        if not path.name.startswith("manifest"))
    assert sorted(name for name in names if name != "conformance-machine") == checked_in
    assert names.count("conformance-machine") == 1


def test_a_mutant_fails_with_the_numbered_program_of_mapi_calls(project: Path) -> None:
    done = _pytest(project, "--mapi-adapter", "my_adapter:broken", "--mapi-cases",
                   str(STATES), "-k", "not conformance-machine", "-x")
    assert done.returncode == 1, done.stdout[-3000:]
    report = done.stdout
    assert "1 failed" in report
    # what the system did against what the model allowed, the rule, then the calls numbered
    assert "R19" in report
    assert re.search(r"^\s+1\. client: IMessage::ModifyRecipients \(message 0\) -> S_OK",
                     report, re.MULTILINE), report[-3000:]
    assert "IMessage::SubmitMessage (message 0) -> S_OK" in report
    assert "Traceback" not in report


def test_a_bad_adapter_is_one_usage_error(project: Path) -> None:
    done = _pytest(project, "--mapi-adapter", "no_such_module:build")
    assert done.returncode == 4  # pytest's usage error
    assert "no_such_module" in done.stderr and "PYTHONPATH" in done.stderr


def test_without_an_adapter_the_plugin_adds_nothing(project: Path) -> None:
    (project / "test_own.py").write_text("def test_own():\n    assert True\n")
    done = _pytest(project, "-q")
    assert done.returncode == 0 and "1 passed" in done.stdout


def test_a_bad_number_of_examples_is_one_usage_error(project: Path) -> None:
    done = _pytest(project, "--mapi-adapter", "my_adapter:build", "--mapi-examples", "0")
    assert done.returncode == 4  # pytest's usage error
    assert "--mapi-examples: expected a positive integer, got '0'" in done.stderr
    assert "Traceback" not in done.stderr
