"""Every example log in examples/logs/ gets the verdict its README line states: conforms, or
diverges at the stated line naming the stated rules; the examples are what make_examples.py
writes, and the logs a variant made conform to that variant."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from mapi_submission.harness.validate_log import validate_log_text

from .logs_support import EXAMPLES, run

EXPECTED = re.compile(r"^- `(?P<name>[^`]+\.jsonl)`: .*Expected: (?:(?P<conforms>conforms)|"
                      r"diverges at line (?P<line>\d+), breaking (?P<rules>R\d+(?:, R\d+)*))\.$")


def _expectations() -> dict[str, tuple[int | None, list[str]]]:
    found: dict[str, tuple[int | None, list[str]]] = {}
    for text in (EXAMPLES / "README.md").read_text().splitlines():
        if text.startswith("- `"):
            match = EXPECTED.match(text)
            assert match is not None, f"README line without a readable verdict: {text}"
            if match["conforms"]:
                found[match["name"]] = (None, [])
            else:
                found[match["name"]] = (int(match["line"]), match["rules"].split(", "))
    return found


EXPECTATIONS = _expectations()


def test_the_readme_describes_every_example_log_and_no_other() -> None:
    assert set(EXPECTATIONS) == {p.name for p in EXAMPLES.glob("*.jsonl")}
    assert any(line is None for line, _ in EXPECTATIONS.values())
    assert any(line is not None for line, _ in EXPECTATIONS.values())


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_example_gets_its_stated_verdict(name: str) -> None:
    line, rules = EXPECTATIONS[name]
    path = EXAMPLES / name
    code, out, err = run("validate-log", str(path))
    if line is None:
        assert code == 0, out + err
        assert "conforms" in out
        return
    assert code == 1, out + err
    assert f"diverges at line {line}:" in out
    assert f"at line {line}" in err
    verdict = validate_log_text(path.read_text(), name)
    assert verdict.divergence is not None and verdict.divergence.line == line
    assert set(rules) <= set(verdict.divergence.rules), verdict.divergence.rules
    assert verdict.divergence.allowed, "a divergence names the events allowed there"
    assert verdict.divergence.states, "a divergence names the possible model states"


def _made_by_variant() -> dict[str, str]:
    found = {}
    for name in sorted(EXPECTATIONS):
        header = json.loads((EXAMPLES / name).read_text().splitlines()[0]).get("header", {})
        source = header.get("source", "")
        if source.startswith("variant "):
            found[name] = source.removeprefix("variant ")
    return found


MADE_BY_VARIANT = _made_by_variant()


def test_every_failing_example_but_the_hand_written_one_comes_from_a_variant() -> None:
    failing = {name for name, (line, _) in EXPECTATIONS.items() if line is not None}
    assert failing - set(MADE_BY_VARIANT) == {"submit-without-recipients-succeeds.jsonl"}


@pytest.mark.parametrize("name", sorted(MADE_BY_VARIANT))
def test_a_log_made_by_a_variant_conforms_to_that_variant(name: str) -> None:
    verdict = validate_log_text((EXAMPLES / name).read_text(), name,
                                variant=MADE_BY_VARIANT[name])
    assert verdict.conforms, verdict.divergence and verdict.divergence.describe()
    code, out, _ = run("validate-log", str(EXAMPLES / name), "--variant", MADE_BY_VARIANT[name])
    assert code == 0 and f"conforms to {MADE_BY_VARIANT[name]}" in out


def test_the_examples_are_what_make_examples_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_examples",
                                                  EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.examples()
    assert set(made) == set(EXPECTATIONS)
    for name, text in made.items():
        assert (EXAMPLES / name).read_text() == text, f"{name} is stale: run make_examples.py"
