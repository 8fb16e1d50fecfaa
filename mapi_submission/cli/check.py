"""`mapi-submission check`: explore a bounded configuration and judge every property, with
the Python checker or (`--engine spin`) with SPIN on the exported Promela.

Exit 0 when every property holds, 1 on a violation, 2 on bad usage or when a limit stopped
the exploration (the partial summary is printed first).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Protocol

import click
from rich.console import Console

from mapi_submission.checker.cases import build_case, write_case
from mapi_submission.checker.check import (
    GRAPH_PROPERTY_IDS,
    PROPERTY_IDS,
    Counterexample,
    PropertyVerdict,
    case_id,
    check,
    counterexample_to_json,
    describe_counterexample,
)
from mapi_submission.checker.stopping import Stop, peak_memory_mib
from mapi_submission.generators.spin import SpinProblem, spin_unavailable
from mapi_submission.generators.spin_check import (
    CACHE_ENVIRONMENT,
    DEFAULT_HASH_BITS,
    SpinCheckResult,
    SpinSettings,
    default_cache_root,
    spin_check,
)
from mapi_submission.generators.spin_trail import TrailError
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
from .progress import ExplorationProgress, StatusLine

ENGINES = ("python", "spin")
#: gcc optimisation of pan: -O2 compiles the verifier in seconds (8 s for one message) and
#: searches fastest; -O0 compiles in about one second, for small models.
GCC_OPTIMISATIONS = ("O0", "O1", "O2", "O3")
#: Options of the SPIN engine only, with their defaults.
SPIN_ONLY = {"cores": None, "bitstate": False, "hash_bits": None, "gcc_optimise": None,
             "pan_cache": None}


class Checked(Protocol):
    """What the summary reads from a result: the Python checker's CheckResult or the SPIN
    engine's SpinCheckResult."""

    @property
    def model(self) -> Model: ...
    @property
    def symmetry(self) -> bool: ...
    @property
    def liveness(self) -> bool: ...
    @property
    def verdicts(self) -> list[PropertyVerdict]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def states(self) -> int: ...
    @property
    def transitions(self) -> int: ...
    @property
    def depth(self) -> int: ...
    @property
    def complete(self) -> bool: ...
    @property
    def stopped_by(self) -> str | None: ...
    @property
    def violations(self) -> list[PropertyVerdict]: ...
    @property
    def exit_code(self) -> int: ...


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


def _write_cases(result: Checked, out: Path) -> tuple[dict[str, str], str | None]:
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


def summary_json(result: Checked, cases: dict[str, str], wall: float,
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


def _print_summary(result: Checked, wall: float, peak: float, out: Path | None) -> None:
    model = result.model
    title = _describe_config(model.config, model.variant_name, result.symmetry)
    click.echo(f"mapi-submission check: {title}")
    if isinstance(result, SpinCheckResult):
        click.echo(_engine_line(result))
    click.echo(f"states {result.states:,}  transitions {result.transitions:,}  "
               f"depth {result.depth}")
    rate = f"{result.states / wall:,.0f}" if wall > 0 else "-"
    click.echo(f"wall time {wall:.2f} s  {rate} states/s  peak memory {peak:,.0f} MiB")
    if isinstance(result, SpinCheckResult) and result.coverage is not None:
        click.echo(_coverage_line(result))
    spin_skips_liveness = isinstance(result, SpinCheckResult)
    for v in result.verdicts:
        if spin_skips_liveness and v.property.id in GRAPH_PROPERTY_IDS:
            continue
        status = v.status.upper() if v.status == "violated" else v.status
        note = f"  ({v.note})" if v.note else ""
        click.echo(f"  {status:<9} {v.property.id:<10} {', '.join(v.property.rules):<22}"
                   f"{note}")
    if spin_skips_liveness and any(v.property.id in GRAPH_PROPERTY_IDS for v in result.verdicts):
        click.echo(f"  not checked by the SPIN engine: {', '.join(GRAPH_PROPERTY_IDS)} "
                   "(liveness; check them without --engine spin)")
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
@click.option("--engine", type=click.Choice(ENGINES), default="python", show_default=True,
              help="Who searches: the Python checker, or SPIN on the exported Promela "
                   "(safety properties and DEADLOCK only; needs spin and gcc).")
@click.option("--cores", type=click.IntRange(1, 64), default=None,
              help="--engine spin: pan's multi-core search on this many cores (gcc "
                   "-DNCORE=N).")
@click.option("--bitstate", is_flag=True,
              help="--engine spin: supertrace (gcc -DBITSTATE): one table of bits instead "
                   "of stored states; prints the hash factor and the estimated coverage.")
@click.option("--hash-bits", type=click.IntRange(16, 40), default=None,
              help=f"--bitstate: a table of 2^N bits (pan -wN; default {DEFAULT_HASH_BITS}, "
                   "512 MiB).")
@click.option("--gcc-optimise", type=click.Choice(GCC_OPTIMISATIONS), default=None,
              help="--engine spin: gcc's optimisation of pan (default O2; O0 compiles in "
                   "about a second, for small models).")
@click.option("--pan-cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"--engine spin: where compiled pans are kept (default ${CACHE_ENVIRONMENT}, "
                   "else $XDG_CACHE_HOME/mapi-submission/pan, else "
                   "~/.cache/mapi-submission/pan).")
@click.pass_context
def command(ctx: click.Context, /, variant: str | None, no_symmetry: bool, max_states: int,
            timeout: float | None, max_memory: float | None, as_json: bool,
            out: Path | None, no_liveness: bool, properties: tuple[str, ...], quiet: bool,
            engine: str, cores: int | None, bitstate: bool, hash_bits: int | None,
            gcc_optimise: str | None, pan_cache: Path | None, **options: Any) -> None:
    """Check every invariant, deadlock freedom and liveness on every reachable state of a
    bounded configuration; print shortest counterexamples."""
    spin_options = {"cores": cores, "bitstate": bitstate, "hash_bits": hash_bits,
                    "gcc_optimise": gcc_optimise, "pan_cache": pan_cache}
    if engine == "spin":
        settings = _spin_settings(ctx, max_memory, properties, cores, bitstate, hash_bits,
                                  gcc_optimise)
        _check_with_spin(variant, settings, pan_cache or default_cache_root(), timeout,
                         as_json, out, properties, quiet, options)
        return
    given = [name for name, default in SPIN_ONLY.items() if spin_options[name] != default]
    if given:
        raise UsageProblem(f"check: --{given[0].replace('_', '-')} needs --engine spin")
    config = build_config(**options)
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
    _report(result, time.monotonic() - started, peak_memory_mib(), out, as_json,
            interrupted=stop.interrupted)


def _report(result: Checked, wall: float, peak: float, out: Path | None, as_json: bool,
            engine: dict[str, Any] | None = None, interrupted: bool = False) -> None:
    """The warnings, the summary (text or JSON, with `engine` under its own key), the cases
    written under `out`, and the exit: 1 on a violation, 2 (130 when `interrupted`) when
    the search stopped early."""
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
        if engine is not None:
            summary["engine"] = engine
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        _print_summary(result, wall, peak, out)
        if out is not None:
            cases, write_error = _write_cases(result, out)
            for property_id, path in cases.items():
                click.echo(f"regression case ({property_id}): {path}")
    if write_error is not None:
        click.echo(f"mapi-submission: error: {write_error}", err=True)
    if interrupted:
        raise Interrupted(f"check stopped early: {result.stopped_by} (partial summary above)")
    if result.exit_code == 1:
        raise Failure("")
    if result.exit_code == 2:
        raise _LimitHit(f"check stopped early: {result.stopped_by} (partial summary above)")


def _spin_settings(ctx: click.Context, max_memory: float | None, properties: tuple[str, ...],
                   cores: int | None, bitstate: bool, hash_bits: int | None,
                   gcc_optimise: str | None) -> SpinSettings:
    """The SPIN engine's settings; what SPIN cannot do is refused in one line."""
    reason = spin_unavailable()
    if reason is not None:
        raise UsageProblem(f"check --engine spin: {reason}")
    if ctx.get_parameter_source("max_states") is not click.core.ParameterSource.DEFAULT:
        raise UsageProblem("check --engine spin: --max-states has no pan counterpart; bound "
                           "pan with --max-memory or --timeout")
    liveness = [pid for pid in properties if pid in GRAPH_PROPERTY_IDS]
    if liveness:
        raise UsageProblem(f"check --engine spin: --property {liveness[0]}: liveness is "
                           "checked by the Python engine only (drop --engine spin)")
    if hash_bits is not None and not bitstate:
        raise UsageProblem("check --engine spin: --hash-bits needs --bitstate")
    return SpinSettings(cores=cores or 1, bitstate=bitstate,
                        hash_bits=hash_bits or DEFAULT_HASH_BITS,
                        optimise=f"-{gcc_optimise or 'O2'}",
                        memory_mib=None if max_memory is None else max(int(max_memory), 1))


def _check_with_spin(variant: str | None, settings: SpinSettings, cache_root: Path,
                     timeout: float | None, as_json: bool, out: Path | None,
                     properties: tuple[str, ...], quiet: bool, options: dict[str, Any]) -> None:
    """`check --engine spin`: SPIN's verdicts, printed and written as the Python engine's."""
    config = build_config(**options)
    model = Model(config, variant)
    status = StatusLine("check --engine spin", not quiet)
    phase = ["starting"]

    def on_phase(name: str) -> None:
        phase[0] = name
        status.show(name, phase=True)

    started = time.monotonic()
    try:
        result = spin_check(model, settings, cache_root,
                            selected=frozenset(properties) if properties else None,
                            timeout=timeout, on_phase=on_phase,
                            on_progress=lambda line: status.show(f"searching (pan): {line}"))
    except (SpinProblem, TrailError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
        raise UsageProblem(f"check --engine spin: {first_line}") from None
    except subprocess.TimeoutExpired:
        raise _LimitHit(f"check --engine spin stopped early: --timeout {timeout:g}s reached "
                        f"while {phase[0]}") from None
    except KeyboardInterrupt:
        raise Interrupted(f"check --engine spin: interrupted (Ctrl-C) while "
                          f"{phase[0]}") from None
    finally:
        status.stop()
    _report(result, time.monotonic() - started, max(result.pan_peak_mib, peak_memory_mib()),
            out, as_json, engine=_engine_json(result))


def _search_name(settings: SpinSettings) -> str:
    if settings.breadth_first:
        return "breadth-first search"
    kind = "bitstate (supertrace) search" if settings.bitstate else "depth-first search"
    return f"{kind} on {settings.cores} cores" if settings.cores > 1 else kind


def _engine_line(result: SpinCheckResult) -> str:
    """How SPIN ran: the search, and for each pan built or found in the cache, which."""
    builds = []
    for number, build in enumerate(result.builds):
        # a second build is the breadth-first pan that searched for the counterexamples
        which = "pan" if number == 0 else "breadth-first pan for the counterexamples"
        how = "from the cache" if build.cached else f"compiled in {build.seconds:.1f} s"
        builds.append(f"{which} {how}")
    folder = result.builds[0].folder.parent if result.builds else ""
    return (f"engine spin: {_search_name(result.settings)}, {'; '.join(builds)} "
            f"(cache {folder}); states as pan counts them (one more than the Python engine "
            "without symmetry)")


def _coverage_line(result: SpinCheckResult) -> str:
    coverage = result.coverage or 0.0
    missed = round(result.states * (1 - coverage) / max(coverage, 1e-9))
    return (f"bitstate: hash factor {result.hash_factor:,.1f} (pan: best if > 100), "
            f"{result.bits_per_state} bits per state, 2^{result.settings.hash_bits} bits: "
            f"estimated coverage {100 * coverage:.4f} % (about {missed:,} states missed; "
            "'holds' below is for the states visited)")


def _engine_json(result: SpinCheckResult) -> dict[str, Any]:
    """The SPIN engine's own figures in --json (timings and cache use under "timing")."""
    settings = result.settings
    return {
        "name": "spin",
        "search": _search_name(settings),
        "cores": settings.cores,
        "bitstate": settings.bitstate,
        "hash_bits": settings.hash_bits if settings.bitstate else None,
        "hash_factor": result.hash_factor,
        "estimated_coverage": result.coverage,
        "timing": {
            "search_seconds": result.search_seconds,
            "pan_peak_memory_mib": result.pan_peak_mib,
            "builds": [{"folder": str(b.folder), "cached": b.cached,
                        "seconds": round(b.seconds, 3)} for b in result.builds],
        },
    }
