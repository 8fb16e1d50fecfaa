"""A generated suite on disk: a folder of case files and its manifest (`suite.manifest`,
written last), the files `generate` wrote there with their SHA-256. A manifest marked
incomplete is what an interrupted run leaves; `--clean` removes only files a manifest lists;
`replay` refuses a folder of generated cases whose manifest is missing, incomplete or does
not match. A lock file keeps two runs from writing one folder at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import dump_case
from mapi_submission.checker.files import read_text, write_atomic
from mapi_submission.checker.json_input import parse_json
from mapi_submission.model.errors import MapiSubmissionError

from .coverage import CRITERIA

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
    data = parse_json(read_text(path, "manifest", SuiteError, _MANIFEST_LIMIT), str(path),
                      SuiteError)
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
