"""The two faces of the table agree: the `transitions` runtime and the pure successor
function enable the same steps in the same order and reach the same worlds, on random walks
over configurations, documented-conflict readings and known-bad variants."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapi_submission.model.config import CONFLICT_VALUES, Config, Conflicts
from mapi_submission.model.engine import Model, Step, StepNotEnabled
from mapi_submission.model.runtime import AmbiguousCall, CallNotAllowed, Submission, UnknownCall
from mapi_submission.model.variants import VARIANTS

conflicts = st.builds(Conflicts, **{name: st.sampled_from(values)
                                    for name, values in CONFLICT_VALUES.items()})
configs = st.builds(
    Config,
    messages=st.integers(1, 3),
    recipients=st.integers(1, 2),
    transports=st.integers(1, 3),
    conflicts=conflicts,
    setbacks=st.integers(0, 2),
    dispositions=st.sampled_from([("leave",), ("move",), ("delete",), ("move_and_delete",)]),
    profiles=st.sampled_from(["shared", "independent"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, variant=st.sampled_from([None, *sorted(VARIANTS)]), data=st.data())
def test_runtime_and_successor_function_agree_on_random_walks(
        config: Config, variant: str | None, data: st.DataObject) -> None:
    model = Model(config, variant)
    worlds = model.initial_worlds()
    world = worlds[data.draw(st.integers(0, len(worlds) - 1), label="initial world")]
    runtime = Submission(config, variant, world)
    for _ in range(data.draw(st.integers(0, 60), label="length")):
        successors = model.successors(world)
        assert runtime.enabled() == [step for step, _ in successors]
        if not successors:
            break
        step, after = successors[data.draw(st.integers(0, len(successors) - 1), label="step")]
        result = runtime.fire(step)
        assert result.result == model.rows[step.row].result
        assert runtime.world == after
        assert runtime.states()["messages"] == [m.phase for m in after.messages]
        assert runtime.states()["transports"] == list(after.transports)
        world = after


def test_call_by_mapi_method_returns_the_documented_code() -> None:
    runtime = Submission(Config(messages=1, recipients=1, transports=1, coupling=("loose",)))
    assert runtime.call("IMessage::SubmitMessage", 0).result == "MAPI_E_NO_RECIPIENTS"
    assert runtime.call("IMessage::ModifyRecipients", 0).step.row == "add-recipients"
    assert runtime.call("IMAPIProp::SaveChanges", 0).result == "S_OK"
    assert runtime.message(0).phase == "saved"


def test_illegal_calls_raise_clear_errors() -> None:
    runtime = Submission(Config(messages=1, recipients=1, transports=1, coupling=("loose",)))
    with pytest.raises(UnknownCall, match="unknown event 'IMessage::Send'"):
        runtime.call("IMessage::Send", 0)
    with pytest.raises(UnknownCall, match="no table row named"):
        runtime.fire("no-such-row", 0)
    with pytest.raises(CallNotAllowed, match="message 0 in state draft"):
        runtime.call("IXPLogon::EndMessage", 0)
    with pytest.raises(StepNotEnabled, match=r"lock \(IMsgStore::SetLockState\).*state draft"):
        runtime.fire(Step("lock", 0, -1))
    with pytest.raises(StepNotEnabled, match="no message 3"):
        runtime.fire(Step("save", 3, -1))
    before = runtime.world
    with pytest.raises(StepNotEnabled):
        runtime.fire(Step("submit", 0, -1))  # no recipient rows yet: the guard refuses
    assert runtime.world == before


def test_several_documented_outcomes_must_be_chosen_explicitly() -> None:
    runtime = Submission(Config(messages=1, recipients=1, transports=1, coupling=("loose",)))
    for event in ("IMessage::ModifyRecipients", "IMessage::SubmitMessage"):
        runtime.call(event, 0)
    with pytest.raises(AmbiguousCall, match="abort.*abort-refused"):
        runtime.call("IMsgStore::AbortSubmit", 0)


def test_place_moves_the_machines_to_another_world() -> None:
    config = Config(messages=2, recipients=1, transports=2)
    model = Model(config)
    first, *others = model.initial_worlds()
    runtime = Submission(config, world=first)
    for world in others[:5]:
        step, after = model.successors(world)[0]
        runtime.place(after)
        assert runtime.enabled() == model.enabled(after)
        assert runtime.states()["messages"] == [m.phase for m in after.messages]
    with pytest.raises(ValueError, match="another number of messages"):
        runtime.place(Model(Config(messages=1)).initial_worlds()[0])
