"""One base class for every error the library raises on purpose, so a caller can catch the
library's errors (bad configuration, bad table, bad case or log, a step not enabled) apart
from bugs."""

from __future__ import annotations


class MapiSubmissionError(Exception):
    """Base of every error this package raises on purpose."""


class TableError(MapiSubmissionError):
    """The transition table names something that does not exist (a guard, an effect, a state,
    a rule id); the message names the row."""


def quoted_field(name: str) -> str:
    """A field name as error messages show it: quoted when it holds a character that is not
    printable (a line break, a tab), so every error about a configuration, case or log stays
    on one line."""
    return name if name.isprintable() else repr(name)
