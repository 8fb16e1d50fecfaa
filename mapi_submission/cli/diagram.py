"""`mapi-submission diagram`: render the state diagrams from the transition table, or check
that the checked-in ones are current.

Exit 0 when written (or, with --check, when every file is current), 1 with --check when a
file is stale or missing (each named on stderr), 2 on bad usage.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from mapi_submission.generators.diagrams import (
    FORMATS,
    WORLD_GRAPH_LIMIT,
    CaseNotDrawable,
    NoCounterexample,
    TooManyWorlds,
    all_outputs,
    case_figures,
    stale_files,
    world_graph_figure,
    write_outputs,
)

from .common import Failure, OneLineErrors, UsageProblem, build_config, output_option
from .replay import load_cases

DEFAULT_FOLDER = Path("diagrams")
T = TypeVar("T")


def parse_formats(text: str) -> tuple[str, ...]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if not chosen:
        raise UsageProblem(f"--format: expected one or more of {','.join(FORMATS)}")
    for name in chosen:
        if name not in FORMATS:
            raise UsageProblem(
                f"--format: unknown format {name!r}; expected some of {','.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in chosen)


def _drawable(draw: Callable[[], T]) -> T:
    """Run `draw`; a configuration too large to read or a case the model does not follow is
    one line, exit 2."""
    try:
        return draw()
    except (TooManyWorlds, CaseNotDrawable) as error:
        raise UsageProblem(f"diagram: {error}") from None


def _drawn(draw: Callable[[], T]) -> T:
    """Run `draw`; a variant that no longer yields its counterexample fails with one line."""
    try:
        return draw()
    except NoCounterexample as error:
        raise Failure(f"mapi-submission diagram: {error}") from None


@click.command("diagram", cls=OneLineErrors)
@output_option("out", type=click.Path(path_type=Path), default=DEFAULT_FOLDER,
               show_default=True, help="Folder of the diagrams.")
@click.option("--format", "format_text", default=",".join(FORMATS), show_default=True,
              help="Comma-separated formats: dot, svg, mmd (Mermaid), png.")
@click.option("--check", is_flag=True,
              help="Write nothing: regenerate in memory and exit 1 naming each stale file "
              "(DOT and Mermaid compared byte for byte; each SVG must be XML rendered from "
              "the current DOT).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw this configuration's world graph instead (JSON, Config.to_dict() "
                   f"form; at most {WORLD_GRAPH_LIMIT} reachable worlds): "
                   "world-graph-<file name>.*")
@click.option("--case", "case_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw this regression case's path over the life-cycle instead, one "
                   "figure per message it moves: case-<id>-m<message>.*")
def command(out: Path, format_text: str, check: bool, config_file: Path | None,
            case_file: Path | None) -> None:
    """Render the message and recipient life-cycles, an explored world graph and the
    location-only counterexample from the transition table; or a given configuration's
    world graph, or a given case's path."""
    formats = parse_formats(format_text)
    if out.exists() and not out.is_dir():
        raise UsageProblem(f"{out}: not a folder")
    chosen = [name for name, given in (("--check", check), ("--config", config_file),
                                       ("--case", case_file)) if given]
    if len(chosen) > 1:
        raise UsageProblem(f"{' and '.join(chosen)}: give one of them")
    built = None
    if config_file is not None:
        config = build_config(config_file=config_file)
        built = [_drawable(lambda: world_graph_figure(
            config, f"world-graph-{config_file.stem}",
            f"Every reachable world of {config_file.name}"))]
    elif case_file is not None:
        (_, case), = load_cases((case_file,))
        built = _drawable(lambda: case_figures(case))
    if check:
        problems = _drawn(lambda: stale_files(out, formats))
        if problems:
            raise Failure("\n".join(f"diagram --check: {p}" for p in problems)
                          + "\nrun `mapi-submission diagram` to render them again")
        click.echo(f"diagram --check: every {'/'.join(f for f in formats if f != 'png')} "
                   f"file in {out} is current")
        return
    outputs, skipped = _drawn(lambda: all_outputs(formats, built))
    for note in skipped:
        click.echo(f"mapi-submission diagram: {note}", err=True)
    try:
        written = write_outputs(out, outputs)
    except OSError as error:
        raise UsageProblem(f"{out}: cannot write: {error}") from None
    for path in written:
        click.echo(str(path))
