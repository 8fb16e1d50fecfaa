"""Reading the JSON a user gives (cases, configurations, manifests, log lines) strictly: what
json.loads would accept silently (a key given twice, of which it keeps the last), fail on with
a traceback (nesting deeper than the interpreter's recursion limit) or reject as bad bytes
(a UTF-16 file, as PowerShell's `>` writes one) each becomes one error line naming the file
and, where there is one, the line."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

#: Deeper documents are refused: no case, configuration or record is nested more than a few
#: levels, and checking a deeper one (the JSON Schema validator recurses) could exhaust the
#: interpreter's stack.
MAX_DEPTH = 64

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALARS = json.JSONDecoder()
#: json's string scanner (not in its typed interface): (text, index after the opening quote)
#: -> (the string, index after the closing quote)
_scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class DuplicateKey(ValueError):
    """An object gives the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def objects_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: the object as a dict, or DuplicateKey."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return result


def decode_text(data: bytes, where: str, error: type[Exception]) -> str:
    """UTF-8 text, a byte order mark at the start dropped; UTF-16 (a byte order mark, or NUL
    bytes at the start) gets its own line, since its bytes are not UTF-8 from the first."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4]:
        raise error(f"{where}: is UTF-16 text (as PowerShell's > writes it); save it as UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(f"{where}: cannot read: {failure}") from None


def shown(text: str, keep: int = 60) -> str:
    """A value from the input as an error line echoes it: cut after `keep` characters, saying
    how many were cut, so an error line stays a line."""
    if len(text) <= keep:
        return text
    return f"{text[:keep]}... ({len(text) - keep} more characters)"


def parse_json(text: str, where: str, error: type[Exception]) -> Any:
    """The JSON document in `text`, or `error` with one line: malformed (with its line), a key
    given twice in one object (the key and its second line), nested too deeply."""
    try:
        value = json.loads(text, object_pairs_hook=objects_without_duplicates)
    except DuplicateKey as duplicate:
        line = duplicate_line(text) or "?"
        raise error(f"{where}: line {line}: key {json.dumps(shown(duplicate.key))} given twice "
                    "in one object") from None
    except RecursionError:
        raise error(f"{where}: malformed JSON: nested too deeply") from None
    except json.JSONDecodeError as failure:
        raise error(f"{where}: line {failure.lineno}: malformed JSON: {failure.msg}") from None
    except ValueError as failure:  # a number too long to convert
        raise error(f"{where}: malformed JSON: {failure}") from None
    if depth(value) > MAX_DEPTH:
        raise error(f"{where}: nested more than {MAX_DEPTH} levels deep")
    return value


def depth(value: Any) -> int:
    """How many objects and arrays deep `value` is (iteratively: no recursion limit)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in children)
    return deepest


def duplicate_line(text: str) -> int | None:
    """The line of the first key, in document order, that its object gives a second time
    (the text is valid JSON)."""
    position = _first_duplicate(text, _skip(text, 0))[1]
    return None if position is None else text.count("\n", 0, position) + 1


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _first_duplicate(text: str, index: int) -> tuple[int, int | None]:
    """(end of the value at `index`, position of the first repeated key inside it or None)."""
    opening = text[index]
    if opening not in "{[":
        return _SCALARS.raw_decode(text, index)[1], None
    closing = "}" if opening == "{" else "]"
    index = _skip(text, index + 1)
    seen: set[str] = set()
    while text[index] != closing:
        if opening == "{":
            key_at = index
            key, index = _scan_string(text, index + 1)
            if key in seen:
                return index, key_at
            seen.add(key)
            index = _skip(text, _skip(text, index) + 1)  # past the colon
        index, found = _first_duplicate(text, index)
        if found is not None:
            return index, found
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return index + 1, None
