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
                "installs them)")
    return None


def parse_pan_output(output: str) -> dict[str, object]:
    """The figures and errors of pan's report (see PanResult)."""
    import re

    def number(pattern: str) -> int:
        found = re.search(pattern, output)
        if found is None:
            raise SpinProblem(f"pan output has no {pattern!r}:\n{output[-2000:]}")
        return int(found.group(1))

    violated: set[str] = set()
    other: list[str] = []
    for line in output.splitlines():
        error = re.match(r"pan:\d+: (.*?)(?: \(at depth \d+\))?$", line)
        if error is None:
            continue
        text = error.group(1)
        flag = re.fullmatch(r"assertion violated\s+!\((\w+)\)", text)
        if flag is not None and flag.group(1) in _FLAG_PROPERTIES:
            violated.add(_FLAG_PROPERTIES[flag.group(1)])
        elif text.startswith("invalid end state"):
            violated.add(DEADLOCK_ID)
        else:
            other.append(text)
    elapsed = re.search(r"pan: elapsed time ([0-9.e+-]+) seconds", output)
    truncated = ("max search depth too small" in output or "out of memory" in output.lower()
                 or "search not completed" in output)
    return {
        "states": number(r"(\d+) states, stored"),
        "transitions": number(r"(\d+) transitions \(= stored\+matched\)"),
        "depth": number(r"depth reached (\d+)"),
        "errors": number(r"errors: (\d+)"),
        "violated": tuple(sorted(violated)),
        "other_errors": tuple(sorted(set(other))),
        "complete": not truncated,
        "state_vector_bytes": number(r"State-vector (\d+) byte"),
        "pan_elapsed_seconds": float(elapsed.group(1)) if elapsed else None,
    }


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
    import subprocess
    import tempfile
    import threading
    import time

    def timed(command: list[str], where: str) -> tuple[float, str, float]:
        """Run `command`; wall seconds, output and peak resident MiB of that process."""
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=where, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer is not None:
            timer.start()
        try:
            assert process.stdout is not None
            output = process.stdout.read()
            process.stdout.close()
            # reaping the child with wait4 gives its own rusage (ru_maxrss in KiB on Linux)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:  # Ctrl-C: the child must not outlive the run
            process.kill()
            process.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        seconds = time.perf_counter() - started
        if timeout and seconds >= timeout and process.returncode < 0:
            raise subprocess.TimeoutExpired(command, timeout)
        if process.returncode != 0:
            raise SpinProblem(f"{' '.join(command)} failed ({process.returncode}):\n"
                              f"{output[-2000:]}")
        return seconds, output, usage.ru_maxrss / 1024

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
            trail_property = first_violated[0] if first_violated else None  # type: ignore[index]
            _, trail, _ = timed(["spin", "-t", "-p", "model.pml"], where)
    return PanResult(translate_seconds=round(translate, 3), compile_seconds=round(compile_, 3),
                     search_seconds=round(search, 3), peak_memory_mib=round(peak, 1),
                     output=output, trail=trail, trail_property=trail_property,
                     **figures)  # type: ignore[arg-type]
