"""The JSON Schema of a call-log line (mapi_submission/schemas/log-record.schema.json),
generated from the model and the log format so that its closed sets (states, folders,
recipient states, events, actors, lock states) and its field lists cannot drift from them.

    .venv/bin/python -m mapi_submission.harness.log_schema [PATH]

writes it (default: the schema file of the installed package); the output is deterministic
(sorted keys, each closed set in a fixed order) and written atomically.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from mapi_submission.checker.files import write_atomic
from mapi_submission.model.constants import FOLDERS
from mapi_submission.model.states import RECIPIENT_STATE_NAMES, STATE_NAMES
from mapi_submission.model.table import TABLE
from mapi_submission.model.world import SATURATION

from .log_format import (
    ACTORS,
    ALL_EVENTS,
    END_FIELDS,
    FLAG_BITS,
    FLAG_NAME,
    HEADER_FIELDS,
    KNOWN_FLAGS,
    KNOWN_LOCKS,
    OBSERVED_FIELDS,
    RECIPIENT_FIELDS,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
)

SCHEMA_FILE = "schemas/log-record.schema.json"
SCHEMA_ID = "https://mapi-submission.example/schemas/log-record.schema.json"
#: The fields of a header's initial world (as regression cases store it).
INITIAL_WORLD_FIELDS = ["tight", "transports", "setbacks_left", "messages"]

_JSON_TYPES = {int: "integer", str: "string", bool: "boolean", dict: "object", list: "array",
               type(None): "null"}


def _json_type(types: tuple[type, ...]) -> str | list[str]:
    names = [_JSON_TYPES[t] for t in types]
    return names[0] if len(names) == 1 else names


def _closed_set(values: list[Any], description: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"enum": values}
    if description is not None:
        found["description"] = description
    return found


def _typed(fields: dict[str, tuple[type, ...]], name: str, description: str,
           **extra: Any) -> dict[str, Any]:
    return {"description": description, "type": _json_type(fields[name]), **extra}


def _flags_pattern() -> str:
    """Flag names as the validator reads them (FLAG_NAME), joined by '|' with spaces around."""
    name = f"({FLAG_NAME.pattern})"
    return f"^ *{name} *( *\\| *{name} *)*$"


def _recipient() -> dict[str, Any]:
    properties = {
        "responsibility": _typed(RECIPIENT_FIELDS, "responsibility", "PR_RESPONSIBILITY."),
        "state": _closed_set(list(RECIPIENT_STATE_NAMES)),
        "transmissions": _typed(
            RECIPIENT_FIELDS, "transmissions",
            "Copies put on the wire in this submission (2 means two or more).",
            minimum=0, maximum=SATURATION),
    }
    return {"additionalProperties": False, "properties": properties, "type": "object"}


def _observed() -> dict[str, Any]:
    properties = {
        "folder": _closed_set(list(FOLDERS),
                              "Where the message is (gone: deleted after submission)."),
        "in_queue": _typed(OBSERVED_FIELDS, "in_queue", "Member of the store's outgoing queue."),
        "locked": _typed(OBSERVED_FIELDS, "locked", "Locked by the spooler (SetLockState)."),
        "message_flags": _typed(OBSERVED_FIELDS, "message_flags", "PR_MESSAGE_FLAGS."),
        "recipients": _typed(OBSERVED_FIELDS, "recipients",
                             "Per recipient row, in order; a prefix may be given.",
                             items=_recipient()),
        "state": _closed_set(
            list(STATE_NAMES),
            "The model's life-cycle state name, if the implementation tracks it."),
        "submit_flags": _typed(OBSERVED_FIELDS, "submit_flags", "PR_SUBMIT_FLAGS."),
        "deferred_send_time": _typed(
            OBSERVED_FIELDS, "deferred_send_time",
            "PR_DEFERRED_SEND_TIME as an RFC 3339 time with its UTC offset (R72).",
            format="date-time"),
        **{bit: _typed(OBSERVED_FIELDS, bit, f"Whether {whole.upper()} has the bit {bit} set.")
           for bit, (whole, _) in FLAG_BITS.items()},
    }
    return {"additionalProperties": False,
            "description": "Properties of the message read right after the call; each is "
                           "optional.",
            "properties": properties, "type": "object"}


def _record() -> dict[str, Any]:
    properties = {
        "actor": _closed_set(sorted(ACTORS), "Who made the call or took the step."),
        "event": _closed_set(
            sorted(ALL_EVENTS),
            "The MAPI method (Interface::Method) or, for logs that record them, an internal "
            "step."),
        "flags": _typed(
            RECORD_FIELDS, "flags",
            "The call's flags argument as MAPI constant names joined by '|'; only the names "
            "listed in examples select a behaviour, others (KEEP_OPEN_*, MAPI_DEFERRED_ERRORS) "
            "are ignored; left out means 0.",
            examples=sorted(KNOWN_FLAGS), pattern=_flags_pattern()),
        "lock": _closed_set(sorted(KNOWN_LOCKS), "IMsgStore::SetLockState lock state argument."),
        "message": _typed(
            RECORD_FIELDS, "message",
            "The implementation's id of the message (any string, bound to a model message on "
            "first sight); null for transport-session events."),
        "observed": {"$ref": "#/$defs/observed"},
        "preprocessor": _typed(
            RECORD_FIELDS, "preprocessor",
            "PreprocessMessage only: which of the preprocessors that apply ran, by its place "
            "in registration order from 0 (R33, R34).", minimum=0),
        "recipient": _typed(RECORD_FIELDS, "recipient",
                            "Index of the recipient row the event concerns.", minimum=0),
        "result": _typed(RECORD_FIELDS, "result",
                         "HRESULT name the call returned (S_OK or a MAPI error name).",
                         examples=sorted({row.result for row in TABLE})),
        "seq": _typed(RECORD_FIELDS, "seq",
                      "Sequence number; strictly increasing (gaps allowed)."),
        "transport": _typed(
            RECORD_FIELDS, "transport",
            "Index of the transport (order of the profile's transport providers).", minimum=0),
        "entry": {"const": True, "description": "Marks where a call began (an entry record): "
                  "no result or observations; the calls made inside it follow, then the "
                  "record of its return."},
        "time": _typed(RECORD_FIELDS, "time",
                       "When the call returned (an entry record: began), RFC 3339 with the "
                       "UTC offset.", format="date-time"),
        "return_parm": _typed(RECORD_FIELDS, "return_parm",
                              "IXPLogon::SubmitMessage's lpulReturnParm: the retry delay in "
                              "seconds (R47).", minimum=0),
        "queue": _typed(RECORD_FIELDS, "queue",
                        "IMsgStore::GetOutgoingQueue: the message ids of the rows read, in "
                        "the table's order.", items={"type": "string"}),
    }
    returned = [name for name in REQUIRED_FIELDS if name != "result"]
    return {"additionalProperties": False, "properties": properties,
            "required": returned,
            "anyOf": [{"required": ["result"]}, {"required": ["entry"]}],
            "type": "object"}


def _header_line() -> dict[str, Any]:
    fields = {
        "all_steps_logged": {
            "description": "True: the log records the internal steps too, so none happen "
                           "silently between records.",
            "type": "boolean"},
        "config": {
            "description": "The model configuration (Config.to_dict() form, as in regression "
                           "cases); fields left out take their defaults.",
            "type": "object"},
        "initial": {
            "description": "The one initial world (as 'initial' in regression cases); left "
                           "out: every initial world of the configuration is possible.",
            "required": INITIAL_WORLD_FIELDS, "type": "object"},
        "source": {"description": "Free text: where the log comes from.", "type": "string"},
        "messages": {
            "additionalProperties": {"$ref": "#/$defs/observed"},
            "description": "Messages already under way when logging started: message id -> "
                           "what is known of each (observed properties).",
            "type": "object"},
    }
    header = {"additionalProperties": False,
              "properties": {name: fields[name] for name in HEADER_FIELDS}, "type": "object"}
    return {"additionalProperties": False, "properties": {"header": header},
            "required": ["header"], "type": "object"}


def _end_line() -> dict[str, Any]:
    descriptions = {"time": "When the run ended (RFC 3339 with the UTC offset).",
                    "source": "Free text."}
    end = {"additionalProperties": False, "type": "object",
           "description": "The log is complete and every component idle: the liveness "
                          "verdicts are judged here.",
           "properties": {name: _typed(END_FIELDS, name, descriptions[name])
                          for name in END_FIELDS}}
    return {"additionalProperties": False, "properties": {"end": end},
            "required": ["end"], "type": "object"}


def log_record_schema() -> dict[str, Any]:
    return {
        "$defs": {"header_line": _header_line(), "observed": _observed(), "record": _record(),
                  "end_line": _end_line()},
        "$id": SCHEMA_ID,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "One line of a JSON Lines call log (docs/log-format.md): an optional "
                       "header on the first line, then one record per observed call or event. "
                       "Sequence numbers must strictly increase from line to line (not "
                       "expressible in a schema; the validator checks it).",
        "oneOf": [{"$ref": "#/$defs/header_line"}, {"$ref": "#/$defs/record"},
                  {"$ref": "#/$defs/end_line"}],
        "title": "mapi-submission call log line",
    }


def schema_text() -> str:
    return json.dumps(log_record_schema(), indent=2, sort_keys=True) + "\n"


def installed_schema_path() -> Path:
    return Path(str(resources.files("mapi_submission").joinpath(SCHEMA_FILE)))


def main(arguments: list[str]) -> None:
    path = Path(arguments[0]) if arguments else installed_schema_path()
    write_atomic(path, schema_text())
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
