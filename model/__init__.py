"""The executable model of MAPI outgoing-message submission.

Scope: one message store (tightly coupled with transport 0 or not), the MAPI spooler as a
single actor, N transports that register EX or SMTP address types, and M messages with R
recipients each, from composition (IMAPIProp::SaveChanges) through IMessage::SubmitMessage,
routing (spooler or tight pair, R17/R19/R20), preprocessing, locking, transport calls,
EndMessage and FinishedMsg, to delivery or non-delivery. Abstracted: time (deferral and
retry delays are single events), message content, reports as messages, multiple stores,
sessions without the spooler. Sources: reference `mapi-rules.md` (R1..R83); what is not
encoded is listed with a reason in `catalogue.py`.

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
