"""How soon the Hypothesis machine kills each mutant, over seeds (not a test): the examples to
the first failure for the derandomized run and for seeds 1..N, on the kill matrix's machine
(MACHINE_CONFIG, no shrinking), with the median, the largest and the runs that never kill.
`--autonomous`: the machine for a system that acts on its own instead, each mutant's
components deciding for themselves (reference/autonomous.py), on the default configuration.

    .venv/bin/python benchmarks/machine_kills.py results.json [--seeds 16] [--examples 150]
        [--mutant NAME ...] [--autonomous]

The derandomized run is one sample; this is the distribution a user's random seeds see.
Runs two processes at a time. Prints a table; writes the same figures as JSON to the path.
"""

from __future__ import annotations

import argparse
import json
import statistics
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from hypothesis import settings

from mapi_submission.checker.files import write_atomic
from mapi_submission.harness.autonomous_machine import run_autonomous_machine
from mapi_submission.harness.machine import machine_settings
from mapi_submission.kill_matrix import kill_by_machine
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.reference import MUTANTS
from mapi_submission.reference.autonomous import autonomous_mutant


def examples_to_kill(job: tuple[str, int | None, int, bool]
                     ) -> tuple[str, int | None, int | None]:
    """(mutant, seed, examples to the first failure, or None when none came)."""
    name, seed, examples, autonomous = job
    chosen: settings = machine_settings(examples, derandomize=seed is None, shrink=False)
    if autonomous:
        run = run_autonomous_machine(Model(Config()), partial(autonomous_mutant, name),
                                     machine_settings_=chosen, seed=seed, label=name)
        return name, seed, run.first_failure_example
    kill = kill_by_machine(MUTANTS[name].build, chosen, seed=seed, label=name)
    return name, seed, kill.examples if kill.killed else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--examples", type=int, default=150)
    parser.add_argument("--mutant", action="append", choices=sorted(MUTANTS), default=[])
    parser.add_argument("--autonomous", action="store_true")
    arguments = parser.parse_args()
    names = arguments.mutant or sorted(MUTANTS)
    seeds: list[int | None] = [None, *range(1, arguments.seeds + 1)]
    jobs = [(name, seed, arguments.examples, arguments.autonomous)
            for name in names for seed in seeds]
    runs: dict[str, list[int | None]] = {name: [] for name in names}
    with ProcessPoolExecutor(2) as pool:
        for name, _seed, examples in pool.map(examples_to_kill, jobs):
            runs[name].append(examples)
    results = {}
    print(f"{'mutant':32s} {'derandomized':>12s} {'median':>7s} {'most':>5s} {'never':>6s}")
    for name, found in runs.items():
        killed = [e for e in found if e is not None]
        never = len(found) - len(killed)
        # a run that never kills counts as beyond the allowance in the median
        median = statistics.median(e if e is not None else arguments.examples + 1 for e in found)
        results[name] = {"derandomized": found[0], "seeds": found[1:], "median": median,
                         "most": max(killed, default=None), "never": never}
        print(f"{name:32s} {found[0]!s:>12s} {median:>7} {max(killed, default='-')!s:>5s} "
              f"{never:>6d}")
    write_atomic(arguments.out, json.dumps(
        {"examples": arguments.examples, "seeds": arguments.seeds,
         "machine": "autonomous" if arguments.autonomous else "steered", "mutants": results},
        indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
