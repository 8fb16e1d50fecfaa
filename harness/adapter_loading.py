"""An adapter named `module:factory`, as `conform --adapter` and the pytest plugin take it:
the factory, and whether the system it builds acts on its own."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from mapi_submission.model.errors import MapiSubmissionError

from .adapter import SystemUnderTest
from .autonomous import AUTONOMOUS_METHODS, is_autonomous


class AdapterSpecError(MapiSubmissionError, ValueError):
    """The adapter cannot be loaded: the message says what is wrong, in one line."""


def load_factory(spec: str, *, steered: bool = False,
                 option: str = "--adapter") -> tuple[Any, bool]:
    """`module:factory` -> the callable, and whether the system it builds runs its own
    components (it has `advance`, and `steered` does not ask for the hooks instead)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise AdapterSpecError(f"{option} {spec!r}: expected MODULE:FACTORY")
    # The current folder comes first on the import path, as for `python -m` and pytest's
    # rootdir: an adapter module beside the user's tests imports without PYTHONPATH=.
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        hint = ("" if error.name != module_name.partition(".")[0] else
                f" (looked in the current folder {here} and the Python path; run from the "
                "folder that holds it, set PYTHONPATH or install it)")
        raise AdapterSpecError(f"{option} {spec!r}: cannot import {module_name}: {error}"
                               + hint) from None
    except ImportError as error:
        raise AdapterSpecError(f"{option} {spec!r}: cannot import {module_name}: "
                               f"{error}") from None
    factory: Any = module
    for part in attribute.split("."):
        factory = getattr(factory, part, None)
        if factory is None:
            raise AdapterSpecError(f"{option} {spec!r}: {module_name} has no {attribute}")
    if not callable(factory):
        raise AdapterSpecError(f"{option} {spec!r}: {attribute} is not callable")
    try:
        sample = factory()
    except Exception as error:
        raise AdapterSpecError(f"{option} {spec!r}: the factory failed: "
                               f"{type(error).__name__}: {error}") from None
    autonomous = is_autonomous(sample) and not steered
    needed = (AUTONOMOUS_METHODS if autonomous else
              {name for name in dir(SystemUnderTest) if not name.startswith("_")})
    missing = sorted(name for name in needed if not callable(getattr(sample, name, None)))
    if missing:
        kind = ("an autonomous system (it has advance)" if autonomous
                else "a steered system" + (" (--steered)" if steered else ""))
        raise AdapterSpecError(f"{option} {spec!r}: the object it returns is {kind} and "
                               f"lacks {', '.join(missing)}")
    return factory, autonomous
