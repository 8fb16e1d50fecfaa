"""Judging a log file the way `mapi-submission validate-log` does: read its header, build the
model from the configuration given (else the header's, else the default), and stream the
records through the validator one at a time (a large file's read, parsed and checked by a
second process meanwhile: log_read_ahead.py), with progress on stderr for a long log. The
command and the benchmark both call `validate_log_file`, so the benchmark measures what users
run."""

from __future__ import annotations

from pathlib import Path

from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

from .log_read_ahead import open_log_read_ahead
from .progress import ValidationProgress
from .validate_log import DEFAULT_MAX_WORLDS, LogVerdict, starting_point, validate_records


def validate_log_file(path: Path, *, config: Config | None = None, variant: str | None = None,
                      max_worlds: int = DEFAULT_MAX_WORLDS,
                      progress: ValidationProgress | None = None) -> LogVerdict:
    """The verdict on the log at `path`; LogError for an unusable file or the first malformed
    line before a divergence, WorldLimit when too many worlds are consistent at once."""
    with open_log_read_ahead(path) as (header, records):
        model = Model(config if config is not None else header.config, variant)
        started = starting_point(model, header, str(path), max_worlds)
        return validate_records(model, (), records, all_steps_logged=header.all_steps_logged,
                                header=header,
                                max_worlds=max_worlds, progress=progress, started=started)
