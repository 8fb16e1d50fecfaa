"""Stopping a command that runs the Hypothesis machine (conform, mutants) on Ctrl-C or
--timeout. The stop is taken only where the command asks (`take_stop`: as a cell or an example
begins): raised inside Hypothesis's draws it would leave its engine inconsistent, and a stop
taken while Hypothesis replays a failing example makes it call the example flaky, which is
then read as the stop it is."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis.errors import Flaky

from mapi_submission.checker.stopping import Stop, Stopped


def take_stop(stop: Stop) -> None:
    """Raise the stop if one was asked for since the run began."""
    if stop.reason is not None:
        raise Stopped(stop.reason, stop.phase)


def run_until_stopped(stop: Stop, work: Callable[[], None]) -> Stopped | None:
    """Run `work` with Ctrl-C and the timeout armed but only recorded (work calls `take_stop`
    where a stop may be taken); the stop that ended it, or None when it finished."""
    try:
        with stop.armed(), stop.cooperating():
            work()
    except Stopped as cut:
        return cut
    except Flaky:
        if stop.reason is None:
            raise
        return Stopped(stop.reason, stop.phase)
    return None
