"""Log validation speed and memory on a day of a server's traffic: 1,000,000 records over about
100,000 messages, at most 5 of them alive at once (goal: under 60 s and 500 MB).

    .venv/bin/python benchmarks/validate_log.py [--records N] [--seed S] [--profile]
    .venv/bin/python benchmarks/validate_log.py --ten-messages [--records N] [--seed S]

The log comes from a seeded random run of the model on Config(messages=5, recipients=1,
transports=1): when a message finishes (or is deleted) its slot starts over with a fresh
message under a new id, as a server's next message would. Every record carries the full
observed state of its message; the header gives the configuration and the initial world. It is
written to a temporary file and judged by `validate_log_file`, the function the `validate-log`
command calls (streaming, progress on stderr). Printed: wall time, records/s and the peak
memory of the judging process and of the one reading the log ahead (ru_maxrss; the log is
generated record by record, so the first is the validator's). `--profile` runs the validation
under cProfile and prints the top entries.

`--ten-messages` is the earlier benchmark: a 100,000-step run of ten interleaved messages that
never start over (only loops and refused calls fill it), validated from text twice, with the
internal steps left out and with every step logged.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import initial_to_json
from mapi_submission.checker.compact import CompactWorlds
from mapi_submission.harness.log_files import validate_log_file
from mapi_submission.harness.log_format import message_id, parse_log
from mapi_submission.harness.log_paths import random_run
from mapi_submission.harness.model_logs import path_to_log, step_record
from mapi_submission.harness.progress import ValidationProgress
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.states import FINISHED, TERMINAL
from mapi_submission.model.table import TABLE
from mapi_submission.model.world import World, new_message, replace_message

#: The ten-message run: refused calls rare, submissions very rare so the ten spread over the
#: whole log instead of ending early and leaving only refused calls.
TEN_MESSAGE_WEIGHTS: dict[str, float] = {row.name: (0.05 if row.is_error else 1.0)
                                         for row in TABLE}
TEN_MESSAGE_WEIGHTS.update({"submit": 0.0002, "abort": 0.3})
#: The traffic run: refused calls and calls that change nothing (a read-only open), aborts and
#: deletions rare, so most messages go through a whole submission (about ten records each)
#: and the log names about a tenth as many messages as it has records.
TRAFFIC_WEIGHTS: dict[str, float] = {
    row.name: (0.05 if row.is_error or row.dest is None else 1.0) for row in TABLE}
TRAFFIC_WEIGHTS.update({"abort": 0.05, "delete": 0.02, "delete-submitted": 0.02,
                        "reopen": 0.1, "reopen-best-access": 0.1, "concurrent-commit": 0.1})
#: Rows after which a submitted message is finished.
FINISHING_ROWS = tuple(row.name for row in TABLE if row.dest in FINISHED)
TRAFFIC_CONFIG = Config(messages=5, recipients=1, transports=1)


# ---- the traffic log ----------------------------------------------------------------------------


class TrafficStats:
    def __init__(self) -> None:
        self.records = 0
        self.messages = 0
        self.rows: Counter[str] = Counter()


def traffic_records(model: Model, start: World, records: int, seed: int,
                    stats: TrafficStats) -> Iterator[dict[str, Any]]:
    """The records of a random run from `start` in which a message that reaches a terminal
    state is replaced by a fresh one (same profile: the configuration's profiles are shared)
    under a new id, until `records` records."""
    chooser = random.Random(seed)
    # The checker's cache of per-message steps makes the run fast enough for a million
    # records; it takes the same steps as Model.successors.
    compact = CompactWorlds(model)
    state = compact.compact(start)
    ids = [message_id(index) for index in range(len(start.messages))]
    stats.messages = len(ids)
    weights = TRAFFIC_WEIGHTS
    while stats.records < records:
        options = compact.successors(state)
        step, after = chooser.choices(options, [weights.get(s.row, 1.0) for s, _ in options])[0]
        stats.rows[step.row] += 1
        if model.rows[step.row].is_call:
            stats.records += 1
            record = step_record(model, stats.records, step, compact.expand(state),
                                 compact.expand(after))
            if step.message >= 0:
                record["message"] = ids[step.message]
            yield record
        state = after
        if step.message >= 0 and compact.message_of(state[1 + step.message]).phase in TERMINAL:
            state = compact.compact(_start_over(compact.expand(state), step.message))
            stats.messages += 1
            ids[step.message] = message_id(stats.messages - 1)


def _start_over(world: World, index: int) -> World:
    return replace_message(world, index, new_message(world.messages[index].profile))


def write_traffic_log(path: Path, records: int, seed: int) -> TrafficStats:
    model = Model(TRAFFIC_CONFIG)
    start = random.Random(seed).choice(model.initial_worlds())
    stats = TrafficStats()
    header = {"config": TRAFFIC_CONFIG.to_dict(), "initial": initial_to_json(start),
              "source": f"benchmarks/validate_log.py, seed {seed}"}
    with path.open("w", encoding="utf-8") as stream:
        stream.write(json.dumps({"header": header}, sort_keys=True) + "\n")
        for record in traffic_records(model, start, records, seed, stats):
            stream.write(json.dumps(record, sort_keys=True) + "\n")
    return stats


def peak_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reader_peak_megabytes() -> float:
    """The peak memory of the process that read the log ahead (0 when none ran)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def traffic(records: int, seed: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "traffic.jsonl"
        started = time.perf_counter()
        stats = write_traffic_log(path, records, seed)
        ends = sum(stats.rows[name] for name in FINISHING_ROWS)
        print(f"log: {stats.records:,} records over {stats.messages:,} messages, at most "
              f"{TRAFFIC_CONFIG.messages} alive at once, {ends:,} finished by the spooler "
              f"({path.stat().st_size / 1e6:.0f} MB, made in "
              f"{time.perf_counter() - started:.1f} s, peak memory so far "
              f"{peak_megabytes():.0f} MB)", flush=True)
        progress = ValidationProgress(sys.stderr, "benchmark")
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        verdict = validate_log_file(path, progress=progress)
        if profiler is not None:
            profiler.disable()
        took = time.perf_counter() - started
    print(f"validate-log: {verdict.records:,} records in {took:.1f} s = "
          f"{verdict.records / took:,.0f} records/s, peak memory {peak_megabytes():.0f} MB "
          f"and {reader_peak_megabytes():.0f} MB in the process reading ahead "
          f"(verdict {'conforms' if verdict.conforms else 'DIVERGES'}, at most "
          f"{verdict.peak_worlds} model world(s) at once)")
    if verdict.divergence is not None:
        print(verdict.divergence.describe())
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


# ---- the ten-message log ----------------------------------------------------------------------


def describe(model: Model, steps: list[tuple[Step, World]]) -> str:
    errors = sum(1 for step, _ in steps if model.rows[step.row].is_error)
    finished = next((i for i, (_, w) in enumerate(steps) if model.is_final(w)), None)
    rows = Counter(step.row for step, _ in steps)
    common = ", ".join(f"{name} {count / len(steps):.0%}" for name, count in rows.most_common(4))
    ends = sum(rows[name] for name in FINISHING_ROWS)
    last = "never all finished" if finished is None else f"all finished at step {finished:,}"
    return (f"{len(steps):,} steps: {errors / max(1, len(steps)):.0%} refused calls, "
            f"{rows['submit']} submissions, {ends} finished, {last}; most common: {common}")


def measure(text: str, mode: str) -> None:
    records = len(parse_log(text, "benchmark")[1])
    started = time.perf_counter()
    verdict = validate_log_text(text, "benchmark")
    took = time.perf_counter() - started
    print(f"  {mode}: {records:,} records in {took:.2f} s = {records / took:,.0f} records/s "
          f"(verdict {'conforms' if verdict.conforms else 'DIVERGES'}, at most "
          f"{verdict.peak_worlds} model world(s) at once)")


def ten_messages(records: int, seed: int) -> None:
    model = Model(Config(messages=10, recipients=1, transports=1))
    started = time.perf_counter()
    start, steps = random_run(model, seed=seed, steps=records, weights=TEN_MESSAGE_WEIGHTS)
    print(f"10 messages, seed {seed}: {describe(model, steps)} "
          f"(made in {time.perf_counter() - started:.1f} s)")
    measure(path_to_log(model, start, steps), "internal steps silent")
    measure(path_to_log(model, start, steps, include_silent=True), "every step logged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, help="records (steps with --ten-messages); "
                        "default 1,000,000 (100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ten-messages", action="store_true",
                        help="the earlier benchmark: ten messages that never start over")
    parser.add_argument("--profile", action="store_true",
                        help="validate under cProfile and print where the time goes")
    options = parser.parse_args()
    if options.ten_messages:
        ten_messages(options.records or 100_000, options.seed)
    else:
        traffic(options.records or 1_000_000, options.seed, options.profile)


if __name__ == "__main__":
    main()
