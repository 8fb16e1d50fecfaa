"""The Python checker against SPIN on the same model (not a test).

For growing message counts (N messages x R recipients x T transports, default 1 x 1) until
each tool exceeds the time budget, in one run: the Python checker's time to verdict and
states per second with and without symmetry; SPIN's (on `mapi-submission export promela`)
states per second and wall time with and without the spin -a + gcc translation; peak
memory of both; and the time to verdict of `mapi-submission check --engine spin`, cold (an
empty pan cache: export, spin -a, gcc, pan) and warm (pan from the cache), as a user runs
it. All judge the same properties: state and step invariants and DEADLOCK (the checker runs
with liveness off, as SPIN is given no liveness property).

    .venv/bin/python benchmarks/vs_spin.py results.json [--budget 60] [--max-messages 6]
        [--recipients 1] [--transports 1] [--optimise -O2]

Each Python measurement runs in its own process (its peak memory is its own); SPIN's peak
memory is that of the pan process. Prints a table of the figures, one of every ratio and
where the performance targets and aims stand (GOALS); writes the figures as JSON
(atomically) to the given path.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mapi_submission.checker.check import VIOLATED, check
from mapi_submission.checker.files import write_atomic
from mapi_submission.generators.promela import to_promela
from mapi_submission.generators.spin import SpinProblem, spin_unavailable, verify_with_spin
from mapi_submission.model import Config, Model

#: pan's DFS stack bound here (the model's depth-first depth stays far below it; a search
#: cut short is reported as incomplete, never as a verdict)
PAN_DEPTH_OPTION = "-m200000"


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure_python(spec: dict[str, Any]) -> dict[str, Any]:
    config = Config.from_dict(spec["config"])
    started = time.perf_counter()
    result = check(Model(config), symmetry=spec["symmetry"], liveness=False)
    seconds = time.perf_counter() - started
    violated = sorted(v.property.id for v in result.verdicts if v.status == VIOLATED)
    return {
        "states": result.states,
        "seconds": round(seconds, 3),
        "states_per_second": round(result.states / seconds),
        "peak_memory_mib": round(_peak_mib(), 1),
        "verdict": "holds" if result.exit_code == 0 else "violated: " + ", ".join(violated),
    }


def _python(config: Config, symmetry: bool, budget: float) -> dict[str, Any]:
    spec = json.dumps({"config": config.to_dict(), "symmetry": symmetry})
    try:
        output = subprocess.run([sys.executable, __file__, "--measure", spec], check=True,
                                capture_output=True, text=True, timeout=budget).stdout
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": budget}
    figures: dict[str, Any] = json.loads(output)
    return {"finished": True, **figures}


def _hash_bits(expected_states: int) -> int:
    """pan's -w: a hash table with about twice as many slots as states (pan preallocates it,
    so a fixed -w24 would dominate the memory of small runs and slow large ones)."""
    return max(16, min(31, math.ceil(math.log2(max(expected_states, 1) * 2))))


def _spin(config: Config, budget: float, optimise: str, expected_states: int) -> dict[str, Any]:
    started = time.perf_counter()
    text = to_promela(config)
    export = time.perf_counter() - started
    bits = _hash_bits(expected_states)
    try:
        result = verify_with_spin(text, optimise=optimise,
                                  pan_options=[PAN_DEPTH_OPTION, f"-w{bits}"],
                                  all_errors=False, timeout=budget)
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": budget}
    translate = export + result.translate_seconds + result.compile_seconds
    total = translate + result.search_seconds
    return {
        "finished": result.complete and total <= budget,
        "states": result.states,
        "search_seconds": result.search_seconds,
        "translate_and_compile_seconds": round(translate, 3),
        "seconds": round(total, 3),
        "states_per_second": round(result.states_per_second),
        "peak_memory_mib": result.peak_memory_mib,
        "hash_bits": bits,
        "state_vector_bytes": result.state_vector_bytes,
        "verdict": "holds" if result.holds else
        ("violated: " + ", ".join(result.violated) if result.errors else "incomplete"),
    }


def _command() -> list[str]:
    """The installed command line next to this interpreter, else its entry point."""
    installed = Path(sys.executable).parent / "mapi-submission"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-c", "from mapi_submission.cli import run; run()"]


def _engine_run(config: Config, budget: float, optimise: str, cache: Path) -> dict[str, Any]:
    """One `check --engine spin` as a user runs it: wall time from start to verdict."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config.to_dict(), handle)
    command = [*_command(), "check", "--engine", "spin", "--config", handle.name, "--json",
               "-q", "--gcc-optimise", optimise.lstrip("-"), "--pan-cache", str(cache)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=budget,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": budget}
    finally:
        Path(handle.name).unlink()
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        return {"finished": False, "error": (done.stderr or done.stdout)[-500:]}
    summary = json.loads(done.stdout)
    engine = summary["engine"]
    search = engine["timing"]["search_seconds"]
    return {
        "finished": summary["complete"] and seconds <= budget,
        "states": summary["states"],
        "seconds": round(seconds, 3),
        "search_seconds": search,
        "states_per_second": round(summary["states"] / max(search, 1e-3)),
        "cached": all(build["cached"] for build in engine["timing"]["builds"]),
        "verdict": summary["result"],
    }


def _engine(config: Config, budget: float, optimise: str) -> dict[str, Any]:
    """`check --engine spin` cold (an empty pan cache) and warm (the pan the cold run cached)."""
    with tempfile.TemporaryDirectory(prefix="mapi-pan-cache-") as cache:
        cold = _engine_run(config, budget, optimise, Path(cache))
        warm = (_engine_run(config, budget, optimise, Path(cache)) if cold.get("finished")
                else dict(OVER_BUDGET))
    return {"cold": cold, "warm": warm}


def _cell(figures: dict[str, Any], key: str, form: str) -> str:
    if not figures.get("finished"):
        return "over budget"
    return format(figures[key], form)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", type=Path, help="where to write the JSON results")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per measurement; a tool over it is not run on more "
                        "messages (default 60)")
    parser.add_argument("--max-messages", type=int, default=6)
    parser.add_argument("--recipients", type=int, default=1)
    parser.add_argument("--transports", type=int, default=1)
    parser.add_argument("--optimise", default="-O2", help="gcc optimisation for pan")
    parser.add_argument("--measure", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return args
    if args.out is None:
        parser.error("the JSON output path is required")
    reason = spin_unavailable()
    if reason is not None:
        parser.error(f"SPIN is needed: {reason}")
    return args


#: A tool that went over the budget is not run on more messages.
OVER_BUDGET = {"finished": False, "skipped": "over budget on fewer messages"}


def _measure(args: argparse.Namespace, messages: int, running: dict[str, bool],
             rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Both Python runs and the SPIN run on `messages` messages (those still running), with
    the ratios between them where both finished."""
    config = Config(messages=messages, recipients=args.recipients, transports=args.transports)
    row: dict[str, Any] = {"messages": messages, "config": config.to_dict()}
    for key, symmetry in (("python_symmetry", True), ("python_no_symmetry", False)):
        row[key] = (_python(config, symmetry, args.budget) if running[key]
                    else dict(OVER_BUDGET))
    if running["spin"]:
        # the unreduced Python count where known, else a generous growth factor
        expected = (row["python_no_symmetry"]["states"]
                    if row["python_no_symmetry"].get("finished")
                    else 50 * (rows[-1]["spin"].get("states", 1000) if rows else 1000))
        try:
            row["spin"] = _spin(config, args.budget, args.optimise, expected)
        except SpinProblem as error:
            row["spin"] = {"finished": False, "error": str(error)[:500]}
    else:
        row["spin"] = dict(OVER_BUDGET)
    row["spin_engine"] = (_engine(config, args.budget, args.optimise) if running["spin_engine"]
                          else {"cold": dict(OVER_BUDGET), "warm": dict(OVER_BUDGET)})
    sym, full, spin = row["python_symmetry"], row["python_no_symmetry"], row["spin"]
    if spin.get("finished") and sym.get("finished"):
        row["python_symmetry_time_over_spin_total"] = round(sym["seconds"] / spin["seconds"], 3)
    if spin.get("finished") and full.get("finished"):
        row["python_rate_over_spin_rate"] = round(
            full["states_per_second"] / spin["states_per_second"], 4)
        row["states_agree"] = spin["states"] == full["states"] + 1
    for run in ("cold", "warm"):
        engine = row["spin_engine"][run]
        if engine.get("finished") and sym.get("finished"):
            row[f"python_symmetry_time_over_spin_engine_{run}"] = round(
                sym["seconds"] / engine["seconds"], 3)
    engine = row["spin_engine"]["warm"]
    if engine.get("finished") and full.get("finished"):
        row["python_rate_over_spin_engine_rate"] = round(
            full["states_per_second"] / engine["states_per_second"], 4)
    return row


_HEADER = (f"{'msgs':>4} | {'py sym states':>13} {'verdict s':>9} {'st/s':>8} {'MiB':>6} | "
           f"{'py states':>10} {'verdict s':>9} {'st/s':>8} {'MiB':>6} | "
           f"{'spin states':>11} {'total s':>8} {'search s':>8} {'st/s':>10} {'MiB':>6} | "
           f"{'engine cold s':>13} {'warm s':>8}")


def _table_line(row: dict[str, Any]) -> str:
    sym, full, spin = row["python_symmetry"], row["python_no_symmetry"], row["spin"]
    engine = row["spin_engine"]
    return (f"{row['messages']:>4} | {_cell(sym, 'states', ',d'):>13} "
            f"{_cell(sym, 'seconds', '.2f'):>9} {_cell(sym, 'states_per_second', ',d'):>8} "
            f"{_cell(sym, 'peak_memory_mib', ',.0f'):>6} | "
            f"{_cell(full, 'states', ',d'):>10} {_cell(full, 'seconds', '.2f'):>9} "
            f"{_cell(full, 'states_per_second', ',d'):>8} "
            f"{_cell(full, 'peak_memory_mib', ',.0f'):>6} | "
            f"{_cell(spin, 'states', ',d'):>11} {_cell(spin, 'seconds', '.2f'):>8} "
            f"{_cell(spin, 'search_seconds', '.2f'):>8} "
            f"{_cell(spin, 'states_per_second', ',d'):>10} "
            f"{_cell(spin, 'peak_memory_mib', ',.0f'):>6} | "
            f"{_cell(engine['cold'], 'seconds', '.2f'):>13} "
            f"{_cell(engine['warm'], 'seconds', '.2f'):>8}")


def _ratios_table(rows: list[dict[str, Any]]) -> Table:
    """Every ratio, one row per message count: time to verdict of the Python checker with
    symmetry over SPIN's including compilation (verify_with_spin; check --engine spin cold and
    warm), and states per second of the checker without symmetry over SPIN's."""
    table = Table(title="ratios Python / SPIN (time: below 1, Python reaches its verdict "
                  "sooner; states/s: below 1, SPIN searches faster)")
    table.add_column("messages", justify="right")
    for heading in ("time: py sym / spin -a+gcc+pan", "time: py sym / check --engine spin "
                    "cold", "time: py sym / check --engine spin warm",
                    "states/s: py / pan", "states/s: py / engine pan", "state counts"):
        table.add_column(heading, justify="right")

    def ratio(row: dict[str, Any], key: str, form: str) -> str:
        return format(row[key], form) if key in row else "-"

    for row in rows:
        agree = ("agree (+1)" if row["states_agree"] else "DIFFER") if "states_agree" in row \
            else "-"
        table.add_row(str(row["messages"]),
                      ratio(row, "python_symmetry_time_over_spin_total", ".2f"),
                      ratio(row, "python_symmetry_time_over_spin_engine_cold", ".2f"),
                      ratio(row, "python_symmetry_time_over_spin_engine_warm", ".2f"),
                      ratio(row, "python_rate_over_spin_rate", ".3f"),
                      ratio(row, "python_rate_over_spin_engine_rate", ".3f"), agree)
    return table


#: (name, what it says, the bound on the ratio of time to verdict with symmetry, Python over
#: SPIN incl. compilation (at most), the bound on the ratio of states per second without
#: symmetry, Python over pan (at least)): the targets the checker meets now, and the aims
#: beyond them (docs/performance.md)
GOALS = (
    ("target", "time ratio at most 0.5, states/s ratio at least 0.15", 0.5, 0.15),
    ("aim", "time ratio at most 1, states/s ratio at least 0.5", 1.0, 0.5),
)


#: pan's rate is judged only where its search takes at least this long: below it, pan's
#: start-up dominates (1 message x 2 x 2: 10,143 states in 0.01 s)
MIN_SEARCH_SECONDS = 1.0


def _aims(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Where each goal stands: time on the counts SPIN finishes within 60 s, states per
    second on those whose pan search takes MIN_SEARCH_SECONDS or more."""
    within = [row for row in rows if row["spin"].get("finished")
              and row["spin"]["seconds"] <= 60]
    searched = [row for row in within
                if row["spin"].get("search_seconds", 0) >= MIN_SEARCH_SECONDS]
    judged: dict[str, Any] = {"message_counts_spin_finished_within_60s":
                              [row["messages"] for row in within],
                              "message_counts_pan_searched_1s_or_more":
                              [row["messages"] for row in searched]}
    for name, _, time_bound, rate_bound in GOALS:
        judged[f"{name}_time_ratio_at_most_{time_bound:g}"] = bool(within) and all(
            row["python_symmetry"].get("finished")
            and row["python_symmetry"]["seconds"] <= time_bound * row["spin"]["seconds"]
            for row in within)
        judged[f"{name}_states_per_second_ratio_at_least_{rate_bound:g}"] = bool(
            searched) and all(
            row["python_no_symmetry"].get("finished")
            and row["python_no_symmetry"]["states_per_second"]
            >= rate_bound * row["spin"]["states_per_second"] for row in searched)
    return judged


def main() -> None:
    args = _arguments()
    if args.measure:
        print(json.dumps(measure_python(json.loads(args.measure))))
        return
    rows: list[dict[str, Any]] = []
    running = {"python_symmetry": True, "python_no_symmetry": True, "spin": True,
               "spin_engine": True}
    print(f"{args.recipients} recipient(s), {args.transports} transport(s); budget "
          f"{args.budget:g} s per run; gcc {args.optimise}; properties: invariants, step "
          "invariants, DEADLOCK")
    print(_HEADER)
    print("-" * len(_HEADER))
    for messages in range(1, args.max_messages + 1):
        if not any(running.values()):
            break
        row = _measure(args, messages, running, rows)
        for key in running:
            figures = row[key]["cold"] if key == "spin_engine" else row[key]
            running[key] = running[key] and bool(figures.get("finished"))
        rows.append(row)
        print(_table_line(row), flush=True)

    print()
    Console(width=200).print(_ratios_table(rows))
    aims = _aims(rows)
    counts = aims["message_counts_spin_finished_within_60s"]
    for name, says, time_bound, rate_bound in GOALS:
        time_met = aims[f"{name}_time_ratio_at_most_{time_bound:g}"]
        rate_met = aims[f"{name}_states_per_second_ratio_at_least_{rate_bound:g}"]
        print(f"{name} ({says}): time {'met' if time_met else 'NOT met'} (message counts "
              f"SPIN finishes within 60 s: {counts}), states/s "
              f"{'met' if rate_met else 'NOT met'} (pan searching 1 s or more: "
              f"{aims['message_counts_pan_searched_1s_or_more']})")
    write_atomic(args.out, json.dumps({"runs": rows, "aims": aims, "budget": args.budget,
                                       "optimise": args.optimise}, indent=2, sort_keys=True)
                 + "\n")


if __name__ == "__main__":
    main()
