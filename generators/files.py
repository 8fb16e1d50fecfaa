"""Reading the user's input files: every way a read can fail becomes one error line that
names the file."""

from __future__ import annotations

from pathlib import Path


def read_text(path: Path, kind: str, error: type[Exception], limit: int) -> str:
    """The UTF-8 text of `path`; raises `error` for a missing file, a directory, a file over
    `limit` bytes (checked before reading) or bytes that are not UTF-8."""
    where = str(path)
    try:
        size = path.stat().st_size
        if path.is_file() and size > limit:
            raise error(f"{where}: {size} bytes; {kind} files are limited to {limit} bytes")
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise error(f"{where}: is a directory, expected a {kind} file") from None
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as failure:
        raise error(f"{where}: cannot read: {failure}") from None
