"""`mapi-submission validate-log`: judge an implementation's call log against the model.

Exit 0 when the log conforms, 1 when it diverges (line, record, possible model states, allowed
events, rule ids), 2 on a malformed log or bad options (one line naming line and field).
`--from-case CASE -o LOG` writes a regression case as a log instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mapi_submission.checker.cases import CaseError, load_case
from mapi_submission.checker.files import input_name, write_atomic
from mapi_submission.harness.log_files import validate_log_file
from mapi_submission.harness.log_format import LogError
from mapi_submission.harness.model_logs import case_to_log
from mapi_submission.harness.progress import ValidationProgress
from mapi_submission.harness.validate_log import DEFAULT_MAX_WORLDS, WorldLimit
from mapi_submission.model.engine import StepNotEnabled

from .common import (
    Failure,
    OneLineErrors,
    UsageProblem,
    build_config,
    config_options,
    os_problem,
    variant_option,
)

_CONFIG_KEYS = ("config_file", "messages", "recipients", "transports", "setbacks", "coupling",
                "address_mixes", "folders", "dispositions", "profiles", "without", "conflicts")


@click.command("validate-log", cls=OneLineErrors)
@click.argument("log", required=False, type=click.Path(path_type=Path))
@config_options
@variant_option
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON on stdout.")
@click.option("--max-worlds", type=click.IntRange(1), default=DEFAULT_MAX_WORLDS,
              show_default=True, help="Bound on the model worlds tracked at once.")
@click.option("--from-case", "from_case", type=click.Path(path_type=Path),
              help="Write this regression case as a log (to -o) instead of validating.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Log file written by --from-case.")
def command(log: Path | None, variant: str | None, as_json: bool, max_worlds: int,
            from_case: Path | None, output: Path | None, **options: Any) -> None:
    """Validate a JSON Lines call LOG (docs/log-format.md) against the specification or a
    variant. Configuration: the options given, else the log's header, else the default.

    The log is judged as it is read; long logs report progress on stderr. --messages bounds
    the messages alive at once: an id is released when its message finishes, so a log may
    name any number of messages over time."""
    if from_case is not None:
        convert_case(from_case, output)
        return
    if log is None:
        raise UsageProblem("validate-log: give a LOG file, or --from-case CASE -o LOG")
    config = build_config(**options) if any(options.get(k) for k in _CONFIG_KEYS) else None
    name = input_name(log)
    # Progress goes to stderr: stdout carries the verdict (and --json).
    progress = ValidationProgress(sys.stderr, name)
    try:
        verdict = validate_log_file(log, config=config, variant=variant, max_worlds=max_worlds,
                                    progress=progress)
    except LogError as error:
        raise UsageProblem(str(error)) from None
    except WorldLimit as error:
        raise UsageProblem(f"{name}: {error}") from None
    against = variant or "the specification"
    if as_json:
        data = verdict.to_json()
        data["against"] = against
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    elif verdict.divergence is None:
        click.echo(f"{name}: conforms to {against} ({verdict.records} record(s), at most "
                   f"{verdict.peak_worlds} model world(s) at once)")
    else:
        click.echo(f"{name}: {verdict.divergence.describe()}")
    if verdict.divergence is not None:
        raise Failure(f"validate-log: {name} diverges from {against} at line "
                      f"{verdict.divergence.line}")


def convert_case(case_path: Path, output: Path | None) -> None:
    if output is None:
        raise UsageProblem("validate-log --from-case: give the log to write with -o LOG")
    try:
        case = load_case(case_path)
    except CaseError as error:
        raise UsageProblem(str(error)) from None
    try:
        text = case_to_log(case)
    except StepNotEnabled as error:
        raise UsageProblem(f"{case_path}: does not replay against "
                           f"{case.get('variant') or 'the specification'}: {error}") from None
    try:
        write_atomic(output, text)
    except OSError as error:
        raise UsageProblem(f"{output}: cannot write: {os_problem(error)}") from None
    click.echo(f"wrote {output} ({text.count(chr(10)) - 1} record(s)) from {case_path}")
