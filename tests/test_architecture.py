"""The house: imports run one way between the parts, and each part states what it may import.

A part is a folder that pyproject.toml maps into the import root (model, properties, checker,
generators, harness), or a package or module of the import root's own folder (cli, reference,
kill_matrix). Each part's docstring has a line `May import: a, b.c, ...` naming the parts (or
single modules of a part) it may import; the test reads the mapping and the declarations, so a
new part is covered as soon as it is mapped or created, without editing this file.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
IMPORT_ROOT = "mapi_submission"
#: The direction the developers' guide states: each part may import only parts listed before
#: it (generators and harness are siblings, neither imports the other); cli is imported by
#: nothing.
DIRECTION: tuple[frozenset[str], ...] = (
    frozenset({"model"}), frozenset({"properties"}), frozenset({"checker"}),
    frozenset({"generators", "harness"}), frozenset({"cli"}),
)


def _parts_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("project_parts", ROOT / "scripts" / "parts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PARTS = _parts_module()


class Part:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path  # a package folder or a single module file
        self.declaration_file = path / "__init__.py" if path.is_dir() else path

    def modules(self) -> list[tuple[str, Path]]:
        """(dotted module name, file) of every module of the part."""
        if self.path.is_file():
            return [(f"{IMPORT_ROOT}.{self.name}", self.path)]
        found = []
        for file in sorted(self.path.rglob("*.py")):
            inside = file.relative_to(self.path).with_suffix("").parts
            if inside[-1] == "__init__":
                inside = inside[:-1]
            found.append((".".join([IMPORT_ROOT, self.name, *inside]), file))
        return found


def discover_parts(root: Path) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    for name, folder in PARTS.package_dirs(root).items():
        if name == IMPORT_ROOT:
            for entry in sorted((root / folder).iterdir()):
                if entry.is_dir() and (entry / "__init__.py").exists():
                    parts[entry.name] = Part(entry.name, entry)
                elif entry.suffix == ".py" and entry.name != "__init__.py":
                    parts[entry.stem] = Part(entry.stem, entry)
        else:
            short = name.removeprefix(IMPORT_ROOT + ".")
            parts[short] = Part(short, root / folder)
    return parts


def declared_imports(part: Part) -> frozenset[str]:
    """The names on the part's `May import:` line; fails when the line is missing."""
    docstring = ast.get_docstring(ast.parse(part.declaration_file.read_text())) or ""
    lines = [line for line in docstring.splitlines() if line.startswith("May import:")]
    if len(lines) != 1:
        raise AssertionError(f"{part.declaration_file.relative_to(part.path.parent)}: the "
                             f"docstring must have one 'May import:' line")
    text = lines[0].removeprefix("May import:").strip().rstrip(".")
    if text.startswith("nothing"):
        return frozenset()
    return frozenset(name.strip() for name in text.split(","))


def imported_modules(module: str, file: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every project import in the file, relative ones resolved;
    `from package import module` counts as importing package.module."""
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found
            if name == IMPORT_ROOT or name.startswith(IMPORT_ROOT + ".")]


def allowed(target: str, declared: frozenset[str]) -> bool:
    """Whether `target` (a dotted name below the import root) is inside a declared part or
    module: `harness` allows all of harness, `harness.adapter` only that module."""
    return any(target == name or target.startswith(name + ".") for name in declared)


def violations(root: Path) -> list[str]:
    parts = discover_parts(root)
    problems: list[str] = []
    graph: nx.DiGraph[str] = nx.DiGraph()
    for part in parts.values():
        try:
            declared = declared_imports(part)
        except AssertionError as error:
            problems.append(str(error))
            continue
        for name in declared:
            target = name.split(".")[0]
            if target not in parts:
                problems.append(f"part {part.name} declares {name!r}, which is no part")
            graph.add_edge(part.name, target)
        problems += _direction_problems(part.name, declared)
        for module, file in part.modules():
            for line, imported in imported_modules(module, file):
                relative = imported.removeprefix(IMPORT_ROOT + ".")
                if imported in (IMPORT_ROOT, f"{IMPORT_ROOT}.__version__"):
                    continue  # the import root holds only the version
                if relative.split(".")[0] != part.name and not allowed(relative, declared):
                    where = file.relative_to(root)
                    problems.append(f"{where}:{line}: {part.name} imports {imported}, which its "
                                    f"'May import:' line does not allow")
    problems += [f"parts import each other: {' -> '.join(cycle)}"
                 for cycle in nx.simple_cycles(graph)]
    problems += _root_problems(root)
    return problems


def _direction_problems(part: str, declared: frozenset[str]) -> list[str]:
    layers = [i for i, layer in enumerate(DIRECTION) if part in layer]
    problems = []
    for name in declared:
        target = name.split(".")[0]
        if target == "cli":
            problems.append(f"part {part} may import cli, which nothing imports")
        target_layers = [i for i, layer in enumerate(DIRECTION) if target in layer]
        if layers and target_layers and target_layers[0] >= layers[0]:
            problems.append(f"part {part} may import {target}, against the direction "
                            f"model <- properties <- checker <- {{generators, harness}} <- cli")
    return problems


def _root_problems(root: Path) -> list[str]:
    init = root / PARTS.package_dirs(root)[IMPORT_ROOT] / "__init__.py"
    return [f"{init.relative_to(root)}:{line}: the import root imports {name}; it must import "
            f"no part, since every part may read it"
            for line, name in imported_modules(IMPORT_ROOT, init)]


def test_imports_follow_the_declared_direction() -> None:
    assert violations(ROOT) == []


def test_every_part_of_the_direction_exists() -> None:
    assert set().union(*DIRECTION) <= set(discover_parts(ROOT))


def test_reference_imports_only_the_adapter_protocol_and_constants() -> None:
    declared = declared_imports(discover_parts(ROOT)["reference"])
    assert declared == {"harness.adapter", "model.constants"}


@pytest.fixture()
def copy_of_the_parts(tmp_path: Path) -> Path:
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for folder in PARTS.package_dirs(ROOT).values():
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.json"))
    return tmp_path


@pytest.mark.parametrize(("file", "line", "expected"), [
    ("generators/diagrams.py", "from mapi_submission.harness.adapter import NOT_DUE",
     "generators imports mapi_submission.harness.adapter"),
    ("model/table.py", "from mapi_submission.properties import PROPERTIES",
     "model imports mapi_submission.properties"),
    ("mapi_submission/reference/store.py", "from mapi_submission.model.table import TABLE",
     "reference imports mapi_submission.model.table"),
    ("harness/validate_log.py", "from mapi_submission.cli import common",
     "harness imports mapi_submission.cli.common"),
    ("checker/explore.py", "from ..generators import tour",
     "checker imports mapi_submission.generators.tour"),
])
def test_a_wrong_import_is_reported(copy_of_the_parts: Path, file: str, line: str,
                                    expected: str) -> None:
    path = copy_of_the_parts / file
    path.write_text(path.read_text() + f"\n{line}\n")
    found = violations(copy_of_the_parts)
    assert any(expected in problem and file in problem for problem in found), found


def test_a_declaration_against_the_direction_is_reported(copy_of_the_parts: Path) -> None:
    path = copy_of_the_parts / "generators" / "__init__.py"
    path.write_text(path.read_text().replace("May import: model, properties, checker.",
                                             "May import: model, properties, checker, harness."))
    found = violations(copy_of_the_parts)
    assert any("generators may import harness, against the direction" in p for p in found), found


def test_two_parts_importing_each_other_are_reported(copy_of_the_parts: Path) -> None:
    new_part = copy_of_the_parts / "mapi_submission" / "extra.py"
    new_part.write_text('"""A new part.\n\nMay import: kill_matrix.\n"""\n')
    kill_matrix = copy_of_the_parts / "mapi_submission" / "kill_matrix.py"
    kill_matrix.write_text(kill_matrix.read_text().replace(
        "May import: model,", "May import: extra, model,"))
    found = violations(copy_of_the_parts)
    assert any(p.startswith("parts import each other") for p in found), found


def test_a_new_part_without_a_declaration_is_reported(copy_of_the_parts: Path) -> None:
    text = (copy_of_the_parts / "pyproject.toml").read_text()
    (copy_of_the_parts / "pyproject.toml").write_text(text.replace(
        '"mapi_submission.harness" = "harness"',
        '"mapi_submission.harness" = "harness"\n"mapi_submission.extra" = "extra"'))
    (copy_of_the_parts / "extra").mkdir()
    (copy_of_the_parts / "extra" / "__init__.py").write_text('"""No declaration."""\n')
    found = violations(copy_of_the_parts)
    assert any("extra/__init__.py: the docstring must have one 'May import:' line" in p
               for p in found), found


if __name__ == "__main__":  # pragma: no cover - a quick look at the report
    print("\n".join(violations(ROOT)) or "no violations")
    sys.exit(0)
