"""Stopping a long run cleanly: `--timeout` and Ctrl-C in every phase.

A `Stop` is armed by a command for the whole of its run: Ctrl-C (SIGINT), the timeout
(SIGALRM, set at the deadline) and the memory bound (the same alarm, ticking every
MEMORY_TICK seconds to read the resident set) all request a stop. In a *cooperative* phase (the
exploration's loop, which asks `reason` once per state) the request is only recorded, so the
loop ends between two states and what was explored stays consistent. In any other phase
(liveness, coverage criteria, the postman tour, writing files: code that cannot be asked, a
networkx algorithm for instance) the request raises `Stopped`, which the command catches to
print its partial summary. `Stopped` is a KeyboardInterrupt, so no `except Exception` in
between (an adapter call, a retry) mistakes it for a failure.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

#: The reason given for Ctrl-C (commands exit 130 on it, 2 on a timeout).
INTERRUPTED = "interrupted (Ctrl-C)"

#: Seconds between two readings of the resident set under --max-memory: a run grows by some
#: tens of MB a second at most, so the bound holds within a few per cent.
MEMORY_TICK = 0.2


def peak_memory_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def resident_mib() -> float:
    """This process's resident set now (Linux /proc), else its peak, in MiB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return peak_memory_mib()


class Stopped(KeyboardInterrupt):  # noqa: N818 - a stop request, not an error
    """A stop was requested outside a cooperative phase: `reason` says which, `phase` where.
    A KeyboardInterrupt, so that code which lets Ctrl-C through untouched (Hypothesis stops
    its run at once on one, where another BaseException raised inside a draw leaves its
    engine inconsistent) does the same for a timeout."""

    def __init__(self, reason: str, phase: str) -> None:
        super().__init__(f"{reason} during {phase}")
        self.reason = reason
        self.phase = phase


class Stop:
    """The stop requests of one run: `reason` is None until Ctrl-C or the timeout."""

    def __init__(self, timeout: float | None = None,
                 max_memory_mib: float | None = None) -> None:
        self.timeout = timeout
        self.max_memory_mib = max_memory_mib
        self.started = time.monotonic()
        self.reason: str | None = None
        self.phase = "start"
        self._cooperative = 0

    @property
    def interrupted(self) -> bool:
        return self.reason == INTERRUPTED

    def request(self, reason: str) -> None:
        if self.reason is None or reason == INTERRUPTED:
            self.reason = reason
        if not self._cooperative:
            raise Stopped(self.reason, self.phase)

    def enter(self, phase: str) -> None:
        """Name the phase now running (what a partial summary says was cut short)."""
        self.phase = phase

    @contextlib.contextmanager
    def cooperating(self) -> Iterator[None]:
        """A block that asks `reason` often enough itself: requests are only recorded."""
        self._cooperative += 1
        try:
            yield
        finally:
            self._cooperative -= 1

    @contextlib.contextmanager
    def armed(self) -> Iterator[Stop]:
        """Install the SIGINT and SIGALRM handlers (and the alarm) for the block; a no-op
        outside the main thread, where signals cannot be handled."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def on_interrupt(signum: int, frame: FrameType | None) -> None:
            self.request(INTERRUPTED)

        def on_alarm(signum: int, frame: FrameType | None) -> None:
            if self.timeout and time.monotonic() >= self.started + self.timeout:
                self.request(f"--timeout {self.timeout:g}s reached")
            elif self.max_memory_mib and self.reason is None:
                resident = resident_mib()
                if resident > self.max_memory_mib:
                    self.request(f"--max-memory {self.max_memory_mib:g} MiB reached "
                                 f"({resident:,.0f} MiB resident)")

        previous_int = signal.signal(signal.SIGINT, on_interrupt)
        previous_alarm = signal.signal(signal.SIGALRM, on_alarm)
        if self.max_memory_mib:
            # one periodic alarm serves both bounds: the deadline is read at each tick
            signal.setitimer(signal.ITIMER_REAL, MEMORY_TICK, MEMORY_TICK)
        elif self.timeout:
            left = self.started + self.timeout - time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
        try:
            yield self
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_alarm)
            signal.signal(signal.SIGINT, previous_int)
