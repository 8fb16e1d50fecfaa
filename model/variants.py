"""Known-bad variants: each replaces named guards or effects with a documented bug class.

They exist so the checker, the generated cases and the harness can be shown to catch real
mistakes; each names the rules it breaks and the properties expected to fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .config import Config
from .constants import OUTBOX
from .effects import Effect
from .guards import Guard
from .world import Recipient, World, replace_message, row_address_type, serves


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    rules: tuple[str, ...]
    breaks: tuple[str, ...]  # property ids expected to fail
    guard_overrides: Mapping[str, Guard] = field(default_factory=dict)
    effect_overrides: Mapping[str, Effect] = field(default_factory=dict)


def _folder_is_not_outbox(c: Config, w: World, m: int, a: int) -> bool:
    """The store hands a message to the spooler when it is not in the Outbox."""
    return (not w.tight) or w.messages[m].folder != OUTBOX


def _folder_is_outbox(c: Config, w: World, m: int, a: int) -> bool:
    return w.tight and w.messages[m].folder == OUTBOX


def _always(c: Config, w: World, m: int, a: int) -> bool:
    return True


def _discard_all_progress(c: Config, w: World, m: int, a: int) -> World:
    """On an error return the spooler throws away the transport's progress, saved or not."""
    message = w.messages[m]
    rows = tuple(
        Recipient(False, "pending", r.transmissions)
        if r.outcome in ("sent", "ndr")
        and serves(c, message.transport, row_address_type(message.profile, i))
        else r
        for i, r in enumerate(message.recipients)
    )
    holders = 0 if c.conflicts.lock_during_retry == "release" else message.lock_holders
    w = w._replace(setbacks_left=w.setbacks_left - 1)
    return replace_message(w, m, message._replace(recipients=rows, lock_holders=holders,
                                                  unsaved=0))


VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "location-only",
            "A tightly coupled store decides whether the spooler gets a message from the "
            "folder alone: anything outside the Outbox goes to the spooler (the seed page's "
            "example of a message submitted from the Inbox).",
            ("R17", "R19", "R27"),
            ("I-ROUTE",),
            guard_overrides={
                "store_routes_to_spooler": _folder_is_not_outbox,
                "store_routes_to_tight_pair": _folder_is_outbox,
            },
        ),
        Variant(
            "abort-ignores-lock",
            "AbortSubmit removes a message from the queue even after the spooler locked it "
            "(Kopano's server-side abortSubmit does not consult the lock manager).",
            ("R41", "R67"),
            ("I-ABORT",),
            guard_overrides={"not_locked_by_spooler": _always},
        ),
        Variant(
            "lock-not-exclusive",
            "SetLockState grants the lock to a second caller while it is held (Gromox's "
            "no-op lstLock).",
            ("R81", "R31"),
            ("I-LOCK1",),
            guard_overrides={"lock_is_free": _always},
        ),
        Variant(
            "error-discards-saved-progress",
            "After MAPI_E_NETWORK_ERROR the spooler discards the transport's progress even "
            "though the transport saved it, so the recipients it already sent get the message "
            "again on retry.",
            ("R48",),
            ("I-ONCE", "I-ERRSAVE"),
            effect_overrides={"wait_after_error": _discard_all_progress},
        ),
        Variant(
            "download-in-flight",
            "The tightly coupled transport asks the spooler to download a message it is "
            "sending (the seed page's last sentence).",
            ("R20",),
            ("I-EXCL",),
            guard_overrides={"not_in_flight_on_tight_transport": _always},
        ),
    )
}
