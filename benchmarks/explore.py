"""Exploration speed and memory (not a test): states per second and peak memory for the
default configuration and for growing message counts, with and without symmetry, and the
ratio against exploring through the `transitions` runtime object on a small configuration.

    .venv/bin/python benchmarks/explore.py results.json [--quick] [--max-states N]

Each measurement runs in its own process so peak memory (ru_maxrss) belongs to it alone.
Prints a table; writes the same figures as JSON to the given path.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from mapi_submission.checker.explore import explore
from mapi_submission.checker.files import write_atomic
from mapi_submission.model import Config, Model
from mapi_submission.model.world import World

DEFAULT = Config()


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure_engine(spec: dict[str, Any]) -> dict[str, Any]:
    """Explore one configuration as `check` does (on the checker's compact worlds), keeping no
    edges, as `check --no-liveness` does."""
    config = Config.from_dict(spec["config"])
    model = Model(config)
    started = time.perf_counter()
    exploration = explore(model, symmetry=spec["symmetry"], keep_edges=False,
                          max_states=spec.get("max_states"))
    seconds = time.perf_counter() - started
    return {
        "states": len(exploration.states),
        "transitions": exploration.transitions,
        "complete": exploration.stopped is None,
        "seconds": round(seconds, 3),
        "states_per_second": round(len(exploration.states) / seconds),
        "peak_memory_mib": round(_peak_mib(), 1),
    }


def measure_runtime(spec: dict[str, Any]) -> dict[str, Any]:
    """Breadth-first search through the `transitions` runtime object (model/runtime.py): one
    `Submission`, placed in each world to list its `enabled()` steps and placed there again
    before each step is taken by `fire`; against the engine's pure
    successor function over the same states from the same initial worlds."""
    from mapi_submission.model.runtime import Submission

    config = Config.from_dict(spec["config"])
    limit = spec.get("max_states") or 2000
    starts = Model(config).initial_worlds()

    started = time.perf_counter()
    runtime = Submission(config, world=starts[0])
    seen: set[World] = set(starts)
    queue: deque[World] = deque(starts)
    while queue and len(seen) < limit:
        world = queue.popleft()
        runtime.place(world)
        for step in runtime.enabled():
            runtime.place(world)
            runtime.fire(step)
            if runtime.world not in seen:
                seen.add(runtime.world)
                queue.append(runtime.world)
    runtime_seconds = time.perf_counter() - started

    model = Model(config)
    started = time.perf_counter()
    engine_seen = set(starts)
    frontier: deque[World] = deque(starts)
    while frontier and len(engine_seen) < len(seen):
        world = frontier.popleft()
        for _, after in model.successors(world):
            if after not in engine_seen:
                engine_seen.add(after)
                frontier.append(after)
    engine_seconds = time.perf_counter() - started
    runtime_rate = len(seen) / runtime_seconds
    engine_rate = len(engine_seen) / engine_seconds
    return {
        "available": True,
        "states": len(seen),
        "runtime_states_per_second": round(runtime_rate),
        "engine_states_per_second": round(engine_rate),
        "engine_over_runtime": round(engine_rate / runtime_rate, 1),
    }


def _in_subprocess(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind, json.dumps(spec)],
        check=True, capture_output=True, text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def plan(quick: bool, max_states: int | None) -> list[tuple[str, dict[str, Any]]]:
    runs: list[tuple[str, dict[str, Any]]] = []
    default = DEFAULT.to_dict()
    runs.append(("default, symmetry", {"config": default, "symmetry": True,
                                       "max_states": max_states}))
    runs.append(("default, no symmetry", {"config": default, "symmetry": False,
                                          "max_states": max_states}))
    counts = (1, 2) if quick else (1, 2, 3)
    for messages in counts:
        config = Config(messages=messages, recipients=1, transports=1).to_dict()
        for symmetry in (True, False):
            label = (f"{messages} msg x 1 rcpt, 1 transport, "
                     f"{'symmetry' if symmetry else 'no symmetry'}")
            runs.append((label, {"config": config, "symmetry": symmetry,
                                 "max_states": max_states}))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", type=Path, help="where to write the JSON results")
    parser.add_argument("--quick", action="store_true", help="fewer, smaller configurations")
    parser.add_argument("--max-states", type=int, default=None,
                        help="stop each exploration after this many states")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, spec = args.measure
        measure = measure_engine if kind == "engine" else measure_runtime
        print(json.dumps(measure(json.loads(spec))))
        return
    if args.out is None:
        parser.error("the JSON output path is required")

    rows: list[dict[str, Any]] = []
    print(f"{'configuration':<44} {'states':>10} {'transitions':>12} {'seconds':>8} "
          f"{'states/s':>9} {'peak MiB':>9}")
    for label, spec in plan(args.quick, args.max_states):
        figures = _in_subprocess("engine", spec)
        rows.append({"configuration": label, **spec, **figures})
        mark = "" if figures["complete"] else " (stopped at limit)"
        print(f"{label:<44} {figures['states']:>10,} {figures['transitions']:>12,} "
              f"{figures['seconds']:>8.2f} {figures['states_per_second']:>9,} "
              f"{figures['peak_memory_mib']:>9,.0f}{mark}", flush=True)

    reductions: dict[str, float] = {}
    by_label = {row["configuration"]: row for row in rows}
    for row in rows:
        label = row["configuration"]
        if label.endswith(", symmetry") and row["complete"]:
            full = by_label.get(label[: -len("symmetry")] + "no symmetry")
            if full and full["complete"]:
                reductions[label[: -len(", symmetry")]] = round(
                    full["states"] / row["states"], 2)
    for label, ratio in reductions.items():
        print(f"symmetry reduction, {label}: {ratio}x")

    small = Config(messages=1).to_dict()
    runtime = _in_subprocess("runtime", {"config": small, "max_states": 3000})
    if runtime.get("available"):
        print(f"runtime ({runtime['states']:,} states): engine "
              f"{runtime['engine_states_per_second']:,} states/s, transitions runtime "
              f"{runtime['runtime_states_per_second']:,} states/s, ratio "
              f"{runtime['engine_over_runtime']}x")
    else:
        print(f"runtime comparison not measured: {runtime['reason']}")
    write_atomic(args.out, json.dumps({"runs": rows, "symmetry_reduction": reductions,
                                       "runtime": runtime}, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
