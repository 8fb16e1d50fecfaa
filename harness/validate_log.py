"""Validate an implementation's call log (JSON Lines, docs/log-format.md) against the model.

The validator tracks the SET of model worlds consistent with the log so far. Each world carries
its own binding of log message ids to model message slots, because which model message a new
id stands for is part of the nondeterminism; an id is released when its message is finished
or gone, so the bound is on messages alive at once (log_bindings.py). Before each record the
set is closed under silent steps (table rows that are not MAPI calls, so a log does not show
them); the record then keeps the successors that match it: same event, actor, call flags,
result, message, argument, and the observed properties it states. What a record leaves out
is unknown, never assumed.

When no world matches, the verdict explains why, naming the rules broken: the result is wrong
(a guard of the row giving it is false), or the call fits but the observed properties differ,
or the call was made out of order (no consistent state is one its rows start from).
"""

from __future__ import annotations

import io
import json
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from mapi_submission.checker.compact import CompactWorld, CompactWorlds
from mapi_submission.checker.gc_pause import collector_paused
from mapi_submission.checker.json_input import shown
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config
from mapi_submission.model.constants import TRACKED_BITS
from mapi_submission.model.effects import EFFECT_RULES
from mapi_submission.model.engine import CompiledRow, Model, Step
from mapi_submission.model.errors import MapiSubmissionError
from mapi_submission.model.guards import GUARD_RULES, spooler_needed
from mapi_submission.model.observe import observe_message
from mapi_submission.model.states import (
    INITIAL_TRANSPORT_STATE,
    STATES_BY_NAME,
    TERMINAL,
    WAITING_FOR_TRANSPORT,
)
from mapi_submission.model.table import ROWS_BY_NAME, TABLE, Kind, Row
from mapi_submission.model.world import World, initial_world_count, new_message, profiles

from .log_bindings import Binding, IdBinder, unbound
from .log_format import (
    FLAG_BITS,
    ROWS_BY_RECORD_CALL,
    Header,
    LogError,
    NumberedRecord,
    RecordCall,
    logged_arguments,
    observation_rules,
    read_records,
    record_calls,
)
from .log_observations import holds_for_message, observation_call
from .log_records import Judged, call_may_begin, judge_end, judge_observation
from .log_start import started_candidates
from .log_time import Clock
from .progress import ValidationProgress
from .recent_cache import RecentCache
from .unlogged_steps import shortest_unlogged_way

#: the state of a message the tight pair is sending (R20)
DIRECT_SENDING = "direct_sending"

#: Rows a log does not show (they are not MAPI calls), by the machine they change.
SILENT_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE if not row.is_call and row.machine == "message")
SILENT_TRANSPORT_ROWS: frozenset[str] = frozenset(
    row.name for row in TABLE if not row.is_call and row.machine == "transport")
#: Message states some silent row starts from.
SILENT_MESSAGE_SOURCES: frozenset[str] = frozenset(
    state for row in TABLE if row.name in SILENT_ROWS for state in row.sources)
#: Silent rows taken only when the log comes back to their message (or the run ends, or a
#: transport's state changes, or a record has no message, such as a queue read), not in every
#: closure. Sound when taking the row later ends in the same world as taking it now, and when
#: the row can only take away what other messages' records may do, never add to it; then the
#: worlds without it stand for those with it until a record about its message (which settles
#: it first, `_settle`) tells them apart. Each row here is such a row:
#: - the spooler's NDR for a recipient no transport takes (R58) changes only its own message's
#:   recipient outcomes, which no other message's guard and no silent row of another message
#:   reads; its guards read its own message and the transports' states, so it is taken before
#:   its message next moves and before any transport's state changes;
#: - the tight pair queueing the rest of a message for the spooler (R23) reads only its own
#:   message; it puts the message at its place in submission order (R14, R25), so when it
#:   happens does not change the queue it leads to; and a message queued ahead of another can
#:   only hold that one's lock back (R39), never enable a call of it.
#: Without this, every such message doubles the consistent worlds until the log mentions it
#: again. A test judges random logs, mutated ones and the acceptance corpus with each row
#: deferred and with none, and requires the same verdicts.
DEFERRED_ROWS: frozenset[str] = frozenset({"spooler-ndr", "tight-queue-rest"})
EAGER_SILENT_ROWS: frozenset[str] = SILENT_ROWS - DEFERRED_ROWS
#: Message states a deferred row starts from.
DEFERRED_SOURCES: frozenset[str] = frozenset(
    state for row in TABLE if row.name in DEFERRED_ROWS for state in row.sources)
#: Effects that change a transport's state: records of their rows settle every deferred row.
TRANSPORT_EFFECTS: frozenset[str] = frozenset({"report_critical_error", "transport_recovers"})
#: What a record names of the calls whose rows change a transport's state.
TRANSPORT_CHANGING_CALLS: frozenset[RecordCall] = frozenset(
    call for row in TABLE if row.effect in TRANSPORT_EFFECTS for call in record_calls(row))
#: One letter per recipient state in the possible states a verdict lists.
RECIPIENT_LETTERS = {"pending": "p", "sent": "s", "ndr": "n", "skipped": "k"}
#: Bound on worlds kept after closing under silent steps; beyond it the log cannot be judged.
DEFAULT_MAX_WORLDS = 200_000

Candidate = tuple[CompactWorld, Binding]
#: Bound on each cache of steps (per message and context, per world, per record's rows): it
#: holds at most about twice as many entries (recent_cache.py), so memory stays flat on a log
#: of any length.
STEP_CACHE_LIMIT = 200_000


class WorldLimit(MapiSubmissionError, ValueError):
    """The set of consistent worlds outgrew the bound."""


@dataclass
class LogDivergence:
    """The first record no consistent model world allows, with what the model allowed there
    and why the record breaks it."""

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
                 f"  record: {json.dumps(_cut_strings(self.record), sort_keys=True)}",
                 f"  rules broken: {', '.join(self.rules) or '(none identified)'}",
                 "  model states possible just before it:"]
        lines += [f"    {s}" for s in self.states]
        lines.append("  events the model allowed there:")
        lines += [f"    {a}" for a in self.allowed] or ["    (none)"]
        return "\n".join(lines)


@dataclass
class LogVerdict:
    """How a whole log went: conforming, or diverging at a record."""

    records: int
    divergence: LogDivergence | None = None
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


#: The rules that say which recipient rows of a resend are sent (R74, R75).
RESEND_RULES = frozenset({"R74", "R75"})


@dataclass
class CallSurvey:
    """What the consistent worlds say about a record's call, leaving its observation aside."""

    #: rows of the call enabled in some consistent world (with any result)
    enabled: set[str] = field(default_factory=set)
    #: false guards of the rows giving the logged result, where the message is in their source
    failed_guards: set[str] = field(default_factory=set)
    #: observed properties that differ from the model's after every step giving the result
    #: (None: no such step), and after some step
    differ_everywhere: set[str] | None = None
    differ_somewhere: set[str] = field(default_factory=set)
    #: the message is a resend in some consistent world: its recipient rows follow R74, R75
    resend: bool = False


def _observed_matches(observed: dict[str, Any], actual: dict[str, Any]) -> bool:
    for name, value in observed.items():
        if name == "recipients":
            rows = actual["recipients"]
            if len(value) > len(rows):
                return False
            for want, have in zip(value, rows, strict=False):
                if any(have[key] != v for key, v in want.items()):
                    return False
        elif name in actual:
            have = actual[name]
            if have != value and (name not in TRACKED_BITS
                                  or value & TRACKED_BITS[name] != have):
                return False
        elif name in FLAG_BITS:
            whole, bit = FLAG_BITS[name]
            if bool(actual[whole] & bit) != value:
                return False
        # deferred_send_time: judged on the times (log_time.py), not a model observation
    return True


class LogValidator:
    """The world-set tracker: `feed` it one record at a time (validate_records feeds a log).

    Worlds are kept in the explorer's compact form (checker/compact.py): a tuple of interned
    ids, which hashes and compares in a few steps where a World hashes every field of every
    message, and the candidates are hashed several times per record. The same tables cache
    each message's steps per (slot, message, context, queued views)."""

    def __init__(self, model: Model, initial: Iterable[World], *, all_steps_logged: bool = False,
                 max_worlds: int = DEFAULT_MAX_WORLDS,
                 started: Iterable[tuple[World, Binding]] | None = None) -> None:
        self.model = model
        self.config = model.config
        self.all_steps_logged = all_steps_logged
        self.max_worlds = max_worlds
        self.worlds = CompactWorlds(model, max_cached_moves=STEP_CACHE_LIMIT)
        self.binder = IdBinder(model.config, self.worlds)
        nobody = unbound(model.config.messages)
        self.candidates: set[Candidate] = (
            {(self.worlds.compact(w), nobody) for w in initial} if started is None
            else {(self.worlds.compact(w), binding) for w, binding in started})
        self.peak = len(self.candidates)
        #: the phase of each interned message (grows in place)
        self._phases = self.worlds.phases
        #: (world, message, rows) -> the steps of a record (_steps_for)
        self._steps: RecentCache[tuple[CompactWorld, int, frozenset[str]],
                                 list[tuple[Step, CompactWorld, bool]]] = RecentCache(
                                     STEP_CACHE_LIMIT)
        #: world -> the worlds one silent step away (_silent_successors)
        self._silent: RecentCache[CompactWorld, list[tuple[int, CompactWorld, bool]]] = \
            RecentCache(STEP_CACHE_LIMIT)
        self._transport_slots = tuple(-1 - t for t in range(model.config.transports))
        #: observe_message per interned message id: interned messages are few (values of a
        #: bounded model), and a log observes the same ones over and over
        self._observations: dict[int, dict[str, Any]] = {}
        # What a record of each row names of the call, looked up for every step of every
        # consistent world: computed once.
        self._record_calls = {name: record_calls(row) for name, row in model.rows.items()}
        self.clock = Clock()
        #: (world, message slot) -> the worlds its deferred rows lead to (_settled)
        self._deferred: RecentCache[tuple[CompactWorld, int], list[CompactWorld]] = RecentCache(
            STEP_CACHE_LIMIT)
        #: ids whose retry delay has not passed at the record being judged
        self._waiting: frozenset[str] = frozenset()
        self._rows_by_call_and_result: dict[tuple[RecordCall, str], frozenset[str]] = {}

    def _steps_for(self, world: CompactWorld, index: int, rows: frozenset[str]
                   ) -> list[tuple[Step, CompactWorld, bool]]:
        """The steps of `rows` a record about message `index` (-1: a transport session) can
        match, each with whether it finishes the message (IdBinder.finishes). Cached per
        (world, index, rows): a record meets again the worlds the previous records left (two
        lookups in three on the benchmark's log), and one lookup of a short tuple replaces
        finding the message's moves, filtering them and building the worlds."""
        key = (world, index, rows)
        found = self._steps.get(key)
        if found is None:
            if index < 0:
                steps = [pair for slot in self._transport_slots
                         for pair in self.worlds.slot_successors(world, slot, rows)]
            else:
                steps = self.worlds.slot_successors(world, index, rows)
            finishes = self.binder.finishes
            found = [(step, after, finishes(world, after, index)) for step, after in steps]
            self._steps.put(key, found)
        return found

    def _silent_successors(self, world: CompactWorld) -> list[tuple[int, CompactWorld, bool]]:
        """Worlds one silent step away, with the message slot the step was of (-1: a
        transport session) and whether it finishes the message (IdBinder.finishes). Only
        messages in a state some silent row starts from are asked for their steps: most
        messages of a long log sit in states without one. A step that leads back to an equal
        world (a refused call) adds nothing to the closure.

        Cached per world: the closure is recomputed before every record, and most of the
        worlds it meets it met before the previous record too (only the record's message
        moved, and a refused call moves nothing)."""
        found = self._silent.get(world)
        if found is not None:
            return found
        phases = self._phases
        finishes = self.binder.finishes
        found = []
        for index in range(len(world) - 1):
            if phases[world[1 + index]] in SILENT_MESSAGE_SOURCES:
                for settled in self._settled(world, index):
                    found += [(index, after, finishes(settled, after, index))
                              for _, after in self.worlds.slot_successors(
                                  settled, index, EAGER_SILENT_ROWS)
                              if after != settled]
        if SILENT_TRANSPORT_ROWS:
            found += [(-1, after, False)
                      for _, after, _ in self._steps_for(world, -1, SILENT_TRANSPORT_ROWS)
                      if after != world]
        self._silent.put(world, found)
        return found

    def _settled(self, world: CompactWorld, index: int) -> list[CompactWorld]:
        """`world` and the worlds the deferred rows of message `index` lead to (DEFERRED_ROWS),
        in the order found; just [world] when none is enabled, as for most messages."""
        if self._phases[world[1 + index]] not in DEFERRED_SOURCES:
            return [world]
        key = (world, index)
        found = self._deferred.get(key)
        if found is None:
            found = [world]
            seen = {world}
            for current in found:  # grows while iterated: a breadth-first walk
                for _, after in self.worlds.slot_successors(current, index, DEFERRED_ROWS):
                    if after not in seen:
                        seen.add(after)
                        found.append(after)
            self._deferred.put(key, found)
        return found

    def _settle(self, record: dict[str, Any]) -> None:
        """Take the deferred rows the record may depend on: those of its message, or every
        message's when the record has none (a transport session) or changes a transport's
        state, or ends the run."""
        message = record.get("message")
        call = (record.get("actor"), record.get("event"), record.get("flags", "0"),
                record.get("lock"))
        everything = message is None or "end" in record or call in TRANSPORT_CHANGING_CALLS
        phases = self._phases
        added: list[Candidate] = []
        for world, binding in self.candidates:
            if everything:
                worlds = [world]
                for index in range(len(world) - 1):
                    worlds = [w for current in worlds for w in self._settled(current, index)]
            elif message in binding.ids:
                index = binding.ids.index(message)
                if phases[world[1 + index]] not in DEFERRED_SOURCES:
                    continue  # the usual case: nothing deferred for this message
                worlds = self._settled(world, index)
            else:
                continue
            added += [(w, binding) for w in worlds[1:]]
        if added:
            self.candidates.update(added)
            self.peak = max(self.peak, len(self.candidates))

    def close_under_silent_steps(self) -> None:
        """Add every world reachable by silent steps (visited set; bounded by max_worlds)."""
        if self.all_steps_logged:
            return
        frontier = list(self.candidates)
        seen = self.candidates
        while frontier:
            next_frontier: list[Candidate] = []
            for world, binding in frontier:
                for index, after, finishes in self._silent_successors(world):
                    if self._waiting and self._ends_a_timed_wait(world, after, index, binding):
                        continue
                    candidate = (after, self.binder.finished(binding, index) if finishes
                                 else binding)
                    # One hash per candidate: add, and see whether the set grew.
                    size = len(seen)
                    seen.add(candidate)
                    if len(seen) != size:
                        next_frontier.append(candidate)
            if len(seen) > self.max_worlds:
                raise WorldLimit(f"more than {self.max_worlds} model worlds are consistent with "
                                 "the log; record more observed properties or raise the bound")
            frontier = next_frontier
        self.peak = max(self.peak, len(seen))

    def _ends_a_timed_wait(self, world: CompactWorld, after: CompactWorld, index: int,
                           binding: Binding) -> bool:
        """Whether the silent step ends the retry wait of a message whose retry delay, by the
        log's times, has not passed yet (log_time.Clock.waiting, R47)."""
        if index < 0 or binding.ids[index] not in self._waiting:
            return False
        phases = self._phases
        return (phases[world[1 + index]] in WAITING_FOR_TRANSPORT
                and phases[after[1 + index]] not in WAITING_FOR_TRANSPORT)

    def _observation(self, mid: int) -> dict[str, Any]:
        """What an implementation can show of interned message `mid`."""
        found = self._observations.get(mid)
        if found is None:
            found = self._observations[mid] = observe_message(self.config,
                                                              self.worlds.message_of(mid))
        return found

    def _matches(self, record: dict[str, Any], world: CompactWorld, step: Step,
                 after: CompactWorld, index: int, observed_fits: dict[int, bool] | None = None
                 ) -> bool:
        """Whether the step is the record's call with its result, arguments and observed
        properties. `observed_fits` memoizes the observation check by the message after the
        step, for the many worlds of one record that leave its message alike."""
        call = (record["actor"], record["event"], record.get("flags", "0"), record.get("lock"))
        if call not in self._record_calls[step.row]:
            return False
        row = self.model.rows[step.row]
        if row.machine == "message" and step.message != index:
            return False
        return self._fits(record, world, step, after, index, observed_fits)

    def _fits(self, record: dict[str, Any], world: CompactWorld, step: Step,
              after: CompactWorld, index: int, observed_fits: dict[int, bool] | None = None
              ) -> bool:
        """`_matches` for a step already known to be of the record's call and message: its
        recipient, transport and observed properties. `feed` asks only this: the steps it
        judges are those of message `index` (or of the transports, for index -1) and of
        `_rows_giving(record)`, rows whose actor, event, flags and lock are the record's
        (ROWS_BY_RECORD_CALL groups rows by exactly those)."""
        row = self.model.rows[step.row]
        if (row.ranges_over == "recipient" and "recipient" in record
                and record["recipient"] != step.arg):
            return False
        if "transport" in record:
            if row.ranges_over == "transport":
                if record["transport"] != step.arg:
                    return False
            elif row.machine == "message":
                # Checked only while the model has the message with a transport: after
                # EndMessage an implementation may still name the last one.
                current = self.worlds.message_of(world[1 + index]).transport
                if current >= 0 and current != record["transport"]:
                    return False
        if ("preprocessor" in record and index >= 0
                and self.worlds.message_of(world[1 + index]).preprocessors_run
                != record["preprocessor"]):
            return False  # R33, R34: each preprocessor once, in registration order
        if "observed" in record and row.machine == "message":
            message = after[1 + index]
            fits = None if observed_fits is None else observed_fits.get(message)
            if fits is None:
                fits = _observed_matches(record["observed"], self._observation(message))
                if observed_fits is not None:
                    observed_fits[message] = fits
            if not fits:
                return False
        return True

    def _rows_giving(self, record: dict[str, Any]) -> frozenset[str]:
        """The rows of the record's call (actor, event, selecting flag or lock) that give
        its result: the only steps worth building worlds for."""
        call = (record["actor"], record["event"], record.get("flags", "0"), record.get("lock"))
        key = (call, record["result"])
        rows = self._rows_by_call_and_result.get(key)
        if rows is None:
            rows = self._rows_by_call_and_result[key] = frozenset(
                row.name for row in ROWS_BY_RECORD_CALL.get(call, ())
                if row.answers_with(record["result"]))
        return rows

    def live_messages(self) -> int:
        """The most messages alive at once in a consistent world: bound to an id and not
        finished or deleted (computed when asked: progress reports only)."""
        phases = self._phases
        return max((sum(1 for index, bound in enumerate(binding.ids)
                        if bound is not None and phases[world[1 + index]] not in TERMINAL)
                    for world, binding in self.candidates), default=0)

    def feed(self, line: int, record: dict[str, Any]) -> LogDivergence | None:
        self._waiting = self.clock.waiting(record)
        self.close_under_silent_steps()
        if not self.all_steps_logged:
            self._settle(record)
        if "end" in record:
            return self._judged(line, record, judge_end(
                self.candidates, self.config, self._describe_slot, self.worlds.expand))
        timing = self.clock.judge(line, record, sent_at_once=self._sent_at_once(record))
        if timing is not None:
            return self._divergence(line, record, timing)
        if record.get("entry"):
            return self._entry(line, record)
        observation = observation_call(record)
        if observation is not None:
            judged = judge_observation(observation, record, self.candidates, self.binder,
                                       self.config, _observed_matches, self.worlds.expand)
            if not judged.kept and "observed" in record:
                judged = self._unlogged_before(record, judged)
            return self._judged(line, record, judged)
        message = record["message"]
        rows = self._rows_giving(record)
        matched: set[Candidate] = set()
        finished = self.binder.finished
        observed_fits: dict[int, bool] = {}
        for world, binding in self.candidates:
            for index, target, new_binding in self.binder.targets(world, binding, message):
                for step, after, finishes in self._steps_for(target, index, rows):
                    if self._fits(record, target, step, after, index, observed_fits):
                        matched.add((after, finished(new_binding, index) if finishes
                                     else new_binding))
        if not matched:
            return self._divergence(line, record)
        self.candidates = matched
        self.peak = max(self.peak, len(matched))
        return None

    def _sent_at_once(self, record: dict[str, Any]) -> bool:
        """Whether the record is the tight pair's on a message whose send time it may ignore:
        under conflicts.tight_pair_send_time "ignore" (R71) the pair sends at once a message it
        serves alone, so R72's deadline is the spooler's business only; a message the spooler
        is needed for (some consistent world says so of none) is still judged."""
        if (record["actor"] != Actor.TIGHT_PAIR.value
                or self.config.conflicts.tight_pair_send_time != "ignore"
                or not self.clock.has_send_time(record.get("message"))):
            return False
        for world, binding in self.candidates:
            for index, target, _ in self.binder.targets(world, binding, record["message"]):
                if index >= 0:
                    expanded = self.worlds.expand(target)
                    if not spooler_needed(self.config, expanded, expanded.messages[index]):
                        return True
        return False

    def _judged(self, line: int, record: dict[str, Any], judged: Judged) -> LogDivergence | None:
        """Keep what a line that is not a model step kept, or diverge for its reason."""
        if not judged.kept:
            return self._divergence(line, record, (judged.reason, judged.rules))
        self.candidates = judged.kept
        return None

    def _entry(self, line: int, record: dict[str, Any]) -> LogDivergence | None:
        """An entry record: the call must be one some consistent world lets begin here (with
        some result); nothing moves until it returns. A call the model has no row for is
        judged where it returns, with the reason that goes with it."""
        call = (record["actor"], record["event"], record.get("flags", "0"), record.get("lock"))
        rows = frozenset(row.name for row in ROWS_BY_RECORD_CALL.get(call, ()))
        if not rows:
            return None

        def allows(world: CompactWorld, index: int, entry: dict[str, Any]) -> bool:
            return any(self._matches(entry, world, step, after, index)
                       for step, after, _ in self._steps_for(world, index, rows))

        if call_may_begin(record, self.candidates, self.binder, allows):
            return None
        # an entry record has no result yet: every row of its call is one it could begin
        rules, reason = self._broken_rules(record)
        return self._divergence(line, record, (
            f"{record['actor']} {record['event']} cannot begin here: {reason}", tuple(rules)))

    # ---- explaining a divergence ---------------------------------------------------------------

    def _divergence(self, line: int, record: dict[str, Any],
                    given: tuple[str, tuple[str, ...]] | None = None) -> LogDivergence:
        expand = self.worlds.expand
        states = sorted({self._describe_world(expand(w), b) for w, b in self.candidates})
        shown = states[:12] + ([f"... ({len(states) - 12} more)"] if len(states) > 12 else [])
        allowed: set[str] = set()
        for world, binding in self.candidates:
            for step, _after in self.worlds.successors(world):
                row = self.model.rows[step.row]
                if not row.is_call and not self.all_steps_logged:
                    continue
                allowed.add(self._describe_step(binding, step))
        if given is not None:
            return LogDivergence(line, record, shown, sorted(allowed), list(given[1]), given[0])
        rules, reason = self._broken_rules(record)
        message = record["message"]
        if message is not None and all(message not in b.ids and not self.binder.has_room(b)
                                       for _, b in self.candidates):
            reason = (f"message id {_shown(message)} is new but every one of the "
                      f"configuration's {self.config.messages} model messages is alive (bound "
                      "to an id, not finished or deleted): the configuration allows "
                      f"{self.config.messages} message(s) alive at once (raise messages in "
                      "the header's config, or --messages, up to 10)")
        return LogDivergence(line, record, shown, sorted(allowed), rules, reason)

    def _broken_rules(self, record: dict[str, Any]) -> tuple[list[str], str]:
        """The rule ids the record breaks, and why, in order of precision: the observation
        differs (`_differing_observations`), the result is wrong (`_wrong_result`), the result
        is one no row of the call gives (`_undocumented_result`), the call was made out of
        order (`_out_of_order`); or the model has no such call."""
        event, actor = record["event"], record["actor"]
        call = (actor, event, record.get("flags", "0"), record.get("lock"))
        rows = ROWS_BY_RECORD_CALL.get(call, ())
        if not rows:
            named = [r for r in TABLE if r.event == event]
            reason = f"no {actor} call {event} with these flags exists in the model"
            return _sorted_rules(r for row in named for r in row.rules), reason
        if "preprocessor" in record:
            misordered = self._misordered_preprocessor(record, rows)
            if misordered is not None:
                return misordered
        survey = self._survey(record, rows)
        same_result = {name for name in survey.enabled
                       if _gives(self.model.rows[name], record)}
        if same_result:
            return self._differing_observations(same_result, survey, record)
        if survey.failed_guards:
            return self._wrong_result(record.get("result"), survey)
        if survey.enabled and not any(_gives(row, record) for row in rows):
            return self._undocumented_result(record["result"], survey)
        return self._out_of_order(record, rows, survey)

    def _misordered_preprocessor(self, record: dict[str, Any], rows: tuple[Row, ...]
                                 ) -> tuple[list[str], str] | None:
        """A PreprocessMessage record the model allows but for the preprocessor it names: the
        one due is the next in registration order (R33, R34), never one already run nor a
        later one."""
        unnamed = {key: value for key, value in record.items() if key != "preprocessor"}
        survey = self._survey(unnamed, rows)
        if not any(_gives(self.model.rows[name], record) for name in survey.enabled):
            return None
        due: set[int] = set()
        for candidate, binding in self.candidates:
            for index, world, _ in self.binder.targets(candidate, binding, record["message"]):
                if index >= 0:
                    due.add(self.worlds.message_of(world[1 + index]).preprocessors_run)
        named = " or ".join(str(k) for k in sorted(due))
        return _broken_first({"R33", "R34"}, self._answered_rules(survey)), (
            f"preprocessor {record['preprocessor']} ran where the next in registration order "
            f"is preprocessor {named}: each preprocessor that applies runs once, in "
            "registration order")

    def _survey(self, record: dict[str, Any], rows: tuple[Row, ...]) -> CallSurvey:
        """Which of the call's rows each consistent world enables (the observation left out),
        the false guards of the rows giving the logged result, and the observed properties
        that differ from the model's after the steps giving it."""
        without_observation = dict(record)
        without_observation.pop("observed", None)
        observed: dict[str, Any] = record.get("observed", {})
        wanted = [row for row in rows if _gives(row, record)]
        survey = CallSurvey()
        for candidate, binding in self.candidates:
            for index, world, _ in self.binder.targets(candidate, binding, record["message"]):
                for step, after in self.worlds.successors(world):
                    if not self._matches(without_observation, world, step, after, index):
                        continue
                    survey.enabled.add(step.row)
                    if _gives(self.model.rows[step.row], record) and index >= 0:
                        actual = self._observation(after[1 + index])
                        differing = {name for name, value in observed.items()
                                     if not _observed_matches({name: value}, actual)}
                        survey.differ_somewhere |= differing
                        survey.differ_everywhere = (
                            differing if survey.differ_everywhere is None
                            else survey.differ_everywhere & differing)
                expanded = self.worlds.expand(world)
                if index >= 0 and expanded.messages[index].profile.resend:
                    survey.resend = True
                for row in wanted:
                    survey.failed_guards.update(self._failed_guards(row, expanded, index,
                                                                    record))
        return survey

    def _answered_rules(self, survey: CallSurvey) -> set[str]:
        """The rules of the rows that answer the call where it was made."""
        return {r for name in survey.enabled for r in self.model.rows[name].rules}

    def _differing_observations(self, same_result: set[str], survey: CallSurvey,
                                record: dict[str, Any]) -> tuple[list[str], str]:
        """The call and result fit but the observed properties do not: the rules of the rows
        that fit and of the properties observed (OBSERVATION_RULES). The properties that
        differ after every fitting step are named, else those that differ after some."""
        named = sorted(survey.differ_everywhere or survey.differ_somewhere)
        broken = {r for name in named for r in observation_rules(name)}
        if "recipients" in named and survey.resend:
            broken |= RESEND_RULES  # which rows a resend sends (MAPI_SUBMITTED or MAPI_P1)
        broken |= {r for name in same_result for r in _inside_call_rules(name)}
        # what the step does to the message is its effect's: a property that differs after it
        # breaks the effect's rules too
        broken |= {r for name in same_result
                   for r in EFFECT_RULES.get(self.model.rows[name].effect, ())}
        consulted = {r for name in same_result for r in self.model.rows[name].rules}
        rules = _broken_first(broken, consulted)
        reason = f"the call is allowed but the observed {', '.join(named)} differ"
        observed = record.get("observed") or {}
        if ({"in_queue", "locked"} & set(named)
                and (observed.get("in_queue") or observed.get("locked"))
                and all(_stays_on_wire(self.model.rows[name]) for name in same_result)):
            # the central safety rule: the message is on the pair's wire, yet the spooler
            # has queued or locked it
            rules = ["R20", *(r for r in rules if r != "R20")]
            reason += (": the message is on the tight pair's wire and shows queued or locked "
                       "for the spooler, which re-pulled it (R20)")
        return rules, reason

    def _wrong_result(self, result: str | None, survey: CallSurvey) -> tuple[list[str], str]:
        """The message was in a state where a row giving the logged result starts, but some of
        that row's guards are false: the rules of those guards (GUARD_RULES), with the rules
        of the rows that answer this call instead."""
        broken = {r for g in survey.failed_guards for r in GUARD_RULES.get(g, ())}
        instead = sorted({self.model.rows[name].result for name in survey.enabled})
        answer = f"; the model answers {' or '.join(instead)}" if instead else ""
        bound = ("; the configuration's bound on transport setbacks is used up (raise "
                 "setbacks if the implementation may have more)"
                 if "setback_available" in survey.failed_guards else "")
        allowed = "not allowed" if result is None else f"not allowed with result {result}"
        return _broken_first(broken, self._answered_rules(survey)), (
            f"{allowed}: "
            f"{', '.join(sorted(survey.failed_guards))} false{answer}{bound}")

    def _undocumented_result(self, result: str, survey: CallSurvey) -> tuple[list[str], str]:
        """The call is allowed where it was made, but no row of it returns the logged result
        anywhere: the message is where it should be, the answer is one the documents do not
        give for this call (the rules of the rows that answer it here)."""
        instead = sorted({self.model.rows[name].result for name in survey.enabled})
        return (_sorted_rules(self._answered_rules(survey)),
                f"no row returns {result} for this call here; the model answers "
                f"{' or '.join(instead)}")

    def _out_of_order(self, record: dict[str, Any], rows: tuple[Row, ...],
                      survey: CallSurvey) -> tuple[list[str], str]:
        """No consistent state is one the call's rows start from: the rules of the rows giving
        the logged result (those that could leave the observed state), and of the guards of
        the silent steps that would have led there but were not enabled."""
        wanted = [row for row in rows if _gives(row, record)]
        observed: dict[str, Any] = record.get("observed", {})
        claimed = _fitting_observed_state(wanted or list(rows), observed.get("state"))
        sources = sorted({s for row in claimed for s in row.sources})
        rules = {r for row in claimed for r in row.rules}
        whose = "message" if rows[0].machine == "message" else "transport"
        reason = f"no consistent model state allows this call here (it needs the {whose} in " \
                 f"{', '.join(sources)}"
        skipped = self._skipped_calls(set(sources), record)
        if skipped:
            rules |= {r for row in skipped for r in row.rules}
            reason += "; before it the log must show " + ", then ".join(
                f"{row.actor} {row.event}{_selecting(row)} -> {row.result} "
                f"({', '.join(row.rules)})" for row in skipped
            )
        missed = self._missed_silent_steps(set(sources), record)
        if missed:
            rules |= {r for guards in missed.values() for g in guards for r in GUARD_RULES[g]}
            reason += "; not taken to get there: " + "; ".join(
                f"{event} ({', '.join(sorted(guards))} false)"
                for event, guards in sorted(missed.items()))
        # the states the message can be in say why the call has no place there (told to stop
        # by a cancel, R53; after a critical error, R56)
        where = {r for phase in self._current_phases(record) - set(sources)
                 for r in STATES_BY_NAME[phase].rules}
        return (_broken_first(rules, self._answered_rules(survey) | where), reason + ")")

    def _unlogged_before(self, record: dict[str, Any], judged: Judged) -> Judged:
        """An observation no consistent world fits: when a short way of steps the log does
        not show leads to a world it fits, those steps' rules are the ones broken first (the
        implementation took them unlogged, or got there without them), then the rules of the
        properties read."""

        def holds(world: World, slot: int) -> bool:
            return holds_for_message(self.config, world, slot, record, _observed_matches)

        way = shortest_unlogged_way(self.candidates, self.binder, self.worlds, self.model,
                                    record["message"], holds)
        if way is None:
            return judged
        rules = {r for row in way for r in row.rules}
        steps = ", then ".join(
            f"{row.actor} {row.event}{_selecting(row)} -> {row.result} ({', '.join(row.rules)})"
            if row.is_call else f"{row.event} ({', '.join(row.rules)})" for row in way)
        return Judged(judged.kept, f"{judged.reason}; they would fit after {steps}, which "
                      "the log does not show before it",
                      tuple(_broken_first(rules, set(judged.rules))))

    def _current_phases(self, record: dict[str, Any]) -> set[str]:
        """The states the record's message can be in before the record, over every
        consistent world (none for a record about a transport session)."""
        phases: set[str] = set()
        for candidate, binding in self.candidates:
            for index, world, _ in self.binder.targets(candidate, binding, record["message"]):
                if index >= 0:
                    phases.add(self._phases[world[1 + index]])
        return phases

    def _skipped_calls(self, states: set[str], record: dict[str, Any]) -> list[Row]:
        """The MAPI calls on the shortest way through the table from where the record's
        message can be to a state allowing the call, when every such way takes a call the log
        does not show (the spooler's lock before a transport sends, R38; the preprocessing
        calls before a transport, R34): the behaviour broken is skipping them."""
        ways = [way for phase in self._current_phases(record)
                if (way := _shortest_way(phase, states)) is not None]
        if not ways or any(not any(row.is_call for row in way) for way in ways):
            return []
        # Ties broken by the rows' names: the candidates are a set, whose order follows the
        # worlds' hashes, and those change from run to run (string hashing is randomized).
        shortest = min(ways, key=lambda way: (len(way), [row.name for row in way]))
        return [row for row in shortest if row.is_call]

    def _missed_silent_steps(self, states: set[str], record: dict[str, Any]
                             ) -> dict[str, set[str]]:
        """Silent rows that would have taken the record's message from a consistent state into
        one of `states` but were not enabled: row event -> its false guards. They name why the
        implementation could be where the model cannot (R19 for a store routing by folder)."""
        missed: dict[str, set[str]] = {}
        for candidate, binding in self.candidates:
            for index, target, _ in self.binder.targets(candidate, binding, record["message"]):
                if index < 0:
                    continue
                world = self.worlds.expand(target)
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

    def _describe_slot(self, world: World, binding: Binding, index: int) -> str:
        bound = binding.ids[index]
        name = _shown(bound) if bound is not None else f"(unbound #{index})"
        message = world.messages[index]
        return f"{name} in {message.phase}"

    def _describe_world(self, world: World, binding: Binding) -> str:
        parts = []
        for index, message in enumerate(world.messages):
            bound = binding.ids[index]
            name = _shown(bound) if bound is not None else f"(unbound #{index})"
            recipients = "".join(RECIPIENT_LETTERS.get(r.outcome, "?") for r in message.recipients)
            parts.append(f"{name}={message.phase}[{recipients}]")
        coupling = "tight" if world.tight else "loose"
        transports = ("" if all(t == INITIAL_TRANSPORT_STATE for t in world.transports)
                      else f" transports={','.join(world.transports)}")
        return f"{coupling}{transports}: " + " ".join(parts)

    def _describe_step(self, binding: Binding, step: Step) -> str:
        row = self.model.rows[step.row]
        flags, lock = logged_arguments(row)
        extra = "".join([f" flags={flags}" if flags != "0" else "",
                         f" lock={lock}" if lock else "",
                         f" {row.ranges_over}={step.arg}" if row.ranges_over else ""])
        if row.machine == "message":
            bound = binding.ids[step.message]
            target = _shown(bound) if bound is not None else f"(new id as #{step.message})"
        else:
            target = "-"
        return f"{row.actor} {row.event}{extra} on {target} -> {row.result}"


def _broken_first(broken: set[str], consulted: set[str]) -> list[str]:
    """The rules of the behaviour broken, then those of the rows consulted to judge it."""
    return [*_sorted_rules(broken), *_sorted_rules(consulted - broken)]


def _stays_on_wire(row: Row) -> bool:
    """The step leaves its message where the tight pair is sending it (R20, R23)."""
    return row.dest == DIRECT_SENDING or (row.dest is None
                                          and set(row.sources) == {DIRECT_SENDING})


def _inside_call_rules(row_name: str) -> set[str]:
    """When a row's call also routes the message before it returns (R26), the rules of the
    routing rows and their guards: what the call did includes the routing, so a wrong
    routing seen on the call's record breaks those rules."""
    row = ROWS_BY_NAME[row_name]
    rules: set[str] = set()
    for inside in TABLE:
        if inside.kind is Kind.INSIDE_CALL and row.dest in inside.sources:
            rules.update(inside.rules)
            rules.update(r for guard in inside.guards for r in GUARD_RULES.get(guard, ()))
    return rules


def _forward_rows() -> dict[str, tuple[Row, ...]]:
    by_source: dict[str, list[Row]] = {}
    for row in TABLE:
        if row.machine == "message" and row.dest is not None and not row.is_error:
            for source in row.sources:
                if source != row.dest:
                    by_source.setdefault(source, []).append(row)
    return {source: tuple(rows) for source, rows in by_source.items()}


#: Message state -> the rows that move a message out of it (the table's life-cycle graph).
FORWARD_ROWS: dict[str, tuple[Row, ...]] = _forward_rows()


def _shortest_way(start: str, targets: Container[str]) -> list[Row] | None:
    """The rows of a shortest way through the life-cycle graph from `start` into one of
    `targets` (guards ignored: which calls the way takes, not whether they were enabled);
    None when there is none, [] when `start` is one of them."""
    ways: dict[str, list[Row]] = {start: []}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for state in frontier:
            if state in targets:
                return ways[state]
            for row in FORWARD_ROWS.get(state, ()):
                if row.dest is not None and row.dest not in ways:
                    ways[row.dest] = [*ways[state], row]
                    following.append(row.dest)
        frontier = following
    return None


def _selecting(row: Row) -> str:
    """A row's selecting arguments as a log writes them: `(MSG_LOCKED)`, or nothing."""
    return f"({', '.join(value for _, value in row.call_arguments)})" if row.call_arguments \
        else ""


def _gives(row: Row, record: dict[str, Any]) -> bool:
    """Whether `row` gives the record's result; any row of the call for an entry record,
    which has no result yet."""
    return "result" not in record or row.answers_with(record["result"])


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
    arbitrary strings and the verdict must print on any terminal), cut when long (a verdict
    names the id in every line about its message)."""
    plain = message_id.isascii() and message_id.isprintable() and message_id.strip() == message_id
    message_id = shown(message_id)
    return message_id if plain and message_id else json.dumps(message_id)


def _cut_strings(value: Any) -> Any:
    """A record as a verdict echoes it: every long string cut (json_input.shown)."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {key: _cut_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_strings(item) for item in value]
    return value


def _sorted_rules(rules: Iterable[str]) -> list[str]:
    return sorted(set(rules), key=lambda r: int(r[1:]))


def validate_records(model: Model, initial: Iterable[World], records: Iterable[NumberedRecord],
                     *, all_steps_logged: bool = False, max_worlds: int = DEFAULT_MAX_WORLDS,
                     progress: ValidationProgress | None = None,
                     started: Iterable[tuple[World, Binding]] | None = None,
                     header: Header | None = None) -> LogVerdict:
    """Judge the records one at a time, as `records` yields them: the first divergence ends
    the run, so a malformed line after it is never read (a LogError from `records` before it
    propagates). `header`: the log's, whose messages under way may carry their send times."""
    with collector_paused():
        try:
            return _validate_records(model, initial, records, all_steps_logged, max_worlds,
                                     progress, started, header or Header())
        finally:
            if progress is not None:
                progress.close()


def _validate_records(model: Model, initial: Iterable[World],
                      records: Iterable[NumberedRecord], all_steps_logged: bool,
                      max_worlds: int, progress: ValidationProgress | None,
                      started: Iterable[tuple[World, Binding]] | None,
                      header: Header) -> LogVerdict:
    validator = LogValidator(model, initial, all_steps_logged=all_steps_logged,
                             max_worlds=max_worlds, started=started)
    validator.clock.know_under_way(header.messages, header.line)
    count = 0
    for line, record in records:
        count += "end" not in record  # the end-of-run line is not a record of a call
        try:
            divergence = validator.feed(line, record)
        except WorldLimit as error:
            raise WorldLimit(f"line {line}: {error}") from None
        if divergence is not None:
            return LogVerdict(count, divergence, len(validator.candidates), validator.peak)
        if progress is not None and progress.due():
            progress.report(count, validator.live_messages(), len(validator.candidates))
    return LogVerdict(count, None, len(validator.candidates), validator.peak)


def initial_worlds_for(model: Model, header: Header, where: str,
                       max_worlds: int = DEFAULT_MAX_WORLDS) -> list[World]:
    """The header's initial world, or every initial world of the configuration. LogError when
    the header names a world the configuration does not start from (the model would otherwise
    index recipients or transports it does not have); WorldLimit when the configuration has
    more initial worlds than `max_worlds` (independent profiles grow exponentially)."""
    config = model.config
    if header.initial is None:
        count = initial_world_count(config)
        if count > max_worlds:
            raise WorldLimit(f"the configuration has {count} initial worlds, more than "
                             f"{max_worlds}; give header/initial")
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


def starting_point(model: Model, header: Header, where: str,
                   max_worlds: int = DEFAULT_MAX_WORLDS) -> list[tuple[World, Binding]]:
    """The worlds the log's first record is judged in, each with its binding of the log's ids:
    the initial worlds (initial_worlds_for), or, when the header names messages already under
    way, the worlds they may be in (log_start.py)."""
    initial = initial_worlds_for(model, header, where, max_worlds)
    if not header.messages:
        nobody = unbound(model.config.messages)
        return [(world, nobody) for world in initial]
    return started_candidates(model, initial, header.messages,
                              f"{where}: line {header.line}: field header/messages", max_worlds,
                              _observed_matches)


def _is_initial(config: Config, world: World) -> bool:
    """Whether `world` is one of initial_worlds(config), without enumerating them."""
    allowed = profiles(config)
    try:
        return (("tight" if world.tight is True else "loose" if world.tight is False else None)
                in config.coupling
                and world.transports == (INITIAL_TRANSPORT_STATE,) * config.transports
                and world.queue == () and world.setbacks_left == config.setbacks
                and all(message.profile in allowed for message in world.messages)
                and world.messages == tuple(new_message(m.profile) for m in world.messages)
                and (config.profiles != "shared" or len(set(world.messages)) <= 1))
    except TypeError:  # unhashable values from a malformed header
        return False


def validate_log_text(text: str, where: str, config: Config | None = None,
                      variant: str | None = None,
                      max_worlds: int = DEFAULT_MAX_WORLDS) -> LogVerdict:
    """Read and validate, record by record; the header's configuration is used unless
    `config` is given."""
    header, records = read_records(io.StringIO(text, newline="\n"), where)
    model = Model(config or header.config or Config(), variant)
    return validate_records(model, (), records, all_steps_logged=header.all_steps_logged,
                            header=header,
                            max_worlds=max_worlds,
                            started=starting_point(model, header, where, max_worlds))
