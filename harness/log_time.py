"""Judging the times a log gives (record field `time`), where the documents give a time:

- R72: a message whose `PR_DEFERRED_SEND_TIME` (observed as `deferred_send_time`) is later
  than its submission is not handed on before that time: no spooler, preprocessor, transport
  or tight-pair call succeeds on it earlier.
- R47: after `IXPLogon::SubmitMessage` returned a temporary error with a retry delay in
  `lpulReturnParm` (record field `return_parm`, seconds), the spooler does not call the same
  transport's `SubmitMessage` for that message again before the delay has passed.

Times are judged by message id, apart from the model worlds: the model has no clock, so these
rules are checked on the times themselves. A record without a time, or a time without the
record it is compared with, is not judged. A deadline is forgotten once a record's time has
passed it, so memory stays bounded on a log of any length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mapi_submission.model.actors import Actor

from .log_format import parse_time

#: Components that hand a message on towards the wire: their successful calls on a deferred
#: message are what R72 puts after the send time.
HANDLING_ACTORS = frozenset({Actor.SPOOLER.value, Actor.PREPROCESSOR.value,
                             Actor.TRANSPORT.value, Actor.TIGHT_PAIR.value})
#: Calls that read a message without handling it.
READS_ONLY = frozenset({"IMAPIProp::GetProps"})
#: Calls that end a submission when they succeed (finished, or aborted back to a draft).
SUBMISSION_ENDS = frozenset({"IMsgStore::FinishedMsg", "IMsgStore::AbortSubmit"})
#: Results of IXPLogon::SubmitMessage that ask for a retry after the delay (R47).
RETRY_RESULTS = frozenset({"MAPI_E_NETWORK_ERROR", "MAPI_E_WAIT", "MAPI_E_BUSY"})


@dataclass
class Clock:
    """Deadlines by message id: not handled before its send time, not resubmitted to a
    transport before the retry delay."""

    #: message id -> (send time, line that gave it)
    send_times: dict[str, tuple[float, int]] = field(default_factory=dict)
    #: (message id, transport) -> (time of the retry, line of the error)
    retries: dict[tuple[str, int | None], tuple[float, int]] = field(default_factory=dict)

    def judge(self, line: int, record: dict[str, Any], *, sent_at_once: bool = False
              ) -> tuple[str, tuple[str, ...]] | None:
        """Why the record's time breaks a deadline (reason, rules), or None; then remember the
        deadlines the record sets. `sent_at_once`: the record is the tight pair's on a message
        it may send before the send time (conflicts.tight_pair_send_time "ignore", R71), so
        R72's deadline does not apply to this submission: it is forgotten."""
        if (not self.send_times and not self.retries and "time" not in record
                and "return_parm" not in record
                and "deferred_send_time" not in record.get("observed", ())):
            return None  # no deadline pending and none set: a log without times costs nothing
        message = record.get("message")
        if sent_at_once and message is not None:
            self.send_times.pop(message, None)
        moment = parse_time(record["time"], "") if "time" in record else None
        if moment is not None and message is not None:
            broken = self._broken(message, moment, record)
            if broken is not None:
                return broken
        self._remember(line, record, moment)
        if moment is not None:
            self._forget_before(moment)
        return None

    def know_under_way(self, messages: dict[str, dict[str, Any]], line: int) -> None:
        """The send times of the messages a log starts with (its header's `messages`)."""
        for message, observed in messages.items():
            if "deferred_send_time" in observed:
                self.send_times[message] = (parse_time(observed["deferred_send_time"], ""),
                                            line)

    def waiting(self, record: dict[str, Any]) -> frozenset[str]:
        """The message ids still in their retry delay at the record's time (none when the
        record gives no time): the spooler keeps them waiting until the delay has passed
        (R47), so the model's silent end of their wait cannot have happened yet."""
        if "time" not in record or not self.retries:
            return frozenset()
        moment = parse_time(record["time"], "")
        return frozenset(message for (message, _), (until, _) in self.retries.items()
                         if until > moment)

    def has_send_time(self, message: str | None) -> bool:
        return message in self.send_times

    def _broken(self, message: str, moment: float, record: dict[str, Any]
                ) -> tuple[str, tuple[str, ...]] | None:
        send = self.send_times.get(message)
        if (send is not None and moment < send[0] and not record.get("entry")
                and record["actor"] in HANDLING_ACTORS and record["result"] == "S_OK"
                and record["event"] not in READS_ONLY):
            return (f"{record['actor']} {record['event']} at {_shown(moment)} handles the "
                    f"message before its PR_DEFERRED_SEND_TIME {_shown(send[0])} (line "
                    f"{send[1]}): a deferred message waits for its send time", ("R72",))
        if _is_transport_call(record):
            # Judged on an entry record too: a call that began before the delay broke it,
            # whatever it returned.
            retry = self.retries.get((message, record.get("transport")))
            if retry is not None and moment < retry[0]:
                return (f"IXPLogon::SubmitMessage at {_shown(moment)} is called again before "
                        f"the retry delay the transport returned at line {retry[1]} has "
                        f"passed ({_shown(retry[0])})", ("R47",))
        return None

    def _remember(self, line: int, record: dict[str, Any], moment: float | None) -> None:
        message = record.get("message")
        if message is None or record.get("entry"):
            return
        observed = record.get("observed", {})
        if record["event"] in SUBMISSION_ENDS and record["result"] == "S_OK":
            # The submission is over: a later one has its own send time and retries.
            self.send_times.pop(message, None)
            for key in [key for key in self.retries if key[0] == message]:
                del self.retries[key]
        if "deferred_send_time" in observed:
            self.send_times[message] = (parse_time(observed["deferred_send_time"], ""), line)
        if (moment is not None and _is_transport_call(record) and "return_parm" in record
                and record["result"] in RETRY_RESULTS):
            self.retries[(message, record.get("transport"))] = (
                moment + record["return_parm"], line)

    def _forget_before(self, moment: float) -> None:
        """Deadlines a record's time has passed can no longer be broken by a later record
        (logs are in time order): forget them."""
        if len(self.send_times) + len(self.retries) < 1024:
            return
        self.send_times = {k: v for k, v in self.send_times.items() if v[0] > moment}
        self.retries = {k: v for k, v in self.retries.items() if v[0] > moment}


def _is_transport_call(record: dict[str, Any]) -> bool:
    return bool(record["actor"] == Actor.TRANSPORT.value
                and record["event"] == "IXPLogon::SubmitMessage")


def _shown(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
