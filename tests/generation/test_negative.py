"""Sneak paths: what the client and the spooler must be refused, with the documented answer
(R10, R30, R31, R38, R67), and replay that tells a refusing model from an allowing one."""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any

from mapi_submission.checker.cases import replay_case
from mapi_submission.generators.generate import Generated, generate
from mapi_submission.model.config import Config, Conflicts
from mapi_submission.model.engine import Model

SMALL = Config(messages=1, recipients=1, coupling=("loose",), folders=("outbox",))


@functools.cache
def negative() -> Generated:
    return generate(Model(SMALL), "negative")


def _refusals() -> dict[str, dict[str, Any]]:
    return {step["refusal"]["target"]: step for case in negative().cases
            for step in case["steps"] if "refusal" in step}


def test_abort_of_a_message_never_queued_is_not_in_queue() -> None:
    step = _refusals()["client:AbortSubmit@draft"]
    assert step["refusal"]["kind"] == "error"
    assert step["result"] == "MAPI_E_NOT_IN_QUEUE"
    assert "R67" in step["rules"]


def test_finished_msg_from_a_client_is_no_support_everywhere() -> None:
    refusals = _refusals()
    for state in ("draft", "saved", "delivered"):
        assert refusals[f"client:FinishedMsg@{state}"]["result"] == "MAPI_E_NO_SUPPORT"


def test_client_calls_after_submit_and_spooler_calls_out_of_place_are_not_callable() -> None:
    refusals = _refusals()
    save = refusals["client:SaveChanges@spooled"]
    assert (save["refusal"]["kind"], save["result"]) == ("not_callable", "not callable")
    assert "R10" in save["rules"]
    # a second SubmitMessage is a row of its own (resubmit-refused, R10, R16): refused by the
    # store under one reading, disabled by its guard under the other; never a sneak path
    forbidden = generate(Model(dataclasses.replace(
        SMALL, conflicts=Conflicts(resubmit="forbidden"))), "negative")
    for generated in (negative(), forbidden):
        assert not any(step.get("refusal", {}).get("target") == "client:SubmitMessage@spooled"
                       for case in generated.cases for step in case["steps"])
    end = refusals["spooler:EndMessage[0]@draft"]
    assert end["refusal"]["kind"] == "not_callable"
    assert "R51" in end["rules"]


def test_silent_documents_give_no_expectation() -> None:
    summary = negative().summary()
    assert "client:SaveChanges@delivered" in summary["unspecified"]
    assert "client:SaveChanges@delivered" not in _refusals()


def test_negative_cases_replay_and_an_allowed_call_is_caught() -> None:
    cases = negative().cases
    for case in cases:
        assert replay_case(case) is None, case["id"]
    case = next(c for c in cases if any(
        s.get("refusal", {}).get("target") == "client:AbortSubmit@draft" for s in c["steps"]))
    broken = copy.deepcopy(case)
    # Claim the client's SaveChanges is refused in a draft, where it is allowed.
    refusal = next(s for s in broken["steps"] if "refusal" in s)
    index = broken["steps"].index(refusal)
    broken["steps"] = broken["steps"][:index]
    broken["steps"].append({**refusal, "row": "save"})
    mismatch = replay_case(broken)
    assert mismatch is not None and "must be refused" in mismatch.reason
