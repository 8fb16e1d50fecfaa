"""Promela export of a bounded model, for SPIN (`mapi-submission export promela`).

The model is emitted from the transition table, not rewritten by hand: one `enabled_<row>`
macro and one `fire_<row>` inline per row of `model.table.TABLE`, and one `d_step` option
per row, message and recipient/transport instance in a single `do` loop. The guards,
effects, variant replacements and properties come translated from
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
from mapi_submission.model.table import TABLE, Row
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import SATURATION, World, initial_worlds
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
        f"#define RECIPIENTS {config.recipients}",
        f"#define TRANSPORTS {config.transports}",
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
    ("bit preprocessed", "preprocessing round-trip done (R34, R37)"),
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
        "byte setbacks_left;                 /* transport setbacks still possible */",
        "Message msg[MESSAGES];",
        "bit started;                        /* an initial world has been chosen */",
        "",
    ]


def _property_flags() -> list[str]:
    return [property_flag(pid) for pid in (*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA)]


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
        f"SCRATCH {', '.join(flags)};  /* one per property: pan names the failing one */",
        "inline forget_scratch() {",
        "    i = 0; j = 0; was_in_submission = 0;",
        "    " + " ".join(f"resp_before[{r}] = 0;" for r in range(config.recipients)),
        _block(textwrap.fill(" ".join(f"{flag} = 0;" for flag in flags), 88), "    "),
        "}",
        "",
    ]


def _queue_helpers(config: Config) -> list[str]:
    return [
        "/* ---- queue helpers (model/effects.py _enqueue, _dequeue; R25) ---- */",
        f"#define queued(m) ({queue_lists_message(config)})",
        "inline enqueue(m) {",
        "    msg[m].in_queue = 1;",
        "    if",
        "    :: !queued(m) -> queue[queue_length] = m; queue_length = queue_length + 1",
        "    :: else -> skip",
        "    fi",
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
    lines += [f"#define {signature} {expansion}" for signature, expansion in HELPERS]
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
        lines += (_self_loop_comment(row) if export.is_self_loop(row)
                  else _row_macro_and_inline(row, export.config))
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
    ident = _identifier(row.name)
    variable = "transport_state[a]" if row.machine == "transport" else "msg[m].phase"
    source = " || ".join(f"{variable} == {s}" for s in row.sources)
    condition = [f"({source})"] + [f"{g}(m, a)" for g in row.guards]
    checks = [(pid, c) for pid, c in STEP_PROPERTY_PROMELA.items() if c.applies(row)]
    body = [f"/* {pid} */ {text}" for pid, check in checks if (text := check.before(config))]
    body.append(f"{row.effect}(m, a)")
    if row.dest is not None and row.machine == "message":
        body.append(f"msg[m].phase = {row.dest}")
    body += [f"/* {pid} */ {text}" for pid, check in checks if (text := check.after(config))]
    body.append("forget_scratch()")
    return [
        f"{_row_heading(row)} */",
        f"#define enabled_{ident}(m, a) ({' && '.join(condition)})",
        f"inline fire_{ident}(m, a) {{",
        _block(";\n".join(body), "    "),
        "}",
    ]


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
        lines += [f"           {line};" for line in _value_names(world)]
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
    """One `d_step` option per emitted row and instance (message, recipient or transport)."""
    config = export.config
    options: list[str] = []
    for row in TABLE:
        if export.is_self_loop(row):
            continue
        ident = _identifier(row.name)
        options += [f"    :: d_step {{ enabled_{ident}({m}, {a}) -> fire_{ident}({m}, {a}) }}"
                    for m, a in _instances(row, config)]
    return options


def _instances(row: Row, config: Config) -> list[tuple[int, int]]:
    """(message, argument) per instance of `row`; -1 where the row has no such index."""
    if row.machine == "transport":
        return [(-1, t) for t in range(config.transports)]
    arguments = (range(config.recipients) if row.ranges_over == "recipient"
                 else range(config.transports) if row.ranges_over == "transport" else (-1,))
    return [(m, a) for m in range(config.messages) for a in arguments]


# ---- text helpers ---------------------------------------------------------------------------


def _identifier(name: str) -> str:
    """A row name as a Promela identifier."""
    return name.replace("-", "_")


def _block(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.splitlines())


def _rule_list(rules: Iterable[str]) -> str:
    return ", ".join(rules) if rules else "no rule"


def _value_names(world: World) -> list[str]:
    """The assignments that set every variable to `world` (an initial world)."""
    lines = [f"tight = {int(world.tight)}; setbacks_left = {world.setbacks_left}"]
    lines.append("; ".join(f"transport_state[{t}] = {state}"
                           for t, state in enumerate(world.transports)))
    for i, slot in enumerate(world.queue):
        lines.append(f"queue[{i}] = {slot}")
    lines.append(f"queue_length = {len(world.queue)}")
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
            f"msg[{m}].preprocessed = {int(message.preprocessed)}",
            f"msg[{m}].addressed = {int(message.addressed)}",
            f"msg[{m}].conflict = {int(message.conflict)}",
            f"msg[{m}].send_time_reached = {int(message.send_time_reached)}",
            f"msg[{m}].home_folder = {FOLDER_NAMES[profile.folder]}",
            f"msg[{m}].needs_preprocessing = {int(profile.needs_preprocessing)}",
            f"msg[{m}].deferred_send = {int(profile.deferred_send)}",
            f"msg[{m}].disposition = {DISPOSITION_NAMES[profile.disposition]}",
            f"msg[{m}].resend = {int(profile.resend)}",
        ]
        for r, recipient in enumerate(message.recipients):
            fields += [
                f"msg[{m}].address_type[{r}] = {profile.address_types[r]}",
                f"msg[{m}].rcpt[{r}].resp = {int(recipient.resp)}",
                f"msg[{m}].rcpt[{r}].outcome = {recipient.outcome}",
                f"msg[{m}].rcpt[{r}].transmissions = {recipient.transmissions}",
            ]
        lines.append("; ".join(fields))
    return lines

