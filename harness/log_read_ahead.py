"""Reading a long log file in a second process: its lines are decoded, parsed and checked there
while this process judges the records before them, so judging a large file uses two cores
(reading and checking alone is about a third of the time on the benchmark's traffic).

The reader is this module run as a program (`python -m mapi_submission.harness.log_read_ahead
FILE`, started with the same interpreter); it writes pickled messages to its standard output:
("ready", None), then batches ("records", [...]) in file order, then ("done", None), or a
problem in its place as ("error", exception). A malformed line's LogError thus arrives after
every record before it and is raised when the judge asks for the record it stands for: the
verdict, and which of a divergence and a malformed line is reported first, are those of reading
in this process. The pipe's buffer bounds how far the reader runs ahead.

Small files, anything that is not a regular file (a pipe cannot be read twice), and a reader
that cannot start (say the package is importable here only through a path the new process does
not have) are read in this process as before.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from mapi_submission.checker.files import STDIN
from mapi_submission.checker.gc_pause import collector_paused

from .log_format import Header, LogError, NumberedRecord, open_log

#: Files smaller than this are read in this process: starting the reader (a fresh interpreter
#: importing the log format) costs more than it saves below a few megabytes.
READ_AHEAD_FROM_BYTES = 8_000_000
#: Records per message from the reader.
BATCH = 1_000


def _send(stream: IO[bytes], kind: str, payload: Any) -> None:
    pickle.dump((kind, payload), stream, protocol=pickle.HIGHEST_PROTOCOL)


def read_ahead(path: str, stream: IO[bytes]) -> None:
    """The reader: the records of the log at `path` after its header, in batches, on
    `stream`; a problem in its place."""
    batch: list[NumberedRecord] = []
    _send(stream, "ready", None)
    try:
        with collector_paused(), open_log(Path(path)) as (_, records):
            for item in records:
                batch.append(item)
                if len(batch) == BATCH:
                    _send(stream, "records", batch)
                    batch = []
        _send(stream, "records", batch)
        _send(stream, "done", None)
    except (KeyboardInterrupt, BrokenPipeError):  # the judge stopped (Ctrl-C, or a verdict)
        return
    except Exception as problem:  # noqa: BLE001 - raised again in the judge's process
        _send(stream, "records", batch)
        _send(stream, "error", _sendable(problem))
    stream.flush()


def _sendable(problem: Exception) -> Exception:
    """`problem` if it survives pickling (LogError does), else a LogError saying what it was."""
    try:
        pickle.loads(pickle.dumps(problem))
    except Exception:  # noqa: BLE001 - any failure to pickle means: send a description
        return LogError(f"{type(problem).__name__}: {problem}")
    return problem


def received(stream: IO[bytes], where: str, exit_code: Callable[[], int | None]
             ) -> Iterator[NumberedRecord]:
    """The records as the reader sends them (after its "ready"); its problem raised in its
    place. A reader that stops without saying it is done (killed, out of memory) is a
    LogError; `exit_code()` gives its exit code then."""
    while True:
        try:
            kind, payload = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError):
            raise LogError(f"{where}: the process reading the log ended before the end of the "
                           f"file (exit code {exit_code()})") from None
        if kind == "records":
            yield from payload
        elif kind == "error":
            raise payload
        else:
            return


@contextmanager
def open_log_read_ahead(path: Path, *, from_bytes: int | None = None
                        ) -> Iterator[tuple[Header, Iterator[NumberedRecord]]]:
    """`open_log(path)`, with the records read by a second process when the file is a regular
    file of at least `from_bytes` (default READ_AHEAD_FROM_BYTES) bytes. The header is read
    here, so its problems are reported as before; the reader stops when the judge does."""
    threshold = READ_AHEAD_FROM_BYTES if from_bytes is None else from_bytes
    with open_log(path) as (header, records):
        reader = _start_reader(path) if _worth_reading_ahead(path, threshold) else None
        if reader is None:
            yield header, records
            return
    try:
        assert reader.stdout is not None
        yield header, received(reader.stdout, str(path), reader.wait)
    finally:
        reader.kill()
        reader.wait()
        if reader.stdout is not None:
            reader.stdout.close()


def _start_reader(path: Path) -> subprocess.Popen[bytes] | None:
    """The reader process, once it said it is ready; None when it cannot start."""
    try:
        reader = subprocess.Popen(
            [sys.executable, "-m", __name__, str(path)], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    assert reader.stdout is not None
    try:
        ready = pickle.load(reader.stdout) == ("ready", None)
    except (EOFError, pickle.UnpicklingError):
        ready = False
    if not ready:
        reader.kill()
        reader.wait()
        reader.stdout.close()
        return None
    return reader


def _worth_reading_ahead(path: Path, threshold: int) -> bool:
    if path == STDIN:  # `-` is standard input even where a file has that name
        return False
    try:
        return path.is_file() and path.stat().st_size >= threshold
    except OSError:
        return False


if __name__ == "__main__":
    read_ahead(sys.argv[1], sys.stdout.buffer)
