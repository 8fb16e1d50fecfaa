"""Running SPIN on an exported Promela text (generators/promela.py) and reading pan's report:
for `mapi-submission export promela --verify`, the SPIN cross-check tests and the benchmark
against SPIN (benchmarks/vs_spin.py).

pan exits 0 even when it finds an error, so the verdict is read from its output: the
`errors:` line, and the error lines naming the property whose flag an assertion read
(`assertion violated !(I_LOCK1)`) or an invalid end state (DEADLOCK).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypedDict

from mapi_submission.model.errors import MapiSubmissionError

from .promela_translations import STATE_PROPERTY_PROMELA, STEP_PROPERTY_PROMELA, property_flag

#: Flags the assertions read -> property ids.
_FLAG_PROPERTIES: dict[str, str] = {
    property_flag(pid): pid for pid in (*STATE_PROPERTY_PROMELA, *STEP_PROPERTY_PROMELA)}
DEADLOCK_ID = "DEADLOCK"
#: Compilation: safety only (no cycle detection), and no partial-order reduction so the
#: stored states are the reachable states (every step reads shared variables anyway).
PAN_DEFINES = ("-DSAFETY", "-DNOREDUCE")
#: DFS stack bound; the search is reported incomplete if pan says it was too small.
PAN_DEPTH = 1_000_000


@dataclass(frozen=True)
class PanResult:
    """What one SPIN verification reported (parsed from pan's output: pan exits 0 even
    when it finds an error)."""

    states: int  # "states, stored": distinct reachable states
    transitions: int
    depth: int  # deepest point of the depth-first search (not a shortest-path depth)
    errors: int
    violated: tuple[str, ...]  # property ids, sorted; DEADLOCK for an invalid end state
    other_errors: tuple[str, ...]  # error lines naming no exported property
    complete: bool  # the search was not cut short (depth bound, memory)
    state_vector_bytes: int
    pan_elapsed_seconds: float | None  # the search time pan reports (no start-up)
    translate_seconds: float  # spin -a
    compile_seconds: float  # gcc
    search_seconds: float  # ./pan, wall
    peak_memory_mib: float  # of the pan process (resident set size)
    output: str
    #: `spin -t -p` of the first error's trail, when one was asked for and an error found
    trail: str | None = None
    #: the property that first error violates (None: an error naming no property)
    trail_property: str | None = None
    #: bitstate (gcc -DBITSTATE): bits of the table per state stored, and bits set per state
    hash_factor: float | None = None
    bits_per_state: int | None = None

    @property
    def holds(self) -> bool:
        return self.complete and self.errors == 0

    @property
    def states_per_second(self) -> float:
        """Stored states per second of search, by pan's own clock where it reports one."""
        seconds = self.pan_elapsed_seconds or self.search_seconds
        return self.states / max(seconds, 1e-3)


class SpinProblem(MapiSubmissionError, RuntimeError):
    """spin or gcc failed, or pan's output could not be read."""


def spin_unavailable() -> str | None:
    """Why SPIN verification cannot run here, or None when spin and gcc are installed."""
    import shutil

    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (scripts/install-system-deps.sh "
                f"installs {'them' if len(missing) > 1 else 'it'})")
    return None


#: Multi-core pan (gcc -DNCORE=N) prefixes the lines of each worker with `cpuN: `.
_CPU_PREFIX = r"(?:cpu\d+: )?"
#: pan prints its counts with printf's %g: exact below 10^8 states (the breadth-first
#: "nominal states" below 10^6), in exponent notation to 8 (6) significant digits beyond.
_COUNT = r"([0-9.]+(?:e[+-]?\d+)?)"


class PanFigures(TypedDict):
    """What parse_pan_output reads from pan's report (the fields of PanResult it fills)."""

    states: int
    transitions: int
    depth: int
    errors: int
    violated: tuple[str, ...]
    other_errors: tuple[str, ...]
    complete: bool
    state_vector_bytes: int
    pan_elapsed_seconds: float | None
    hash_factor: float | None
    bits_per_state: int | None


def parse_pan_output(output: str) -> PanFigures:
    """The figures and errors of pan's report (see PanResult), from the single-core,
    multi-core (lines prefixed `cpuN: `), breadth-first and bitstate forms."""
    import re

    def number(pattern: str) -> int:
        found = re.search(pattern, output)
        if found is None:
            raise SpinProblem(f"pan output has no {pattern!r}:\n{output[-2000:]}")
        return round(float(found.group(1)))

    violated: set[str] = set()
    other: list[str] = []
    for line in output.splitlines():
        found = parse_error_line(line)
        if found is None:
            continue
        if found[0] is not None:
            violated.add(found[0])
        else:
            other.append(found[1])
    elapsed = re.search(_CPU_PREFIX + r"(?:pan: )?elapsed time ([0-9.e+-]+) seconds", output)
    truncated = ("max search depth too small" in output or "out of memory" in output.lower()
                 or "search not completed" in output or "reached -DMEMLIM bound" in output
                 or "insufficient memory" in output)
    # breadth-first pan also counts the states inside atomic sequences as stored; its
    # "nominal states" are the reachable states a depth-first search stores
    nominal = re.search(_COUNT + r" nominal states", output)
    factor = re.search(r"hash factor: ([0-9.e+-]+)", output)
    bits = re.search(r"bits set per state: (\d+)", output)
    return {
        "states": (round(float(nominal.group(1))) if nominal
                   else number(_COUNT + r" states, stored")),
        "transitions": number(_COUNT + r" transitions \(= stored\+matched\)"),
        "depth": number(r"depth reached (\d+)"),
        "errors": number(r"errors: (\d+)"),
        "violated": tuple(sorted(violated)),
        "other_errors": tuple(sorted(set(other))),
        "complete": not truncated,
        "state_vector_bytes": number(r"State-vector (\d+) byte"),
        "pan_elapsed_seconds": float(elapsed.group(1)) if elapsed else None,
        "hash_factor": float(factor.group(1)) if factor else None,
        "bits_per_state": int(bits.group(1)) if bits else None,
    }


def parse_error_line(line: str) -> tuple[str | None, str, int] | None:
    """An error line of pan (`pan:N: assertion violated !(I_LOCK1) (at depth 7)`, possibly
    prefixed `cpuN: `): (the property it names or None, its text, the error's number N);
    None for other lines."""
    import re

    error = re.match(_CPU_PREFIX + r"pan:(\d+): (.*?)(?: \(at depth \d+\))?$", line)
    if error is None:
        return None
    number, text = int(error.group(1)), error.group(2)
    flag = re.fullmatch(r"assertion violated\s+!\((\w+)\)", text)
    if flag is not None and flag.group(1) in _FLAG_PROPERTIES:
        return _FLAG_PROPERTIES[flag.group(1)], text, number
    if text.startswith("invalid end state"):
        return DEADLOCK_ID, text, number
    return None, text, number


def run_tool(command: list[str], where: str, timeout: float | None = None,
             on_line: Callable[[str], bool] | None = None) -> tuple[float, str, float]:
    """Run `command` in folder `where`: wall seconds, output (stdout and stderr) and peak
    resident MiB of the process. It runs in a process group of its own, so a timeout, Ctrl-C
    or `on_line` returning True (told each output line; True: enough was read) stops the
    workers multi-core pan forks too. A timeout raises subprocess.TimeoutExpired; a failure
    (non-zero exit not asked for) SpinProblem."""
    import os
    import signal
    import subprocess
    import threading
    import time

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=where, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def kill() -> None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer is not None:
        timer.start()
    stopped_early = False
    try:
        assert process.stdout is not None
        if on_line is None:
            output = process.stdout.read()
        else:
            lines = []
            for line in process.stdout:
                lines.append(line)
                if not stopped_early and on_line(line.rstrip("\n")):
                    stopped_early = True
                    kill()
            output = "".join(lines)
        process.stdout.close()
        # reaping the child with wait4 gives its own rusage (ru_maxrss in KiB on Linux)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:  # Ctrl-C: the child and its workers must not outlive the run
        kill()
        process.wait()
        raise
    finally:
        if timer is not None:
            timer.cancel()
    seconds = time.perf_counter() - started
    if timeout and seconds >= timeout and process.returncode < 0 and not stopped_early:
        raise subprocess.TimeoutExpired(command, timeout)
    if process.returncode != 0 and not stopped_early:
        raise SpinProblem(f"{' '.join(command)} failed ({process.returncode}):\n"
                          f"{output[-2000:]}")
    return seconds, output, usage.ru_maxrss / 1024


def verify_with_spin(text: str, directory: str | None = None, *, optimise: str = "-O2",
                     defines: Iterable[str] = (), pan_options: Iterable[str] = (),
                     spin_options: Iterable[str] = (), all_errors: bool = True,
                     timeout: float | None = None,
                     on_phase: Callable[[str], None] | None = None,
                     keep_trail: bool = False) -> PanResult:
    """Translate, compile and run `text` (from `promela.to_promela`) in `directory` (a temporary
    one when None). `defines` go to gcc, `spin_options` to spin -a (e.g. -DMULTICORE for a
    model that gcc -DNCORE=N can compile), `pan_options` to pan. `all_errors` runs pan with
    -c0 so every violated property is reported, not just the first. `timeout` bounds each of
    the three commands; `on_phase` is told as each begins ("translating", "compiling",
    "searching"). `keep_trail`: when pan finds an error, search again stopping at the first
    (pan writes a trail only then) and keep that trail as `spin -t -p` prints it."""
    import os
    import tempfile

    def timed(command: list[str], where: str) -> tuple[float, str, float]:
        return run_tool(command, where, timeout)

    with tempfile.TemporaryDirectory(prefix="mapi-spin-") as scratch:
        where = directory or scratch
        with open(os.path.join(where, "model.pml"), "w", encoding="utf-8") as handle:
            handle.write(text)
        tell = on_phase or (lambda phase: None)
        tell("translating")
        translate, _, _ = timed(["spin", *spin_options, "-a", "model.pml"], where)
        tell("compiling")
        compile_, _, _ = timed(["gcc", optimise, *PAN_DEFINES, *defines, "-o", "pan", "pan.c"],
                               where)
        options = [f"-m{PAN_DEPTH}", *(["-c0"] if all_errors else []), *pan_options]
        tell("searching")
        search, output, peak = timed(["./pan", *options], where)
        figures = parse_pan_output(output)
        trail = trail_property = None
        if keep_trail and figures["errors"]:
            tell("reading the trail")
            _, first, _ = timed(["./pan", f"-m{PAN_DEPTH}", "-c1", *pan_options], where)
            first_violated = parse_pan_output(first)["violated"]
            trail_property = first_violated[0] if first_violated else None
            _, trail, _ = timed(["spin", "-t", "-p", "model.pml"], where)
    return PanResult(translate_seconds=round(translate, 3), compile_seconds=round(compile_, 3),
                     search_seconds=round(search, 3), peak_memory_mib=round(peak, 1),
                     output=output, trail=trail, trail_property=trail_property,
                     **figures)
