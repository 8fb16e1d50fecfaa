"""The checked-in regression suite: which criterion, for which configuration, in which folder.

Regenerate it after a change to the model with

    .venv/bin/python tests/regression/regression_suite.py

(the same as running `mapi-submission generate --criterion C --config FILE -o FOLDER --clean`
for each entry below). Why these configurations: one message with every feature on and both
couplings and folders reaches exactly the transitions the default two-message configuration
reaches (102 of them, measured with `mapi-submission generate --criterion transitions`), in
6,454 worlds instead of 820,354, so its cases stay small enough to read and to check in. Queue
order (R14, R39) needs two messages: a stripped-down two-message configuration covers the
guards that only a second message can make false. A postman tour over a one-recipient
configuration takes each transition in every context the machine distinguishes, which is what
catches a spooler that forgets saved progress after an error (R48).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mapi_submission.generators.cases import dump_case
from mapi_submission.generators.generate import generate, write_cases
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

HERE = Path(__file__).resolve().parent
REGENERATE = ".venv/bin/python tests/regression/regression_suite.py"

ONE_MESSAGE: dict[str, Any] = {"messages": 1}
QUEUE_ORDER: dict[str, Any] = {
    "messages": 2, "recipients": 1, "transports": 1, "coupling": ["loose"],
    "folders": ["outbox"],
    "features": {"resend": False, "deferral": False, "preprocessing": False,
                 "save_conflicts": False, "transport_failures": False},
}
ONE_RECIPIENT: dict[str, Any] = {
    "messages": 1, "recipients": 1, "coupling": ["loose"], "folders": ["outbox"],
    "features": {"resend": False, "deferral": False, "preprocessing": False,
                 "save_conflicts": False},
}

#: (folder under tests/regression, criterion, configuration)
SUITE: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("states", "states", ONE_MESSAGE),
    ("transitions", "transitions", ONE_MESSAGE),
    ("guards", "guards", ONE_MESSAGE),
    ("negative", "negative", ONE_MESSAGE),
    ("queue-order", "guards", QUEUE_ORDER),
    ("tour", "tour", ONE_RECIPIENT),
)


def expected_files() -> dict[Path, str]:
    """Every file the suite should hold, with its text."""
    files: dict[Path, str] = {}
    for folder, criterion, config in SUITE:
        result = generate(Model(Config.from_dict(config)), criterion)
        for case in result.cases:
            files[HERE / folder / f"{case['id']}.json"] = dump_case(case)
    return files


def regenerate() -> None:
    for folder, criterion, config in SUITE:
        result = generate(Model(Config.from_dict(config)), criterion)
        write_cases(result.cases, HERE / folder, clean=True)
        summary = result.summary()
        print(f"{folder}: {summary['cases']} cases, {summary['steps']} steps, "
              f"{summary['reached']}/{summary['feasible']} targets")


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
