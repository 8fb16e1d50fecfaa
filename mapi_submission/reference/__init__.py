"""A reference implementation of a MAPI store + spooler + transports, written imperatively
from the rules (reference R1..R83), and known-bad mutants of it.

It never reads the model's table, guards or effects: it is an independent reading of the
rules that the conformance harness judges against the model, a demonstration system for
``mapi-submission conform`` and the base the mutants patch.

May import: harness.adapter, model.constants.
"""

from .mutants import MUTANTS, Mutant
from .store import ReferenceSystem, make_reference

__all__ = ["MUTANTS", "Mutant", "ReferenceSystem", "make_reference"]
