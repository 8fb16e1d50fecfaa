"""Log validation speed: records per second on a 100,000-record log of ten interleaved
messages (goal: the whole log in under 10 seconds).

    .venv/bin/python benchmarks/validate_log.py [--records N] [--seed S]

The log comes from a seeded random run of the model on Config(messages=10, recipients=1,
transports=1), with the full observed state of each step's message and the initial world in
the header. It is validated twice:

- internal steps left out (what an implementation writes): the validator closes the set of
  consistent worlds under silent steps before every record;
- every step logged (header all_steps_logged, an instrumented build): no closure.

A model message cannot start over once finished, so ten messages only fill 100,000 records
with loops: clients saving and reopening drafts, a second handle committing, calls refused
while a message is queued or finished. The weights below make the ten submissions rare, so
they spread over the whole log instead of ending early and leaving only refused calls; the
line printed says how the log is made up.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from mapi_submission.harness.log_format import parse_log
from mapi_submission.harness.log_paths import random_run
from mapi_submission.harness.model_logs import path_to_log
from mapi_submission.harness.validate_log import validate_log_text
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.states import FINISHED
from mapi_submission.model.table import TABLE
from mapi_submission.model.world import World

WEIGHTS: dict[str, float] = {row.name: (0.05 if row.is_error else 1.0) for row in TABLE}
WEIGHTS.update({"submit": 0.0002, "abort": 0.3})
#: Rows after which a submitted message is finished.
FINISHING_ROWS = tuple(row.name for row in TABLE if row.dest in FINISHED)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    model = Model(Config(messages=10, recipients=1, transports=1))
    started = time.perf_counter()
    start, steps = random_run(model, seed=options.seed, steps=options.records, weights=WEIGHTS)
    print(f"10 messages, seed {options.seed}: {describe(model, steps)} "
          f"(made in {time.perf_counter() - started:.1f} s)")
    measure(path_to_log(model, start, steps), "internal steps silent")
    measure(path_to_log(model, start, steps, include_silent=True), "every step logged")


if __name__ == "__main__":
    main()
