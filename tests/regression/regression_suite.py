"""The checked-in regression suite (which criterion, configuration and folder: REGRESSION_SUITE
in generators/generate.py, which `mapi-submission mutants` replays too).

Regenerate it after a change to the model with

    .venv/bin/python tests/regression/regression_suite.py

(the same as running `mapi-submission generate --criterion C --config FILE -o FOLDER --clean`
for each entry). Why these configurations: one message with every feature on and both
couplings and folders reaches exactly the transitions the default two-message configuration
reaches (102 of them, measured with `mapi-submission generate --criterion transitions`), in
6,386 worlds instead of 801,098, so its cases stay small enough to read and to check in. Queue
order (R14, R39) needs two messages: a stripped-down two-message configuration covers the
guards that only a second message can make false; two messages of a tight store, each sent
partly by the pair and partly by the spooler, put each decision of the spooler and the pair
beside every state of the other message (the interleavings criterion), which is what catches
a pick-up scan that re-pulls a message the pair is sending only as it finishes another (R20).
A postman tour over a one-recipient
configuration takes each transition in every context the machine distinguishes, which is what
catches a spooler that forgets saved progress after an error (R48).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mapi_submission.checker.cases import dump_case
from mapi_submission.generators.generate import (
    REGRESSION_SUITE,
    generate,
    regression_suite,
    write_cases,
)
from mapi_submission.generators.suite_folder import MANIFEST, Manifest, sha256
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

HERE = Path(__file__).resolve().parent
REGENERATE = ".venv/bin/python tests/regression/regression_suite.py"

SUITE = REGRESSION_SUITE


def expected_files() -> dict[Path, str]:
    """Every file the suite should hold, with its text: the cases and each folder's
    manifest (what `generate` writes last)."""
    expected = {HERE / folder / f"{case['id']}.json": dump_case(case)
                for folder, case in regression_suite()}
    for folder, _, _ in SUITE:
        digests: dict[str, str | None] = {
            path.name: sha256(text.encode("utf-8"))
            for path, text in expected.items() if path.parent.name == folder}
        expected[HERE / folder / MANIFEST] = Manifest(True, digests).dump()
    return expected


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
