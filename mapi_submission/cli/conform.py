"""`mapi-submission conform`: run the conformance harness against an implementation.

The implementation is reached through an adapter (docs/conformance.md): ``--adapter
module:factory`` names a callable that returns an object following
`mapi_submission.harness.adapter.AutonomousSystem` (a system whose components act on their
own: the harness gives it inputs and judges the calls it reports with the log validator) or
`SystemUnderTest` (a system with steering hooks, driven in lockstep with the model, every
decision asked for). The Hypothesis machine runs it; a failure is shrunk and written under
--out: the failing call log of an autonomous system, a regression case of a steered one.
Exit 0 when it conforms, 1 on a failure, 2 on a bad adapter spec or bad options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mapi_submission.checker.files import write_atomic
from mapi_submission.checker.stopping import Stop
from mapi_submission.harness.adapter import UnsupportedSetup
from mapi_submission.harness.adapter_loading import AdapterSpecError
from mapi_submission.harness.adapter_loading import load_factory as load_adapter
from mapi_submission.harness.autonomous import (
    AutonomousFailure,
)
from mapi_submission.harness.autonomous_machine import (
    export_failure_log,
    run_autonomous_machine,
)
from mapi_submission.harness.implementation_logs import ExampleLogs, ends_idle
from mapi_submission.harness.lockstep import LockstepDivergence
from mapi_submission.harness.machine import (
    MachineRun,
    export_failure,
    machine_settings,
    run_machine,
)
from mapi_submission.harness.observations import setup_for
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.model.world import World

from .common import (
    DEFAULT_MAX_STATES,
    Failure,
    Interrupted,
    OneLineErrors,
    UsageProblem,
    build_config,
    config_options,
    os_problem,
    output_option,
    refuse_huge_start,
)
from .machine_stops import run_until_stopped, take_stop
from .progress import StatusLine
from .replay import fail_fast_option, junit_option, replay_cases_on


def load_factory(spec: str, *, steered: bool = False) -> tuple[Any, bool]:
    """harness.adapter_loading.load_factory; what is wrong is one line, exit 2."""
    try:
        return load_adapter(spec, steered=steered)
    except AdapterSpecError as error:
        raise UsageProblem(str(error)) from None


def supported_starts(model: Model, factory: Any) -> list[World]:
    starts = []
    for world in model.initial_worlds():
        try:
            factory().start(setup_for(model.config, world))
        except UnsupportedSetup:
            continue
        starts.append(world)
    return starts


@click.command("conform", cls=OneLineErrors)
@click.option("--adapter", "adapter_spec", required=True, metavar="MODULE:FACTORY",
              help="Callable returning the system under test (see docs/conformance.md).")
@click.option("--examples", type=click.IntRange(1, 1_000_000), default=100, show_default=True,
              help="Hypothesis examples (runs from an initial world).")
@click.option("--steps", type=click.IntRange(1, 10_000), default=40, show_default=True,
              help="Steps per example at most.")
@click.option("--seed", type=int, default=None, help="Seed (default: derandomized).")
@output_option("out", type=click.Path(file_okay=False, path_type=Path),
               default=Path("conformance-failures"), show_default=True,
               help="Folder for the shrunk failure: its call log for a system acting on its "
                    "own, a regression case for a steered one.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Write the calls made on the adapter in one example (the shrunk "
                   "divergence, else the longest) as a call log validate-log judges.")
@click.option("--cases", "case_paths", multiple=True, type=click.Path(path_type=Path),
              help="Also replay these regression cases (files or folders) on the adapter.")
@click.option("--steered", is_flag=True,
              help="Drive a system that runs its own components (it has advance()) through "
                   "its steering hooks instead, every decision asked for.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop the machine after this many seconds (exit 2 unless a divergence "
                   "was found).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr (a live line on a terminal, else a line every "
                   "10 s).")
@fail_fast_option
@junit_option
@config_options
def command(adapter_spec: str, examples: int, steps: int, seed: int | None, out: Path,
            log_path: Path | None, case_paths: tuple[Path, ...], steered: bool,
            fail_fast: bool, junit: Path | None, timeout: float | None, quiet: bool,
            **options: Any) -> None:
    """Run an implementation against the model; exit 1 on the first divergence."""
    factory, autonomous = load_factory(adapter_spec, steered=steered)
    config = build_config(**options)
    refuse_huge_start("conform", config, DEFAULT_MAX_STATES, "the limit of")
    model = Model(config)
    if case_paths:
        replay_cases_on(factory, case_paths, fail_fast, junit, autonomous=autonomous)
    starts = supported_starts(model, factory)
    if not starts:
        raise UsageProblem(f"--adapter {adapter_spec!r}: supports none of the "
                           f"{len(model.initial_worlds())} initial worlds of this configuration")
    status = StatusLine("conform", not quiet)

    def on_example(progress: MachineRun) -> None:
        # The stop is taken here, as an example begins (in the machine's own code, where a
        # KeyboardInterrupt ends Hypothesis's run cleanly), never inside Hypothesis's draws.
        take_stop(stop)
        found = ("" if progress.first_failure_example is None
                 else f", shrinking the divergence found in example "
                      f"{progress.first_failure_example}")
        # examples begun: Hypothesis also begins some it abandons (overrun), beyond the
        # `examples` it counts
        status.show(f"example {progress.examples} ({examples} to pass), "
                    f"{progress.steps:,} steps"
                    + found)

    run = MachineRun(on_example=on_example)
    # Ctrl-C and --timeout stop the machine anywhere: what it found is printed either way.
    stop = Stop(timeout)
    stop.enter("the Hypothesis machine")

    logs = ExampleLogs(factory) if log_path is not None and not autonomous else None

    def machine() -> None:
        if autonomous:
            run_autonomous_machine(model, factory, starts=starts, seed=seed, run=run,
                                   machine_settings_=machine_settings(examples, steps),
                                   label=adapter_spec)
            return
        run_machine(model, logs.factory if logs is not None else factory,
                    starts=starts, seed=seed, run=run,
                    machine_settings_=machine_settings(examples, steps), label="adapter")

    try:
        stopped = run_until_stopped(stop, machine)
    finally:
        status.stop()
    if run.failure is not None:
        # The divergence first: a failing write afterwards cannot lose it.
        shrunk = "shrunk" if stopped is None else "shrinking cut short"
        click.echo(f"diverges (first seen in example {run.first_failure_example}, "
                   f"{run.first_failure_seconds:.2f}s; {shrunk}):\n{run.failure.describe()}")
        try:
            path = export_failure_log(run, out) if autonomous else export_failure(run, out)
        except OSError as error:
            raise Failure(f"mapi-submission: error: --out {out}: cannot write the shrunk "
                          f"failure: {os_problem(error)}") from None
        judged = isinstance(run.failure, AutonomousFailure) and run.failure.by_validator
        click.echo(f"written: {path}" + (" (validate-log gives it the same verdict)"
                                          if judged else ""))
        if autonomous:
            _write_text(log_path, run.failure_log, diverged=True)
        else:
            ended = ends_idle(model, run.failure
                              if isinstance(run.failure, LockstepDivergence) else None)
            _write_log(logs, log_path, config, adapter_spec, diverged=True, ended=ended)
        if stop.interrupted:
            raise Interrupted(f"conform stopped early: {stopped}")
        raise Failure("")
    if stopped is not None:
        summary = (f"conform stopped early: {stopped}, after {run.examples} example(s) and "
                   f"{run.steps} step(s) without a divergence")
        raise Interrupted(summary) if stop.interrupted else UsageProblem(summary)
    click.echo(f"conforms: {run.examples} examples, {run.steps} "
               f"{'inputs' if autonomous else 'steps'} from {len(starts)} initial worlds")
    if autonomous:
        _write_text(log_path, run.example_log, diverged=False)
    else:
        _write_log(logs, log_path, config, adapter_spec, diverged=False)


def _write_text(path: Path | None, text: str | None, *, diverged: bool) -> None:
    """--log: a call log, written after the verdict is printed (a failing write is one error
    line; the verdict's exit code stays when it diverged). For an autonomous system, the log
    the run wrote (the shrunk divergence's, else the longest example's)."""
    if path is None or text is None:
        return
    try:
        write_atomic(path, text)
    except OSError as error:
        problem = f"--log {path}: cannot write: {os_problem(error)}"
        if diverged:
            raise Failure(f"mapi-submission: error: {problem}") from None
        raise UsageProblem(problem) from None
    click.echo(f"call log: {path} ({len(text.splitlines()) - 1} records)")


def _write_log(logs: ExampleLogs | None, path: Path | None, config: Config, adapter_spec: str,
               *, diverged: bool, ended: bool = False) -> None:
    """--log: the chosen example's calls, after the verdict is printed (a failing write is
    one error line; the verdict's exit code stays when it diverged)."""
    if logs is None or path is None:
        return
    chosen = logs.chosen(diverged=diverged)
    if chosen is None:
        return
    _write_text(path, chosen.log_text(config, f"conform --adapter {adapter_spec}",
                                      ended=ended), diverged=diverged)
