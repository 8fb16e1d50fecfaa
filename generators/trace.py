"""Traceability: encoded rule -> the rows, guards, effects and states that carry it -> the
regression cases that exercise it, read from case files alone.

A step exercises the rules `coverage.row_rules` gives for its row and the observation rules
of the fields it changes (message flags, submit flags, recipients); a refusal step exercises
the rules it names.
"""

from __future__ import annotations

from typing import Any

from mapi_submission.checker.cases import initial_from_json
from mapi_submission.model.catalogue import CATALOGUE
from mapi_submission.model.config import Config
from mapi_submission.model.effects import EFFECT_RULES
from mapi_submission.model.guards import GUARD_RULES
from mapi_submission.model.observe import OBSERVATION_RULES, observe
from mapi_submission.model.states import MESSAGE_STATES, RECIPIENT_STATES, TRANSPORT_STATES
from mapi_submission.model.table import TABLE

from .coverage import row_rules, sorted_rules


def _observation_changes(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    rules: set[str] = set()
    for old, new in zip(before["messages"], after["messages"], strict=False):
        for name in ("message_flags", "submit_flags", "recipients"):
            if old[name] != new[name]:
                rules.update(OBSERVATION_RULES[name])
    return rules


def case_rules(case: dict[str, Any]) -> set[str]:
    """Every rule a (validated) case exercises."""
    before = observe(Config.from_dict(case["config"]), initial_from_json(case["initial"]))
    rules: set[str] = set()
    for entry in case["steps"]:
        if "refusal" in entry:
            rules.update(entry["rules"])
            continue
        rules |= row_rules(entry["row"])
        if "inside" in entry:  # the row taken inside the same call (routing, R26)
            rules |= row_rules(entry["inside"]["row"])
        rules |= _observation_changes(before, entry["expect"])
        before = entry["expect"]
    return rules


def traceability(cases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The matrix for the cases (name -> case): one entry per catalogue rule."""
    exercised: dict[str, list[str]] = {}
    for name in sorted(cases):
        for rule in case_rules(cases[name]):
            exercised.setdefault(rule, []).append(name)
    carriers: dict[str, dict[str, set[str]]] = {}

    def carry(rule: str, kind: str, name: str) -> None:
        carriers.setdefault(rule, {}).setdefault(kind, set()).add(name)

    for row in TABLE:
        for rule in row.rules:
            carry(rule, "rows", row.name)
    for guard, rules in GUARD_RULES.items():
        for rule in rules:
            carry(rule, "guards", guard)
    for effect, rules in EFFECT_RULES.items():
        for rule in rules:
            carry(rule, "effects", effect)
    for state in MESSAGE_STATES + RECIPIENT_STATES + TRANSPORT_STATES:
        for rule in state.rules:
            carry(rule, "states", state.name)
    for field, rules in OBSERVATION_RULES.items():
        for rule in rules:
            carry(rule, "observations", field)
    entries: list[dict[str, Any]] = []
    for entry in CATALOGUE:
        found = carriers.get(entry.rule, {})
        entries.append({
            "rule": entry.rule,
            "title": entry.title,
            "encoded": entry.encoded,
            "out_of_scope": entry.reason,
            **{kind: sorted(found.get(kind, ())) for kind in
               ("rows", "guards", "effects", "states", "observations")},
            "cases": exercised.get(entry.rule, []),
        })
    unexercised: list[str] = [e["rule"] for e in entries if e["encoded"] and not e["cases"]]
    return {
        "cases": len(cases),
        "encoded": sum(1 for e in entries if e["encoded"]),
        "exercised": sum(1 for e in entries if e["encoded"] and e["cases"]),
        "unexercised": sorted_rules(unexercised),
        "rules": entries,
    }
