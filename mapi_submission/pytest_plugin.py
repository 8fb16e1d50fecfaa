"""The specification in an implementer's own pytest run (registered as a `pytest11` plugin).

    pytest --mapi-adapter mypackage.mapi_adapter:make_system [--mapi-cases DIR ...]

adds one test per regression case (the recommended suite, regenerated from the table, or the
cases under each `--mapi-cases` folder), named by the case, and one test running the
Hypothesis conformance machine, so pytest's `-k`, `-x`, `--junitxml` and xdist apply to
them. The machine takes its settings from the Hypothesis profile pytest loaded
(`--hypothesis-profile`), its number of examples from `--mapi-examples` where given. Without
`--mapi-adapter` the plugin adds nothing. A failure reports what the system did and what the
model allowed, the failing run as a numbered program of MAPI calls, and where the shrunk case
or call log was written.

May import: model, checker, generators, harness.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from mapi_submission.checker.cases import CaseError, case_program, load_case, write_case
from mapi_submission.generators.generate import regression_suite
from mapi_submission.harness.adapter_loading import AdapterSpecError, load_factory
from mapi_submission.harness.autonomous import replay_autonomously
from mapi_submission.harness.autonomous_machine import export_failure_log, run_autonomous_machine
from mapi_submission.harness.machine import run_machine
from mapi_submission.harness.replay import replay_against
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

FAILURES = Path("mapi-failures")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mapi-submission", "MAPI submission conformance")
    group.addoption("--mapi-adapter", metavar="MODULE:FACTORY", default=None,
                    help="Run the MAPI submission specification against the system this "
                         "factory builds: one test per regression case, and the machine.")
    group.addoption("--mapi-cases", metavar="DIR", action="append", default=[],
                    help="Regression cases to replay (repeatable); default: the recommended "
                         "suite, regenerated from the table.")
    group.addoption("--mapi-failures", metavar="DIR", default=str(FAILURES),
                    help=f"Where a failing machine run is written (default {FAILURES}).")
    group.addoption("--mapi-examples", metavar="N", type=_positive, default=None,
                    help="Examples the machine runs (default: the loaded Hypothesis "
                         "profile's max_examples), e.g. a few on every push and the "
                         "profile's on a nightly run.")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise pytest.UsageError(f"--mapi-examples: expected a positive integer, got {text!r}")
    return number


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--mapi-adapter")
    if spec is None:
        return
    try:
        factory, autonomous = load_factory(spec, option="--mapi-adapter")
    except AdapterSpecError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[_ADAPTER] = (factory, autonomous)


_ADAPTER = pytest.StashKey[tuple[Any, bool]]()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if _ADAPTER not in config.stash:
        return
    suite = MapiSuite.from_parent(session, name="mapi-submission")
    items.extend(suite.collect())


class MapiSuite(pytest.Collector):
    """The cases and the machine, as items."""

    def collect(self) -> Iterator[pytest.Item]:
        for name, case in _cases(self.config.getoption("--mapi-cases")):
            yield CaseItem.from_parent(self, name=name, case=case)
        yield MachineItem.from_parent(self, name="conformance-machine")


def _cases(folders: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    if not folders:
        for folder, case in regression_suite():
            yield f"{folder}/{case['id']}", case
        return
    for folder in folders:
        root = Path(folder)
        files = sorted(root.rglob("*.json")) if root.is_dir() else [root]
        for file in files:
            if file.name.startswith("manifest"):
                continue
            try:
                case = load_case(file)
            except CaseError as error:
                raise pytest.UsageError(f"--mapi-cases: {error}") from None
            yield f"{file.parent.name}/{case['id']}", case


class MapiFailure(Exception):
    """A divergence of the system from the model, reported without a Python traceback."""


class MapiItem(pytest.Item):
    """A test of the specification: a divergence is reported as the harness words it, without
    a Python traceback."""

    def describe(self) -> str:
        return "mapi-submission"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, MapiFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return Path("mapi-submission"), 0, self.describe()


class CaseItem(MapiItem):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        factory, autonomous = self.config.stash[_ADAPTER]
        replay = replay_autonomously if autonomous else replay_against
        outcome = replay(self.case, factory())
        if outcome.verdict == "diverged":
            pytest.skip(f"not followed to the end: {outcome.reason}")
        if outcome.verdict == "fail" and outcome.failure is not None:
            program = "\n".join(case_program(self.case))
            raise MapiFailure(f"{outcome.failure.describe()}\n\nthe case, as MAPI calls "
                              f"(the system diverged at step {outcome.steps + 1} of its "
                              f"calls):\n{program}")

    def describe(self) -> str:
        return f"case {self.case['id']}"


class MachineItem(MapiItem):
    def runtest(self) -> None:
        factory, autonomous = self.config.stash[_ADAPTER]
        # the profile pytest loaded (--hypothesis-profile) decides examples, steps and
        # derandomization; the harness's own needs (no deadline: a real system is slow now
        # and then) go on top
        examples = self.config.getoption("--mapi-examples") or settings().max_examples
        chosen = settings(settings(), deadline=None, suppress_health_check=list(HealthCheck),
                          max_examples=examples)
        model = Model(Config())
        folder = Path(self.config.getoption("--mapi-failures"))
        if autonomous:
            run = run_autonomous_machine(model, factory, machine_settings_=chosen,
                                         label="pytest")
            if run.failure is not None:
                written = export_failure_log(run, folder)
                raise MapiFailure(f"{run.failure.describe()}\n\nthe failing run's call log "
                                  f"(validate-log gives the same verdict): {written}")
            return
        run = run_machine(model, factory, machine_settings_=chosen, label="pytest")
        if run.failure is not None and run.failure_case is not None:
            written = write_case(folder, run.failure_case)
            program = "\n".join(case_program(run.failure_case))
            raise MapiFailure(f"{run.failure.describe()}\n\nthe shrunk run, as MAPI calls:\n"
                              f"{program}\n\nwritten as a regression case (replay it with "
                              f"`mapi-submission replay --adapter ... {written}`): "
                              f"{written}")

    def describe(self) -> str:
        return "the Hypothesis conformance machine"


@pytest.fixture
def mapi_adapter(request: pytest.FixtureRequest) -> Any:
    """The factory `--mapi-adapter` names (skips the test when none was given)."""
    if _ADAPTER not in request.config.stash:
        pytest.skip("no --mapi-adapter given")
    return request.config.stash[_ADAPTER][0]


@pytest.fixture
def mapi_model() -> Model:
    """The model the plugin's machine runs (the default configuration)."""
    return Model(Config())
