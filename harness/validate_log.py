"""Validate an implementation's call log (JSON Lines, docs/log-format.md) against the model.

The validator tracks the SET of model worlds consistent with the log so far. Each world carries
its own binding of log message ids to model message indexes, because which model message a new
id stands for is part of the nondeterminism. Before each record the set is closed under silent
steps (table rows whose event a log does not show, SILENT_EVENTS); the record then keeps the
successors that match it: same event, actor, call flags, result, message, argument, and the
observed properties it states. What a record leaves out is unknown, never assumed.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import initial_from_json, initial_to_json
from mapi_submission.checker.files import read_text
from mapi_submission.model.config import Config, ConfigError
from mapi_submission.model.constants import FOLDERS
from mapi_submission.model.engine import CompiledRow, Model, Step
from mapi_submission.model.guards import GUARD_RULES
from mapi_submission.model.observe import OBSERVATION_RULES, observe_message
from mapi_submission.model.states import RECIPIENT_STATE_NAMES, STATE_NAMES
from mapi_submission.model.table import TABLE, Row
from mapi_submission.model.world import World, new_message, profiles

#: Events of internal steps no implementation log shows: the store's routing decisions, the
#: transport putting a recipient on the wire, timers, spooler-internal bookkeeping. Every
#: other event (the MAPI methods, "::" in the name, and PreprocessMessage) is logged.
SILENT_EVENTS: frozenset[str] = frozenset(
    row.event for row in TABLE if "::" not in row.event and row.event != "PreprocessMessage"
)
SILENT_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE if row.event in SILENT_EVENTS and row.machine == "message")
SILENT_TRANSPORT_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE if row.event in SILENT_EVENTS and row.machine == "transport")
#: Message states some silent row starts from.
SILENT_MESSAGE_SOURCES: frozenset[str] = frozenset(
    state for row in TABLE if row.name in SILENT_ROWS for state in row.sources)
LOGGED_EVENTS: frozenset[str] = frozenset(row.event for row in TABLE) - SILENT_EVENTS
ALL_EVENTS: frozenset[str] = frozenset(row.event for row in TABLE)
ACTORS: frozenset[str] = frozenset(row.actor for row in TABLE)
KNOWN_FLAGS: frozenset[str] = frozenset(
    {value for row in TABLE for key, value in row.call_arguments if key == "flags"} | {"0"})
#: SetLockState's lock argument (MAPI defines both; the table has rows for MSG_LOCKED only,
#: so an MSG_UNLOCKED record is well formed and diverges).
KNOWN_LOCKS: frozenset[str] = frozenset(
    {value for row in TABLE for key, value in row.call_arguments if key == "lock"} | {"MSG_UNLOCKED"})
#: (actor, event, selecting flag) -> the machines ("message", "transport") of its rows.
MACHINES_BY_CALL: dict[tuple[str, str, str], set[str]] = {
    (actor, event, flags): {row.machine for row in TABLE
                            if (row.actor, row.event, dict(row.call_arguments).get("flags", "0"))
                            == (actor, event, flags)}
    for actor, event, flags in {(row.actor, row.event, dict(row.call_arguments).get("flags", "0"))
                                for row in TABLE}
}
#: A flag name in a record's flags ("KEEP_OPEN_READWRITE|FORCE_SAVE"): a MAPI constant name.
FLAG_NAME = re.compile(r"[A-Z][A-Z0-9_]*|0")

#: Record fields and the types they may hold (checked by hand: jsonschema per record would cost
#: more than the validation itself on long logs; the JSON Schema states the same).
RECORD_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,), "actor": (str,), "event": (str,), "message": (str, type(None)),
    "flags": (str,), "lock": (str,), "transport": (int,), "recipient": (int,),
    "result": (str,), "observed": (dict,),
}
REQUIRED_FIELDS = ("seq", "actor", "event", "message", "result")
OBSERVED_FIELDS: dict[str, tuple[type, ...]] = {
    "state": (str,), "folder": (str,), "message_flags": (int,), "submit_flags": (int,),
    "in_queue": (bool,), "locked": (bool,), "recipients": (list,),
}
RECIPIENT_FIELDS: dict[str, tuple[type, ...]] = {
    "responsibility": (bool,), "state": (str,), "transmissions": (int,),
}
#: The values an observed property can take, where they form a closed set.
OBSERVED_VALUES: dict[str, frozenset[Any]] = {
    "state": frozenset(STATE_NAMES), "folder": frozenset(FOLDERS),
}
RECIPIENT_VALUES: dict[str, frozenset[Any]] = {
    "state": frozenset(RECIPIENT_STATE_NAMES), "transmissions": frozenset({0, 1, 2}),
}
#: One letter per recipient state in the possible states a verdict lists.
RECIPIENT_LETTERS = {"pending": "p", "sent": "s", "ndr": "n", "skipped": "k"}
#: Bound on worlds kept after closing under silent steps; beyond it the log cannot be judged.
DEFAULT_MAX_WORLDS = 200_000

Binding = tuple[str | None, ...]  # log id bound to each model message index, None if unbound
Candidate = tuple[World, Binding]


class LogError(ValueError):
    """The log is malformed: the message names the line and the field."""


class WorldLimit(ValueError):
    """The set of consistent worlds outgrew the bound."""


@dataclass
class Header:
    config: Config | None = None
    initial: World | None = None
    all_steps_logged: bool = False
    line: int = 0  # line number of the header, 0 when the log has none


@dataclass
class Divergence:
    line: int
    record: dict[str, Any]
    states: list[str]
    allowed: list[str]
    rules: list[str]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"verdict": "diverges", "line": self.line, "record": self.record,
                "reason": self.reason, "possible_states": self.states,
                "allowed_events": self.allowed, "rules": self.rules}

    def describe(self) -> str:
        lines = [f"diverges at line {self.line}: {self.reason}",
                 f"  record: {json.dumps(self.record, sort_keys=True)}",
                 f"  rules broken: {', '.join(self.rules) or '(none identified)'}",
                 "  model states possible just before it:"]
        lines += [f"    {s}" for s in self.states]
        lines.append("  events the model allowed there:")
        lines += [f"    {a}" for a in self.allowed] or ["    (none)"]
        return "\n".join(lines)


@dataclass
class Verdict:
    records: int
    divergence: Divergence | None = None
    worlds: int = 0
    peak_worlds: int = 0

    @property
    def conforms(self) -> bool:
        return self.divergence is None

    def to_json(self) -> dict[str, Any]:
        if self.divergence is not None:
            data = self.divergence.to_json()
        else:
            data = {"verdict": "conforms"}
        data.update({"records": self.records, "peak_worlds": self.peak_worlds})
        return data


# ---- parsing ------------------------------------------------------------------------------------


def _type_name(types: tuple[type, ...]) -> str:
    names = {int: "integer", str: "string", bool: "boolean", dict: "object", list: "array",
             type(None): "null"}
    return " or ".join(names[t] for t in types)


def _check_type(value: Any, types: tuple[type, ...], where: str) -> None:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        raise LogError(f"{where}: expected {_type_name(types)}, got {json.dumps(value)}")


def check_record(data: Any, where: str) -> dict[str, Any]:
    """The record, or LogError naming the field that is missing, unknown or of the wrong type."""
    if not isinstance(data, dict):
        raise LogError(f"{where}: expected a JSON object")
    for name in REQUIRED_FIELDS:
        if name not in data:
            raise LogError(f"{where}: field {name}: missing")
    for name, value in data.items():
        if name not in RECORD_FIELDS:
            raise LogError(f"{where}: field {name!r}: unknown field")
        _check_type(value, RECORD_FIELDS[name], f"{where}: field {name}")
    if data["event"] not in ALL_EVENTS:
        raise LogError(f"{where}: field event: unknown event {data['event']!r} (the events are "
                       "listed in docs/log-format.md)")
    if data["actor"] not in ACTORS:
        raise LogError(f"{where}: field actor: unknown actor {data['actor']!r} "
                       f"(expected one of {', '.join(sorted(ACTORS))})")
    if "flags" in data:
        data["flags"] = _selecting_flag(data["flags"], f"{where}: field flags")
    if "lock" in data and data["lock"] not in KNOWN_LOCKS:
        raise LogError(f"{where}: field lock: unknown lock state {data['lock']!r} (expected "
                       f"{', '.join(sorted(KNOWN_LOCKS))})")
    for name in ("transport", "recipient"):
        if name in data and data[name] < 0:
            raise LogError(f"{where}: field {name}: expected a non-negative index")
    machines = MACHINES_BY_CALL.get((data["actor"], data["event"], data.get("flags", "0")))
    if machines == {"message"} and data["message"] is None:
        raise LogError(f"{where}: field message: null, but {data['actor']} {data['event']} is "
                       "about a message (give its id)")
    if machines == {"transport"} and data["message"] is not None:
        raise LogError(f"{where}: field message: {data['actor']} {data['event']} with these "
                       "flags is about a transport session, not a message (give null)")
    observed = data.get("observed", {})
    for name, value in observed.items():
        if name not in OBSERVED_FIELDS:
            raise LogError(f"{where}: field observed/{name}: unknown property")
        _check_type(value, OBSERVED_FIELDS[name], f"{where}: field observed/{name}")
        _check_value(value, OBSERVED_VALUES.get(name), f"{where}: field observed/{name}")
    for number, recipient in enumerate(observed.get("recipients", [])):
        if not isinstance(recipient, dict):
            raise LogError(f"{where}: field observed/recipients/{number}: expected an object")
        for name, value in recipient.items():
            if name not in RECIPIENT_FIELDS:
                raise LogError(f"{where}: field observed/recipients/{number}/{name}: "
                               "unknown property")
            _check_type(value, RECIPIENT_FIELDS[name],
                        f"{where}: field observed/recipients/{number}/{name}")
            _check_value(value, RECIPIENT_VALUES.get(name),
                         f"{where}: field observed/recipients/{number}/{name}")
    return data


def _check_value(value: Any, allowed: frozenset[Any] | None, where: str) -> None:
    """A misspelt state or folder must not read as an observation the model contradicts."""
    if allowed is not None and value not in allowed:
        raise LogError(f"{where}: unknown value {json.dumps(value)} (expected one of "
                       f"{', '.join(json.dumps(v) for v in sorted(allowed))})")


def _selecting_flag(flags: str, where: str) -> str:
    """The one flag of `flags` (names joined by "|") that selects among the table's rows, or
    "0"; flags the model does not distinguish (KEEP_OPEN_*, MAPI_DEFERRED_ERRORS) are
    dropped."""
    names = [name.strip() for name in flags.split("|")]
    for name in names:
        if not FLAG_NAME.fullmatch(name):
            raise LogError(f"{where}: {flags!r} is not a flag name or names joined by '|'")
    selecting = sorted({name for name in names if name in KNOWN_FLAGS and name != "0"})
    if len(selecting) > 1:
        raise LogError(f"{where}: {flags!r} combines {' and '.join(selecting)}, which select "
                       "different calls")
    return selecting[0] if selecting else "0"


def parse_header(data: dict[str, Any], where: str) -> Header:
    header = data["header"]
    if not isinstance(header, dict):
        raise LogError(f"{where}: field header: expected an object")
    unknown = set(header) - {"config", "initial", "all_steps_logged", "source"}
    if unknown:
        raise LogError(f"{where}: field header/{sorted(unknown)[0]!r}: unknown field")
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
    return result


#: Larger logs are refused before reading: a log is parsed whole (366 MB of memory for the
#: 33 MB, 100,000-record benchmark log), so this keeps a run under about 12 GB.
MAX_LOG_BYTES = 1024 * 1024 * 1024


def read_log(path: Path) -> tuple[Header, list[tuple[int, dict[str, Any]]]]:
    """Header (possibly empty) and (line number, record) pairs; LogError on malformed input."""
    where = str(path)
    text = read_text(path, "log", LogError, MAX_LOG_BYTES)
    return parse_log(text, where)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector. A long log creates millions of tuples and dicts
    (worlds, records, caches) and no reference cycles; the collector's full passes over them
    took about half the validation time of a 100,000-record log."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_log(text: str, where: str) -> tuple[Header, list[tuple[int, dict[str, Any]]]]:
    with _collector_paused():
        return _parse_log(text, where)


def _parse_log(text: str, where: str) -> tuple[Header, list[tuple[int, dict[str, Any]]]]:
    header = Header()
    has_header = False
    records: list[tuple[int, dict[str, Any]]] = []
    lines = text.split("\n")
    last_seq: int | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        at = f"{where}: line {number}"
        try:
            data = json.loads(line)
        except RecursionError:
            raise LogError(f"{at}: malformed JSON: nested too deeply") from None
        except json.JSONDecodeError as error:
            if number == len(lines) and not text.endswith("\n"):
                raise LogError(f"{at}: truncated record (no closing newline and not valid JSON: "
                               f"{error.msg})") from None
            raise LogError(f"{at}: malformed JSON: {error.msg} at column {error.colno}") from None
        except ValueError as error:  # a number too long to convert
            raise LogError(f"{at}: malformed JSON: {error}") from None
        if isinstance(data, dict) and "header" in data:
            if records or number != _first_line(lines):
                raise LogError(f"{at}: field header: a header must be the first line")
            header = parse_header(data, at)
            header.line = number
            has_header = True
            continue
        record = check_record(data, at)
        if last_seq is not None and record["seq"] <= last_seq:
            raise LogError(f"{at}: field seq: {record['seq']} does not follow {last_seq} "
                           "(sequence numbers must increase)")
        last_seq = record["seq"]
        records.append((number, record))
    if not records and not has_header:
        raise LogError(f"{where}: no records (an empty log cannot be judged)")
    return header, records


def _first_line(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines, start=1) if line.strip())


# ---- matching -----------------------------------------------------------------------------------


def _row_flags(row: Row) -> tuple[str, str | None]:
    args = dict(row.call_arguments)
    return args.get("flags", "0"), args.get("lock")


def _observed_matches(observed: dict[str, Any], actual: dict[str, Any]) -> bool:
    for name, value in observed.items():
        if name == "recipients":
            rows = actual["recipients"]
            if len(value) > len(rows):
                return False
            for want, have in zip(value, rows, strict=False):
                if any(have[key] != v for key, v in want.items()):
                    return False
        elif actual[name] != value:
            return False
    return True


class LogValidator:
    """The world-set tracker: `feed` it one record at a time (validate_records feeds a log)."""

    def __init__(self, model: Model, initial: Iterable[World], *, all_steps_logged: bool = False,
                 max_worlds: int = DEFAULT_MAX_WORLDS) -> None:
        self.model = model
        self.config = model.config
        self.all_steps_logged = all_steps_logged
        self.max_worlds = max_worlds
        unbound: Binding = (None,) * model.config.messages
        self.candidates: set[Candidate] = {(w, unbound) for w in initial}
        self.peak = len(self.candidates)
        self._successors: dict[World, list[tuple[Step, World]]] = {}
        self._message_steps: dict[tuple[World, int], list[tuple[Step, World]]] = {}
        self._silent: dict[World, list[World]] = {}
        # Call signature of each row, looked up by (event, actor).
        self._rows_by_call: dict[tuple[str, str], list[Row]] = {}
        for row in TABLE:
            self._rows_by_call.setdefault((row.event, row.actor), []).append(row)

    def successors(self, world: World) -> list[tuple[Step, World]]:
        found = self._successors.get(world)
        if found is None:
            if len(self._successors) > 50_000:
                self._successors.clear()
            found = self.model.successors(world)
            self._successors[world] = found
        return found

    def _steps_for(self, world: World, index: int) -> list[tuple[Step, World]]:
        """The steps a record about message `index` (-1: a transport session) can match."""
        if index < 0:
            return [(s, w) for s, w in self.successors(world) if s.message < 0]
        key = (world, index)
        found = self._message_steps.get(key)
        if found is None:
            if len(self._message_steps) > 50_000:
                self._message_steps.clear()
            found = self.model.message_successors(world, index)
            self._message_steps[key] = found
        return found

    def _silent_successors(self, world: World) -> list[World]:
        """Worlds one silent step away. Only messages in a state some silent row starts from
        are asked for their steps: most messages of a long log sit in states without one,
        and computing their steps (SubmitMessage's effect, for a draft) is the main cost."""
        found = self._silent.get(world)
        if found is None:
            if len(self._silent) > 50_000:
                self._silent.clear()
            found = []
            for index, message in enumerate(world.messages):
                if message.phase in SILENT_MESSAGE_SOURCES:
                    found += [after for step, after in self._steps_for(world, index)
                              if step.row in SILENT_ROWS and after is not world]
            if SILENT_TRANSPORT_ROWS:
                found += [after for step, after in self.successors(world)
                          if step.row in SILENT_TRANSPORT_ROWS and after is not world]
            self._silent[world] = found
        return found

    def close_under_silent_steps(self) -> None:
        """Add every world reachable by silent steps (visited set; bounded by max_worlds)."""
        if self.all_steps_logged:
            return
        frontier = list(self.candidates)
        seen = self.candidates
        while frontier:
            next_frontier: list[Candidate] = []
            for world, binding in frontier:
                for after in self._silent_successors(world):
                    candidate = (after, binding)
                    if candidate not in seen:
                        seen.add(candidate)
                        next_frontier.append(candidate)
            if len(seen) > self.max_worlds:
                raise WorldLimit(f"more than {self.max_worlds} model worlds are consistent with "
                                 "the log; record more observed properties or raise the bound")
            frontier = next_frontier
        self.peak = max(self.peak, len(seen))

    def _targets(self, world: World, binding: Binding,
                 message: str | None) -> list[tuple[int, Binding]]:
        """Model message indexes the log id may stand for, with the binding each implies."""
        if message is None:
            return [(-1, binding)]
        if message in binding:
            return [(binding.index(message), binding)]
        targets: list[tuple[int, Binding]] = []
        seen_values: set[Any] = set()
        for index, bound in enumerate(binding):
            if bound is not None:
                continue
            # Unbound messages with the same value are interchangeable (the log has said
            # nothing that tells them apart): bind to the first only. A queued message is
            # told apart by its queue position, so it is always tried.
            value = world.messages[index]
            if index not in world.queue:
                if value in seen_values:
                    continue
                seen_values.add(value)
            targets.append((index, binding[:index] + (message,) + binding[index + 1:]))
        return targets

    def _matches(self, record: dict[str, Any], world: World, step: Step, after: World,
                 index: int) -> bool:
        row = self.model.rows[step.row]
        if row.event != record["event"] or row.actor != record["actor"]:
            return False
        if row.machine == "message" and step.message != index:
            return False
        flags, lock = _row_flags(row)
        if record.get("flags", "0") != flags or record.get("lock") != lock:
            return False
        if row.ranges_over == "recipient" and "recipient" in record and record["recipient"] != step.arg:
            return False
        if "transport" in record:
            if row.ranges_over == "transport":
                if record["transport"] != step.arg:
                    return False
            elif row.machine == "message":
                # Checked only while the model has the message with a transport: after
                # EndMessage an implementation may still name the last one.
                current = world.messages[index].transport
                if current >= 0 and current != record["transport"]:
                    return False
        if "observed" in record and row.machine == "message":
            actual = observe_message(self.config, after.messages[index])
            if not _observed_matches(record["observed"], actual):
                return False
        return True

    def feed(self, line: int, record: dict[str, Any]) -> Divergence | None:
        self.close_under_silent_steps()
        message = record["message"]
        result = record["result"]
        matched: set[Candidate] = set()
        for world, binding in self.candidates:
            for index, new_binding in self._targets(world, binding, message):
                for step, after in self._steps_for(world, index):
                    if self.model.rows[step.row].result != result:
                        continue
                    if self._matches(record, world, step, after, index):
                        matched.add((after, new_binding))
        if not matched:
            return self._divergence(line, record)
        self.candidates = matched
        self.peak = max(self.peak, len(matched))
        return None

    # ---- explaining a divergence ---------------------------------------------------------------

    def _divergence(self, line: int, record: dict[str, Any]) -> Divergence:
        states = sorted({self._describe_world(w, b) for w, b in self.candidates})
        shown = states[:12] + ([f"... ({len(states) - 12} more)"] if len(states) > 12 else [])
        allowed: set[str] = set()
        for world, binding in self.candidates:
            for step, _after in self.successors(world):
                row = self.model.rows[step.row]
                if row.event in SILENT_EVENTS and not self.all_steps_logged:
                    continue
                allowed.add(self._describe_step(world, binding, step))
        rules, reason = self._broken_rules(record)
        message = record["message"]
        if message is not None and all(message not in b and None not in b
                                       for _, b in self.candidates):
            reason = (f"message id {_shown(message)} is new but every one of the "
                      f"configuration's {self.config.messages} model messages is already bound "
                      "to another id (raise --messages)")
        return Divergence(line, record, shown, sorted(allowed), rules, reason)

    def _broken_rules(self, record: dict[str, Any]) -> tuple[list[str], str]:
        """The rule ids the record breaks, and why, in order of precision:
        - the call and result fit but the observed properties do not: the rules of the rows
          that fit and of the properties observed (OBSERVATION_RULES);
        - the message was in a state where a row giving the logged result starts, but some of
          that row's guards are false: the rules of those guards (GUARD_RULES), with the rules
          of the rows that answer this call instead;
        - no consistent state is one the call's rows start from: the rules of the rows giving
          the logged result (the call was made out of order)."""
        event, actor, result = record["event"], record["actor"], record["result"]
        call = (record.get("flags", "0"), record.get("lock"))
        rows = [r for r in self._rows_by_call.get((event, actor), []) if _row_flags(r) == call]
        if not rows:
            rows = [r for r in TABLE if r.event == event]
            reason = f"no {actor} call {event} with these flags exists in the model"
            return _sorted_rules(r for row in rows for r in row.rules), reason
        without_observation = dict(record)
        without_observation.pop("observed", None)
        enabled: set[str] = set()
        failed_guards: set[str] = set()
        observed: dict[str, Any] = record.get("observed", {})
        # Observed properties that differ from the model's after every matching step, and
        # after some (the first, if not empty, names what no explanation gets right).
        differ_everywhere: set[str] | None = None
        differ_somewhere: set[str] = set()
        wanted = [row for row in rows if row.result == result]
        for world, binding in self.candidates:
            for index, _ in self._targets(world, binding, record["message"]):
                for step, after in self.successors(world):
                    if self._matches(without_observation, world, step, after, index):
                        enabled.add(step.row)
                        if self.model.rows[step.row].result == result and index >= 0:
                            actual = observe_message(self.config, after.messages[index])
                            differing = {name for name, value in observed.items()
                                         if not _observed_matches({name: value}, actual)}
                            differ_somewhere |= differing
                            differ_everywhere = (differing if differ_everywhere is None
                                                 else differ_everywhere & differing)
                for row in wanted:
                    failed_guards.update(self._failed_guards(row, world, index, record))
        same_result = {name for name in enabled if self.model.rows[name].result == result}
        if same_result:
            rules = {r for name in same_result for r in self.model.rows[name].rules}
            named = sorted(differ_everywhere or differ_somewhere)
            for name in named:
                rules.update(OBSERVATION_RULES.get(name, ()))
            return _sorted_rules(rules), ("the call is allowed but the observed "
                                          f"{', '.join(named)} differ")
        answered = {r for name in enabled for r in self.model.rows[name].rules}
        if failed_guards:
            rules = answered | {r for g in failed_guards for r in GUARD_RULES.get(g, ())}
            instead = sorted({self.model.rows[name].result for name in enabled})
            answer = f"; the model answers {' or '.join(instead)}" if instead else ""
            bound = ("; the configuration's bound on transport setbacks is used up (raise "
                     "setbacks if the implementation may have more)"
                     if "setback_available" in failed_guards else "")
            return _sorted_rules(rules), (f"not allowed with result {result}: "
                                          f"{', '.join(sorted(failed_guards))} false{answer}"
                                          f"{bound}")
        claimed = _fitting_observed_state(wanted or rows, observed.get("state"))
        sources = sorted({s for row in claimed for s in row.sources})
        rules = answered | {r for row in claimed for r in row.rules}
        whose = "message" if rows[0].machine == "message" else "transport"
        reason = f"no consistent model state allows this call here (it needs the {whose} in " \
                 f"{', '.join(sources)}"
        missed = self._missed_silent_steps(set(sources), record)
        if missed:
            rules |= {r for guards in missed.values() for g in guards for r in GUARD_RULES[g]}
            reason += "; not taken to get there: " + "; ".join(
                f"{event} ({', '.join(sorted(guards))} false)"
                for event, guards in sorted(missed.items()))
        return _sorted_rules(rules), reason + ")"

    def _missed_silent_steps(self, states: set[str], record: dict[str, Any]
                             ) -> dict[str, set[str]]:
        """Silent rows that would have taken the record's message from a consistent state into
        one of `states` but were not enabled: row event -> its false guards. They name why the
        implementation could be where the model cannot (R19 for a store routing by folder)."""
        missed: dict[str, set[str]] = {}
        for world, binding in self.candidates:
            for index, _ in self._targets(world, binding, record["message"]):
                if index < 0:
                    continue
                for compiled in self.model.message_rows.get(world.messages[index].phase, ()):
                    row = compiled.row
                    if row.name in SILENT_ROWS and row.dest in states:
                        false = self._failed_guards(row, world, index, {})
                        if false:
                            missed.setdefault(row.event, set()).update(false)
        return missed

    def _failed_guards(self, row: Row, world: World, index: int,
                       record: dict[str, Any]) -> set[str]:
        """Names of the guards of `row` that are false for the record's message (or transport)
        when that message is in one of the row's source states; empty otherwise."""
        compiled: CompiledRow | None
        if row.machine == "message":
            if index < 0 or world.messages[index].phase not in row.sources:
                return set()
            compiled = next(c for c in self.model.message_rows[world.messages[index].phase]
                            if c.row.name == row.name)
            targets = [(index, a) for a in compiled.targets
                       if row.ranges_over != "recipient" or record.get("recipient", a) == a]
        else:
            targets = [(-1, t) for t, state in enumerate(world.transports)
                       if state in row.sources and record.get("transport", t) == t]
            compiled = next((c for state in row.sources
                             for c in self.model.transport_rows.get(state, ())
                             if c.row.name == row.name), None)
            if compiled is None:
                return set()
        failed: set[str] = set()
        for message, arg in targets:
            false = {name for name, check in zip(row.guards, compiled.guards, strict=True)
                     if not check(self.config, world, message, arg)}
            if not false:
                return set()  # enabled for this argument: not what blocks the record
            failed |= false
        return failed

    def _describe_world(self, world: World, binding: Binding) -> str:
        parts = []
        for index, message in enumerate(world.messages):
            bound = binding[index]
            name = _shown(bound) if bound is not None else f"(unbound #{index})"
            recipients = "".join(RECIPIENT_LETTERS.get(r.outcome, "?") for r in message.recipients)
            parts.append(f"{name}={message.phase}[{recipients}]")
        coupling = "tight" if world.tight else "loose"
        transports = ("" if all(t == "ready" for t in world.transports)
                      else f" transports={','.join(world.transports)}")
        return f"{coupling}{transports}: " + " ".join(parts)

    def _describe_step(self, world: World, binding: Binding, step: Step) -> str:
        row = self.model.rows[step.row]
        flags, lock = _row_flags(row)
        extra = "".join([f" flags={flags}" if flags != "0" else "",
                         f" lock={lock}" if lock else "",
                         f" {row.ranges_over}={step.arg}" if row.ranges_over else ""])
        if row.machine == "message":
            bound = binding[step.message]
            target = _shown(bound) if bound is not None else f"(new id as #{step.message})"
        else:
            target = "-"
        return f"{row.actor} {row.event}{extra} on {target} -> {row.result}"


def _fitting_observed_state(rows: list[Row], state: Any) -> list[Row]:
    """The rows that could leave the message in the observed `state` (all of them when none
    is observed or none fits)."""
    if not isinstance(state, str):
        return rows
    fitting = [row for row in rows
               if row.dest == state or (row.dest is None and state in row.sources)]
    return fitting or rows


def _shown(message_id: str) -> str:
    """A log's message id as printed: JSON-quoted unless plain printable ASCII (ids are
    arbitrary strings and the verdict must print on any terminal)."""
    plain = message_id.isascii() and message_id.isprintable() and message_id.strip() == message_id
    return message_id if plain and message_id else json.dumps(message_id)


def _sorted_rules(rules: Iterable[str]) -> list[str]:
    return sorted(set(rules), key=lambda r: int(r[1:]))


def validate_records(model: Model, initial: Iterable[World],
                     records: Iterable[tuple[int, dict[str, Any]]], *,
                     all_steps_logged: bool = False,
                     max_worlds: int = DEFAULT_MAX_WORLDS) -> Verdict:
    with _collector_paused():
        return _validate_records(model, initial, records, all_steps_logged, max_worlds)


def _validate_records(model: Model, initial: Iterable[World],
                      records: Iterable[tuple[int, dict[str, Any]]], all_steps_logged: bool,
                      max_worlds: int) -> Verdict:
    validator = LogValidator(model, initial, all_steps_logged=all_steps_logged,
                             max_worlds=max_worlds)
    count = 0
    for line, record in records:
        count += 1
        try:
            divergence = validator.feed(line, record)
        except WorldLimit as error:
            raise WorldLimit(f"line {line}: {error}") from None
        if divergence is not None:
            return Verdict(count, divergence, len(validator.candidates), validator.peak)
    return Verdict(count, None, len(validator.candidates), validator.peak)


def initial_worlds_for(model: Model, header: Header, where: str,
                       max_worlds: int = DEFAULT_MAX_WORLDS) -> list[World]:
    """The header's initial world, or every initial world of the configuration. LogError when
    the header names a world the configuration does not start from (the model would otherwise
    index recipients or transports it does not have); WorldLimit when the configuration has
    more initial worlds than `max_worlds` (independent profiles grow exponentially)."""
    config = model.config
    if header.initial is None:
        count = len(profiles(config))
        if config.profiles != "shared":
            count **= config.messages
        if count * len(config.coupling) > max_worlds:
            raise WorldLimit(f"the configuration has {count * len(config.coupling)} initial "
                             f"worlds, more than {max_worlds}; give header/initial")
        return model.initial_worlds()
    at = f"{where}: line {header.line}: field header/initial"
    initial = header.initial
    if len(initial.messages) != config.messages:
        raise LogError(f"{at}/messages: {len(initial.messages)} messages, the "
                       f"configuration has {config.messages}")
    if not _is_initial(config, initial):
        raise LogError(f"{at}: not an initial world of the configuration (coupling, "
                       "transports, setbacks or a message profile differ)")
    return [initial]


def _is_initial(config: Config, world: World) -> bool:
    """Whether `world` is one of initial_worlds(config), without enumerating them."""
    allowed = profiles(config)
    try:
        return (("tight" if world.tight is True else "loose" if world.tight is False else None)
                in config.coupling
                and world.transports == ("ready",) * config.transports
                and world.queue == () and world.setbacks_left == config.setbacks
                and all(message.profile in allowed for message in world.messages)
                and world.messages == tuple(new_message(m.profile) for m in world.messages)
                and (config.profiles != "shared" or len(set(world.messages)) <= 1))
    except TypeError:  # unhashable values from a malformed header
        return False


def validate_log_text(text: str, where: str, config: Config | None = None,
                      variant: str | None = None,
                      max_worlds: int = DEFAULT_MAX_WORLDS) -> Verdict:
    """Parse and validate; the header's configuration is used unless `config` is given."""
    header, records = parse_log(text, where)
    model = Model(config or header.config or Config(), variant)
    return validate_records(model, initial_worlds_for(model, header, where, max_worlds), records,
                            all_steps_logged=header.all_steps_logged, max_worlds=max_worlds)


# ---- writing logs -------------------------------------------------------------------------------


def message_id(index: int) -> str:
    return f"msg-{index + 1}"


def call_fields(row: Row, seq: int, message: int, arg: int, result: str) -> dict[str, Any]:
    """The fields of a log record that say which call was made and what it returned
    (docs/log-format.md): flags and lock as the row selects them, the recipient or transport
    it ranges over, and the message's log id."""
    record: dict[str, Any] = {"seq": seq, "actor": row.actor, "event": row.event,
                              "message": None, "result": result}
    flags, lock = _row_flags(row)
    if flags != "0" or row.event == "IXPLogon::EndMessage":
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


def dump_records(header: dict[str, Any] | None, records: Iterable[dict[str, Any]]) -> str:
    lines = [] if header is None else [json.dumps({"header": header}, sort_keys=True)]
    lines += [json.dumps(r, sort_keys=True) for r in records]
    return "\n".join(lines) + "\n"


def path_to_log(model: Model, start: World, steps: list[tuple[Step, World]], *,
                include_silent: bool = False, with_initial: bool = True,
                observe_fields: tuple[str, ...] | None = None,
                source: str | None = None) -> str:
    """A log of a model path: silent steps left out (unless `include_silent`)."""
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
        if include_silent or model.rows[step.row].event not in SILENT_EVENTS:
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
