"""Log validation speed: records per second on a 100,000-record log of ten interleaved
messages (goal: the whole log in under 10 seconds).

    .venv/bin/python benchmarks/validate_log.py [--records N] [--seed S]

The log comes from a seeded random run of the model on Config(messages=10, recipients=1,
transports=1): every step recorded (header all_steps_logged, as a log with the internal steps
instrumented would be) with the full observed state of the step's message, and the initial
world in the header. Ten messages under partial observability would let the set of consistent
worlds grow with the product of the messages' silent choices; full records, the initial world
and binding each new id only to the first of several identical unbound messages keep it at one
world. A second, smaller run measures the silent-step mode (internal steps left out).
"""

from __future__ import annotations

import argparse
import time

from mapi_submission.generators.logs import random_run
from mapi_submission.generators.validate_log import parse_log, path_to_log, validate_log_text
from mapi_submission.model.config import Config
from mapi_submission.model.engine import Model
from mapi_submission.model.table import TABLE

#: Clients mostly save and reopen drafts and submit rarely, and calls that fail are rare, so
#: the ten life-cycles spread over the whole log instead of ending early and leaving only
#: refused calls.
WEIGHTS: dict[str, float] = {row.name: (0.3 if row.is_error else 1.0) for row in TABLE}
WEIGHTS.update({"submit": 0.004, "abort": 0.3})


def measure(model: Model, records: int, seed: int, include_silent: bool) -> None:
    started = time.perf_counter()
    start, steps = random_run(model, seed=seed, steps=records, weights=WEIGHTS)
    errors = sum(1 for step, _ in steps if model.rows[step.row].is_error)
    finished = next((i for i, (_, w) in enumerate(steps) if model.is_final(w)), None)
    text = path_to_log(model, start, steps, include_silent=include_silent)
    made = time.perf_counter() - started
    _, parsed = parse_log(text, "benchmark")
    started = time.perf_counter()
    verdict = validate_log_text(text, "benchmark")
    took = time.perf_counter() - started
    mode = "every step logged" if include_silent else "internal steps silent"
    print(f"{model.config.messages} messages, {mode}: {len(parsed)} records validated in "
          f"{took:.2f} s = {len(parsed) / took:,.0f} records/s "
          f"(verdict {'conforms' if verdict.conforms else 'DIVERGES'}, at most "
          f"{verdict.peak_worlds} world(s) at once; log made in {made:.1f} s; "
          f"{errors / max(1, len(steps)):.0%} refused calls; "
          f"{'never all finished' if finished is None else f'all finished at step {finished}'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    config = Config(messages=10, recipients=1, transports=1)
    measure(Model(config), options.records, options.seed, include_silent=True)
    small = Config(messages=2, recipients=1, transports=1)
    measure(Model(small), options.records // 10, options.seed, include_silent=False)


if __name__ == "__main__":
    main()
