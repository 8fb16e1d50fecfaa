"""`mapi-submission check`: explore a bounded configuration and judge every property.

Exit 0 when every property holds, 1 on a violation, 2 on bad usage or when a limit stopped
the exploration (the partial summary is printed first).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mapi_submission.checker.cases import build_case, write_case
from mapi_submission.checker.check import (
    PROPERTY_IDS,
    CheckResult,
    Counterexample,
    PropertyVerdict,
    case_id,
    check,
    counterexample_to_json,
    describe_counterexample,
)
from mapi_submission.checker.stopping import Stop, peak_memory_mib
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

from .common import (
    DEFAULT_MAX_STATES,
    Failure,
    Interrupted,
    OneLineErrors,
    UsageProblem,
    build_config,
    config_options,
    max_memory_option,
    os_problem,
    output_option,
    refuse_huge_start,
    variant_option,
)
from .progress import ExplorationProgress


class _LimitHit(click.ClickException):
    """A --max-states or --timeout limit stopped the exploration: exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"mapi-submission: {self.format_message()}", err=True)


def _describe_config(config: Config, variant: str | None, symmetry: bool) -> str:
    model = variant or "specification"
    return (f"{model}: {config.messages} message(s) x {config.recipients} recipient(s), "
            f"{config.transports} transport(s), setbacks {config.setbacks}, profiles "
            f"{config.profiles}, symmetry {'on' if symmetry else 'off'}")


def _write_cases(result: CheckResult, out: Path) -> tuple[dict[str, str], str | None]:
    """One replayable regression case per counterexample: (property id -> file, the error
    that stopped the writing or None). A failed write never loses the verdict: the caller
    has printed it already, or prints it with the cases that were written."""
    written: dict[str, str] = {}
    model = result.model
    for verdict in result.violations:
        example = verdict.counterexample
        if example is None:
            continue
        case = build_case(
            model, case_id(model, example.property),
            f"{example.property} violated: {example.problem}", example.start, example.steps,
            criterion="counterexample", target=example.property,
            expect_violation=example.property,
        )
        try:
            written[example.property] = str(write_case(out, case))
        except OSError as error:
            return written, (f"--out {out}: cannot write the regression case: "
                             f"{os_problem(error)}")
    return written, None


def summary_json(result: CheckResult, cases: dict[str, str], wall: float,
                 peak: float) -> dict[str, Any]:
    """The summary as JSON. Everything outside "timing" is deterministic for a given model."""

    def verdict(v: PropertyVerdict) -> dict[str, Any]:
        example: Counterexample | None = v.counterexample
        return {
            "id": v.property.id,
            "kind": v.property.kind,
            "rules": list(v.property.rules),
            "description": v.property.description,
            "status": v.status,
            "note": v.note,
            "counterexample": None if example is None
            else counterexample_to_json(result.model, example),
            "case": cases.get(v.property.id),
        }

    return {
        "config": result.model.config.to_dict(),
        "variant": result.model.variant_name,
        "symmetry": result.symmetry,
        "liveness": result.liveness,
        "complete": result.complete,
        "stopped": result.stopped_by,
        "states": result.states,
        "transitions": result.transitions,
        "depth": result.depth,
        "result": "violated" if result.violations else "holds" if result.complete
        else "incomplete",
        "exit_code": result.exit_code,
        "properties": [verdict(v) for v in result.verdicts],
        "warnings": list(result.warnings),
        "timing": {
            "wall_seconds": round(wall, 3),
            "states_per_second": round(result.states / wall) if wall > 0 else None,
            "peak_memory_mib": round(peak, 1),
        },
    }


def _print_summary(result: CheckResult, wall: float, peak: float, out: Path | None) -> None:
    model = result.model
    title = _describe_config(model.config, model.variant_name, result.symmetry)
    click.echo(f"mapi-submission check: {title}")
    click.echo(f"states {result.states:,}  transitions {result.transitions:,}  "
               f"depth {result.depth}")
    rate = f"{result.states / wall:,.0f}" if wall > 0 else "-"
    click.echo(f"wall time {wall:.2f} s  {rate} states/s  peak memory {peak:,.0f} MiB")
    for v in result.verdicts:
        status = v.status.upper() if v.status == "violated" else v.status
        note = f"  ({v.note})" if v.note else ""
        click.echo(f"  {status:<9} {v.property.id:<10} {', '.join(v.property.rules):<22}"
                   f"{note}")
    for v in result.violations:
        if v.counterexample is None:
            continue
        click.echo("")
        for line in describe_counterexample(model, v.counterexample):
            click.echo(line)
    if result.violations:
        broken = ", ".join(v.property.id for v in result.violations)
        click.echo(f"\nresult: VIOLATED ({broken})")
        if out is None:
            click.echo("(-o DIR writes each counterexample as a replayable case)")
    elif not result.complete:
        click.echo(f"\nresult: INCOMPLETE ({result.stopped_by})")
    else:
        click.echo("\nresult: every checked property holds")


@click.command("check", cls=OneLineErrors)
@config_options
@variant_option
@click.option("--no-symmetry", is_flag=True,
              help="Explore every message numbering (slower; the verdicts are the same).")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_MAX_STATES,
              show_default=True,
              help="Stop after this many states (exit 2 unless a violation was found); "
                   "bounds memory at roughly 1 KB per state.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop exploring after this many seconds (exit 2 unless a violation).")
@max_memory_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@output_option("out", type=click.Path(file_okay=False, path_type=Path),
               help="Write each counterexample as a JSON regression case into this folder.")
@click.option("--no-liveness", is_flag=True,
              help="Skip final-state reachability and L1-L3 (keeps no edge lists).")
@click.option("--property", "properties", multiple=True, metavar="ID",
              type=click.Choice(PROPERTY_IDS),
              help="Check only this property (repeatable; default: all): "
                   + ", ".join(PROPERTY_IDS) + ". The others are not judged, nor reported.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr (a live line on a terminal, else a line every "
                   "10 s).")
def command(variant: str | None, no_symmetry: bool, max_states: int,
            timeout: float | None, max_memory: float | None, as_json: bool,
            out: Path | None, no_liveness: bool, properties: tuple[str, ...], quiet: bool,
            **options: Any) -> None:
    """Check every invariant, deadlock freedom and liveness on every reachable state of a
    bounded configuration; print shortest counterexamples."""
    config = build_config(**options)
    if out is not None and out.exists() and not out.is_dir():
        raise UsageProblem(f"--out {out}: exists and is not a folder")
    refuse_huge_start("check", config, max_states, "--max-states")
    model = Model(config, variant)
    symmetry = not no_symmetry
    progress = ExplorationProgress("check", enabled=not quiet)
    started = time.monotonic()
    # Ctrl-C and --timeout stop any phase (the exploration between two states, liveness where
    # it is): the partial summary is printed below either way.
    stop = Stop(timeout, max_memory)
    try:
        with stop.armed():
            result = check(model, symmetry=symmetry, max_states=max_states, timeout=timeout,
                           liveness=not no_liveness, on_progress=progress,
                           on_phase=progress.phase, stop=stop,
                           selected=frozenset(properties) if properties else None)
    finally:
        progress.stop()
    wall = time.monotonic() - started
    peak = peak_memory_mib()
    err = Console(stderr=True)
    for warning in result.warnings:
        err.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    # The verdict comes first: the summary and every counterexample are on stdout before a
    # file is written, so a write that fails cannot lose them.
    cases: dict[str, str] = {}
    write_error: str | None = None
    if as_json:
        if out is not None:
            cases, write_error = _write_cases(result, out)
        summary = summary_json(result, cases, wall, peak)
        summary["write_error"] = write_error
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        _print_summary(result, wall, peak, out)
        if out is not None:
            cases, write_error = _write_cases(result, out)
            for property_id, path in cases.items():
                click.echo(f"regression case ({property_id}): {path}")
    if write_error is not None:
        click.echo(f"mapi-submission: error: {write_error}", err=True)
    if stop.interrupted:
        raise Interrupted(f"check stopped early: {result.stopped_by} (partial summary above)")
    if result.exit_code == 1:
        raise Failure("")
    if result.exit_code == 2:
        raise _LimitHit(f"check stopped early: {result.stopped_by} (partial summary above)")
