"""The files the commands read and write: every way a read can fail becomes one error line
that names the file, and every write replaces its file whole or not at all."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .json_input import decode_text

#: The path that names standard input where a command reads a file.
STDIN = Path("-")


def input_name(path: Path) -> str:
    """How error lines name an input: its path, or <stdin> for `-`."""
    return "<stdin>" if path == STDIN else str(path)


def read_text(path: Path, kind: str, error: type[Exception], limit: int) -> str:
    """The text of `path` (`-`: standard input), UTF-8 with or without a byte order mark;
    raises `error` for a missing file, a directory, more than `limit` bytes (a regular file's
    size is checked before reading; a device or pipe is read no further than the limit) or
    bytes that are not UTF-8 (UTF-16 named as such)."""
    where = input_name(path)
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(limit + 1)
        else:
            size = path.stat().st_size
            if path.is_file() and size > limit:
                raise error(f"{where}: {size} bytes; {kind} files are limited to {limit} bytes")
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
    except IsADirectoryError:
        raise error(f"{where}: is a directory, expected a {kind} file") from None
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except OSError as failure:
        raise error(f"{where}: cannot read: {failure}") from None
    if len(data) > limit:
        raise error(f"{where}: more than {limit} bytes; {kind} files are limited to {limit} "
                    "bytes")
    return decode_text(data, where, error)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder and rename it into place, so a failed
    or interrupted run leaves the previous file (or none), never half a file. The file gets
    the permissions a plain write would give it (mkstemp's are 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
