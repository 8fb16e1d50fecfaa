"""Progress of a long log validation, on stderr: how many records have been judged, how fast,
and how many messages are alive and model worlds consistent. Nothing for a log judged within
the first `delay` seconds; then a report every `interval` seconds. When the stream is a
terminal the report is a live status line (rich); otherwise one plain line per report, no
escape codes, so a CI log or a redirected stderr stays readable.

It never writes to stdout: stdout carries the verdict (and --json).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

#: Seconds before the first report: a short log says nothing.
DEFAULT_DELAY = 1.0
#: Seconds between reports.
DEFAULT_INTERVAL = 2.0


class ValidationProgress:
    """Call `due()` after each record (cheap: one clock read) and `report(...)` when it says
    so; `close()` at the end (it clears nothing: the last report stays visible)."""

    def __init__(self, stream: TextIO, where: str, *, delay: float | None = None,
                 interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # The defaults are read here, not bound at definition, so a test can shorten them
        # for the command it runs.
        self.stream = stream
        self.where = where
        self.interval = DEFAULT_INTERVAL if interval is None else interval
        self.clock = clock
        self.started = clock()
        self.next_report = self.started + (DEFAULT_DELAY if delay is None else delay)
        #: the live display and its one task, once the first report on a terminal made them
        self._live: tuple[Progress, TaskID] | None = None
        self._terminal = stream.isatty()

    def due(self) -> bool:
        return self.clock() >= self.next_report

    def report(self, records: int, live_messages: int, worlds: int) -> None:
        now = self.clock()
        self.next_report = now + self.interval
        rate = records / max(now - self.started, 1e-9)
        text = (f"{records:,} records judged, {rate:,.0f} records/s, {live_messages} "
                f"message(s) alive, {worlds:,} model world(s)")
        if self._terminal:
            self._show_live(text)
        else:
            self.stream.write(f"validate-log: {self.where}: {text}\n")
            self.stream.flush()

    def close(self) -> None:
        if self._live is not None:
            self._live[0].stop()
            self._live = None

    def _show_live(self, text: str) -> None:
        if self._live is None:
            display = Progress(SpinnerColumn(), TextColumn(f"{self.where}: {{task.description}}"),
                               TimeElapsedColumn(), console=Console(file=self.stream),
                               transient=False)
            display.start()
            self._live = (display, display.add_task(text, total=None))
        else:
            display, task = self._live
            display.update(task, description=text)
