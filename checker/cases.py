"""Regression cases: plain JSON files (schema: mapi_submission/schemas/case.schema.json).

A case holds the configuration, the initial world, and the ordered steps with the result and
the observable world expected after each. `build_case` makes one from a path of model steps;
`load_case` validates a file; `replay_case` checks it against the model or a variant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from mapi_submission import __version__
from mapi_submission.model.config import Config, ConfigError
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.errors import MapiSubmissionError, quoted_field
from mapi_submission.model.observe import (
    HARNESS_OBSERVATION_RULES,
    observation_differences,
    observe,
)
from mapi_submission.model.states import MESSAGE_STATES
from mapi_submission.model.table import ROWS_BY_NAME, Kind, rows_fingerprint
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import Profile, World, max_recipient_rows, new_message

from .files import input_name, read_text, write_atomic
from .json_input import parse_json

SCHEMA_VERSION = 1

MESSAGE_STATE_NAMES = frozenset(state.name for state in MESSAGE_STATES)


class CaseError(MapiSubmissionError, ValueError):
    """A case file cannot be used: the message names the file and the field."""


def case_schema() -> dict[str, Any]:
    text = resources.files("mapi_submission").joinpath("schemas/case.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def initial_to_json(world: World) -> dict[str, Any]:
    return {
        "tight": world.tight,
        "transports": list(world.transports),
        "setbacks_left": world.setbacks_left,
        "messages": [
            {
                "address_types": list(m.profile.address_types),
                "folder": m.profile.folder,
                "needs_preprocessing": m.profile.needs_preprocessing,
                "deferred_send": m.profile.deferred_send,
                "disposition": m.profile.disposition,
                "resend": m.profile.resend,
            }
            for m in world.messages
        ],
    }


def initial_from_json(data: dict[str, Any]) -> World:
    messages = tuple(
        new_message(
            Profile(
                tuple(m["address_types"]), m["folder"], m["needs_preprocessing"],
                m["deferred_send"], m["disposition"], m["resend"],
            )
        )
        for m in data["messages"]
    )
    return World(
        tight=data["tight"],
        transports=tuple(data["transports"]),
        queue=(),
        setbacks_left=data["setbacks_left"],
        messages=messages,
    )


def step_to_json(model: Model, step: Step, before: World, after: World) -> dict[str, Any]:
    row = ROWS_BY_NAME[step.row]
    entry: dict[str, Any] = {
        "row": row.name,
        "actor": row.actor,
        "event": row.event,
        "message": step.message,
        "arg": None if step.arg < 0 else step.arg,
        "result": row.result,
        "rules": list(row.rules),
        "expect": observe(model.config, after),
    }
    if row.call_arguments:
        entry["args"] = dict(row.call_arguments)
    inside = model.inside_row(before, step)
    if inside is not None:
        entry["inside"] = {"row": inside.name, "event": inside.event,
                           "rules": list(inside.rules)}
    return entry


def build_case(
    model: Model,
    case_id: str,
    title: str,
    start: World,
    steps: list[tuple[Step, World]],
    *,
    criterion: str,
    target: str | None,
    seed: int | None = None,
    expect_violation: str | None = None,
) -> dict[str, Any]:
    befores = [start, *(after for _, after in steps)][:len(steps)]
    entries = [step_to_json(model, step, before, after)
               for before, (step, after) in zip(befores, steps, strict=True)]
    rules = sorted({r for entry in entries for r in _taken_rules(entry)},
                   key=lambda r: int(r[1:]))
    case: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": case_id,
        "title": title,
        "config": model.config.to_dict(),
        "variant": model.variant_name,
        "initial": initial_to_json(start),
        "steps": entries,
        "provenance": {
            "criterion": criterion,
            "target": target,
            "rules": rules,
            "seed": seed,
            "table_hash": rows_fingerprint(name for entry in entries
                                           for name in _taken_rows(entry)),
            "generator": f"mapi-submission {__version__}",
        },
    }
    if expect_violation is not None:
        case["expect_violation"] = expect_violation
    return case


def taken_rows_fingerprint(case: dict[str, Any]) -> str:
    """The fingerprint of the table rows the case's steps take (refusal steps included): what
    its provenance records, so a table change touches only the cases that take a changed
    row."""
    return rows_fingerprint(name for entry in case["steps"] for name in _taken_rows(entry))


def _taken_rows(entry: dict[str, Any]) -> list[str]:
    """A case step's row and the row taken inside its call, if any."""
    inside = entry.get("inside")
    return [entry["row"]] if inside is None else [entry["row"], inside["row"]]


def _taken_rules(entry: dict[str, Any]) -> list[str]:
    inside = entry.get("inside")
    return [*entry["rules"], *(inside["rules"] if inside is not None else ())]


def dump_case(case: dict[str, Any]) -> str:
    """Deterministic text form: sorted keys, two-space indent, trailing newline."""
    return json.dumps(case, indent=2, sort_keys=True) + "\n"


def write_case(directory: Path, case: dict[str, Any]) -> Path:
    path = directory / f"{case['id']}.json"
    write_atomic(path, dump_case(case))
    return path


def _field(error: jsonschema.ValidationError) -> str:
    # a key may hold any character; keep the message on one line
    parts = [quoted_field(str(p)) for p in error.absolute_path]
    return "/".join(parts) if parts else "(top level)"


def validate_case(data: Any, where: str) -> None:
    validator = jsonschema.Draft202012Validator(case_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        raise CaseError(f"{where}: field {_field(first)}: {first.message}")
    if data["variant"] is not None and data["variant"] not in VARIANTS:
        raise CaseError(f"{where}: field variant: unknown variant {data['variant']!r}; known: "
                        f"{', '.join(sorted(VARIANTS))}")
    for number, step in enumerate(data["steps"]):
        if step["row"] not in ROWS_BY_NAME:
            raise CaseError(f"{where}: field steps/{number}/row: unknown row {step['row']!r}")
        row = ROWS_BY_NAME[step["row"]]
        # A case is read by people and by other tools: its event, actor and rules must say
        # what its row says, or the file contradicts itself.
        # (a refusal step names the rules of what refuses it instead of the row's)
        for name, expected in (("event", row.event), ("actor", row.actor),
                               ("rules", list(row.rules))):
            if name == "rules" and "refusal" in step:
                continue
            if step[name] != expected:
                raise CaseError(f"{where}: field steps/{number}/{name}: {step[name]!r} does not "
                                f"match row {row.name!r} ({expected!r})")
        _check_inside(step.get("inside"), f"{where}: field steps/{number}/inside")
        for index, message in enumerate(step["expect"]["messages"]):
            if message["state"] not in MESSAGE_STATE_NAMES:
                raise CaseError(f"{where}: field steps/{number}/expect/messages/{index}/state: "
                                f"unknown state {message['state']!r}")
    try:
        config = Config.from_dict(data["config"])
    except (ConfigError, TypeError) as error:
        raise CaseError(f"{where}: field config: {error}") from None
    _check_consistent(data, config, where)


def _check_inside(inside: dict[str, Any] | None, where: str) -> None:
    """The row a step names as taken inside its call exists, is such a row, and the entry
    says what it says."""
    if inside is None:
        return
    row = ROWS_BY_NAME.get(inside["row"])
    if row is None or row.kind is not Kind.INSIDE_CALL:
        raise CaseError(f"{where}/row: {inside['row']!r} is no row taken inside a call")
    for name, expected in (("event", row.event), ("rules", list(row.rules))):
        if inside[name] != expected:
            raise CaseError(f"{where}/{name}: {inside[name]!r} does not match row "
                            f"{row.name!r} ({expected!r})")


def _check_consistent(data: dict[str, Any], config: Config, where: str) -> None:
    """What the schema cannot say: the initial world and the steps fit the configuration."""
    initial = data["initial"]
    if len(initial["transports"]) != config.transports:
        raise CaseError(f"{where}: field initial/transports: {len(initial['transports'])} "
                        f"transports, the config has {config.transports}")
    if len(initial["messages"]) != config.messages:
        raise CaseError(f"{where}: field initial/messages: {len(initial['messages'])} "
                        f"messages, the config has {config.messages}")
    for number, message in enumerate(initial["messages"]):
        if len(message["address_types"]) != config.recipients:
            raise CaseError(f"{where}: field initial/messages/{number}/address_types: "
                            f"{len(message['address_types'])} recipients, the config has "
                            f"{config.recipients}")
    for number, step in enumerate(data["steps"]):
        if step["message"] >= config.messages:
            raise CaseError(f"{where}: field steps/{number}/message: no message {step['message']}"
                            f" (the config has {config.messages})")
        limit = config.transports if ROWS_BY_NAME[step["row"]].ranges_over == "transport" else (
            max_recipient_rows(config))  # a resend's P1 rows follow the recipients (R74)
        if step["arg"] is not None and step["arg"] >= limit:
            raise CaseError(f"{where}: field steps/{number}/arg: {step['arg']} is out of range")


#: Larger files are refused before reading: the longest generated case (a postman tour of
#: the default configuration) is about 40 KiB.
MAX_CASE_BYTES = 64 * 1024 * 1024


def load_case(path: Path) -> dict[str, Any]:
    where = input_name(path)
    data = parse_json(read_text(path, "case", CaseError, MAX_CASE_BYTES), where, CaseError)
    validate_case(data, where)
    return data  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Mismatch:
    step: int  # index into the case's steps
    row: str
    rules: tuple[str, ...]
    expected: Any
    actual: Any
    reason: str

    def describe(self) -> str:
        """One line for the step, then one per observed property that differs (flags by
        name); a result or refusal that differs stays on the first line."""
        where = f"step {self.step} ({self.row}, rules {', '.join(self.rules)}): {self.reason}"
        if isinstance(self.expected, dict) and isinstance(self.actual, dict):
            # a case observes the queue and the transports too, as the harness does
            return "\n".join([where, *(f"  {line}" for line in observation_differences(
                self.expected, self.actual, HARNESS_OBSERVATION_RULES))])
        return (f"{where}; expected {json.dumps(self.expected, sort_keys=True)}, "
                f"got {json.dumps(self.actual, sort_keys=True)}")


def replay_case(case: dict[str, Any], variant: str | None = None,
                config: Config | None = None) -> Mismatch | None:
    """Replay against the model (or a variant); the first mismatch, or None when it passes."""
    model = Model(config or Config.from_dict(case["config"]), variant)
    world = initial_from_json(case["initial"])
    for number, entry in enumerate(case["steps"]):
        row = ROWS_BY_NAME[entry["row"]]
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        successors = dict(model.successors(world))
        if "refusal" in entry:
            refused = _refusal_mismatch(model, world, number, entry, step, successors)
            if refused is not None:
                return refused
            continue
        if step not in successors:
            enabled = sorted({s.row for s in successors})
            return Mismatch(number, row.name, row.rules, entry["result"], "not enabled",
                            f"{row.event} is not allowed here (enabled: {', '.join(enabled)})")
        world = successors[step]
        actual = observe(model.config, world)
        if actual != entry["expect"]:
            return Mismatch(number, row.name, row.rules, entry["expect"], actual,
                            "observable state differs")
    return None


def _refusal_mismatch(model: Model, world: World, number: int, entry: dict[str, Any],
                      step: Step, successors: dict[Step, World]) -> Mismatch | None:
    """A refusal step: the row (kind "not_enabled") or any row of the same call (the same
    actor, method and flags) must not be enabled for the message; the world stays as is."""
    row = ROWS_BY_NAME[step.row]
    if entry["refusal"]["kind"] == "not_enabled":
        allowed = [step] if step in successors else []
    else:
        allowed = [s for s in successors if s.message == step.message
                   and ROWS_BY_NAME[s.row].call == row.call]
    if allowed:
        taken = ", ".join(sorted(s.row for s in allowed))
        return Mismatch(number, row.name, tuple(entry["rules"]), entry["result"],
                        f"enabled ({taken})",
                        f"{row.event} must be refused here but is allowed")
    actual = observe(model.config, world)
    if actual != entry["expect"]:
        return Mismatch(number, row.name, tuple(entry["rules"]), entry["expect"], actual,
                        "observable state differs")
    return None


def case_program(case: dict[str, Any]) -> list[str]:
    """The case as a numbered program of MAPI calls: who calls what on which message, the
    result it must give, the row the callee took inside the call; refused calls say so."""
    lines: list[str] = []
    for number, entry in enumerate(case["steps"], start=1):
        where = ROWS_BY_NAME[entry["row"]].target(
            entry["message"], -1 if entry["arg"] is None else entry["arg"])
        refused = " (refused)" if "refusal" in entry else ""
        line = (f"{number:>3}. {entry['actor']}: {entry['event']} ({where}) -> "
                f"{entry['result']}{refused}  [{entry['row']}; {', '.join(entry['rules'])}]")
        if "inside" in entry:
            line += (f"\n       inside the call: {entry['inside']['event']} "
                     f"[{entry['inside']['row']}]")
        lines.append(line)
    return lines
