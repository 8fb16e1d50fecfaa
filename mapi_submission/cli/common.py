"""Options and error conventions shared by the subcommands.

Exit codes: 0 success, 1 a property or case failed, 2 bad usage, bad input or a hit limit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mapi_submission.checker.files import input_name, read_text
from mapi_submission.checker.json_input import parse_json
from mapi_submission.model.config import (
    ADDRESS_MIXES,
    CONFLICT_VALUES,
    COUPLINGS,
    DISPOSITIONS,
    INITIAL_FOLDERS,
    PROFILE_MODES,
    Config,
    ConfigError,
    Features,
)
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import initial_world_count

F = TypeVar("F", bound=Callable[..., Any])

FEATURE_NAMES = tuple(Features.__dataclass_fields__)

#: Memory grows with the states kept (about 1 KB each with liveness edges: 409 MiB peak for the
#: default configuration's 403,848 states); this default keeps a run under about 5 GiB.
DEFAULT_MAX_STATES = 5_000_000
#: A configuration file is a few hundred bytes; larger input is refused before it is parsed.
MAX_CONFIG_BYTES = 1024 * 1024


class UsageProblem(click.ClickException):
    """Bad input: printed as one line, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"mapi-submission: error: {self.format_message()}", err=True)


def _command_path(ctx: click.Context) -> str:
    """The subcommand path without the program name ("check", "export promela")."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names)) or (ctx.info_name or "mapi-submission")


class OneLineErrors(click.Command):
    """Option errors become the project's one-line message with exit code 2 (click would
    print usage over several lines)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, debug_first(args))
        except click.UsageError as error:
            raise UsageProblem(f"{_command_path(ctx)}: {error.format_message()}") from None


DEBUG_FLAG = "--debug"


def debug_first(args: list[str]) -> list[str]:
    """`--debug` moved to the front, where the group reads it, from anywhere before a `--`:
    `mapi-submission check --debug` works as `mapi-submission --debug check`."""
    end = args.index("--") if "--" in args else len(args)
    if DEBUG_FLAG not in args[:end]:
        return args
    return [DEBUG_FLAG, *(arg for i, arg in enumerate(args) if i >= end or arg != DEBUG_FLAG)]


class OneLineGroup(click.Group):
    """A group whose option errors and unknown subcommands are one line with exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, debug_first(args))
        except click.UsageError as error:
            raise UsageProblem(f"{_command_path(ctx)}: {error.format_message()}") from None

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            raise UsageProblem(f"{_command_path(ctx)}: {error.format_message()}") from None


class Failure(click.ClickException):
    """A property or case failed: exit code 1 (the report was printed already)."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        if self.message:
            click.echo(self.message, err=True)


class Interrupted(click.ClickException):
    """Ctrl-C stopped the run: exit code 130 (the partial summary was printed already)."""

    exit_code = 130

    def show(self, file: Any = None) -> None:
        click.echo(f"mapi-submission: {self.format_message()}", err=True)


def output_option(dest: str, *, help: str, type: click.ParamType[Any], default: Any = None,
                  required: bool = False, show_default: bool = False) -> Callable[[F], F]:
    """`-o/--output`, the one spelling of every command's output, into parameter `dest`; the
    earlier `--out` still works, hidden from --help. Given twice with two values, or
    `required` and given neither way: one line, exit 2."""
    alias = f"{dest}_given_as_out"

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def merged(*args: Any, **kwargs: Any) -> Any:
            old = kwargs.pop(alias)
            if old is not None:
                if kwargs[dest] not in (None, default, old):
                    raise UsageProblem(f"{_command_path(click.get_current_context())}: "
                                       "-o/--output and --out name two outputs; give one")
                kwargs[dest] = old
            if required and kwargs[dest] is None:
                raise UsageProblem(f"{_command_path(click.get_current_context())}: "
                                   "missing option -o/--output")
            return function(*args, **kwargs)

        hidden = click.option("--out", alias, type=type, hidden=True)(merged)
        return click.option("-o", "--output", dest, type=type, default=default,
                            show_default=show_default, help=help)(hidden)  # type: ignore[return-value]

    return decorate


def _csv(values: tuple[str, ...]) -> str:
    return ",".join(values)


def config_options(function: F) -> F:
    """Options that bound the model: --messages, --recipients, ..., --config FILE."""
    options = [
        click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="JSON configuration file (Config.to_dict() form); options override it."),
        click.option("--messages", type=click.IntRange(1, 10), help="Messages (default 2)."),
        click.option("--recipients", type=click.IntRange(1, 4),
                     help="Recipients per message (default 2)."),
        click.option("--transports", type=click.IntRange(1, 4), help="Transports (default 2)."),
        click.option("--setbacks", type=click.IntRange(0, 4),
                     help="Transport setbacks the world may suffer (default 1)."),
        click.option("--preprocessors", type=click.IntRange(1, 3),
                     help="Preprocessors that apply to a message needing preprocessing, run "
                          "in registration order (default 1)."),
        click.option("--coupling",
                     help=f"Couplings explored, comma-separated ({_csv(COUPLINGS)})."),
        click.option("--address-mixes",
                     help=f"Recipient address mixes explored ({_csv(ADDRESS_MIXES)})."),
        click.option("--folders", help=f"Initial folders explored ({_csv(INITIAL_FOLDERS)})."),
        click.option("--dispositions", help=f"Dispositions explored ({_csv(DISPOSITIONS)})."),
        click.option("--profiles", type=click.Choice(PROFILE_MODES),
                     help="Messages share one profile, or every combination."),
        click.option("--with", "with_", multiple=True, type=click.Choice(FEATURE_NAMES),
                     help="Turn a feature on (repeatable; store_refusals and restarts are "
                          "off by default)."),
        click.option("--without", "without", multiple=True, type=click.Choice(FEATURE_NAMES),
                     help="Turn a feature off (repeatable)."),
        click.option("--conflict", "conflicts", multiple=True, metavar="NAME=VALUE",
                     help="Reading of a documented conflict (repeatable): "
                     + "; ".join(f"{k}={'|'.join(v)}" for k, v in CONFLICT_VALUES.items())),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def variant_option(function: F) -> F:
    return click.option(
        "--variant", type=click.Choice(sorted(VARIANTS)), default=None,
        help="Run a known-bad variant instead of the specification.",
    )(function)


def max_memory_option(function: F) -> F:
    """--max-memory: the resident set this run may reach before it stops like a timeout."""
    return click.option(
        "--max-memory", "max_memory", type=click.FloatRange(min=1), default=None,
        metavar="MIB",
        help="Stop once this process holds more than this many MiB (read every 0.2 s; exit 2 "
             "with the partial summary, like --timeout).",
    )(function)


def _read_config_file(config_file: Path) -> dict[str, Any]:
    text = read_text(config_file, "configuration", UsageProblem, MAX_CONFIG_BYTES)
    data: dict[str, Any] = parse_json(text, input_name(config_file), UsageProblem)
    return data


def _chosen_conflicts(items: tuple[str, ...]) -> dict[str, str]:
    """--conflict NAME=VALUE options as a conflicts mapping (values are checked by Config)."""
    chosen: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageProblem(f"--conflict {item!r}: expected NAME=VALUE")
        if name not in CONFLICT_VALUES:
            raise UsageProblem(
                f"--conflict {name}: unknown conflict; known: {', '.join(CONFLICT_VALUES)}"
            )
        chosen[name] = value
    return chosen


def build_config(
    config_file: Path | None = None,
    messages: int | None = None,
    recipients: int | None = None,
    transports: int | None = None,
    setbacks: int | None = None,
    preprocessors: int | None = None,
    coupling: str | None = None,
    address_mixes: str | None = None,
    folders: str | None = None,
    dispositions: str | None = None,
    profiles: str | None = None,
    with_: tuple[str, ...] = (),
    without: tuple[str, ...] = (),
    conflicts: tuple[str, ...] = (),
    **_: Any,
) -> Config:
    """The configuration the shared options describe; bad values raise UsageProblem."""
    data = _read_config_file(config_file) if config_file is not None else {}
    for key, value in (("messages", messages), ("recipients", recipients),
                       ("transports", transports), ("setbacks", setbacks),
                       ("preprocessors", preprocessors), ("profiles", profiles)):
        if value is not None:
            data[key] = value
    for key, value in (("coupling", coupling), ("address_mixes", address_mixes),
                       ("folders", folders), ("dispositions", dispositions)):
        if value is not None:
            data[key] = [v.strip() for v in value.split(",") if v.strip()]
    both = sorted(set(with_) & set(without))
    if both:
        raise UsageProblem(f"options: feature {both[0]} is both in --with and --without")
    if with_ or without:
        data["features"] = {**data.get("features", {}), **dict.fromkeys(with_, True),
                            **dict.fromkeys(without, False)}
    if conflicts:
        data["conflicts"] = {**data.get("conflicts", {}), **_chosen_conflicts(conflicts)}
    try:
        return Config.from_dict(data, where="config" if config_file is not None else "options")
    except (ConfigError, TypeError) as error:
        if config_file is not None:
            raise UsageProblem(f"{config_file}: field {error}") from None
        raise UsageProblem(str(error)) from None


def os_problem(error: OSError) -> str:
    """What an OSError says, with the path it is about: the one given on the command line
    is often not the one that failed (a parent that is a file, a read-only folder)."""
    if error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    return error.strerror or str(error)


def refuse_huge_start(command: str, config: Config, limit: int, option: str) -> None:
    """Refuse, before a single world is listed, a configuration whose initial worlds alone
    exceed `limit` (independent profiles grow exponentially with the messages: listing them
    would exhaust memory long before a timeout is read). The count is the model's own
    (initial_world_count, which validate-log's refusal uses too)."""
    count = initial_world_count(config)
    if count > limit:
        raise UsageProblem(
            f"{command}: the configuration has {count:,} initial worlds, more than {option} "
            f"{limit:,}; use --profiles shared, fewer messages or fewer choices per message")
