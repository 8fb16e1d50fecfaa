"""The configurations whose reachable-space size is pinned in expected_counts.json.

Regenerate the file after an intended model change with
``MAPI_UPDATE_COUNTS=1 .venv/bin/pytest tests/check/test_counts.py`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mapi_submission.checker.explore import explore
from mapi_submission.model import Config, Conflicts, Model

ALTERNATIVE_READINGS = Conflicts(
    unsent_while_submitted="clear", sentmail_and_delete="move",
    resend_submitted_rows="transmit", submitflag_locked="spooler_route",
    lock_during_retry="release", abort_during_direct_send="unable_to_abort",
    direct_send="before_return", after_cancel="retry",
)

#: name -> (config, variant, symmetry). Small enough to explore in a few seconds in total.
CONFIGURATIONS: dict[str, tuple[Config, str | None, bool]] = {
    "1-message": (Config(messages=1), None, True),
    "1-message-1-recipient": (Config(messages=1, recipients=1), None, True),
    "1-message-1-recipient-alternative-readings": (
        Config(messages=1, recipients=1, conflicts=ALTERNATIVE_READINGS,
               dispositions=("leave", "move_and_delete")), None, True),
    "2-messages-1-recipient-1-transport": (
        Config(messages=2, recipients=1, transports=1), None, True),
    "2-messages-1-recipient-1-transport-no-symmetry": (
        Config(messages=2, recipients=1, transports=1), None, False),
    "2-messages-1-recipient-loose-outbox": (
        Config(messages=2, recipients=1, coupling=("loose",), folders=("outbox",)), None, True),
    "1-message-abort-ignores-lock": (Config(messages=1, recipients=1), "abort-ignores-lock",
                                     True),
    "1-message-lock-not-exclusive": (Config(messages=1, recipients=1), "lock-not-exclusive",
                                     True),
}


#: The one file that pins reachable-space sizes; every test that needs a count reads it here.
EXPECTED_FILE = Path(__file__).with_name("expected_counts.json")


def pinned(name: str) -> dict[str, Any]:
    """The pinned figures of one configuration of CONFIGURATIONS."""
    figures: dict[str, Any] = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))[name]
    return figures


def measure(name: str) -> dict[str, Any]:
    config, variant, symmetry = CONFIGURATIONS[name]
    exploration = explore(Model(config, variant), symmetry=symmetry, keep_edges=False)
    return {
        "states": len(exploration.states),
        "transitions": exploration.transitions,
        "depth": max(exploration.depth),
        "initial": len(exploration.initial),
        "symmetry": symmetry,
        "variant": variant,
    }
