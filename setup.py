"""The package list comes from pyproject.toml's one list of mapped folders
(`[tool.setuptools.package-dir]`); everything else is declared in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))
from parts import packages  # noqa: E402

setup(packages=packages(Path(__file__).resolve().parent))
