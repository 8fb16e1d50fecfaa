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
    the call (its routing decision)."""

    def __init__(self, config: Config) -> None:
        self.model = Model(config)
        self.world: World | None = None

    def start(self, setup: Setup) -> None:
        self.world = world_for(self.model.config, setup)

    def observe(self) -> Observation:
        assert self.world is not None
        return model_observation(self.model.config, self.world)

    def _do(self, method: str, message: int, arg: int = -1,
            extra: str | bool | None = None) -> str:
        assert self.world is not None
        call = AdapterCall(method, message, arg, extra)
        for step, after in self.model.successors(self.world):
            if call_for(step) == call:
                self.world = after
                return expected_answer(ROWS_BY_NAME[step.row])
        return NOT_DUE

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
