"""MAPI constants the model speaks in (values as in the MAPI headers; reference section 0.4)."""

from __future__ import annotations

# PR_MESSAGE_FLAGS bits (R2, R13, R65, R78)
MSGFLAG_SUBMIT = 0x4
MSGFLAG_UNSENT = 0x8

# PR_SUBMIT_FLAGS bits (R26, R42)
SUBMITFLAG_LOCKED = 0x1
SUBMITFLAG_PREPROCESS = 0x2

#: The bits of each flags property the rules speak about: a whole value read from a real store
#: carries others too (MSGFLAG_READ, MSGFLAG_HASATTACH, MSGFLAG_RESEND, ...), which no rule of
#: the send life-cycle decides, so neither the harness nor the log validator judges them.
TRACKED_BITS: dict[str, int] = {
    "message_flags": MSGFLAG_SUBMIT | MSGFLAG_UNSENT,
    "submit_flags": SUBMITFLAG_LOCKED | SUBMITFLAG_PREPROCESS,
}

S_OK = "S_OK"
MAPI_E_SUBMITTED = "MAPI_E_SUBMITTED"
MAPI_E_NOT_IN_QUEUE = "MAPI_E_NOT_IN_QUEUE"
MAPI_E_UNABLE_TO_ABORT = "MAPI_E_UNABLE_TO_ABORT"
MAPI_E_NO_RECIPIENTS = "MAPI_E_NO_RECIPIENTS"
MAPI_E_OBJECT_CHANGED = "MAPI_E_OBJECT_CHANGED"
MAPI_E_NO_ACCESS = "MAPI_E_NO_ACCESS"
MAPI_E_BUSY = "MAPI_E_BUSY"
MAPI_E_NETWORK_ERROR = "MAPI_E_NETWORK_ERROR"
MAPI_E_WAIT = "MAPI_E_WAIT"
#: The generic failure: the error a transport returns after NOTIFY_CRITICAL_ERROR (R47 names
#: no code)
MAPI_E_CALL_FAILED = "MAPI_E_CALL_FAILED"
MAPI_E_NOT_ME = "MAPI_E_NOT_ME"
MAPI_E_CANCEL = "MAPI_E_CANCEL"
EC_NO_DEL_SUBMIT_MSG = "ecNoDelSubmitMsg"
MAPI_E_NO_SUPPORT = "MAPI_E_NO_SUPPORT"
#: A store's own refusal of a submit by its limits (R9: Kopano's KCERR_STORE_FULL; Gromox's
#: quota, size and recipient-count errors have other codes, so the row takes any error)
MAPI_E_STORE_FULL = "MAPI_E_STORE_FULL"
#: R7: the store lost the data (a client/server store that lost its connection): the client
#: must rewrite its properties and save again
MAPI_E_CORRUPT_DATA = "MAPI_E_CORRUPT_DATA"
#: R30: DeleteMessages or EmptyFolder succeeded, but left some messages (submitted ones, or
#: ones open read/write)
MAPI_W_PARTIAL_COMPLETION = "MAPI_W_PARTIAL_COMPLETION"
#: R54: SpoolerYield's answer when the spooler decided the message is no longer to be sent
MAPI_W_CANCEL_MESSAGE = "MAPI_W_CANCEL_MESSAGE"
#: R53, R54: what a transport told to stop returns from IXPLogon::SubmitMessage
MAPI_E_USER_CANCEL = "MAPI_E_USER_CANCEL"

#: Every result code a table row may carry, with its numeric value where MAPI defines one.
RESULT_CODES: dict[str, int] = {
    S_OK: 0x0,
    MAPI_E_SUBMITTED: 0x80040608,
    MAPI_E_NOT_IN_QUEUE: 0x80040601,
    MAPI_E_UNABLE_TO_ABORT: 0x80040114,
    MAPI_E_NO_RECIPIENTS: 0x80040607,
    MAPI_E_OBJECT_CHANGED: 0x80040109,
    MAPI_E_NO_ACCESS: 0x80070005,
    MAPI_E_BUSY: 0x8004010B,
    MAPI_E_NETWORK_ERROR: 0x80040115,
    MAPI_E_WAIT: 0x80040500,
    MAPI_E_CALL_FAILED: 0x80004005,
    MAPI_E_NOT_ME: 0x80040502,
    MAPI_E_CANCEL: 0x80040501,
    EC_NO_DEL_SUBMIT_MSG: 0x00000465,
    MAPI_E_NO_SUPPORT: 0x80040102,
    MAPI_E_STORE_FULL: 0x8004060C,
    MAPI_E_CORRUPT_DATA: 0x8004011B,
    MAPI_W_PARTIAL_COMPLETION: 0x00040680,
    MAPI_W_CANCEL_MESSAGE: 0x00040580,
    MAPI_E_USER_CANCEL: 0x80040113,
}

# Address types. The transport at index i registers ADDRESS_TYPES[i % 2] (R43); the
# transport at index 0 is the one a tightly coupled store is paired with (R18).
EX = "EX"
SMTP = "SMTP"
ADDRESS_TYPES = (EX, SMTP)

# Folders (R1, R27, R63, R70). "gone" is a message deleted after submission; "moved" one the
# client moved out of the folder it was submitted from (IMAPIFolder::CopyMessages with
# MESSAGE_MOVE), which the store may only do by aborting the submission first (R70).
OUTBOX = "outbox"
INBOX = "inbox"
SENT_ITEMS = "sent"
GONE = "gone"
MOVED = "moved"
FOLDERS = (OUTBOX, INBOX, SENT_ITEMS, GONE, MOVED)
