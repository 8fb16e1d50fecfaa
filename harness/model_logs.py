"""Call logs of model paths: the log a conforming implementation (or one with a variant's
bug) writes when it takes a path of the model, or the steps of a regression case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mapi_submission.checker.cases import initial_from_json, initial_to_json
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.observe import observe_message
from mapi_submission.model.world import World

from .log_format import call_fields, dump_records


def step_record(model: Model, seq: int, step: Step, before: World, after: World,
                *, observe_fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The log record an implementation would write for one model step (full observation,
    or only `observe_fields` of it)."""
    row = model.rows[step.row]
    record = call_fields(row, seq, step.message, step.arg, row.result)
    if row.machine == "message":
        if row.ranges_over != "transport" and before.messages[step.message].transport >= 0:
            record["transport"] = before.messages[step.message].transport
        observed = observe_message(model.config, after.messages[step.message])
        if observe_fields is not None:
            observed = {k: v for k, v in observed.items() if k in observe_fields}
        if observed:
            record["observed"] = observed
    return record


def path_to_log(model: Model, start: World, steps: list[tuple[Step, World]], *,
                include_silent: bool = False, with_initial: bool = True,
                observe_fields: tuple[str, ...] | None = None,
                source: str | None = None) -> str:
    """A log of a model path: steps that are not MAPI calls left out (unless
    `include_silent`)."""
    header: dict[str, Any] = {"config": model.config.to_dict()}
    if with_initial:
        header["initial"] = initial_to_json(start)
    if include_silent:
        header["all_steps_logged"] = True
    if source is not None:
        header["source"] = source
    return dump_records(header, _records(model, start, steps, include_silent, observe_fields))


def _records(model: Model, start: World, steps: list[tuple[Step, World]], include_silent: bool,
             observe_fields: tuple[str, ...] | None) -> Iterator[dict[str, Any]]:
    before = start
    seq = 0
    for step, after in steps:
        if include_silent or model.rows[step.row].is_call:
            seq += 1
            yield step_record(model, seq, step, before, after, observe_fields=observe_fields)
        before = after


def case_to_log(case: dict[str, Any]) -> str:
    """A regression case as a log: its logged steps with the observed state of their message.
    Refusal steps (calls that must not happen) have no log form and are left out."""
    model = Model(Config.from_dict(case["config"]), case.get("variant"))
    start = initial_from_json(case["initial"])
    steps: list[tuple[Step, World]] = []
    world = start
    for entry in case["steps"]:
        if "refusal" in entry:
            continue
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        world = model.apply(world, step)
        steps.append((step, world))
    source = f"regression case {case.get('id', '')}"
    if case.get("variant"):
        source += f" of variant {case['variant']}"
    return path_to_log(model, start, steps, source=source)
