"""The mapped folders of the import root, read from pyproject.toml's one list.

`[tool.setuptools.package-dir]` maps each top-level part folder into `mapi_submission.*`.
setup.py takes the package list from here, `make typecheck` builds mypy's link tree with
it (mypy cannot follow setuptools' editable import hooks), and the packaging and
architecture tests read the same mapping, so a new part is one line in pyproject.toml.

    python scripts/parts.py link-tree DIR   # DIR/mapi_submission mirrors the installed layout
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORT_ROOT = "mapi_submission"


def package_dirs(root: Path = ROOT) -> dict[str, str]:
    """Import name -> folder (relative to `root`), as pyproject.toml states them."""
    with open(root / "pyproject.toml", "rb") as file:
        table = tomllib.load(file)["tool"]["setuptools"]["package-dir"]
    return {str(name): str(folder) for name, folder in table.items()}


def packages(root: Path = ROOT) -> list[str]:
    """Every package of the import root: each mapped folder and every package inside it
    (the mapped folders sit side by side at the root, none inside another)."""
    mapped = package_dirs(root)
    found: set[str] = set()
    for name, folder in mapped.items():
        base = root / folder
        for init in base.rglob("__init__.py"):
            found.add(".".join([name, *init.parent.relative_to(base).parts]))
    return sorted(found)


def link_tree(target: Path, root: Path = ROOT) -> None:
    """`target/mapi_submission/...` made of symbolic links: the import root's own entries,
    then each mapped folder under its import name."""
    mapped = package_dirs(root)
    top = target / IMPORT_ROOT
    top.mkdir(parents=True)
    mapped_subpackages = {name.split(".", 1)[1]: folder for name, folder in mapped.items()
                          if name != IMPORT_ROOT}
    for entry in sorted((root / mapped[IMPORT_ROOT]).iterdir()):
        if entry.name not in mapped_subpackages:
            (top / entry.name).symlink_to(entry.resolve())
    for name, folder in mapped_subpackages.items():
        (top / name).symlink_to((root / folder).resolve())


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "link-tree":
        link_tree(Path(argv[1]))
        return 0
    print("usage: python scripts/parts.py link-tree DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
