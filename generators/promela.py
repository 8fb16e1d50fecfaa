"""Promela export of a bounded model, for SPIN (`mapi-submission export promela`).

The model is emitted from the transition table, not rewritten by hand: one `enabled_<row>`
macro and one `fire_<row>` inline per row of `model.table.TABLE`, and one `d_step` option
per row, message and recipient/transport instance in a single `do` loop, except for the rows
taken inside a call (Kind.INSIDE_CALL: the store's routing decision), which have no option
of their own. The guards, effects, variant replacements and properties come translated from
generators/promela_translations.py; `to_promela` refuses to export while one is missing.

Encoding, chosen so SPIN's reachable states correspond one to one to the explorer's worlds
without symmetry reduction:

- the global variables hold exactly the fields of `model.world.World` (the queue as an array
  with a length, unused slots kept 0), the profile fields included;
- the process `submission` first chooses one of the initial worlds (`Model.initial_worlds`)
  in one atomic step, then loops. SPIN therefore stores one more state than the explorer:
  the all-zero state before the choice;
- error rows whose effect is `none` and whose destination is None change nothing: in SPIN
  they would be self-loops that add no state but mask deadlocks (the checker's DEADLOCK does
  not count them as progress), so they are listed as comments only. No step invariant can
  fail on them: I-ABORT and I-ACTOR judge S_OK rows only, I-ERRSAVE and I-RESP compare the
  recipients before and after, which a self-loop leaves equal;
- a row taken inside a call (Kind.INSIDE_CALL) happens within the step that led the message
  into its source state (`Model.successors`): the `fire_<row>` of every row leading into
  such a state calls `inside_call_<state>(m)` after setting the destination, which fires the
  enabled inside row (table order) in the same `d_step`, or leaves the message there when
  none is. A `d_step` takes the first enabled option, so `inside_call_<state>` asserts that
  at most one is enabled (`INSIDE_CALL_AMBIGUOUS`, a limit of the export rather than a
  property). The step invariants judge the whole step as the row that led there, as the
  checker does: that row's assertions come after the inside row, which has none of its own;
- DEADLOCK (R62) is SPIN's "invalid end state": the loop blocks exactly where no
  world-changing row is enabled, and a final world keeps one always-enabled option;
- state invariants are assertions of a watcher process that can step only where one is
  violated (so it adds no state); step invariants are assertions inside the rows they judge.
  Each assertion reads a scratch flag named after its property (`assert(!I_ROUTE)`), so
  pan's error line names the property;
- liveness (L-FINAL, L1-L3) is not exported: see promela_translations.NOT_EXPORTED.

Each section of the file has an emitter of its own, called in file order by `to_promela`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from mapi_submission.model.config import CONFLICT_VALUES, Config, Features
from mapi_submission.model.constants import ADDRESS_TYPES, MSGFLAG_SUBMIT, MSGFLAG_UNSENT
from mapi_submission.model.effects import EFFECT_RULES
from mapi_submission.model.errors import MapiSubmissionError
from mapi_submission.model.guards import GUARD_RULES
from mapi_submission.model.states import (
    RECIPIENT_STATE_NAMES,
    STATE_NAMES,
    TERMINAL,
    TRANSPORT_STATE_NAMES,
)
from mapi_submission.model.table import INSIDE_CALL_SOURCES, TABLE, Kind, Row
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import (
    SATURATION,
    Recipient,
    World,
    initial_worlds,
    max_recipient_rows,
    row_address_type,
)
from mapi_submission.properties import PROPERTIES

from .promela_translations import (
    DISPOSITION_NAMES,
    EFFECT_PROMELA,
    FOLDER_NAMES,
    GUARD_PROMELA,
    HELPERS,
    STATE_PROPERTY_PROMELA,
    STEP_PROPERTY_PROMELA,
    VARIANT_EFFECT_PROMELA,
    VARIANT_GUARD_PROMELA,
    Render,
    missing_translations,
    property_flag,
    queue_lists_message,
    serves_helper,
)


class TranslationMissing(MapiSubmissionError, LookupError):
    """The model has a guard, effect or property the export does not translate."""


@dataclass(frozen=True)
class Export:
    """What one export renders: the bounds, the known-bad variant (None: the specification)
    and the translations in force, the variant's replacements included."""

    config: Config
    variant: str | None
    guards: dict[str, Render]
    effects: dict[str, Render]

    @classmethod
    def of(cls, config: Config, variant: str | None) -> Export:
        missing = missing_translations()
        if missing:
            raise TranslationMissing("no Promela translation for " + ", ".join(missing))
        if variant is not None and variant not in VARIANTS:
            raise KeyError(f"unknown variant {variant!r}; known: {', '.join(sorted(VARIANTS))}")
        guards = dict(GUARD_PROMELA)
        effects = dict(EFFECT_PROMELA)
        if variant is not None:
            guards.update(VARIANT_GUARD_PROMELA.get(variant, {}))
            effects.update(VARIANT_EFFECT_PROMELA.get(variant, {}))
        return cls(config, variant, guards, effects)

    @property
    def replaced_guards(self) -> Collection[str]:
        return VARIANTS[self.variant].guard_overrides if self.variant else ()

    @property
    def replaced_effects(self) -> Collection[str]:
        return VARIANTS[self.variant].effect_overrides if self.variant else ()

    def replacement_note(self, name: str, replaced: Collection[str]) -> str:
        """Appended to the comment on a guard or effect the variant replaces."""
        return f"; replaced by variant {self.variant}" if name in replaced else ""

    def is_self_loop(self, row: Row) -> bool:
        """An error row that changes nothing (unless the variant gives `none` a body):
        listed as a comment, not emitted."""
        return (row.dest is None and row.effect == "none"
                and self.effects["none"] is EFFECT_PROMELA["none"])


def to_promela(config: Config, variant: str | None = None) -> str:
    """The Promela text of `config` (and of a known-bad variant); deterministic."""
    export = Export.of(config, variant)
    sections = (
        _header(export),
        _bounds(config),
        _values(),
        _world_variables(),
        _scratch(config),
        _queue_helpers(config),
        _guard_macros(export),
        _effect_inlines(export),
        _row_definitions(export),
        _inside_calls(config),
        _state_invariants(config),
        _watcher(config),
        _system(export),
    )
    return "\n".join(line for section in sections for line in section) + "\n"


# ---- sections of the file, in file order ---------------------------------------------------


def _header(export: Export) -> list[str]:
    config, variant = export.config, export.variant
    title = variant or "specification"
    lines = [
        f"/* MAPI outgoing-message submission ({title}), exported from the transition",
        "   table by `mapi-submission export promela`. Do not edit: regenerate.",
        f"   Bounds: {config.messages} message(s) x {config.recipients} recipient(s), "
        f"{config.transports} transport(s), setbacks {config.setbacks}, profiles "
        f"{config.profiles}.",
        f"   Couplings {', '.join(config.coupling)}; address mixes "
        f"{', '.join(config.address_mixes)}; folders {', '.join(config.folders)}; "
        f"dispositions {', '.join(config.dispositions)}.",
    ]
    if variant is not None:
        lines.append(f"   Known-bad variant {variant} ({_rule_list(VARIANTS[variant].rules)}): "
                     f"expected to break {', '.join(VARIANTS[variant].breaks)}.")
    lines += [
        "   Verify: spin -a FILE.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && "
        "./pan -m1000000",
        "   SPIN stores one state more than `mapi-submission check --no-symmetry` reports:",
        "   the all-zero state before the initial world is chosen. */",
        "",
    ]
    return lines


def _bounds(config: Config) -> list[str]:
    lines = [
        "/* ---- bounds and configuration (model/config.py) ---- */",
        f"#define MESSAGES {config.messages}",
        f"#define RECIPIENTS {max_recipient_rows(config)}  /* rows: a resend's P1 copies too */",
        f"#define TRANSPORTS {config.transports}",
        f"#define PREPROCESSORS {config.preprocessors}",
        f"#define MSGFLAG_SUBMIT {MSGFLAG_SUBMIT}",
        f"#define MSGFLAG_UNSENT {MSGFLAG_UNSENT}",
    ]
    lines += [f"#define FEATURE_{name} {int(getattr(config.features, name))}"
              for name in Features.__dataclass_fields__]
    for name, values in CONFLICT_VALUES.items():
        chosen = getattr(config.conflicts, name)
        lines += [f"#define CONFLICT_{name}_{value} {int(value == chosen)}" for value in values]
    lines.append("")
    return lines


def _values() -> list[str]:
    return [
        "/* ---- values (model/states.py, model/constants.py) ---- */",
        f"mtype = {{ {', '.join(STATE_NAMES)} }}  /* message phases */",
        f"mtype = {{ {', '.join(RECIPIENT_STATE_NAMES)} }}  /* recipient outcomes */",
        f"mtype = {{ {', '.join(TRANSPORT_STATE_NAMES)} }}  /* transport sessions (R44, R56) */",
        f"mtype = {{ {', '.join(FOLDER_NAMES.values())} }}  /* folders (R1, R27, R63) */",
        f"mtype = {{ {', '.join(ADDRESS_TYPES)} }}  /* address types (R43) */",
        f"mtype = {{ {', '.join(DISPOSITION_NAMES.values())} }}  /* dispositions (R63) */",
        "",
    ]


#: The fields of one message record (model.world.Message and its profile), with their meaning.
MESSAGE_DECLARATIONS: tuple[tuple[str, str], ...] = (
    ("mtype phase", "life-cycle state"),
    ("mtype folder", "physical location (R27)"),
    ("bit in_queue", "member of the outgoing queue (R25)"),
    ("byte lock_holders", "SetLockState holders (R38, R81)"),
    ("byte flags", "PR_MESSAGE_FLAGS: SUBMIT, UNSENT (R2, R13)"),
    ("bit preprocess", "SUBMITFLAG_PREPROCESS (R26, R34)"),
    ("bit inflight", "the tight transport is sending it (R20)"),
    ("short transport", "transport of the running call, -1 when none (R46)"),
    ("byte declined", "transports that answered NOT_ME, one bit each (R47)"),
    ("bit call_progress", "the running call touched a recipient (R47)"),
    ("byte unsaved", "recipients the running call marked, not saved, one bit each (R48)"),
    ("byte preprocessors_run", "preprocessors run, in registration order (R33, R34, R37)"),
    ("bit addressed", "recipient table non-empty (R9)"),
    ("bit conflict", "another handle committed meanwhile (R4)"),
    ("bit send_time_reached", "PR_DEFERRED_SEND_TIME passed (R72)"),
    ("Recipient rcpt[RECIPIENTS]", "recipient rows"),
    ("mtype address_type[RECIPIENTS]", "profile: address type per recipient (R43)"),
    ("mtype home_folder", "profile: folder composed in (R1, R19)"),
    ("bit needs_preprocessing", "profile: a preprocessor matches (R32, R33)"),
    ("bit deferred_send", "profile: send later (R72)"),
    ("mtype disposition", "profile: PR_SENTMAIL_ENTRYID / DELETE_AFTER_SUBMIT (R63)"),
    ("bit resend", "profile: MSGFLAG_RESEND (R74, R75)"),
)


def _world_variables() -> list[str]:
    return [
        "/* ---- the world (model/world.py) ---- */",
        "typedef Recipient {",
        "    bit resp;               /* PR_RESPONSIBILITY (R49, R58) */",
        "    mtype outcome;          /* pending / sent / ndr / skipped */",
        f"    byte transmissions      /* copies put on the wire, saturating at {SATURATION} "
        "(I-ONCE) */",
        "}",
        "typedef Message {",
        *(f"    {declaration + ';':<34}/* {meaning} */"
          for declaration, meaning in MESSAGE_DECLARATIONS),
        "}",
        "bit tight;                          /* store tightly coupled with transport 0 (R18) */",
        "mtype transport_state[TRANSPORTS];  /* ready / critical (R44, R56) */",
        "byte queue[MESSAGES];               /* outgoing queue, submission order (R14, R25) */",
        "byte queue_length;",
        "byte submission_order[MESSAGES];    /* messages inside a submission, by SubmitMessage "
        "(R14) */",
        "byte submission_length;",
        "byte setbacks_left;                 /* transport setbacks still possible */",
        "Message msg[MESSAGES];",
        "bit started;                        /* an initial world has been chosen */",
        "",
    ]


def _property_flags() -> list[str]:
    return [property_flag(pid) for pid in (*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA)]


#: The scratch flag of the check that at most one row inside a call is enabled (a d_step takes
#: the first enabled option, so it could not offer the others as separate successors); pan
#: names it in an error line (`assertion violated !(INSIDE_CALL_AMBIGUOUS)`), a problem of
#: the export rather than a property.
AMBIGUOUS = "INSIDE_CALL_AMBIGUOUS"


def _scratch(config: Config) -> list[str]:
    flags = _property_flags()
    return [
        "/* Scratch for the checks, reset after every step so it never tells two states apart.",
        "   Hidden from the state vector, except under `spin -DMULTICORE -a` (multi-core pan,",
        "   gcc -DNCORE=N, cannot hide variables; SPIN hides bytes, not bits). */",
        "#ifdef MULTICORE",
        "#define SCRATCH byte",
        "#else",
        "#define SCRATCH hidden byte",
        "#endif",
        "SCRATCH i, j;",
        "SCRATCH was_in_submission;",
        "SCRATCH resp_before[RECIPIENTS];",
        "SCRATCH unsaved_before;",
        f"SCRATCH {AMBIGUOUS};  /* more than one row inside a call enabled (an export limit) */",
        f"SCRATCH {', '.join(flags)};  /* one per property: pan names the failing one */",
        "inline forget_scratch() {",
        f"    i = 0; j = 0; was_in_submission = 0; unsaved_before = 0; {AMBIGUOUS} = 0;",
        "    " + " ".join(f"resp_before[{r}] = 0;" for r in range(max_recipient_rows(config))),
        _block(textwrap.fill(" ".join(f"{flag} = 0;" for flag in flags), 88), "    "),
        "}",
        "",
    ]


def _queue_helpers(config: Config) -> list[str]:
    return [
        "/* ---- queue helpers (model/effects.py _enqueue, _dequeue, _leave_submission; R14,",
        "   R25) ---- */",
        f"#define queued(m) ({queue_lists_message(config)})",
        "inline enqueue(m) {  /* at its place in submission order: the queue is rebuilt from",
        "                        submission_order, keeping the queued messages and m */",
        "    if",
        "    :: !queued(m) ->",
        "        msg[m].in_queue = 1;",
        "        j = 0;",
        "        for (i : 0 .. MESSAGES - 1) {",
        "            if",
        "            :: i < submission_length && msg[submission_order[i]].in_queue ->",
        "                queue[j] = submission_order[i]; j = j + 1",
        "            :: else -> skip",
        "            fi",
        "        }",
        "        queue_length = j",
        "    :: else -> msg[m].in_queue = 1",
        "    fi",
        "}",
        "inline leave_submission(m) {  /* remove m, keep the order, keep unused slots 0 */",
        "    j = 0;",
        "    for (i : 0 .. MESSAGES - 1) {",
        "        if",
        "        :: i < submission_length && submission_order[i] != m ->",
        "            submission_order[j] = submission_order[i]; j = j + 1",
        "        :: else -> skip",
        "        fi",
        "    }",
        "    for (i : 0 .. MESSAGES - 1) {",
        "        if",
        "        :: i >= j -> submission_order[i] = 0",
        "        :: else -> skip",
        "        fi",
        "    }",
        "    submission_length = j",
        "}",
        "inline join_submission(m) {  /* the latest SubmitMessage is the last in order */",
        "    leave_submission(m);",
        "    submission_order[submission_length] = m;",
        "    submission_length = submission_length + 1",
        "}",
        "inline dequeue(m) {  /* remove m, keep the order, keep unused slots 0 */",
        "    msg[m].in_queue = 0;",
        "    j = 0;",
        "    for (i : 0 .. MESSAGES - 1) {",
        "        if",
        "        :: i < queue_length && queue[i] != m -> queue[j] = queue[i]; j = j + 1",
        "        :: else -> skip",
        "        fi",
        "    }",
        "    for (i : 0 .. MESSAGES - 1) {",
        "        if",
        "        :: i >= j -> queue[i] = 0",
        "        :: else -> skip",
        "        fi",
        "    }",
        "    queue_length = j",
        "}",
        "",
    ]


def _guard_macros(export: Export) -> list[str]:
    lines = ["/* ---- guards (model/guards.py) ---- */"]
    lines += [f"#define {signature} {expansion}"
              for signature, expansion in (serves_helper(export.config), *HELPERS)]
    for name in sorted({g for row in TABLE for g in row.guards}):
        note = (_rule_list(GUARD_RULES.get(name, ()))
                + export.replacement_note(name, export.replaced_guards))
        lines.append(f"/* {name}: {note} */")
        lines.append(f"#define {name}(m, a) ({export.guards[name](export.config)})")
    lines.append("")
    return lines


def _effect_inlines(export: Export) -> list[str]:
    lines = ["/* ---- effects (model/effects.py) ---- */"]
    for name in sorted({row.effect for row in TABLE if not export.is_self_loop(row)}):
        note = (_rule_list(EFFECT_RULES.get(name, ()))
                + export.replacement_note(name, export.replaced_effects))
        lines.append(f"inline {name}(m, a) {{  /* {note} */")
        lines.append(_block(export.effects[name](export.config), "    "))
        lines.append("}")
    lines.append("")
    return lines


def _row_definitions(export: Export) -> list[str]:
    lines = [
        "/* ---- rows (model/table.py): enabled_<row> is source state and guards, "
        "fire_<row> the",
        "   effect, the destination and the step invariants judging the row ---- */",
    ]
    for row in TABLE:
        if export.is_self_loop(row):
            lines += _self_loop_comment(row)
        elif row.kind is Kind.INSIDE_CALL:
            lines += _inside_row_macro_and_inline(row)
        else:
            lines += _row_macro_and_inline(row, export.config)
    lines.append("")
    return lines


def _row_heading(row: Row) -> str:
    return f"/* {row.name}: {row.actor}, {row.event} -> {row.result}; {_rule_list(row.rules)}"


def _self_loop_comment(row: Row) -> list[str]:
    return [
        f"{_row_heading(row)}.",
        f"   Error row, changes nothing (guards: {', '.join(row.guards) or 'none'}; "
        f"from {', '.join(row.sources)}): a self-loop, not emitted. */",
    ]


def _row_macro_and_inline(row: Row, config: Config) -> list[str]:
    """`enabled_<row>` (source state and guards) and `fire_<row>` (the step invariants
    judging the row around its effect and destination)."""
    ident = promela_identifier(row.name)
    checks = [(pid, c) for pid, c in STEP_PROPERTY_PROMELA.items() if c.applies(row)]
    body = [f"/* {pid} */ {text}" for pid, check in checks if (text := check.before(config))]
    body.append(f"{row.effect}(m, a)")
    if row.dest is not None and row.machine == "message":
        body.append(f"msg[m].phase = {row.dest}")
    body += _inside_call_after(row)
    body += [f"/* {pid} */ {text}" for pid, check in checks if (text := check.after(config))]
    body.append("forget_scratch()")
    return [
        f"{_row_heading(row)} */",
        _enabled_macro(row),
        f"inline fire_{ident}(m, a) {{",
        _block(";\n".join(body), "    "),
        "}",
    ]


def _enabled_macro(row: Row) -> str:
    variable = "transport_state[a]" if row.machine == "transport" else "msg[m].phase"
    source = " || ".join(f"{variable} == {s}" for s in row.sources)
    condition = [f"({source})"] + [f"{g}(m, a)" for g in row.guards]
    return f"#define enabled_{promela_identifier(row.name)}(m, a) ({' && '.join(condition)})"


def _inside_row_macro_and_inline(row: Row) -> list[str]:
    """A row taken inside a call: `enabled_<row>` and a `fire_<row>` of effect and
    destination only, fired by `inside_call_<state>` within the step that led there."""
    ident = promela_identifier(row.name)
    body = [f"{row.effect}(m, a)", f"msg[m].phase = {row.dest}"]
    states = ", ".join(_inside_call_name(s) for s in _inside_states(row.sources))
    return [
        f"{_row_heading(row)}.",
        f"   Inside the call: taken by {states} in the step that led the message here,",
        "   whose step invariants judge it; no option of its own. */",
        _enabled_macro(row),
        f"inline fire_{ident}(m, a) {{",
        _block(";\n".join(body), "    "),
        "}",
    ]


def _inside_states(states: Iterable[str]) -> list[str]:
    """The states among `states` that are sources of Kind.INSIDE_CALL rows, in state order."""
    chosen = set(states) & INSIDE_CALL_SOURCES
    return [state for state in STATE_NAMES if state in chosen]


def _inside_call_name(state: str) -> str:
    return f"inside_call_{state}"


def _inside_call_after(row: Row) -> list[str]:
    """What a message row does after its destination when it may leave the message in a
    source of Kind.INSIDE_CALL rows (`Model.successors` routes it in the same step)."""
    if row.machine != "message" or row.kind is Kind.INSIDE_CALL:
        return []
    if row.dest is not None:
        return [f"{_inside_call_name(row.dest)}(m)"] if row.dest in INSIDE_CALL_SOURCES else []
    states = _inside_states(row.sources)  # no destination: the message stays where it was
    if not states:
        return []
    options = "".join(f":: msg[m].phase == {s} -> {_inside_call_name(s)}(m)\n" for s in states)
    return [f"if\n{options}:: else -> skip\nfi"]


def _inside_calls(config: Config) -> list[str]:
    """Per source state of Kind.INSIDE_CALL rows, the inline firing the enabled one."""
    lines = [
        "/* ---- inside calls (Kind.INSIDE_CALL): what the callee decides before the call "
        "returns,",
        "   taken in the same d_step as the row that led the message into the state. A d_step",
        "   takes the first enabled option, so the choice is asserted to be unique; none "
        "enabled",
        "   leaves the message where it is ---- */",
    ]
    for state in _inside_states(STATE_NAMES):
        instances = [(row, a) for row in TABLE
                     if row.kind is Kind.INSIDE_CALL and state in row.sources
                     for a in _arguments(row, config)]
        calls = [f"enabled_{promela_identifier(row.name)}(m, {a})" for row, a in instances]
        lines += [
            f"inline {_inside_call_name(state)}(m) {{",
            *_sum_lines(f"    {AMBIGUOUS} = ", calls, " > 1;"),
            f"    assert(!{AMBIGUOUS});",
            "    if",
            *(f"    :: {call} -> fire_{promela_identifier(row.name)}(m, {a})"
              for call, (row, a) in zip(calls, instances, strict=True)),
            "    :: else -> skip",
            "    fi",
            "}",
        ]
    lines.append("")
    return lines


def _sum_lines(start: str, terms: list[str], end: str, width: int = 88) -> list[str]:
    """`start` + the terms joined by `+` + `end`, wrapped after a `+` (a line ending after
    a complete expression would end the statement in Promela)."""
    lines, line = [], start
    for number, term in enumerate(terms):
        text = term + (" +" if number < len(terms) - 1 else end)
        if line.strip() and len(line) + len(text) > width:
            lines.append(line.rstrip())
            line = "        "
        line += text + " "
    return [*lines, line.rstrip()]


def _state_invariants(config: Config) -> list[str]:
    lines = ["/* ---- state invariants (properties/__init__.py), per message ---- */"]
    for pid, render in STATE_PROPERTY_PROMELA.items():
        prop = PROPERTIES[pid]
        lines.append(f"/* {pid}: {prop.description} ({_rule_list(prop.rules)}) */")
        lines.append(f"#define violates_{property_flag(pid)}(m) ({render(config)})")
    final = " && ".join(
        "(" + " || ".join(f"msg[{m}].phase == {p}" for p in sorted(TERMINAL)) + ")"
        for m in range(config.messages))
    return [*lines, "", f"#define final_world ({final})", ""]


def _watcher(config: Config) -> list[str]:
    """The process asserting the state invariants."""
    any_violation = " ||\n            ".join(
        f"violates_{property_flag(pid)}({m})"
        for pid in STATE_PROPERTY_PROMELA for m in range(config.messages))
    lines = [
        "/* The watcher steps only in a world violating a state invariant and returns to",
        "   where it was, so it adds no state; each failing assertion names its property. */",
        "active proctype invariants() {",
        "end_watch:",
        "    do",
        "    :: d_step {",
        f"        started && ({any_violation}) ->",
    ]
    for pid in STATE_PROPERTY_PROMELA:
        flag = property_flag(pid)
        terms = " || ".join(f"violates_{flag}({m})" for m in range(config.messages))
        lines.append(f"        {flag} = {terms}; assert(!{flag});")
    return [*lines, "        forget_scratch()", "    }", "    od", "}", ""]


def _system(export: Export) -> list[str]:
    """The process choosing an initial world, then taking any enabled row."""
    unique = list(dict.fromkeys(initial_worlds(export.config)))
    lines = [
        "/* The system: choose an initial world (Model.initial_worlds), then take any enabled",
        "   row. A world that is not final and has no enabled row is an invalid end state:",
        "   DEADLOCK (R62). */",
        "active proctype submission() {",
        "    atomic {",
        "        if",
    ]
    for number, world in enumerate(unique, 1):
        lines.append(f"        :: /* initial world {number} of {len(unique)} */")
        lines += [f"           {line};"
                  for line in _value_names(world, max_recipient_rows(export.config))]
        lines.append("           skip")
    lines += ["        fi;", "        started = 1", "    };", "    do"]
    lines += _row_options(export)
    lines += [
        "    :: final_world  /* every message finished or deleted: nothing is owed */",
        "    od",
        "}",
    ]
    return lines


def _row_options(export: Export) -> list[str]:
    """One `d_step` option per emitted row and instance (message, recipient or transport);
    none for the rows taken inside a call."""
    config = export.config
    options: list[str] = []
    for row in TABLE:
        if export.is_self_loop(row) or row.kind is Kind.INSIDE_CALL:
            continue
        ident = promela_identifier(row.name)
        options += [f"    :: d_step {{ enabled_{ident}({m}, {a}) -> fire_{ident}({m}, {a}) }}"
                    for m, a in _instances(row, config)]
    return options


def _instances(row: Row, config: Config) -> list[tuple[int, int]]:
    """(message, argument) per instance of `row`; -1 where the row has no such index."""
    if row.machine == "transport":
        return [(-1, t) for t in range(config.transports)]
    return [(m, a) for m in range(config.messages) for a in _arguments(row, config)]


def _arguments(row: Row, config: Config) -> list[int]:
    """The recipient or transport indices a message row ranges over; [-1] for none."""
    return list(range(max_recipient_rows(config)) if row.ranges_over == "recipient"
                else range(config.transports) if row.ranges_over == "transport" else (-1,))


# ---- text helpers ---------------------------------------------------------------------------


def promela_identifier(name: str) -> str:
    """A row name as a Promela identifier."""
    return name.replace("-", "_")


def _block(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.splitlines())


def _rule_list(rules: Iterable[str]) -> str:
    return ", ".join(rules) if rules else "no rule"


#: A recipient row a message does not have, as the export stores it (see _value_names).
INERT_ROW = Recipient(True, "skipped", 0)


def _value_names(world: World, rows: int) -> list[str]:
    """The assignments that set every variable to `world` (an initial world), over `rows`
    recipient rows per message."""
    lines = [f"tight = {int(world.tight)}; setbacks_left = {world.setbacks_left}"]
    lines.append("; ".join(f"transport_state[{t}] = {state}"
                           for t, state in enumerate(world.transports)))
    for i, slot in enumerate(world.queue):
        lines.append(f"queue[{i}] = {slot}")
    lines.append(f"queue_length = {len(world.queue)}")
    for i, slot in enumerate(world.submission_order):
        lines.append(f"submission_order[{i}] = {slot}")
    lines.append(f"submission_length = {len(world.submission_order)}")
    for m, message in enumerate(world.messages):
        profile = message.profile
        fields = [
            f"msg[{m}].phase = {message.phase}",
            f"msg[{m}].folder = {FOLDER_NAMES[message.folder]}",
            f"msg[{m}].in_queue = {int(message.in_queue)}",
            f"msg[{m}].lock_holders = {message.lock_holders}",
            f"msg[{m}].flags = {message.flags}",
            f"msg[{m}].preprocess = {int(message.preprocess)}",
            f"msg[{m}].inflight = {int(message.inflight)}",
            f"msg[{m}].transport = {message.transport}",
            f"msg[{m}].declined = {message.declined}",
            f"msg[{m}].call_progress = {int(message.call_progress)}",
            f"msg[{m}].unsaved = {message.unsaved}",
            f"msg[{m}].preprocessors_run = {message.preprocessors_run}",
            f"msg[{m}].addressed = {int(message.addressed)}",
            f"msg[{m}].conflict = {int(message.conflict)}",
            f"msg[{m}].send_time_reached = {int(message.send_time_reached)}",
            f"msg[{m}].home_folder = {FOLDER_NAMES[profile.folder]}",
            f"msg[{m}].needs_preprocessing = {int(profile.needs_preprocessing)}",
            f"msg[{m}].deferred_send = {int(profile.deferred_send)}",
            f"msg[{m}].disposition = {DISPOSITION_NAMES[profile.disposition]}",
            f"msg[{m}].resend = {int(profile.resend)}",
        ]
        for r in range(rows):
            # a row the message does not have (the P1 rows of a message that is no resend)
            # is inert: taken, skipped, of the type of row 0 (promela_translations._recipients)
            recipient = message.recipients[r] if r < len(message.recipients) else INERT_ROW
            fields += [
                f"msg[{m}].address_type[{r}] = "
                f"{row_address_type(profile, r if r < len(message.recipients) else 0)}",
                f"msg[{m}].rcpt[{r}].resp = {int(recipient.resp)}",
                f"msg[{m}].rcpt[{r}].outcome = {recipient.outcome}",
                f"msg[{m}].rcpt[{r}].transmissions = {recipient.transmissions}",
            ]
        lines.append("; ".join(fields))
    return lines

