"""Who takes a step: the actors of the transition table, with the facts consumers need.

Every row names one actor. The checker's fairness, the harness's choice of who answers a
call and the negative cases' choice of callers read these attributes instead of keeping
their own lists of actor names.
"""

from __future__ import annotations

from enum import StrEnum


class Actor(StrEnum):
    #: the client that composes and submits the message (R1-R13, R28-R31, R67)
    CLIENT = "client"
    #: a second handle on the same message committing first (R4)
    OTHER_CLIENT = "other client"
    #: the message store's own decisions (routing R17, send time R72)
    STORE = "store"
    #: the tightly coupled store+transport sending without the spooler (R20-R23)
    TIGHT_PAIR = "tight pair"
    #: the MAPI spooler (R38-R65)
    SPOOLER = "spooler"
    #: a registered message preprocessor (R33-R35)
    PREPROCESSOR = "preprocessor"
    #: a transport provider inside IXPLogon::SubmitMessage (R46-R57)
    TRANSPORT = "transport"

    @property
    def is_client(self) -> bool:
        """A client session: it may stop calling at any time, so no fairness is assumed for
        it (liveness L1-L3 never wait on a client)."""
        return self in (Actor.CLIENT, Actor.OTHER_CLIENT)

    @property
    def fair(self) -> bool:
        """Weakly fair: a component that, once a step of it stays enabled, takes one."""
        return not self.is_client

    @property
    def calls_store(self) -> bool:
        """It calls the message store's MAPI methods, so a call it makes in the wrong state
        gets the store's documented error (the negative cases' callers, R10, R28-R31, R81)."""
        return self in (Actor.CLIENT, Actor.SPOOLER)

    @property
    def answers_itself(self) -> bool:
        """The result of its calls is the implementation's own answer (a client's call is
        answered by the store); for the others the harness asks the component to take a
        step the model chose."""
        return self.is_client
