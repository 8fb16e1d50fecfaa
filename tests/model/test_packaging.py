"""The wheel holds the one import root and nothing else, and imports from outside the
checkout (the editable install is what the rest of the suite runs on)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from parts import package_dirs  # noqa: E402  (the one list of mapped folders)

#: import name -> folder, from pyproject.toml
MAPPED = package_dirs(ROOT)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel, and what its build printed."""
    # Build from a copy of the packaged sources: setuptools keeps a build/ folder beside the
    # sources, and files left there by earlier builds would end up in this wheel.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.py", "scripts/parts.py"):
        (source / name).parent.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    for folder in MAPPED.values():
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    # as a user's shell has it: setuptools warns that it cannot byte-compile when asked not to
    env = {name: value for name, value in os.environ.items()
           if name != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(source)], capture_output=True, text=True, cwd=source, env=env)
    if done.returncode != 0:
        pytest.fail(f"wheel build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    (path,) = out.glob("mapi_submission-*.whl")
    return path, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(build: tuple[Path, str]) -> Path:
    return build[0]


def test_the_build_prints_no_warning(build: tuple[Path, str]) -> None:
    # a deprecated license table or a data folder setuptools does not know as a package
    # each printed a boxed warning of a dozen lines, on every build
    warnings = [line for line in build[1].splitlines() if "warn" in line.lower()]
    assert warnings == []


def test_the_wheel_carries_the_license(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in zipfile.ZipFile(wheel).read(metadata).decode()


def test_wheel_contains_only_the_import_root_and_all_of_it(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    outside = [n for n in names if not n.startswith(("mapi_submission/", "mapi_submission-"))]
    assert outside == []
    for name, folder in MAPPED.items():
        prefix = name.replace(".", "/")
        for module in (ROOT / folder).rglob("*.py"):
            inside = f"{prefix}/{module.relative_to(ROOT / folder).as_posix()}"
            assert inside in names, f"{inside} is missing from the wheel"
    for expected in ("mapi_submission/model/table.py", "mapi_submission/checker/explore.py",
                     "mapi_submission/properties/__init__.py",
                     "mapi_submission/schemas/case.schema.json", "mapi_submission/py.typed"):
        assert expected in names


def test_wheel_imports_every_part(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    # -S skips site processing, so the editable install's import hook is absent; the
    # dependencies come from this environment's site-packages, after the wheel's files.
    dependencies = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), *dependencies])}
    probe = ("import mapi_submission.model as m, mapi_submission.checker.explore as e, "
             "mapi_submission.model.runtime as r, mapi_submission.cli as c, "
             "mapi_submission.reference as ref; print(m.__file__); print(e.__file__); "
             "print(r.__file__); print(c.__file__); print(ref.__file__)")
    result = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True,
                            text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(line.startswith(str(tmp_path / "site")) for line in lines), lines


def test_editable_install_maps_every_part_from_its_top_level_folder() -> None:
    for name, folder in MAPPED.items():
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve() == ROOT / folder / "__init__.py"
