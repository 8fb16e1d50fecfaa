"""A long command's progress on stderr (stdout carries its verdict): once a run has lasted a
second, a live line on a terminal (rich); otherwise (CI, a redirected log) a plain line every
PLAIN_INTERVAL seconds and one at each new phase, with the elapsed time and no escape codes,
like TLC's progress lines, so a CI log shows a long run moving. Nothing with --quiet."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

#: A run shorter than this shows no progress at all.
QUIET_START = 1.0


class StatusLine:
    #: Seconds between two plain lines (stderr not a terminal).
    PLAIN_INTERVAL = 10.0

    def __init__(self, command: str, enabled: bool) -> None:
        self.command = command
        self.enabled = enabled
        self.started = time.monotonic()
        self.terminal = sys.stderr.isatty()
        self.next_line = self.started + QUIET_START
        self.progress: Progress | None = None
        self.task: Any = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def show(self, text: str, *, phase: bool = False) -> None:
        """What the run is doing now; `phase`: a new phase began (a plain line is written for
        it at once, not at the next interval)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not self.terminal:
            if now >= self.next_line or (phase and now >= self.started + QUIET_START):
                self.next_line = now + self.PLAIN_INTERVAL
                sys.stderr.write(f"mapi-submission {self.command}: {text}, "
                                 f"{now - self.started:,.0f} s elapsed\n")
                sys.stderr.flush()
            return
        if self.progress is None:
            if now < self.started + QUIET_START:
                return
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                     console=Console(stderr=True), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(text)
        self.progress.update(self.task, description=text)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class ExplorationProgress:
    """States, transitions, depth and rate of an exploration, then each phase after it
    (liveness, a criterion, the postman tour, writing), on the command's status line."""

    def __init__(self, command: str, enabled: bool, verb: str = "checking") -> None:
        self.status = StatusLine(command, enabled)
        self.verb = verb

    def __call__(self, states: int, transitions: int, depth: int) -> None:
        elapsed = self.status.elapsed
        rate = states / elapsed if elapsed > 0 else 0.0
        self.status.show(f"exploring: {states:,} states, {transitions:,} transitions, "
                         f"depth {depth}, {rate:,.0f} states/s")

    def phase(self, name: str) -> None:
        self.status.show(f"{self.verb} {name}".strip(), phase=True)

    def stop(self) -> None:
        self.status.stop()
