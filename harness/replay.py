"""Regression cases (checker/cases.py format) replayed on an adapter by the lockstep driver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mapi_submission.checker.cases import initial_from_json
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step

from .adapter import SystemUnderTest
from .adapter_calls import CALL_SHAPES, call_for
from .lockstep import Lockstep, LockstepDivergence

if TYPE_CHECKING:
    from .autonomous import AutonomousFailure


@dataclass
class ReplayOutcome:
    case_id: str
    verdict: str  # "pass", "fail", or "diverged" (the implementation took another allowed branch)
    steps: int
    failure: LockstepDivergence | AutonomousFailure | None = None
    #: why a "diverged" case could not be followed to the end
    reason: str = ""


def replay_against(case: dict[str, Any], system: SystemUnderTest) -> ReplayOutcome:
    """Replay a regression case on an adapter. Steps inside a call (the store's routing) are
    applied with the call before them; refusal steps of kind "error" are made as calls that
    must fail with the listed codes; other refusals (a row that must not be enabled) have no
    call and are left to model replay."""
    model = Model(Config.from_dict(case["config"]))
    lockstep = Lockstep(model, system, initial_from_json(case["initial"]))
    if lockstep.failure is not None:
        return ReplayOutcome(case["id"], "fail", 0, lockstep.failure)
    taken = 0
    for entry in case["steps"]:
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        if "refusal" in entry:
            if entry["refusal"]["kind"] == "error" and CALL_SHAPES[step.row] is not None:
                call = call_for(step)
                assert call is not None
                failure = lockstep.refuse(call, entry["refusal"]["codes"])
                if failure is not None:
                    return ReplayOutcome(case["id"], "fail", taken, failure)
            continue
        if CALL_SHAPES[step.row] is None:
            continue  # taken inside the call before
        if step not in lockstep.options():
            return ReplayOutcome(
                case["id"], "diverged", taken,
                reason=f"step {taken + 1} ({step.row}, message {step.message}) is not enabled "
                       "after the implementation's answers: it took another branch the model "
                       "allows")
        failure = lockstep.take(step)
        taken += 1
        if failure is not None:
            return ReplayOutcome(case["id"], "fail", taken, failure)
    return ReplayOutcome(case["id"], "pass", taken)
