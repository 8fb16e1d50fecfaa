"""The executable model of MAPI outgoing-message submission: the transition table (data), its
states, actors, guards and effects, and its two faces (pure successors, `transitions` runtime).

Scope and abstractions: docs/model.md ("Scope"). Rules not encoded: `catalogue.py`.

May import: nothing of the project (every other part builds on the model).
"""

from .actors import Actor
from .catalogue import CATALOGUE, RuleEntry, encoded_rules
from .config import CONFLICT_VALUES, Config, ConfigError, Conflicts, Features
from .engine import Model, Step, StepNotEnabled, UnknownVariant
from .errors import MapiSubmissionError, TableError
from .states import MESSAGE_STATES, RECIPIENT_STATES, TERMINAL, TRANSPORT_STATES
from .table import CALLS, ROWS_BY_NAME, TABLE, CallKey, Kind, Row
from .variants import VARIANTS, Variant
from .world import Message, Profile, Recipient, World

__all__ = [
    "CALLS",
    "Actor",
    "CallKey",
    "Kind",
    "MapiSubmissionError",
    "TableError",
    "UnknownVariant",
    "CATALOGUE",
    "CONFLICT_VALUES",
    "MESSAGE_STATES",
    "RECIPIENT_STATES",
    "ROWS_BY_NAME",
    "TABLE",
    "TERMINAL",
    "TRANSPORT_STATES",
    "VARIANTS",
    "Config",
    "ConfigError",
    "Conflicts",
    "Features",
    "Message",
    "Model",
    "Profile",
    "Recipient",
    "Row",
    "RuleEntry",
    "Step",
    "StepNotEnabled",
    "Variant",
    "World",
    "encoded_rules",
]
