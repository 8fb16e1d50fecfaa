"""The model behind the adapter protocol: the Hypothesis machine run against it checks the
harness's call mapping and the properties on configurations too large to explore."""

from __future__ import annotations

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.model.table import ROWS_BY_NAME
from mapi_submission.model.world import World

from .adapter import NOT_DUE, Observation, Setup
from .adapter_calls import AdapterCall, call_for, expected_answer
from .observations import model_observation, world_for


class ModelSystem:
    """The model behind the adapter protocol: each call takes the first enabled row of that
    call (AbortSubmit on a queued message succeeds), then the steps the store takes inside
    the call (its routing decision). Where rows of the same call give the same answer and the
    same observation but different worlds, the choice is made by a later call, as a real
    component makes it (a transport's S_OK leaving recipients open is a deferral or a
    hand-over to other transports by the flags of the EndMessage that follows, R49, R51), so
    every such world is kept until a call tells them apart."""

    def __init__(self, config: Config) -> None:
        self.model = Model(config)
        self.worlds: list[World] = []

    def start(self, setup: Setup) -> None:
        self.worlds = [world_for(self.model.config, setup)]

    def observe(self) -> Observation:
        assert self.worlds
        return model_observation(self.model.config, self.worlds[0])

    def _do(self, method: str, message: int, arg: int = -1,
            extra: str | bool | None = None) -> str:
        assert self.worlds
        call = AdapterCall(method, message, arg, extra)
        taken = [(expected_answer(ROWS_BY_NAME[step.row]), after)
                 for world in self.worlds for step, after in self.model.successors(world)
                 if call_for(step) == call]
        if not taken:
            return NOT_DUE
        answer, first = taken[0]
        seen = model_observation(self.model.config, first)
        kept = [after for result, after in taken if result == answer
                and model_observation(self.model.config, after) == seen]
        self.worlds = list(dict.fromkeys(kept))
        return answer

    def modify_recipients(self, message: int) -> str:
        return self._do("modify_recipients", message)

    def other_handle_save(self, message: int) -> str:
        return self._do("other_handle_save", message)

    def other_handle_submit(self, message: int) -> str:
        return self._do("other_handle_submit", message)

    def spooler_abort_deferred(self, message: int) -> str:
        return self._do("spooler_abort_deferred", message)

    def spooler_cancel(self, message: int) -> str:
        return self._do("spooler_cancel", message)

    def set_props(self, message: int) -> str:
        return self._do("set_props", message)

    def save_changes(self, message: int, force: bool) -> str:
        return self._do("save_changes", message, extra=force)

    def submit_message(self, message: int) -> str:
        return self._do("submit_message", message)

    def open_for_write(self, message: int) -> str:
        return self._do("open_for_write", message)

    def open_best_access(self, message: int) -> str:
        return self._do("open_best_access", message)

    def delete_message(self, message: int) -> str:
        return self._do("delete_message", message)

    def empty_folder(self, message: int) -> str:
        return self._do("empty_folder", message)

    def move_message(self, message: int) -> str:
        return self._do("move_message", message)

    def copy_message(self, message: int) -> str:
        return self._do("copy_message", message)

    def abort_submit(self, message: int) -> str:
        return self._do("abort_submit", message)

    def client_finished_msg(self, message: int) -> str:
        return self._do("client_finished_msg", message)

    def send_time_reached(self, message: int) -> str:
        return self._do("send_time_reached", message)

    def locks_lost(self, message: int) -> str:
        return self._do("locks_lost", message)

    def tight_transmit(self, message: int, recipient: int) -> str:
        return self._do("tight_transmit", message, recipient)

    def tight_fail_recipient(self, message: int, recipient: int) -> str:
        return self._do("tight_fail_recipient", message, recipient)

    def tight_request_download(self, message: int) -> str:
        return self._do("tight_request_download", message)

    def tight_finish(self, message: int) -> str:
        return self._do("tight_finish", message)

    def tight_complete(self, message: int) -> str:
        return self._do("tight_complete", message)

    def tight_queue_rest(self, message: int) -> str:
        return self._do("tight_queue_rest", message)

    def spooler_lock(self, message: int) -> str:
        return self._do("spooler_lock", message)

    def spooler_unlock(self, message: int) -> str:
        return self._do("spooler_unlock", message)

    def spooler_logs_on_again(self, message: int) -> str:
        return self._do("spooler_logs_on_again", message)

    def preprocess(self, message: int, recipient: int = -1) -> str:
        return self._do("preprocess", message, recipient)

    def spooler_submit_after_preprocess(self, message: int) -> str:
        return self._do("spooler_submit_after_preprocess", message)

    def present(self, message: int, transport: int) -> str:
        return self._do("present", message, transport)

    def end_message(self, message: int, flags: str) -> str:
        return self._do("end_message", message, extra=flags)

    def retry_elapsed(self, message: int) -> str:
        return self._do("retry_elapsed", message)

    def spooler_ndr(self, message: int, recipient: int) -> str:
        return self._do("spooler_ndr", message, recipient)

    def finished_msg(self, message: int) -> str:
        return self._do("finished_msg", message)

    def transport_transmit(self, message: int, recipient: int) -> str:
        return self._do("transport_transmit", message, recipient)

    def transport_fail_recipient(self, message: int, recipient: int) -> str:
        return self._do("transport_fail_recipient", message, recipient)

    def transport_yield(self, message: int) -> str:
        return self._do("transport_yield", message)

    def transport_save(self, message: int) -> str:
        return self._do("transport_save", message)

    def transport_returns(self, message: int, code: str) -> str:
        return self._do("transport_returns", message, extra=code)

    def transport_critical_error(self, message: int) -> str:
        return self._do("transport_critical_error", message)

    def transport_sent_deferred(self, message: int) -> str:
        return self._do("transport_sent_deferred", message)

    def flush_queues(self, transport: int) -> str:
        return self._do("flush_queues", -1, transport)

    def transport_recovers(self, transport: int) -> str:
        return self._do("transport_recovers", -1, transport)
