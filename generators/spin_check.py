"""Checking a configuration's safety properties with SPIN (`mapi-submission check --engine
spin`): the exported Promela, a compiled pan kept in a cache, pan's verdict read back as the
checker's verdicts, and a shortest counterexample per violated property.

- **Compilation once per model**: pan is built (spin -a, gcc) into a cache folder named by a
  hash of the Promela text, the spin and gcc options and the versions of both tools, so a
  second run of the same check skips both. An entry is built in a temporary folder beside it
  and renamed into place, so a concurrent run sees a whole pan or none. pan always runs in a
  scratch folder of its own (it writes its trail, and multi-core pan keys its shared memory
  on the model file there), never in the cache.
- **Verdict**: pan with `-c0` (it searches on past errors, so every violated property is
  reported and the reachable space is the whole one). Without `cores` or `bitstate` the
  search is breadth-first (gcc -DBFS); with them it is pan's depth-first multi-core
  (-DNCORE=N) or bitstate (-DBITSTATE) search.
- **Counterexamples**: breadth-first pan finds errors level by level, so the first error it
  reports for a property is at the smallest depth any path breaks it. Its number N in pan's
  report is stable for a given pan, and `pan -cN` stops there and writes that trail, which
  spin_trail reads back into the model's steps. A depth-first verdict (multi-core, bitstate)
  is followed by a breadth-first search that stops as soon as every violated property has
  appeared. (pan's -i/-I iterative shortening was not used: it shortens the trail of the first
  error only, whichever property that is.)
- **What SPIN does not judge**: L-FINAL and L1-L3 (the export has no liveness; see
  generators/promela.py); they are reported as skipped.

The result has the checker's shape (verdicts, counterexamples, states, exit code), so the
command line prints and writes it as it does the Python engine's.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mapi_submission.checker.check import (
    DEADLOCK,
    FINAL_REACHABLE,
    GRAPH_PROPERTY_IDS,
    HOLDS,
    PROPERTY_IDS,
    SKIPPED,
    VIOLATED,
    Counterexample,
    Judged,
    PropertyVerdict,
)
from mapi_submission.model.engine import Model
from mapi_submission.properties import (
    Property,
    liveness_properties,
    state_properties,
    step_properties,
)

from .promela import to_promela
from .spin import PAN_DEFINES, PAN_DEPTH, SpinProblem, parse_error_line, parse_pan_output, run_tool
from .spin_trail import shortest_trail_counterexample

#: Where compiled pans are kept unless told otherwise (XDG_CACHE_HOME, else ~/.cache).
CACHE_ENVIRONMENT = "MAPI_SUBMISSION_PAN_CACHE"
#: Bits of the bitstate table by default: 2^32 bits, 512 MiB.
DEFAULT_HASH_BITS = 32
#: Bits pan sets per state in the bitstate table (-k).
BITS_PER_STATE = 3
#: spin -a option under which the export keeps its scratch variables in the state vector:
#: breadth-first and multi-core pan cannot compile a model with hidden variables.
VISIBLE_SCRATCH = "-DMULTICORE"
LIVENESS_NOTE = "not checked by the SPIN engine (liveness needs the Python engine)"


def default_cache_root() -> Path:
    """$MAPI_SUBMISSION_PAN_CACHE, else $XDG_CACHE_HOME/mapi-submission/pan, else
    ~/.cache/mapi-submission/pan."""
    chosen = os.environ.get(CACHE_ENVIRONMENT)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mapi-submission" / "pan"


@dataclass(frozen=True)
class SpinSettings:
    """How pan searches: `cores` > 1 for multi-core pan, `bitstate` for supertrace with a
    table of 2^hash_bits bits; `memory_mib` bounds pan's memory (gcc -DMEMLIM)."""

    cores: int = 1
    bitstate: bool = False
    hash_bits: int = DEFAULT_HASH_BITS
    optimise: str = "-O2"
    memory_mib: int | None = None

    @property
    def breadth_first(self) -> bool:
        return self.cores == 1 and not self.bitstate

    def verdict_build(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(spin -a options, gcc options) of the pan that gives the verdict."""
        if self.breadth_first:
            return self.counterexample_build()
        defines = [*PAN_DEFINES, *self._memory()]
        if self.cores > 1:
            defines.append(f"-DNCORE={self.cores}")
        if self.bitstate:
            defines.append("-DBITSTATE")
        spin = (VISIBLE_SCRATCH,) if self.cores > 1 else ()
        return spin, (self.optimise, *defines)

    def counterexample_build(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(spin -a options, gcc options) of the breadth-first pan that finds the shortest
        trails."""
        return (VISIBLE_SCRATCH,), (self.optimise, *PAN_DEFINES, "-DBFS", *self._memory())

    def verdict_options(self) -> list[str]:
        options = [f"-m{PAN_DEPTH}", "-c0"]
        if self.bitstate:
            options += [f"-w{self.hash_bits}", f"-k{BITS_PER_STATE}"]
        return options

    def _memory(self) -> list[str]:
        return [f"-DMEMLIM={self.memory_mib}"] if self.memory_mib else []


@dataclass(frozen=True)
class PanBuild:
    folder: Path  # holds `pan` and the `model.pml` it was built from
    cached: bool  # found in the cache: no spin -a, no gcc this run
    seconds: float  # spin -a + gcc, or the look-up


@dataclass
class SpinCheckResult(Judged):
    """The checker's CheckResult, as far as SPIN tells it: the same verdicts (liveness
    skipped), counterexamples and exit code, and pan's own figures."""

    model: Model
    settings: SpinSettings
    verdicts: list[PropertyVerdict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    states: int = 0
    transitions: int = 0
    depth: int = 0
    stopped: str | None = None
    builds: list[PanBuild] = field(default_factory=list)
    search_seconds: float = 0.0
    pan_peak_mib: float = 0.0
    hash_factor: float | None = None
    bits_per_state: int | None = None
    #: SPIN explores every numbering of the messages and judges no liveness
    symmetry: bool = False
    liveness: bool = False

    @property
    def stopped_by(self) -> str | None:
        return self.stopped

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def coverage(self) -> float | None:
        """Bitstate only: the estimated fraction of the reachable states the search visited
        (see bitstate_coverage)."""
        if self.hash_factor is None or self.bits_per_state is None:
            return None
        return bitstate_coverage(self.hash_factor, self.bits_per_state)


def bitstate_coverage(hash_factor: float, bits_per_state: int) -> float:
    """The expected fraction of states a bitstate search visits, from pan's hash factor h
    (table bits per state stored) and the k bits set per state: after a fraction t of the
    n states is stored, a new state is wrongly taken for a visited one when its k bits are
    all set already, with probability about (1 - e^(-k t / h))^k. Averaged over the search,
    the fraction missed is the integral of that over t from 0 to 1 (midpoint rule). States
    only reachable through a missed one are missed too, and are not in this estimate."""
    if hash_factor <= 0:
        return 0.0
    steps = 1000
    missed = sum((1 - math.exp(-bits_per_state * ((i + 0.5) / steps) / hash_factor))
                 ** bits_per_state for i in range(steps)) / steps
    return 1.0 - missed


# ---- the compile cache ------------------------------------------------------------------------


def _tool_versions() -> str:
    """spin's and gcc's versions: a pan is only reused with the tools that built it."""
    spin = subprocess.run(["spin", "-V"], capture_output=True, text=True, check=False).stdout
    gcc = subprocess.run(["gcc", "-dumpfullversion", "-dumpversion"], capture_output=True,
                         text=True, check=False).stdout
    return f"{spin.strip()} / gcc {gcc.strip()}"


def cache_key(text: str, spin_options: Iterable[str], gcc_options: Iterable[str],
              versions: str) -> str:
    """The name of a compiled pan: a hash of everything that goes into it."""
    recipe = json.dumps({"promela": hashlib.sha256(text.encode()).hexdigest(),
                         "spin": list(spin_options), "gcc": list(gcc_options),
                         "tools": versions}, sort_keys=True)
    return hashlib.sha256(recipe.encode()).hexdigest()[:32]


def build_pan(text: str, spin_options: tuple[str, ...], gcc_options: tuple[str, ...],
              cache_root: Path, *, timeout: float | None = None,
              on_phase: Callable[[str], None] | None = None) -> PanBuild:
    """The pan of `text` compiled with these options: from the cache, or built into a
    temporary folder beside the entry and renamed into place (a concurrent build of the
    same entry loses the rename and uses the winner's)."""
    started = time.perf_counter()
    versions = _tool_versions()
    key = cache_key(text, spin_options, gcc_options, versions)
    entry = cache_root / key
    if (entry / "pan").is_file():
        return PanBuild(entry, True, time.perf_counter() - started)
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache_root))
    except OSError as error:
        raise SpinProblem(f"the pan cache {cache_root}: cannot write: "
                          f"{error.strerror or error}") from None
    try:
        (building / "model.pml").write_text(text, encoding="utf-8")
        tell = on_phase or (lambda phase: None)
        tell("translating (spin -a)")
        run_tool(["spin", *spin_options, "-a", "model.pml"], str(building), timeout)
        tell(f"compiling pan (gcc {' '.join(gcc_options)})")
        run_tool(["gcc", *gcc_options, "-o", "pan", "pan.c"], str(building), timeout)
        recipe = {"spin": list(spin_options), "gcc": list(gcc_options), "tools": versions}
        (building / "build.json").write_text(json.dumps(recipe, indent=2) + "\n")
        for generated in building.glob("pan.[bchmpt]"):
            generated.unlink()  # only pan and model.pml are needed to run and replay
        try:
            building.rename(entry)
        except OSError:
            if not (entry / "pan").is_file():
                raise
            shutil.rmtree(building, ignore_errors=True)  # a concurrent run built it first
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return PanBuild(entry, False, time.perf_counter() - started)


# ---- the check --------------------------------------------------------------------------------


class _Deadline:
    """What is left of the run's --timeout for the next command."""

    def __init__(self, timeout: float | None) -> None:
        self.end = None if timeout is None else time.monotonic() + timeout

    def left(self) -> float | None:
        if self.end is None:
            return None
        return max(self.end - time.monotonic(), 0.01)


def spin_check(model: Model, settings: SpinSettings, cache_root: Path, *,
               selected: frozenset[str] | None = None, timeout: float | None = None,
               on_phase: Callable[[str], None] | None = None,
               on_progress: Callable[[str], None] | None = None) -> SpinCheckResult:
    """Check `model`'s safety properties with SPIN (see the module's docstring). `selected`:
    the properties to report (all when None); liveness ones cannot be selected. `on_phase`
    is told as each phase begins, `on_progress` each progress line of pan's search
    (`Depth= ... States= ...`). A timeout raises subprocess.TimeoutExpired, spin or gcc
    failing SpinProblem."""
    if selected is not None and selected & set(GRAPH_PROPERTY_IDS):
        raise ValueError("liveness properties are not checked by SPIN")
    tell = on_phase or (lambda phase: None)
    deadline = _Deadline(timeout)
    text = to_promela(model.config, model.variant_name)
    result = SpinCheckResult(model, settings)
    spin_options, gcc_options = settings.verdict_build()
    verdict_pan = build_pan(text, spin_options, gcc_options, cache_root,
                            timeout=deadline.left(), on_phase=tell)
    result.builds.append(verdict_pan)
    with tempfile.TemporaryDirectory(prefix="mapi-pan-") as scratch:
        shutil.copyfile(verdict_pan.folder / "model.pml", Path(scratch) / "model.pml")
        tell("searching (pan)")

        def progress(line: str) -> bool:
            if on_progress is not None and "Depth=" in line:
                on_progress(" ".join(line.split()))
            return False  # read on to the end

        seconds, output, peak = run_tool(
            [str(verdict_pan.folder / "pan"), *settings.verdict_options()], scratch,
            deadline.left(), on_line=progress)
    figures = parse_pan_output(output)
    result.states, result.transitions = figures["states"], figures["transitions"]
    result.depth = figures["depth"]
    result.search_seconds, result.pan_peak_mib = round(seconds, 3), round(peak, 1)
    result.hash_factor, result.bits_per_state = figures["hash_factor"], figures["bits_per_state"]
    if figures["other_errors"]:
        # an assertion of the export itself (INSIDE_CALL_AMBIGUOUS): its limit, not a verdict
        result.stopped = ("pan reported an error naming no property: "
                          + "; ".join(" ".join(e.split()) for e in figures["other_errors"]))
    elif not figures["complete"]:
        result.stopped = "pan's search was cut short (depth bound or memory)"
    if result.stopped is not None:
        result.warnings.append(f"{result.stopped}: properties without a counterexample are "
                               "not proven")
    reported = [pid for pid in PROPERTY_IDS
                if pid in figures["violated"] and (selected is None or pid in selected)]
    first_errors = _first_errors(output) if settings.breadth_first else None
    examples: dict[str, Counterexample] = {}
    if reported:
        examples = _counterexamples(model, text, settings, cache_root, reported, first_errors,
                                    deadline, tell, result)
    result.verdicts = _verdicts(result, reported, examples, selected)
    return result


def _first_errors(output: str) -> dict[str, int]:
    first: dict[str, int] = {}
    for line in output.splitlines():
        parsed = parse_error_line(line)
        if parsed is not None and parsed[0] is not None:
            first.setdefault(parsed[0], parsed[2])
    return first


def _counterexamples(model: Model, text: str, settings: SpinSettings, cache_root: Path,
                     reported: list[str], first_errors: dict[str, int] | None,
                     deadline: _Deadline, tell: Callable[[str], None],
                     result: SpinCheckResult) -> dict[str, Counterexample]:
    """Property id -> its shortest counterexample, from breadth-first pan's trails."""
    spin_options, gcc_options = settings.counterexample_build()
    pan = build_pan(text, spin_options, gcc_options, cache_root, timeout=deadline.left(),
                    on_phase=tell)
    if all(pan.folder != earlier.folder for earlier in result.builds):
        result.builds.append(pan)
    examples: dict[str, Counterexample] = {}
    with tempfile.TemporaryDirectory(prefix="mapi-pan-") as scratch:
        shutil.copyfile(pan.folder / "model.pml", Path(scratch) / "model.pml")
        command = [str(pan.folder / "pan"), f"-m{PAN_DEPTH}"]
        if first_errors is None:
            tell("searching breadth first for the shortest counterexamples")
            found: dict[str, int] = {}
            first_errors = found
            wanted = set(reported)

            def note(line: str) -> bool:
                """Keep the first error of each wanted property; enough once all are seen."""
                parsed = parse_error_line(line)
                if parsed is not None and parsed[0] in wanted:
                    found.setdefault(str(parsed[0]), parsed[2])
                return wanted <= set(found)

            run_tool([*command, "-c0"], scratch, deadline.left(), on_line=note)
        for pid in reported:
            if pid not in first_errors:
                result.warnings.append(f"{pid}: the breadth-first search found no "
                                       "counterexample")
                continue
            tell(f"writing the trail of {pid}")
            trail_file = Path(scratch) / "model.pml.trail"
            trail_file.unlink(missing_ok=True)
            run_tool([*command, f"-c{first_errors[pid]}"], scratch, deadline.left())
            if not trail_file.is_file():
                raise SpinProblem(f"pan -c{first_errors[pid]} wrote no trail for {pid}")
            _, trail, _ = run_tool(["spin", *spin_options, "-t", "-p", "model.pml"], scratch,
                                   deadline.left())
            examples[pid] = shortest_trail_counterexample(model, text, trail, pid)
    return examples


def _verdicts(result: SpinCheckResult, reported: list[str],
              examples: dict[str, Counterexample],
              selected: frozenset[str] | None) -> list[PropertyVerdict]:
    """One verdict per property, in the checker's order: violated with its counterexample,
    holds when the search was complete, otherwise skipped; liveness skipped."""
    every: list[Property] = [*state_properties(), *step_properties(), DEADLOCK]
    verdicts: list[PropertyVerdict] = []
    for prop in every:
        if selected is not None and prop.id not in selected:
            continue
        if prop.id in reported:
            verdicts.append(PropertyVerdict(prop, VIOLATED,
                                            counterexample=examples.get(prop.id)))
        elif result.complete:
            verdicts.append(PropertyVerdict(prop, HOLDS))
        else:
            verdicts.append(PropertyVerdict(prop, SKIPPED,
                                            note=f"not checked: {result.stopped}"))
    if selected is None:
        verdicts += [PropertyVerdict(prop, SKIPPED, note=LIVENESS_NOTE)
                     for prop in (FINAL_REACHABLE, *liveness_properties())]
    return verdicts
