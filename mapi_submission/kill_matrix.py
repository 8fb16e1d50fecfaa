"""The kill matrix: every mutant of the reference system against every technique that can
catch it, with how many examples (cases, logs or Hypothesis examples) and seconds it took.

Techniques:
- "cases": the regression suite (generate.REGRESSION_SUITE, the configurations checked in
  under tests/regression/, generated from the current table so it never goes stale), each
  case replayed on the implementation by the lockstep harness;
- "hypothesis": the stateful machine choosing among the model's enabled steps;
- "logs": the calls of each regression case made blindly on the implementation, written as a
  call log and judged by the call-log validator (harness/implementation_logs.py,
  harness/validate_log.py);
- "autonomous": the mutant's spooler, store and tight pair acting on their own
  (reference/autonomous.py), as a real system does: each regression case replayed by its
  inputs alone, the system's calls judged by the log validator (harness/autonomous.py).
The reference system is run through the same techniques and must survive all of them.

May import: model, checker, generators, harness, reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings

from mapi_submission.generators.generate import regression_suite
from mapi_submission.harness.adapter import AutonomousSystem, SystemUnderTest
from mapi_submission.harness.autonomous import replay_autonomously
from mapi_submission.harness.implementation_logs import log_verdict
from mapi_submission.harness.machine import MachineRun, machine_settings, run_machine
from mapi_submission.harness.replay import replay_against
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.reference import MUTANTS, make_reference
from mapi_submission.reference.autonomous import autonomous_mutant, make_autonomous_reference

TECHNIQUES = ("cases", "hypothesis", "logs", "autonomous")

#: The configuration the Hypothesis machine runs in: three messages with every feature, both
#: couplings, both folders and both address mixes, sharing one profile per run; four
#: setbacks. A message's life takes a dozen of the run's forty steps and reaches a transport
#: call in about one run in three, so with one message most steps of a run had nothing left
#: to do; three messages give each run about three transport calls, and the setbacks are
#: shared among them (R48's bugs need a transport error after a mark). Over the derandomized
#: run and seeds 1 to 16, every mutant is killed within 110 examples, a median of 11 or fewer
#: (docs/conformance.md).
MACHINE_CONFIG = Config(messages=3, setbacks=4, profiles="independent")

Factory = Callable[[], SystemUnderTest]
AutonomousFactory = Callable[[], AutonomousSystem]


@dataclass
class Kill:
    technique: str
    killed: bool
    examples: int  # cases, logs or Hypothesis examples run until the kill (or in all)
    seconds: float  # until the kill (or in all)
    evidence: str = ""  # the killing case id or the first line of the failure

    def to_json(self) -> dict[str, Any]:
        return {"technique": self.technique, "killed": self.killed, "examples": self.examples,
                "seconds": round(self.seconds, 3), "evidence": self.evidence}


@dataclass(frozen=True)
class Subject:
    """A system the matrix runs: the reference (expected to survive) or a mutant."""

    name: str
    rules: tuple[str, ...]
    description: str
    factory: Factory
    #: technique -> why this mutant is known to escape it (a limit of the technique)
    escapes: Mapping[str, str] = field(default_factory=dict)
    #: the same system with its components acting on their own
    autonomous: AutonomousFactory | None = None


@dataclass
class MatrixRow:
    name: str
    rules: tuple[str, ...]
    description: str
    escapes: Mapping[str, str] = field(default_factory=dict)
    kills: dict[str, Kill] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "rules": list(self.rules), "description": self.description,
                "escapes": dict(self.escapes),
                "kills": {t: k.to_json() for t, k in self.kills.items()}}

    def problems(self) -> list[str]:
        """The reference caught, or a mutant surviving a technique it is not known to escape."""
        found = []
        for technique, kill in self.kills.items():
            if self.name == "reference" and kill.killed:
                found.append(f"reference fails {technique}: {kill.evidence}")
            elif self.name != "reference" and not kill.killed and technique not in self.escapes:
                found.append(f"{self.name} survives {technique}")
        return found


def regression_cases() -> list[dict[str, Any]]:
    """The checked-in regression suite's cases, regenerated from the current table."""
    return [case for _, case in regression_suite()]


def _first_kill(technique: str, cases: list[dict[str, Any]],
                kills: Callable[[dict[str, Any]], bool]) -> Kill:
    """The cases in order until one `kills` (a fresh system each): the technique's cell."""
    started = time.perf_counter()
    for number, case in enumerate(cases, start=1):
        if kills(case):
            return Kill(technique, True, number, time.perf_counter() - started, case["id"])
    return Kill(technique, False, len(cases), time.perf_counter() - started)


def kill_by_cases(cases: list[dict[str, Any]], factory: Factory) -> Kill:
    return _first_kill("cases", cases,
                       lambda case: replay_against(case, factory()).verdict == "fail")


def detection_by_rule(cases: list[dict[str, Any]],
                      on_mutant: Callable[[str], None] | None = None
                      ) -> tuple[Kill, dict[str, list[dict[str, Any]]]]:
    """What the cases detect, rule by rule: each mutant replayed against them (the kill
    matrix's `cases` technique), listed under every rule it breaks, killed or not, with the
    case that killed it; and the reference's own run, which must survive for any of it to
    mean something. `on_mutant(name)` is told each system as it begins."""
    if on_mutant is not None:
        on_mutant("reference")
    reference = kill_by_cases(cases, make_reference)
    found: dict[str, list[dict[str, Any]]] = {}
    for name, mutant in MUTANTS.items():
        if on_mutant is not None:
            on_mutant(name)
        kill = kill_by_cases(cases, mutant.build)
        for rule in mutant.rules:
            found.setdefault(rule, []).append(
                {"mutant": name, "killed": kill.killed, "by": kill.evidence or None})
    return reference, found


def kill_by_logs(cases: list[dict[str, Any]], factory: Factory) -> Kill:
    return _first_kill("logs", cases, lambda case: not log_verdict(case, factory()).conforms)


def kill_by_autonomous_cases(cases: list[dict[str, Any]], factory: AutonomousFactory) -> Kill:
    return _first_kill("autonomous", cases,
                       lambda case: replay_autonomously(case, factory()).verdict == "fail")


def kill_by_machine(factory: Factory, machine: settings, seed: int | None = None,
                    config: Config = MACHINE_CONFIG, label: str = "adapter",
                    on_example: Callable[[MachineRun], None] | None = None) -> Kill:
    started = time.perf_counter()
    run = run_machine(Model(config), factory, machine_settings_=machine, seed=seed, label=label,
                      run=MachineRun(on_example=on_example))
    if run.failure is None:
        return Kill("hypothesis", False, run.examples, time.perf_counter() - started)
    assert run.first_failure_example is not None and run.first_failure_seconds is not None
    return Kill("hypothesis", True, run.first_failure_example, run.first_failure_seconds,
                run.failure.describe().splitlines()[0])


def kill_matrix(subjects: list[Subject], *,
                examples: int = 100, seed: int | None = None,
                machine: settings | None = None,
                techniques: tuple[str, ...] = TECHNIQUES,
                on_cell: Callable[[str, str], None] | None = None,
                on_example: Callable[[MachineRun], None] | None = None
                ) -> Iterator[MatrixRow]:
    """Run every subject through every technique, one row per subject as it is done;
    `on_cell(subject, technique)` is told as each cell begins, `on_example` as each example
    of the machine does."""
    cases = regression_cases() if {"cases", "logs", "autonomous"} & set(techniques) else []
    # a cell is whether and when the first failure came: shrinking it (up to a minute and a
    # half per mutant on three messages) would change no cell
    chosen = machine or machine_settings(examples, shrink=False)
    for subject in subjects:
        row = MatrixRow(subject.name, subject.rules, subject.description, subject.escapes)
        for technique in TECHNIQUES:
            if technique not in techniques:
                continue
            if on_cell is not None:
                on_cell(subject.name, technique)
            if technique == "cases":
                row.kills[technique] = kill_by_cases(cases, subject.factory)
            elif technique == "hypothesis":
                row.kills[technique] = kill_by_machine(subject.factory, chosen, seed,
                                                       label=subject.name,
                                                       on_example=on_example)
            elif technique == "logs":
                row.kills[technique] = kill_by_logs(cases, subject.factory)
            elif subject.autonomous is not None:
                row.kills[technique] = kill_by_autonomous_cases(cases, subject.autonomous)
        yield row


def default_subjects(names: tuple[str, ...] = ()) -> list[Subject]:
    """The reference system first, then the mutants (all, or those named)."""
    unknown = sorted(set(names) - set(MUTANTS))
    if unknown:
        raise KeyError(f"unknown mutant {unknown[0]!r}; known: {', '.join(MUTANTS)}")
    subjects = [Subject("reference", (), "The reference system (must survive every technique).",
                        make_reference, autonomous=make_autonomous_reference)]
    for name, mutant in MUTANTS.items():
        if not names or name in names:
            subjects.append(Subject(name, mutant.rules, mutant.description, mutant.build,
                                    mutant.escapes, _autonomous_factory(name)))
    return subjects


def _autonomous_factory(name: str) -> AutonomousFactory:
    return lambda: autonomous_mutant(name)
