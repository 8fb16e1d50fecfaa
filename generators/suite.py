"""From witnesses to regression cases: one shortest path per uncovered target, deepest first.

Targets are taken in order of decreasing witness length (ties by name); a target some
earlier case already covers gets no case of its own, so deep cases absorb the shallow
targets on their way. Refusals checked in the same world share one case. Everything is
sorted, so the same model gives byte-identical files.

A suite on disk is a folder of case files and its manifest (`suite.manifest`, written last):
the files `generate` wrote there with their SHA-256. A manifest marked incomplete is what an
interrupted run leaves; `--clean` removes only files a manifest lists; `replay` refuses a
folder of generated cases whose manifest is missing, incomplete or does not match. A lock
file keeps two runs from writing one folder at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import build_case, dump_case, taken_rows_fingerprint
from mapi_submission.checker.explore import Exploration
from mapi_submission.checker.files import read_text, write_atomic
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.errors import MapiSubmissionError
from mapi_submission.model.observe import observe
from mapi_submission.model.table import ROWS_BY_NAME
from mapi_submission.model.world import World

from .coverage import CRITERIA, Coverage, Criterion, Run, Witness, sorted_rules
from .negative import Refusal


@dataclass
class Suite:
    """Generated cases and what they reach, for one criterion."""

    criterion: str
    coverage: Coverage
    cases: list[dict[str, Any]] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    lower_bound: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return sum(len(case["steps"]) for case in self.cases)

    @property
    def reached(self) -> int:
        return len(self.covered & set(self.coverage.feasible))


def slug(text: str) -> str:
    """A file-name-safe form of a target: anything but letters, digits, '_' and '-' -> '.'."""
    return re.sub(r"[^A-Za-z0-9_-]+", ".", text).strip(".")


def refusal_to_json(model: Model, refusal: Refusal, world: World) -> dict[str, Any]:
    """A refusal as a case step: the call (or row) that must not happen, the answer expected
    instead, and the unchanged observable world."""
    row = ROWS_BY_NAME[refusal.step.row]
    detail: dict[str, Any] = {"kind": refusal.kind, "codes": list(refusal.codes),
                              "reason": refusal.reason, "target": refusal.target}
    if refusal.guard is not None:
        detail["guard"] = refusal.guard
    entry: dict[str, Any] = {
        "row": row.name,
        "actor": row.actor,
        "event": row.event,
        "message": refusal.step.message,
        "arg": None if refusal.step.arg < 0 else refusal.step.arg,
        "result": refusal.result,
        "rules": list(refusal.rules),
        "expect": observe(model.config, world),
        "refusal": detail,
    }
    if row.call_arguments:
        entry["args"] = dict(row.call_arguments)
    return entry


def concrete_run(exploration: Exploration, witness: Witness) -> Run:
    """The witness as concrete worlds: its node's shortest path, then its own steps."""
    model = exploration.model
    start, path = exploration.concrete_path(witness.node)
    steps: list[tuple[Step, World]] = list(path)
    world = steps[-1][1] if steps else start
    for step in witness.steps:
        world = model.apply(world, step)
        steps.append((step, world))
    return start, steps, witness.refusals


def make_case(model: Model, case_id: str, title: str, run: Run, *, criterion: str,
              target: str | None, seed: int | None, covers: list[str]) -> dict[str, Any]:
    start, steps, refusals = run
    case = build_case(model, case_id, title, start, list(steps), criterion=criterion,
                      target=target, seed=seed)
    world = steps[-1][1] if steps else start
    for refusal in refusals:
        case["steps"].append(refusal_to_json(model, refusal, world))
    provenance = case["provenance"]
    provenance["rules"] = sorted_rules(
        [*provenance["rules"], *(r for refusal in refusals for r in refusal.rules)])
    provenance["covers"] = covers
    provenance["table_hash"] = taken_rows_fingerprint(case)
    return case


def _plan(exploration: Exploration, coverage: Coverage) -> list[tuple[int, str, Witness,
                                                                      list[str]]]:
    """(length, name, witness, targets) per planned case; refusals in one world merged."""
    depth = exploration.depth
    plans: list[tuple[int, str, Witness, list[str]]] = []
    grouped: dict[int, list[tuple[str, Refusal]]] = {}
    for target, witness in coverage.witnesses.items():
        if not witness.steps and witness.refusals:
            grouped.setdefault(witness.node, []).extend(
                (target, refusal) for refusal in witness.refusals)
        else:
            plans.append((depth[witness.node] + len(witness.steps), target, witness, [target]))
    for node, members in grouped.items():
        members.sort(key=lambda item: item[0])
        refusals = tuple(refusal for _, refusal in members)
        targets = [target for target, _ in members]
        plans.append((depth[node] + len(refusals), targets[0], Witness(node, (), refusals),
                      targets))
    plans.sort(key=lambda plan: (-plan[0], plan[1]))
    return plans


def build_suite(exploration: Exploration, criterion: Criterion, coverage: Coverage,
                seed: int | None = None) -> Suite:
    """Cases for every feasible target of `coverage`, each a shortest path through it."""
    model = exploration.model
    suite = Suite(coverage.criterion, coverage, lower_bound=coverage.lower_bound)
    feasible = set(coverage.feasible)
    used: dict[str, int] = {}
    for _, name, witness, targets in _plan(exploration, coverage):
        if set(targets) <= suite.covered:
            continue
        run = concrete_run(exploration, witness)
        covers = sorted(criterion.covered_by(run) & feasible)
        suite.covered.update(covers)
        suite.covered.update(targets)
        base = f"{coverage.criterion}-{slug(name)}"
        used[base] = used.get(base, 0) + 1
        case_id = base if used[base] == 1 else f"{base}-{used[base]}"
        more = len(targets) - 1
        title = f"{coverage.criterion}: {name}" + (f" (and {more} more)" if more else "")
        suite.cases.append(make_case(model, case_id, title, run, criterion=coverage.criterion,
                                     target=name, seed=seed, covers=covers))
    suite.cases.sort(key=lambda case: case["id"])
    return suite


#: The manifest of a generated suite: not a *.json file, so no glob for cases picks it up.
MANIFEST = "suite.manifest"
#: The lock a run holds while it writes a folder (removed when it is done).
LOCK = ".generate.lock"
_MANIFEST_FORMAT = 1
_MANIFEST_LIMIT = 64 * 1024 * 1024


class SuiteError(MapiSubmissionError, ValueError):
    """A suite folder cannot be written or trusted: the message names the folder and why."""


@dataclass(frozen=True)
class Manifest:
    """What a manifest says: every file generate wrote into the folder (name -> SHA-256, or
    None while a run is still writing it), and whether that run finished."""

    complete: bool
    files: dict[str, str | None]

    def dump(self) -> str:
        return json.dumps({"format": _MANIFEST_FORMAT, "generator": "mapi-submission generate",
                           "complete": self.complete, "files": self.files},
                          indent=1, sort_keys=True) + "\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, None when it has none; SuiteError when it is not one."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    text = read_text(path, "manifest", SuiteError, _MANIFEST_LIMIT)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: line {error.lineno}: malformed manifest: {error.msg}") from None
    files = data.get("files") if isinstance(data, dict) else None
    if (not isinstance(files, dict) or not isinstance(data.get("complete"), bool)
            or not all(isinstance(name, str) and "/" not in name and name not in ("", ".", "..")
                       and (digest is None or isinstance(digest, str))
                       for name, digest in files.items())):
        raise SuiteError(f"{path}: not a suite manifest (expected complete and files)")
    return Manifest(data["complete"], dict(files))


@contextlib.contextmanager
def suite_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock file while the block runs; SuiteError at once when another run
    holds it. The lock is an flock on the file, so a run that dies releases it."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 32, 0).decode("ascii", "replace").strip()
            raise SuiteError(
                f"{folder}: another generate is writing this folder (lock {path}"
                + (f", process {holder}" if holder else "") + "); wait for it to finish"
            ) from None
        if os.fstat(handle).st_ino != os.stat(path).st_ino:  # removed by the run we waited on
            raise SuiteError(f"{folder}: another generate was writing this folder; try again")
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            if created and not any(folder.iterdir()):
                folder.rmdir()  # a run that wrote nothing leaves no folder behind
    finally:
        os.close(handle)


def _foreign(folder: Path, listed: set[str]) -> list[str]:
    """Entries of the folder no manifest lists (the manifest and the lock aside)."""
    return sorted(entry.name for entry in folder.iterdir()
                  if entry.name not in listed and entry.name not in (MANIFEST, LOCK))


def _named(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def refuse_foreign(out: Path) -> None:
    """SuiteError unless every file in the folder is one an earlier manifest lists (what
    `clean` may remove); nothing to refuse when the folder does not exist."""
    if not out.is_dir():
        return
    old = read_manifest(out)
    foreign = _foreign(out, set(old.files) if old is not None else set())
    if foreign:
        raise SuiteError(
            f"{out}: --clean removes only files an earlier generate wrote, and this folder "
            f"holds {len(foreign)} other(s): {_named(foreign)}; move them or choose another "
            "folder")


def write_suite(cases: list[dict[str, Any]], out: Path, *, clean: bool = False,
                lock: bool = True) -> list[Path]:
    """Write every case atomically under the folder's lock (`lock=False`: the caller holds
    it), then the manifest, last. The manifest is first written incomplete (listing what this
    run is about to write), so an interrupted run leaves a folder that replay refuses and the
    next `clean` may empty. With `clean`, the files an earlier manifest lists and this run does
    not write are removed; a folder holding anything no manifest lists is refused before
    anything changes."""
    if lock:
        with suite_lock(out):
            return write_suite(cases, out, clean=clean, lock=False)
    if clean:
        refuse_foreign(out)
    old = read_manifest(out)
    listed = dict(old.files) if old is not None else {}
    present = {name: digest for name, digest in listed.items() if (out / name).is_file()}
    texts = {f"{case['id']}.json": dump_case(case) for case in cases}
    kept = {} if clean else {n: d for n, d in present.items() if n not in texts}
    write_atomic(out / MANIFEST, Manifest(False, {**present, **dict.fromkeys(texts)}).dump())
    if clean:
        for name in sorted(set(present) - set(texts)):
            (out / name).unlink(missing_ok=True)
    written = []
    for name, text in texts.items():
        write_atomic(out / name, text)
        written.append(out / name)
    digests = {name: sha256(text.encode("utf-8")) for name, text in texts.items()}
    write_atomic(out / MANIFEST,
                 Manifest(True, dict(sorted({**kept, **digests}.items()))).dump())
    return written


def suite_differences(folder: Path, manifest: Manifest) -> list[str]:
    """How the folder's case files differ from its manifest (empty when they match)."""
    problems: list[str] = []
    if not manifest.complete:
        problems.append("the generate that wrote it did not finish (interrupted?)")
    missing, edited = [], []
    for name, digest in sorted(manifest.files.items()):
        path = folder / name
        if not path.is_file():
            missing.append(name)
        elif digest is not None and sha256(path.read_bytes()) != digest:
            edited.append(name)
    unlisted = sorted(p.name for p in folder.glob("*.json") if p.name not in manifest.files)
    for what, names in (("missing", missing), ("changed since written", edited),
                        ("not in the manifest", unlisted)):
        if names:
            problems.append(f"{what}: {_named(names)}")
    return problems


def verify_suite(folder: Path, cases: list[dict[str, Any]]) -> None:
    """SuiteError when `folder`, whose case files are `cases`, holds generated cases and its
    manifest is missing, incomplete or does not match the files (naming the difference).
    A folder of counterexamples or conformance failures needs no manifest."""
    manifest = read_manifest(folder)
    if manifest is None:
        generated = [case for case in cases
                     if case.get("provenance", {}).get("criterion") in CRITERIA]
        if generated:
            raise SuiteError(
                f"{folder}: {len(generated)} generated case(s) but no {MANIFEST}, which "
                "generate writes last: the run was interrupted or the folder was put "
                "together by hand; generate it again")
        return
    problems = suite_differences(folder, manifest)
    if problems:
        raise SuiteError(f"{folder}: does not match its {MANIFEST}: {'; '.join(problems)}")
