"""docs/model.md matches the code: it names every state, conflict reading, variant and
out-of-scope rule, and its example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

from mapi_submission.model.catalogue import CATALOGUE
from mapi_submission.model.config import CONFLICT_VALUES, Conflicts
from mapi_submission.model.states import MESSAGE_STATES, RECIPIENT_STATES, TRANSPORT_STATES
from mapi_submission.model.variants import VARIANTS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "model.md").read_text(encoding="utf-8")


def test_doc_names_every_state() -> None:
    for state in MESSAGE_STATES + RECIPIENT_STATES + TRANSPORT_STATES:
        assert f"`{state.name}`" in DOC, state.name


def test_doc_lists_every_conflict_with_its_values_and_default() -> None:
    defaults = Conflicts()
    for name, values in CONFLICT_VALUES.items():
        line = next((row for row in DOC.splitlines() if row.startswith(f"| `{name}` |")), None)
        assert line is not None, name
        assert all(f"`{value}`" in line for value in values), name
        assert line.split("|")[3].strip() == f"`{getattr(defaults, name)}`", name


def test_doc_lists_every_variant_and_every_rule_out_of_scope() -> None:
    for name in VARIANTS:
        assert f"| `{name}` |" in DOC, name
    listed = set(re.findall(r"^\| (R\d+) \|", DOC, flags=re.MULTILINE))
    assert listed == {entry.rule for entry in CATALOGUE if not entry.encoded}
    encoded = sum(entry.encoded for entry in CATALOGUE)
    assert f"{encoded} of the 83 rules are encoded" in DOC


def test_doc_example_runs_and_gives_the_results_it_shows() -> None:
    (example,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    namespace: dict[str, object] = {}
    lines = example.splitlines()
    for line in lines:
        code, _, comment = line.partition("  #")
        code = code.strip()
        if not code:
            continue
        shown = re.match(r"\s*'([A-Z_]+)'", comment)
        if shown:
            assert eval(code, namespace) == shown.group(1), code  # noqa: S307
        else:
            exec(code, namespace)  # noqa: S102
