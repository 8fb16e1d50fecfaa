"""`mapi-submission generate`: regression cases for one coverage criterion.

Deterministic: the same model, options and seed give byte-identical files. Prints the number
of cases and steps, the coverage reached, the criterion's lower bound and the infeasible
targets. Exit 0 on success, 2 on bad usage or when --max-states, --timeout or --max-memory
stopped the run (nothing is written then, or a suite whose manifest says it is unfinished),
130 on Ctrl-C.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from mapi_submission.checker.explore import LimitReached
from mapi_submission.checker.stopping import Stop, Stopped
from mapi_submission.generators.coverage import CRITERIA
from mapi_submission.generators.generate import REGRESSION_SUITE, Generated, generate
from mapi_submission.generators.suite_folder import (
    MANIFEST,
    SuiteError,
    read_manifest,
    refuse_foreign,
    suite_lock,
    write_suite,
)
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model

from .common import (
    DEFAULT_MAX_STATES,
    Interrupted,
    OneLineErrors,
    UsageProblem,
    build_config,
    config_options,
    max_memory_option,
    os_problem,
    output_option,
    refuse_huge_start,
)
from .progress import ExplorationProgress


def _names(targets: list[str], limit: int = 12) -> str:
    shown = ", ".join(targets[:limit])
    return shown + (f", ... ({len(targets) - limit} more)" if len(targets) > limit else "")


def print_summary(result: Generated, out: Path) -> None:
    summary = result.summary()
    steps, bound = summary["steps"], summary["lower_bound"]
    ratio = f"{steps / bound:.2f}x" if bound else "-"
    click.echo(f"mapi-submission generate --criterion {summary['criterion']}: "
               f"{summary['states']:,} states, {summary['transitions']:,} transitions explored")
    click.echo(f"cases {summary['cases']}  steps {steps}")
    click.echo(f"coverage {summary['reached']}/{summary['feasible']} reachable targets "
               f"({summary['coverage_percent']:.2f}%) of {summary['targets']} named")
    click.echo(f"lower bound {bound} steps  (cases take {ratio})")
    for key in ("quotient_classes", "quotient_edges", "duplicated_steps", "stopped_by"):
        if key in summary:
            click.echo(f"{key.replace('_', ' ')} {summary[key]}")
    if "rows_taken" in summary:
        never = summary["rows_never_taken"]
        click.echo(f"table rows taken {summary['rows_taken']}/"
                   f"{summary['rows_taken'] + len(never)}"
                   + (f" (never: {_names(never)})" if never else ""))
    if summary["infeasible"]:
        click.echo(f"infeasible ({len(summary['infeasible'])}): "
                   f"{_names(summary['infeasible'])}")
    if summary["unspecified"]:
        click.echo(f"not asserted, the documents are silent ({len(summary['unspecified'])}): "
                   f"{_names(summary['unspecified'])}")
    click.echo(f"generation time {result.seconds:.2f} s")
    click.echo(f"wrote {summary['cases']} cases to {out}")


@click.command("generate", cls=OneLineErrors)
@config_options
@click.option("--criterion", type=click.Choice(CRITERIA), default=None,
              help="What the cases must cover, on the configuration the options give. "
                   "Default: the recommended suite (each criterion on the configuration "
                   "that serves it, one subfolder each; it kills every mutant of the kill "
                   "matrix).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random walks (criterion random).")
@click.option("--walks", type=click.IntRange(min=1), default=20, show_default=True,
              help="Most random walks (criterion random).")
@click.option("--length", type=click.IntRange(min=1), default=40, show_default=True,
              help="Most steps per random walk (criterion random).")
@click.option("--max-states", type=click.IntRange(min=1), default=None,
              help="Stop exploring after this many states (exit 2, nothing written).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after this many seconds, in any phase (exit 2; nothing written, or a "
                   "suite its manifest marks unfinished).")
@max_memory_option
@output_option("out", type=click.Path(file_okay=False, path_type=Path), required=True,
               help="Folder the case files go to.")
@click.option("--clean", is_flag=True,
              help="Remove the files an earlier generate wrote there (its manifest lists "
                   "them); refuses a folder holding other files.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def command(criterion: str | None, seed: int, walks: int, length: int, max_states: int | None,
            timeout: float | None, max_memory: float | None, out: Path, clean: bool,
            as_json: bool, quiet: bool, **options: Any) -> None:
    """Generate regression cases: shortest paths through every reachable target of a
    criterion, a postman tour, seeded random walks or negative (sneak-path) cases; without
    --criterion, the recommended suite."""
    if out.exists() and not out.is_dir():
        raise UsageProblem(f"-o {out}: exists and is not a folder")
    if criterion is None:
        given = sorted(name for name, value in options.items() if value not in (None, ()))
        if given:
            raise UsageProblem(
                f"generate: {', '.join('--' + n.replace('_', '-') for n in given)}: the "
                "recommended suite has configurations of its own; give --criterion C to "
                "generate for yours")
        _recommended_suite(out, seed=seed, walks=walks, length=length, max_states=max_states,
                           timeout=timeout, max_memory=max_memory, clean=clean,
                           as_json=as_json, quiet=quiet)
        return
    config = build_config(**options)
    refuse_huge_start("generate", config, max_states or DEFAULT_MAX_STATES, "--max-states")
    result = _generate_into(Model(config), criterion, out, seed=seed, walks=walks,
                            length=length, max_states=max_states, timeout=timeout,
                            max_memory=max_memory, clean=clean, quiet=quiet)
    if as_json:
        summary = result.summary()
        summary["seconds"] = round(result.seconds, 3)
        summary["out"] = str(out)
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print_summary(result, out)


def _generate_into(model: Model, criterion: str, out: Path, *, seed: int, walks: int,
                   length: int, max_states: int | None, timeout: float | None,
                   max_memory: float | None, clean: bool, quiet: bool,
                   label: str = "generate") -> Generated:
    """Generate one criterion's cases into `out`, with progress and stops; a bad outcome is
    one line (UsageProblem, Interrupted)."""
    progress = ExplorationProgress(label, enabled=not quiet, verb="")
    # Ctrl-C and --timeout stop every phase: the exploration between two states, the
    # criterion, the tour and the writing where they are (an unfinished suite keeps a manifest
    # marked so, which replay refuses).
    stop = Stop(timeout, max_memory)
    try:
        # the folder's lock is held from the start, so a second run on the same folder is
        # refused at once rather than after its exploration
        with stop.armed(), suite_lock(out):
            if clean:
                refuse_foreign(out)
            result = generate(model, criterion, seed=seed, walks=walks, length=length,
                              max_states=max_states, timeout=timeout, stop=stop,
                              on_progress=progress, on_phase=progress.phase)
            stop.enter(f"writing {len(result.cases)} cases")
            progress.phase(f"writing {len(result.cases)} cases")
            write_suite(result.cases, out, clean=clean, lock=False)
    except LimitReached as error:
        if stop.interrupted:
            raise Interrupted(f"generate: {error}") from None
        raise UsageProblem(f"generate: {error}") from None
    except Stopped as cut:
        left = read_manifest(out) if out.is_dir() else None
        unfinished = (f"; the suite in {out} is unfinished (its {MANIFEST} says so)"
                      if left is not None and not left.complete else "; nothing written")
        message = f"generate: stopped early: {cut}{unfinished}"
        if stop.interrupted:
            raise Interrupted(message) from None
        raise UsageProblem(message) from None
    except SuiteError as error:
        raise UsageProblem(f"generate: {error}") from None
    except OSError as error:
        raise UsageProblem(f"generate: -o {out}: cannot write: "
                           f"{os_problem(error)}") from None
    finally:
        progress.stop()
    return result


def _recommended_suite(out: Path, *, as_json: bool, **settings: Any) -> None:
    """Every entry of the recommended suite (REGRESSION_SUITE) into its subfolder of `out`,
    a summary line each as it is written, then the totals."""
    summaries: list[dict[str, Any]] = []
    started = time.monotonic()
    timeout = settings.pop("timeout")
    for folder, criterion, config in REGRESSION_SUITE:
        # --timeout bounds the whole suite: each entry gets what the ones before it left
        left = None if timeout is None else timeout - (time.monotonic() - started)
        if left is not None and left <= 0:
            raise UsageProblem(f"generate: stopped early: --timeout {timeout:g}s reached "
                               f"before {out / folder}; the folders before it are complete")
        result = _generate_into(Model(Config.from_dict(config)), criterion, out / folder,
                                label=f"generate ({folder})", timeout=left, **settings)
        summary = result.summary()
        summary |= {"folder": folder, "seconds": round(result.seconds, 3),
                    "out": str(out / folder)}
        summaries.append(summary)
        if not as_json:
            click.echo(f"{folder}: {summary['cases']} cases, {summary['steps']} steps "
                       f"({criterion}), {result.seconds:.2f} s -> {out / folder}")
    cases = sum(summary["cases"] for summary in summaries)
    steps = sum(summary["steps"] for summary in summaries)
    seconds = time.monotonic() - started
    if as_json:
        click.echo(json.dumps({"suite": summaries, "cases": cases, "steps": steps,
                               "seconds": round(seconds, 3), "out": str(out)},
                              indent=2, sort_keys=True))
    else:
        click.echo(f"the recommended suite: {cases} cases, {steps} steps in "
                   f"{len(summaries)} folders, {seconds:.2f} s")
