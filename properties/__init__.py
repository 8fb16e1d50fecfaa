"""Safety and liveness properties of MAPI submission (reference sections 2.6 and 2.7).

Each property is a named function with its kind and rule ids, registered in `PROPERTIES`
(registry.py). The model never imports this package; the checker, the generators and the
harness do. Property code restates the rules from the world's fields instead of calling the
model's guards, so a wrong guard cannot make its own property pass.

Kinds:
- "state" (invariants.py): ``check(config, world)`` returns a description of the violation,
  or None.
- "step" (invariants.py): ``check(config, before, row, step, after)`` judges one transition.
- "liveness" (liveness.py): ``obligation(config, world, message)`` is True while the message
  still owes progress; the checker proves that, under weak fairness of the non-client actors
  (`Actor.fair`), every obligation is eventually discharged.

May import: model.
"""

from __future__ import annotations

# Importing the modules registers their properties: invariants first, then liveness, the
# order the checker reports them in.
from . import invariants, liveness
from .invariants import SPOOLER_ONLY
from .registry import (
    PROPERTIES,
    Obligation,
    Property,
    StateCheck,
    StepCheck,
    liveness_properties,
    state_properties,
    step_properties,
)

__all__ = [
    "PROPERTIES",
    "SPOOLER_ONLY",
    "Obligation",
    "Property",
    "StateCheck",
    "StepCheck",
    "invariants",
    "liveness",
    "liveness_properties",
    "state_properties",
    "step_properties",
]
