"""Regenerate the example call logs in this folder (deterministic: fixed seeds, sorted keys).

    .venv/bin/python examples/logs/make_examples.py

Each log is what an implementation would write: silent internal steps left out, some with
every observed property, some with only a few, some with none. A log made by a known-bad
variant names it in its header ("source": "variant NAME"): it conforms to that variant and
diverges from the specification.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import initial_to_json
from mapi_submission.checker.files import write_atomic
from mapi_submission.harness.log_format import dump_records
from mapi_submission.harness.log_paths import follow, random_run, shortest_logged_counterexample
from mapi_submission.harness.model_logs import path_to_log, step_record
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.world import World

HERE = Path(__file__).parent


def renamed(text: str, names: dict[str, str]) -> str:
    """Replace the default message ids by the ones an implementation would use (entry ids)."""
    for old, new in names.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    return text


def sparse_log(model: Model, start: World, steps: list[tuple[Step, World]],
               observe: dict[int, tuple[str, ...]], header: dict[str, Any]) -> str:
    """Logged steps only; record number k (1-based) observes only the fields observe[k]."""
    records = []
    before = start
    seq = 0
    for step, after in steps:
        if model.rows[step.row].is_call:
            seq += 10  # gaps are fine: only the order of sequence numbers matters
            record = step_record(model, seq, step, before, after,
                                 observe_fields=observe.get(seq // 10, ()))
            records.append(record)
        before = after
    return dump_records(header, records)


def conforming_one_message() -> str:
    model = Model(Config(messages=1, coupling=("loose",), folders=("outbox",),
                         address_mixes=("servable",), features=_no_extras()))
    start, steps = random_run(model, seed=3, steps=0)
    steps = follow(model, start, [
        ("add-recipients", 0, -1), ("save", 0, -1), ("submit", 0, -1),
        ("lock", 0, -1), ("present", 0, 0),
        ("transmit", 0, 0), ("transmit", 0, 1), ("xp-ok", 0, -1), ("end", 0, -1),
        ("finished-delivered", 0, -1),
    ])
    return renamed(path_to_log(model, start, steps, source="example"),
                   {"msg-1": "0000A1B2"})


def _no_extras() -> Any:
    from mapi_submission.model.config import Features
    return Features(preprocessing=False, deferral=False, resend=False)


def interleaved_partial() -> str:
    """Two messages, interleaved, observing only the state (and that only now and then); no
    initial world in the header, so every initial world of the configuration is possible."""
    model = Model(Config(messages=2, recipients=1, transports=1, setbacks=0))
    start, steps = random_run(model, seed=11, steps=40)
    logged = sum(1 for s, _ in steps if model.rows[s.row].is_call)
    observe: dict[int, tuple[str, ...]] = {
        k: ("state",) for k in range(1, logged + 1) if k % 3 == 0}
    text = sparse_log(model, start, steps, observe, {"config": model.config.to_dict()})
    return renamed(text, {"msg-1": "entry-7f3a", "msg-2": "entry-19c0"})


def counterexample_log(variant: str, names: dict[str, str]) -> str:
    example = shortest_logged_counterexample(variant)
    assert example is not None, variant
    model = Model(Config(messages=1), variant)
    return renamed(path_to_log(model, example.start, example.steps,
                               source=f"variant {variant}"), names)


def duplicate_send() -> str:
    """error-discards-saved-progress: recipient 0 goes on the wire, the transport returns
    MAPI_E_NETWORK_ERROR, the spooler forgets the progress and the retry sends recipient 0
    again. The log observes nothing until the final IXPLogon::SubmitMessage, whose observed
    per-recipient transmissions (2 for recipient 0) reveal the duplicate."""
    variant = "error-discards-saved-progress"
    model = Model(Config(messages=1, coupling=("loose",), folders=("outbox",),
                         address_mixes=("servable",), features=_no_extras()), variant)
    start = model.initial_worlds()[0]
    steps = follow(model, start, [
        ("add-recipients", 0, -1), ("submit", 0, -1),
        ("lock", 0, -1), ("present", 0, 0), ("transmit", 0, 0), ("xp-network-error", 0, -1),
        ("retry-held", 0, -1), ("present", 0, 0), ("transmit", 0, 0), ("transmit", 0, 1),
        ("xp-ok", 0, -1), ("end", 0, -1), ("finished-delivered", 0, -1),
    ])
    header = {"config": model.config.to_dict(), "initial": initial_to_json(start),
              "source": f"variant {variant}"}
    # Record 5 is the second IXPLogon::SubmitMessage (S_OK): observe its recipients only.
    text = sparse_log(model, start, steps, {5: ("recipients",)}, header)
    return renamed(text, {"msg-1": "outbox/42"})


def wrong_result() -> str:
    """Hand-written: SubmitMessage on a message without recipient rows must fail with
    MAPI_E_NO_RECIPIENTS (R9); this implementation answers S_OK."""
    model = Model(Config(messages=1))
    records = [
        {"seq": 1, "actor": "client", "event": "IMAPIProp::SaveChanges", "message": "m",
         "result": "S_OK", "observed": {"state": "saved"}},
        {"seq": 2, "actor": "client", "event": "IMessage::SubmitMessage", "message": "m",
         "result": "S_OK"},
    ]
    return dump_records({"config": model.config.to_dict()}, records)


def examples() -> dict[str, str]:
    """File name -> content of every example log."""
    return {
        "conforming-one-message.jsonl": conforming_one_message(),
        "conforming-interleaved-partial.jsonl": interleaved_partial(),
        "location-only-tight-inbox.jsonl": counterexample_log("location-only", {"msg-1": "I-1"}),
        "duplicate-send-after-network-error.jsonl": duplicate_send(),
        "abort-ignores-lock.jsonl": counterexample_log("abort-ignores-lock", {}),
        "lock-not-exclusive.jsonl": counterexample_log("lock-not-exclusive", {}),
        "download-in-flight.jsonl": counterexample_log("download-in-flight", {}),
        "submit-without-recipients-succeeds.jsonl": wrong_result(),
    }


def main() -> None:
    for name, text in examples().items():
        for line in text.splitlines():
            json.loads(line)
        write_atomic(HERE / name, text)
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
