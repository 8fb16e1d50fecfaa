"""What a report prints of a step and of a case that fails on the model: what the step acts on
by name (never an internal index), and each differing observed property on a line of its own
with flags by their bits' names."""

from mapi_submission.checker.cases import Mismatch, case_program
from mapi_submission.model.table import ROWS_BY_NAME


def test_a_step_names_what_it_acts_on() -> None:
    assert ROWS_BY_NAME["spooler-ndr"].target(0, 1) == "message 0, recipient 1"
    assert ROWS_BY_NAME["present"].target(2, 0) == "message 2, transport 0"
    assert ROWS_BY_NAME["submit"].target(1, -1) == "message 1"
    assert ROWS_BY_NAME["transport-recovers"].target(-1, 1) == "transport 1"


def test_a_failing_step_lists_each_difference_with_flag_names() -> None:
    expected = {"messages": [{"message_flags": 12, "submit_flags": 0, "state": "spooled"}],
                "queue": [0]}
    actual = {"messages": [{"message_flags": 8, "submit_flags": 1, "state": "spooled"}],
              "queue": []}
    text = Mismatch(3, "submit", ("R8",), expected, actual, "observable state differs").describe()
    assert text.splitlines() == [
        "step 3 (submit, rules R8): observable state differs",
        "  messages[0].message_flags: expected MSGFLAG_SUBMIT|MSGFLAG_UNSENT, "
        "got MSGFLAG_UNSENT (R2, R13, R65)",
        "  messages[0].submit_flags: expected 0, got SUBMITFLAG_LOCKED (R26, R42)",
        "  queue: expected [0], got [] (R14, R25)",
    ]


def test_a_result_mismatch_stays_on_one_line() -> None:
    text = Mismatch(0, "submit", ("R8",), "S_OK", "not enabled", "not enabled").describe()
    assert text == 'step 0 (submit, rules R8): not enabled; expected "S_OK", got "not enabled"'


def test_the_program_of_a_case_names_recipients_and_transports() -> None:
    case = {"steps": [
        {"actor": "spooler", "event": "IXPLogon::SubmitMessage", "message": 0, "arg": 1,
         "result": "S_OK", "row": "present", "rules": ["R43"]},
        {"actor": "spooler", "event": "IMessage::ModifyRecipients", "message": 0, "arg": 0,
         "result": "S_OK", "row": "spooler-ndr", "rules": ["R58"]},
    ]}
    assert case_program(case) == [
        "  1. spooler: IXPLogon::SubmitMessage (message 0, transport 1) -> S_OK  [present; R43]",
        "  2. spooler: IMessage::ModifyRecipients (message 0, recipient 0) -> S_OK  "
        "[spooler-ndr; R58]",
    ]
