"""The call-log format (docs/log-format.md): which steps a log shows, the fields of a record
and the values they may hold, reading a log (one line at a time, so a log of any length is
judged in constant memory) into a header and checked records, and writing the fields of a
record for a table row.

A log records the steps that are MAPI calls (rows of kind CALL); the other steps (timers, the
wire, spooler decisions, the store's routing inside SubmitMessage) happen silently between
records, unless the header says every step is logged.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from mapi_submission.checker.cases import initial_from_json
from mapi_submission.checker.files import STDIN, input_name
from mapi_submission.checker.gc_pause import collector_paused
from mapi_submission.checker.json_input import (
    DuplicateKey,
    decode_text,
    objects_without_duplicates,
    shown,
)
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config, ConfigError
from mapi_submission.model.constants import (
    FOLDERS,
    MSGFLAG_SUBMIT,
    MSGFLAG_UNSENT,
    SUBMITFLAG_LOCKED,
    SUBMITFLAG_PREPROCESS,
)
from mapi_submission.model.errors import MapiSubmissionError, quoted_field
from mapi_submission.model.observe import OBSERVATION_RULES
from mapi_submission.model.states import RECIPIENT_STATE_NAMES, STATE_NAMES
from mapi_submission.model.table import TABLE, Row
from mapi_submission.model.world import SATURATION, World

from .log_observations import OBSERVATION_CALLS, OBSERVATION_EVENTS, observation_call

# ---- which steps a log shows ----------------------------------------------------------------

#: Events of the steps no implementation log shows: every row that is not a MAPI call (the
#: store's routing decisions, the transport putting a recipient on the wire, timers,
#: spooler-internal bookkeeping).
SILENT_EVENTS: frozenset[str] = frozenset(row.event for row in TABLE if not row.is_call)
#: Events of the steps a log shows: the MAPI calls of the table, the calls a component marks
#: an internal step with (`Row.logged_as`), and the calls that only observe.
LOGGED_EVENTS: frozenset[str] = frozenset(
    {row.event for row in TABLE if row.is_call}
    | {row.logged_as for row in TABLE if row.logged_as} | OBSERVATION_EVENTS)
ALL_EVENTS: frozenset[str] = frozenset({row.event for row in TABLE} | LOGGED_EVENTS)
#: The actors a record may name.
ACTORS: frozenset[str] = frozenset(actor.value for actor in Actor)


def logged_arguments(row: Row) -> tuple[str, str | None]:
    """The flags and lock state a record of `row` states ("0" and None when the row selects
    none): the arguments that tell the row's call apart from the other calls of its event."""
    return row.flags, dict(row.call_arguments).get("lock")


#: What a record names of a call: actor, event, flags and lock state.
RecordCall = tuple[str, str, str, str | None]


def record_call(row: Row) -> RecordCall:
    flags, lock = logged_arguments(row)
    return row.actor.value, row.event, flags, lock


def record_calls(row: Row) -> frozenset[RecordCall]:
    """Every way a record names the row's step: its own event, and the call a component marks
    it with (`Row.logged_as`)."""
    own = record_call(row)
    if row.logged_as is None:
        return frozenset({own})
    return frozenset({own, (own[0], row.logged_as, own[2], own[3])})


def _rows_by_record_call() -> dict[RecordCall, tuple[Row, ...]]:
    grouped: dict[RecordCall, list[Row]] = {}
    for row in TABLE:
        for call in sorted(record_calls(row), key=str):
            grouped.setdefault(call, []).append(row)
    return {key: tuple(rows) for key, rows in grouped.items()}


#: The rows a record can stand for, by what it names of the call (table order). Steps that
#: are not MAPI calls are here too: a log whose header says every step is logged names them.
ROWS_BY_RECORD_CALL: dict[RecordCall, tuple[Row, ...]] = _rows_by_record_call()
KNOWN_FLAGS: frozenset[str] = frozenset(
    {row.flags for row in TABLE} | {flags for _, _, flags in OBSERVATION_CALLS} | {"0"})
#: SetLockState's lock argument (MAPI defines both; the table has rows for MSG_LOCKED only,
#: so an MSG_UNLOCKED record is well formed and diverges).
KNOWN_LOCKS: frozenset[str] = frozenset(
    {lock for row in TABLE if (lock := logged_arguments(row)[1]) is not None} | {"MSG_UNLOCKED"})


def _machines_by_call() -> dict[tuple[str, str, str], frozenset[str]]:
    found: dict[tuple[str, str, str], set[str]] = {}
    for row in TABLE:
        for actor, event, flags, _ in record_calls(row):
            found.setdefault((actor, event, flags), set()).add(row.machine)
    return {key: frozenset(machines) for key, machines in found.items()}


#: (actor, event, selecting flag) -> the machines ("message", "transport") of its rows: whether
#: a record of the call names a message or a transport session.
MACHINES_BY_CALL: dict[tuple[str, str, str], frozenset[str]] = _machines_by_call()
#: A flag name in a record's flags ("KEEP_OPEN_READWRITE|FORCE_SAVE"): a MAPI constant name.
FLAG_NAME = re.compile(r"[A-Z][A-Z0-9_]*|0")

# ---- record fields ----------------------------------------------------------------------------

#: Record fields and the types they may hold (checked by hand: jsonschema per record would cost
#: more than the validation itself on long logs; the JSON Schema states the same).
RECORD_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "actor": (str,), "event": (str,), "message": (str, type(None)),
    "flags": (str,), "lock": (str,), "transport": (int,), "recipient": (int,),
    "result": (str,), "observed": (dict,), "entry": (bool,), "time": (str,),
    "return_parm": (int,), "queue": (list,), "preprocessor": (int,),
}
REQUIRED_FIELDS = ("seq", "actor", "event", "message", "result")
#: An entry record (`"entry": true`) marks where a call began; it has no result yet.
ENTRY_FIELDS = frozenset({"seq", "actor", "event", "message", "flags", "lock", "transport",
                          "recipient", "preprocessor", "entry", "time"})
#: Single bits of PR_MESSAGE_FLAGS and PR_SUBMIT_FLAGS a record may observe one by one
#: (property -> bit), for a component that tests a bit rather than reading the whole value.
FLAG_BITS: dict[str, tuple[str, int]] = {
    "MSGFLAG_SUBMIT": ("message_flags", MSGFLAG_SUBMIT),
    "MSGFLAG_UNSENT": ("message_flags", MSGFLAG_UNSENT),
    "SUBMITFLAG_LOCKED": ("submit_flags", SUBMITFLAG_LOCKED),
    "SUBMITFLAG_PREPROCESS": ("submit_flags", SUBMITFLAG_PREPROCESS),
}


def observation_rules(name: str) -> tuple[str, ...]:
    """The rules deciding an observed property (a single flag bit: those of its property;
    PR_DEFERRED_SEND_TIME: R72)."""
    if name == "deferred_send_time":
        return ("R72",)
    return OBSERVATION_RULES.get(FLAG_BITS[name][0] if name in FLAG_BITS else name, ())


OBSERVED_FIELDS: dict[str, tuple[type, ...]] = {
    "state": (str,), "folder": (str,), "message_flags": (int,), "submit_flags": (int,),
    "in_queue": (bool,), "locked": (bool,), "recipients": (list,),
    "deferred_send_time": (str,), **dict.fromkeys(FLAG_BITS, (bool,)),
}
RECIPIENT_FIELDS: dict[str, tuple[type, ...]] = {
    "responsibility": (bool,), "state": (str,), "transmissions": (int,),
}
#: The values an observed property can take, where they form a closed set.
OBSERVED_VALUES: dict[str, frozenset[Any]] = {
    "state": frozenset(STATE_NAMES), "folder": frozenset(FOLDERS),
}
RECIPIENT_VALUES: dict[str, frozenset[Any]] = {
    "state": frozenset(RECIPIENT_STATE_NAMES),
    "transmissions": frozenset(range(SATURATION + 1)),
}
HEADER_FIELDS = ("config", "initial", "all_steps_logged", "source", "messages")
#: Fields of the end-of-run line (`{"end": {...}}`).
END_FIELDS: dict[str, tuple[type, ...]] = {"time": (str,), "source": (str,)}


class LogError(MapiSubmissionError, ValueError):
    """The log is malformed: the message names the line and the field."""


@dataclass
class Header:
    config: Config | None = None
    initial: World | None = None
    all_steps_logged: bool = False
    line: int = 0  # line number of the header, 0 when the log has none
    #: messages already under way when logging started: id -> what is known of each
    #: (observed properties), in the order given
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)


# ---- checking a record ------------------------------------------------------------------------


def _type_name(types: tuple[type, ...]) -> str:
    names = {int: "integer", str: "string", bool: "boolean", dict: "object", list: "array",
             type(None): "null"}
    return " or ".join(names[t] for t in types)


def _has_type(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def _exact_types(fields: dict[str, tuple[type, ...]]) -> dict[str, frozenset[type]]:
    """Per field, the types a value of exactly that type has (`type(value) in ...`), one test
    where `_has_type` takes two: json.loads makes values of exactly these types, so the check
    of every record tries them first. A value of another type (a subclass, from a caller that
    did not read JSON) is then judged by `_has_type`; every type here passes `_has_type`."""
    return {name: frozenset(types) for name, types in fields.items()}


RECORD_EXACT_TYPES = _exact_types(RECORD_FIELDS)
OBSERVED_EXACT_TYPES = _exact_types(OBSERVED_FIELDS)
RECIPIENT_EXACT_TYPES = _exact_types(RECIPIENT_FIELDS)


def _check_type(value: Any, types: tuple[type, ...], where: str) -> None:
    if not _has_type(value, types):
        raise LogError(f"{where}: expected {_type_name(types)}, got {json.dumps(value)}")


def _check_value(value: Any, allowed: frozenset[Any] | None, where: str) -> None:
    """A misspelt state or folder must not read as an observation the model contradicts."""
    if allowed is not None and value not in allowed:
        raise LogError(f"{where}: unknown value {json.dumps(value)} (expected one of "
                       f"{', '.join(json.dumps(v) for v in sorted(allowed))})")


def check_record(data: Any, where: str) -> dict[str, Any]:
    """The record, or LogError naming the field that is missing, unknown or of the wrong type
    (or holds a value no call of the table has)."""
    if not isinstance(data, dict):
        raise LogError(f"{where}: expected a JSON object")
    _check_fields(data, where)
    _check_call(data, where)
    _check_observed(data.get("observed", {}), f"{where}: field observed")
    if "time" in data:
        parse_time(data["time"], f"{where}: field time")
    return data


def _check_fields(data: dict[str, Any], where: str) -> None:
    entry = data.get("entry") is True
    for name in REQUIRED_FIELDS:
        if name not in data and not (entry and name == "result"):
            raise LogError(f"{where}: field {name}: missing")
    for name, value in data.items():
        if type(value) in RECORD_EXACT_TYPES.get(name, ()):
            continue
        types = RECORD_FIELDS.get(name)
        if types is None:
            raise LogError(f"{where}: field {quoted_field(name)}: unknown field")
        if not _has_type(value, types):  # the message is built only for a bad field
            _check_type(value, types, f"{where}: field {name}")
    if entry:
        extra = sorted(set(data) - ENTRY_FIELDS)
        if extra:
            raise LogError(f"{where}: field {extra[0]}: an entry record (\"entry\": true) marks "
                           "where a call began; its result and what it observed belong on the "
                           "record logged when the call returns")
    elif data.get("entry") is False:
        raise LogError(f"{where}: field entry: false; leave the field out on a record of a "
                       "call's return")


def _check_call(data: dict[str, Any], where: str) -> None:
    """The call the record names exists, and the record names what the call is about: a
    message, or a transport session. Normalizes `flags` to the one flag that selects."""
    if data["event"] not in ALL_EVENTS:
        raise LogError(f"{where}: field event: unknown event {data['event']!r} (the events are "
                       "listed in docs/log-format.md)")
    if data["actor"] not in ACTORS:
        raise LogError(f"{where}: field actor: unknown actor {data['actor']!r} "
                       f"(expected one of {', '.join(sorted(ACTORS))})")
    if "flags" in data:
        flags = data["flags"]
        selecting = _SELECTING_FLAGS.get(flags)
        if selecting is None:
            selecting = _selecting_flag(flags, f"{where}: field flags")
            if len(_SELECTING_FLAGS) > 1000:
                _SELECTING_FLAGS.clear()
            _SELECTING_FLAGS[flags] = selecting
        data["flags"] = selecting
    if "lock" in data and data["lock"] not in KNOWN_LOCKS:
        raise LogError(f"{where}: field lock: unknown lock state {data['lock']!r} (expected "
                       f"{', '.join(sorted(KNOWN_LOCKS))})")
    for name in ("transport", "recipient", "return_parm", "preprocessor"):
        if name in data and data[name] < 0:
            raise LogError(f"{where}: field {name}: expected a non-negative integer")
    if "preprocessor" in data and data["event"] != "PreprocessMessage":
        raise LogError(f"{where}: field preprocessor: only PreprocessMessage names the "
                       "preprocessor that ran (its place in registration order, R33)")
    if "return_parm" in data and data["event"] != "IXPLogon::SubmitMessage":
        raise LogError(f"{where}: field return_parm: only IXPLogon::SubmitMessage returns a "
                       "retry delay in lpulReturnParm (R47)")
    observation = observation_call(data)
    if observation is not None:
        _check_observation_call(data, observation.about, where)
        return
    if "queue" in data:
        raise LogError(f"{where}: field queue: only IMsgStore::GetOutgoingQueue returns the "
                       "queue's rows")
    machines = MACHINES_BY_CALL.get((data["actor"], data["event"], data.get("flags", "0")))
    if machines == frozenset({"message"}) and data["message"] is None:
        raise LogError(f"{where}: field message: null, but {data['actor']} {data['event']} is "
                       "about a message (give its id)")
    if machines == frozenset({"transport"}) and data["message"] is not None:
        raise LogError(f"{where}: field message: {data['actor']} {data['event']} with these "
                       "flags is about a transport session, not a message (give null)")


def _check_observation_call(data: dict[str, Any], about: str, where: str) -> None:
    """A record of a call that only observes: GetOutgoingQueue lists its rows in `queue` and
    is about no single message; the others are about one message."""
    if about == "queue":
        if data["message"] is not None:
            raise LogError(f"{where}: field message: IMsgStore::GetOutgoingQueue reads the whole "
                           "queue, not a message (give null and list the rows in queue)")
        if "queue" not in data and data.get("entry") is not True and data["result"] == "S_OK":
            raise LogError(f"{where}: field queue: missing (the message ids of the rows read, "
                           "in the table's order)")
        for number, item in enumerate(data.get("queue", [])):
            if not isinstance(item, str):
                raise LogError(f"{where}: field queue/{number}: expected a message id (string)")
        if "observed" in data:
            raise LogError(f"{where}: field observed: GetOutgoingQueue observes the queue; log "
                           "a message's properties with IMAPIProp::GetProps")
    elif about == "session":
        if data["message"] is not None:
            raise LogError(f"{where}: field message: {data['actor']} {data['event']} with these "
                           "flags is about the store's session, not a message (give null)")
        if "queue" in data or "observed" in data:
            raise LogError(f"{where}: field {'queue' if 'queue' in data else 'observed'}: "
                           f"{data['actor']} {data['event']} reads nothing")
    else:
        if data["message"] is None:
            raise LogError(f"{where}: field message: null, but {data['actor']} {data['event']} "
                           "is about a message (give its id)")
        if "queue" in data:
            raise LogError(f"{where}: field queue: only IMsgStore::GetOutgoingQueue returns the "
                           "queue's rows")


def _check_observed(observed: dict[str, Any], where: str) -> None:
    """Observed properties, as a record's `observed` or a header's message under way gives
    them: known, of their type and range, recipients likewise, times readable."""
    if not _properties_fit(observed, OBSERVED_EXACT_TYPES, OBSERVED_FIELDS, OBSERVED_VALUES):
        _check_properties(observed, OBSERVED_FIELDS, OBSERVED_VALUES, where)
    for number, recipient in enumerate(observed.get("recipients", [])):
        if not (isinstance(recipient, dict)
                and _properties_fit(recipient, RECIPIENT_EXACT_TYPES, RECIPIENT_FIELDS,
                                    RECIPIENT_VALUES)):
            _check_recipient(recipient, f"{where}/recipients/{number}")
    if "deferred_send_time" in observed:
        parse_time(observed["deferred_send_time"], f"{where}/deferred_send_time")


def _check_recipient(recipient: Any, where: str) -> None:
    if not isinstance(recipient, dict):
        raise LogError(f"{where}: expected an object")
    _check_properties(recipient, RECIPIENT_FIELDS, RECIPIENT_VALUES, where)


def _properties_fit(properties: dict[str, Any], exact: dict[str, frozenset[type]],
                    types: dict[str, tuple[type, ...]], values: dict[str, frozenset[Any]]
                    ) -> bool:
    """Whether every property is known and of its type and range: the check of every
    record, so it builds no message (_check_properties names the first that is not)."""
    for name, value in properties.items():
        if type(value) not in exact.get(name, ()):
            kind = types.get(name)
            if kind is None or not _has_type(value, kind):
                return False
        allowed = values.get(name)
        if allowed is not None and value not in allowed:
            return False
    return True


def _check_properties(properties: dict[str, Any], types: dict[str, tuple[type, ...]],
                      values: dict[str, frozenset[Any]], where: str) -> None:
    """Each observed property is known and holds a value of its type and range."""
    for name, value in properties.items():
        at = f"{where}/{quoted_field(name)}"
        if name not in types:
            raise LogError(f"{at}: unknown property")
        _check_type(value, types[name], at)
        _check_value(value, values.get(name), at)


def parse_time(text: str, where: str) -> float:
    """An RFC 3339 timestamp with its UTC offset (`2026-12-02T09:30:00Z`, fractions of a
    second allowed) as seconds since the epoch; LogError otherwise. The offset is required:
    a time without one cannot be compared with another component's."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text.upper():
        raise LogError(f"{where}: {json.dumps(text)} is not an RFC 3339 time with a UTC offset "
                       "(such as \"2026-12-02T09:30:00Z\")")
    return moment.timestamp()


#: A flag that, combined with the one it maps to, selects that one: the spooler cancelling a
#: message its transport deferred passes NOTIFY_ABORT_DEFERRED | NOTIFY_CANCEL_MESSAGE (R55),
#: which is the abort of the deferred message, not a cancel of a running transfer.
SUBSUMING_FLAGS: dict[str, str] = {"NOTIFY_CANCEL_MESSAGE": "NOTIFY_ABORT_DEFERRED"}

#: Flags as a record writes them -> the one that selects (_selecting_flag): a log repeats a
#: few spellings a million times. Only well-formed flags are kept; bounded, as a log may spell
#: them any number of ways.
_SELECTING_FLAGS: dict[str, str] = {}


def _selecting_flag(flags: str, where: str) -> str:
    """The one flag of `flags` (names joined by "|") that selects among the table's rows, or
    "0"; flags the model does not distinguish (KEEP_OPEN_*, MAPI_DEFERRED_ERRORS) are
    dropped."""
    names = [name.strip() for name in flags.split("|")]
    for name in names:
        if not FLAG_NAME.fullmatch(name):
            raise LogError(f"{where}: {flags!r} is not a flag name or names joined by '|'")
    selecting = sorted({name for name in names if name in KNOWN_FLAGS and name != "0"})
    selecting = [name for name in selecting if SUBSUMING_FLAGS.get(name) not in selecting]
    if len(selecting) > 1:
        raise LogError(f"{where}: {flags!r} combines {' and '.join(selecting)}, which select "
                       "different calls")
    return selecting[0] if selecting else "0"


def parse_header(data: dict[str, Any], where: str) -> Header:
    header = data["header"]
    if not isinstance(header, dict):
        raise LogError(f"{where}: field header: expected an object")
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise LogError(f"{where}: field header/{quoted_field(sorted(unknown)[0])}: "
                       "unknown field")
    result = Header()
    if "config" in header:
        try:
            result.config = Config.from_dict(header["config"], "header/config")
        except (ConfigError, TypeError) as error:
            raise LogError(f"{where}: field {error}") from None
    if "initial" in header:
        try:
            result.initial = initial_from_json(header["initial"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise LogError(f"{where}: field header/initial: malformed "
                           f"({type(error).__name__}: {error})") from None
    if "all_steps_logged" in header:
        _check_type(header["all_steps_logged"], (bool,), f"{where}: field header/all_steps_logged")
        result.all_steps_logged = header["all_steps_logged"]
    if "messages" in header:
        result.messages = _started_messages(header["messages"], f"{where}: field header/messages")
    return result


def _started_messages(value: Any, where: str) -> dict[str, dict[str, Any]]:
    """The header's messages under way: an object of message id -> observed properties (the
    vocabulary of a record's `observed`)."""
    _check_type(value, (dict,), where)
    for message, observed in value.items():
        at = f"{where}/{quoted_field(message)}"
        _check_type(observed, (dict,), at)
        _check_observed(observed, at)
    return dict(value)


# ---- reading a log ------------------------------------------------------------------------------

#: Larger files are refused before reading. The log is read one line at a time, so memory does
#: not grow with its length; the bound catches a wrong path (an image, an archive) before
#: minutes are spent on it: 16 GiB is about 50 million records, hours of judging.
MAX_LOG_BYTES = 16 * 1024 * 1024 * 1024
#: A record is a few hundred bytes; a longer line is refused before it is held in memory
#: whole (and before a 50 MB message id is echoed into the verdict).
MAX_LINE_BYTES = 1024 * 1024

#: A checked record with the number of its line in the file (the header counts).
NumberedRecord = tuple[int, dict[str, Any]]


@contextmanager
def open_log(path: Path) -> Iterator[tuple[Header, Iterator[NumberedRecord]]]:
    """The log's header and an iterator over its checked records, read from the file as they
    are asked for: a malformed line raises LogError only when the records before it have
    been taken, so whoever judges record by record reports the first problem in line order."""
    where = input_name(path)
    with _opened(path, where) as stream:
        yield read_records(_decoded_lines(stream, where), where)


def read_log(path: Path) -> tuple[Header, list[NumberedRecord]]:
    """The whole log in memory (small logs and tests; the command streams with open_log)."""
    with collector_paused(), open_log(path) as (header, records):
        return header, list(records)


def parse_log(text: str, where: str) -> tuple[Header, list[NumberedRecord]]:
    """A log given as text, read whole; LogError on malformed input."""
    with collector_paused():
        header, records = read_records(io.StringIO(text, newline="\n"), where)
        return header, list(records)


def read_records(lines: Iterable[str], where: str
                 ) -> tuple[Header, Iterator[NumberedRecord]]:
    """The header (read now: judging needs its configuration) and an iterator over the
    records that follow it. `lines` keep their newline: a last line without one that is not
    valid JSON was cut off while being written."""
    values = _json_values(lines, where)
    first = next(values, None)
    if first is None:
        raise LogError(f"{where}: no records (an empty log cannot be judged)")
    number, data = first
    if isinstance(data, dict) and "header" in data:
        header = parse_header(data, f"{where}: line {number}")
        header.line = number
        return header, _checked_records(values, where)
    return Header(), _checked_records(itertools.chain([first], values), where)


def _checked_records(values: Iterator[tuple[int, Any]], where: str
                     ) -> Iterator[NumberedRecord]:
    last_seq: int | None = None
    calls = OpenCalls()
    for number, data in values:
        at = f"{where}: line {number}"
        if isinstance(data, dict) and "header" in data:
            raise LogError(f"{at}: field header: a header must be the first line")
        if isinstance(data, dict) and "end" in data:
            yield number, check_end(data, at, calls)
            for extra, _ in values:
                raise LogError(f"{where}: line {extra}: a record after the end-of-run line")
            return
        record = check_record(data, at)
        if last_seq is not None and record["seq"] <= last_seq:
            raise LogError(f"{at}: field seq: {record['seq']} does not follow {last_seq} "
                           "(sequence numbers must increase)")
        last_seq = record["seq"]
        calls.follow(record, number, at)
        yield number, record


def _call_key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["actor"], record["event"], record["message"], record.get("flags", "0"),
            record.get("lock"), record.get("transport"), record.get("recipient"))


@dataclass
class OpenCalls:
    """The calls whose entry record has been read and whose return has not: a return record
    closes the innermost open call it matches, and only that one (calls nest)."""

    #: (call key, line of the entry record), innermost last
    stack: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)

    def follow(self, record: dict[str, Any], line: int, at: str) -> None:
        if record.get("entry") is True:
            self.stack.append((_call_key(record), line))
            return
        if not self.stack:  # the usual record: no call is open, so it closes none
            return
        key = _call_key(record)
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == key:
                if depth != len(self.stack) - 1:
                    inner_key, inner_line = self.stack[-1]
                    raise LogError(
                        f"{at}: {record['actor']} {record['event']} returns (entered at line "
                        f"{self.stack[depth][1]}) while {inner_key[0]} {inner_key[1]}, entered "
                        f"inside it at line {inner_line}, has not returned (calls made inside "
                        "a call return before it)")
                del self.stack[depth]
                return

    def innermost(self) -> tuple[tuple[Any, ...], int] | None:
        return self.stack[-1] if self.stack else None


def check_end(data: dict[str, Any], at: str, calls: OpenCalls) -> dict[str, Any]:
    """The end-of-run line: the log is complete and every component is idle. A call entered
    and never returned contradicts that."""
    end = data["end"]
    if len(data) != 1 or not isinstance(end, dict):
        raise LogError(f"{at}: field end: expected {{\"end\": {{...}}}} alone on its line")
    for name, value in end.items():
        types = END_FIELDS.get(name)
        if types is None:
            raise LogError(f"{at}: field end/{quoted_field(name)}: unknown field")
        _check_type(value, types, f"{at}: field end/{name}")
    if "time" in end:
        parse_time(end["time"], f"{at}: field end/time")
    open_call = calls.innermost()
    if open_call is not None:
        key, line = open_call
        raise LogError(f"{at}: field end: the run ends while {key[0]} {key[1]} (entered at "
                       f"line {line}) has not returned")
    return {"end": end}


def _json_values(lines: Iterable[str], where: str) -> Iterator[tuple[int, Any]]:
    """(line number, JSON value) of each line that is not blank."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, _json_line(line, f"{where}: line {number}",
                                     last=not line.endswith("\n"))


def _json_line(line: str, at: str, last: bool) -> Any:
    """The JSON value of one line; `last`: the line is the text's last and has no closing
    newline, so a decoding error there means the log was cut off while being written."""
    try:
        return json.loads(line, object_pairs_hook=objects_without_duplicates)
    except DuplicateKey as duplicate:
        raise LogError(f"{at}: key {json.dumps(shown(duplicate.key))} given twice in one "
                       "object") from None
    except RecursionError:
        raise LogError(f"{at}: malformed JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        if last:
            raise LogError(f"{at}: truncated record (no closing newline and not valid JSON: "
                           f"{error.msg})") from None
        raise LogError(f"{at}: malformed JSON: {error.msg} at column {error.colno}") from None
    except ValueError as error:  # a number too long to convert
        raise LogError(f"{at}: malformed JSON: {error}") from None


@contextmanager
def _opened(path: Path, where: str) -> Iterator[BinaryIO]:
    """The log file opened for reading (`-`: standard input), every way opening can fail a
    one-line LogError (as checker/files.read_text words them), the size bound checked first."""
    if path == STDIN:
        yield sys.stdin.buffer
        return
    try:
        size = path.stat().st_size
        if path.is_file() and size > MAX_LOG_BYTES:
            raise LogError(f"{where}: {size} bytes; log files are limited to {MAX_LOG_BYTES} "
                           "bytes")
        stream = path.open("rb")
    except IsADirectoryError:
        raise LogError(f"{where}: is a directory, expected a log file") from None
    except FileNotFoundError:
        raise LogError(f"{where}: no such file") from None
    except OSError as failure:
        raise LogError(f"{where}: cannot read: {failure}") from None
    with stream:
        yield stream


def _decoded_lines(stream: BinaryIO, where: str) -> Iterator[str]:
    """The file's lines as text, split at "\n" only (as the format says) and decoded one at
    a time, so bytes that are not UTF-8 are reported with their line; a UTF-8 byte order mark
    before the first line is dropped, UTF-16 is named as such, and a line is read no further
    than MAX_LINE_BYTES (a device such as /dev/zero has no line end)."""
    number = 0
    try:
        while raw := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise LogError(f"{where}: line {number}: longer than {MAX_LINE_BYTES} bytes; "
                               "a record is one short line")
            if number == 1:
                yield decode_text(raw, f"{where}: line 1", LogError)
            else:
                yield raw.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise LogError(f"{where}: line {number}: cannot read: {failure}") from None
    except OSError as failure:
        raise LogError(f"{where}: line {number + 1}: cannot read: {failure}") from None


# ---- writing records ----------------------------------------------------------------------------


def message_id(index: int) -> str:
    return f"msg-{index + 1}"


def call_fields(row: Row, seq: int, message: int, arg: int, result: str) -> dict[str, Any]:
    """The fields of a log record that say which call was made and what it returned
    (docs/log-format.md): flags and lock as the row selects them, the recipient or transport
    it ranges over, and the message's log id."""
    record: dict[str, Any] = {"seq": seq, "actor": row.actor.value, "event": row.event,
                              "message": None, "result": result}
    flags, lock = logged_arguments(row)
    # A row that states its flags argument states it even when it is "0": EndMessage's
    # plain answer is one of the four a transport chooses from (R51).
    if flags != "0" or "flags" in dict(row.call_arguments):
        record["flags"] = flags
    if lock is not None:
        record["lock"] = lock
    if row.ranges_over == "recipient":
        record["recipient"] = arg
    if row.ranges_over == "transport":
        record["transport"] = arg
    if row.machine == "message":
        record["message"] = message_id(message)
    return record


def dump_records(header: dict[str, Any] | None, records: Iterable[dict[str, Any]]) -> str:
    lines = [] if header is None else [json.dumps({"header": header}, sort_keys=True)]
    lines += [json.dumps(r, sort_keys=True) for r in records]
    return "\n".join(lines) + "\n"
