"""State diagrams: drawn from the table (every row, state and phase), deterministic, SVG is
XML, and `mapi-submission diagram --check` catches drift of the checked-in diagrams/."""

from __future__ import annotations

import dataclasses
import re
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mapi_submission.checker.explore import explore
from mapi_submission.cli import main
from mapi_submission.generators import diagrams
from mapi_submission.model.engine import Model
from mapi_submission.model.states import MESSAGE_STATES, RECIPIENT_STATES
from mapi_submission.model.table import TABLE

CHECKED_IN = Path(__file__).resolve().parents[2] / "diagrams"
NO_DOT = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz `dot` not installed (scripts/install-system-deps.sh): SVG/PNG not tested")


@pytest.fixture(scope="module")
def figures() -> dict[str, diagrams.Figure]:
    return {figure.name: figure for figure in diagrams.figures()}


@pytest.fixture(scope="module")
def texts(figures: dict[str, diagrams.Figure]) -> dict[str, str]:
    return diagrams.text_outputs(built=list(figures.values()))


def _run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["diagram", *args], env=env)


# ---- drift of the checked-in files ----------------------------------------------------------


def test_checked_in_diagrams_are_current() -> None:
    result = _run("-o", str(CHECKED_IN), "--check")
    assert result.exit_code == 0, result.output
    assert "is current" in result.stdout


def test_check_names_each_stale_missing_or_broken_file(tmp_path: Path) -> None:
    folder = tmp_path / "diagrams"
    shutil.copytree(CHECKED_IN, folder)
    dot = folder / "message-lifecycle.dot"
    dot.write_text(dot.read_text(encoding="utf-8").replace("IMsgStore::AbortSubmit",
                                                           "AbortSubmit", 1), encoding="utf-8")
    (folder / "recipient-lifecycle.mmd").unlink()
    (folder / "world-graph.svg").write_text("<svg><g></svg>", encoding="utf-8")
    svg = folder / "counterexample-location-only.svg"
    svg.write_text(re.sub(r"source sha256 [0-9a-f]{64}", "source sha256 " + "0" * 64,
                          svg.read_text(encoding="utf-8")), encoding="utf-8")
    result = _run("-o", str(folder), "--check")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("diagram --check")]
    assert len(lines) == 4, result.stderr
    assert "message-lifecycle.dot: stale" in result.stderr
    assert "recipient-lifecycle.mmd: missing" in result.stderr
    assert "world-graph.svg: not well-formed XML" in result.stderr
    assert "counterexample-location-only.svg: stale (rendered from an older DOT" in result.stderr
    # --check writes nothing
    assert not (folder / "recipient-lifecycle.mmd").exists()


def test_check_of_text_formats_only_ignores_svg(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    shutil.copytree(CHECKED_IN, folder)
    for svg in folder.glob("*.svg"):
        svg.unlink()
    assert _run("-o", str(folder), "--check").exit_code == 1
    assert _run("-o", str(folder), "--check", "--format", "dot,mmd").exit_code == 0


# ---- determinism and formats ------------------------------------------------------------------


def test_text_outputs_are_deterministic(texts: dict[str, str]) -> None:
    again = diagrams.text_outputs()
    assert again == texts
    assert sorted(texts) == sorted(
        f"{name}.{ext}" for name in ("message-lifecycle", "recipient-lifecycle", "world-graph",
                                     "counterexample-location-only") for ext in ("dot", "mmd"))


def test_dot_texts_carry_their_own_digest(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        if name.endswith(".dot"):
            digest = diagrams.dot_digest(text)
            assert digest is not None
            body = text.replace(f"{diagrams.DIGEST_PREFIX}{digest}", "@DIGEST@", 1)
            assert diagrams.hashlib.sha256(body.encode()).hexdigest() == digest


def test_checked_in_svgs_parse_as_xml() -> None:
    svgs = sorted(CHECKED_IN.glob("*.svg"))
    assert len(svgs) == 4
    for svg in svgs:
        root = ElementTree.parse(svg).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", svg


@NO_DOT
def test_rendering_is_deterministic_and_svg_is_xml(tmp_path: Path) -> None:
    first = _run("-o", str(tmp_path / "a"))
    second = _run("-o", str(tmp_path / "b"), "--format", "svg,png,dot,mmd")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(files) == 16 and not any(name.startswith(".") for name in files)
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for svg in (tmp_path / "a").glob("*.svg"):
        data = svg.read_bytes()
        assert diagrams.svg_problem(data, diagrams.dot_digest(
            (tmp_path / "a" / (svg.stem + ".dot")).read_text(encoding="utf-8"))) is None
    for png in (tmp_path / "a").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz_svg_and_png_are_skipped_with_a_message(tmp_path: Path) -> None:
    result = _run("-o", str(tmp_path), env={"PATH": str(tmp_path / "empty")})
    assert result.exit_code == 0, result.output
    assert "Graphviz `dot` not found" in result.stderr and "SVG and PNG skipped" in result.stderr
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".dot"] * 4 + [".mmd"] * 4


def test_bad_usage_is_one_line_exit_2(tmp_path: Path) -> None:
    result = _run("--format", "dot,jpeg")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("mapi-submission: error: --format: unknown format 'jpeg'; "
                                     "expected some of dot,svg,mmd,png")
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = _run("-o", str(file), "--format", "dot")
    assert result.exit_code == 2 and "not a folder" in result.stderr
    assert file.read_text(encoding="utf-8") == "x"


# ---- true to the table ------------------------------------------------------------------------


def test_lifecycle_draws_every_state_change_of_the_table(texts: dict[str, str]) -> None:
    dot = texts["message-lifecycle.dot"]
    mermaid = texts["message-lifecycle.mmd"]
    for row in TABLE:
        if row.machine != "message":
            continue
        if row.dest is None and row.is_error:
            # a refused call: named in the tooltip of every state it refuses from
            for state in row.sources:
                tooltip = re.search(rf'^\s*"{state}" \[.*tooltip="([^"]*)"', dot, re.M)
                assert tooltip and f"{row.event} \u2192 {row.result}" in tooltip.group(1)
            continue
        assert f"{row.name} \u00b7 {' '.join(row.rules)}" in dot, row.name
        assert f"{row.name} · {' '.join(row.rules)}" in mermaid, row.name
        for guard in row.guards:
            assert guard in dot and guard in mermaid


def test_lifecycle_groups_states_by_phase(figures: dict[str, diagrams.Figure]) -> None:
    figure = figures["message-lifecycle"]
    assert [c[0] for c in figure.clusters] == ["composition", "submission", "spooler",
                                               "transport", "completion"]
    states = {node.id: node.cluster for node in figure.nodes if node.shape == "box"}
    assert states == {s.name: s.phase_group for s in MESSAGE_STATES}
    # the abort row leaves nine states: drawn once, its sources marked
    marked = [node.id for node in figure.nodes
              if node.shape == "box" and "\u25c6 abort" in node.text]
    abort = next(r for r in TABLE if r.name == "abort")
    assert sorted(marked) == sorted(abort.sources)


def test_recipient_lifecycle_has_declared_and_observed_changes() -> None:
    observed = diagrams.recipient_observations()
    for row in TABLE:
        if row.recipient_change is not None:
            assert row.name in observed.changes[row.recipient_change]
    # R75: a resend marks the already-received recipient skipped at submit
    assert observed.changes[("pending", "skipped")] == ["submit"]
    assert set(observed.responsibility) == {s.name for s in RECIPIENT_STATES}
    assert observed.responsibility["pending"] == {False}


def test_world_graph_is_the_exploration(figures: dict[str, diagrams.Figure]) -> None:
    exploration = explore(Model(diagrams.WORLD_GRAPH_CONFIG), symmetry=False)
    figure = figures["world-graph"]
    worlds = [node for node in figure.nodes if node.id.startswith("w")]
    assert len(worlds) == len(exploration.states) == 28
    changing = [(s, t) for s, _, t in exploration.edges if s != t]
    assert len(figure.edges) == len(changing)
    assert {node.cluster for node in worlds} == {"tight", "loose"}


def test_counterexample_highlights_the_location_only_path(
        figures: dict[str, diagrams.Figure]) -> None:
    example = diagrams.lifecycle_counterexample()
    assert example.property == "I-ROUTE"
    rows = [step.row for step, _ in example.steps]
    assert rows == ["add-recipients", "submit"]  # the store routes inside SubmitMessage
    figure = figures["counterexample-location-only"]
    highlighted = [e for e in figure.edges if e.colour == diagrams.HIGHLIGHT and e.label]
    assert [e.text.split(". ", 1)[0] for e in highlighted] == ["1", "2", "3"]
    assert [(e.source, e.target) for e in highlighted] == [
        ("draft", "draft"), ("draft", "submitted"), ("submitted", "spooled")]
    spooled = next(n for n in figure.nodes if n.id == "spooled")
    assert spooled.colour == diagrams.HIGHLIGHT and spooled.width == 3.0
    assert "inbox" in next(n for n in figure.nodes if n.id == "note").label


def test_mermaid_is_well_formed(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        if not name.endswith(".mmd"):
            continue
        lines = text.splitlines()
        assert lines[0] == "---" and lines[1].startswith('title: "') and lines[2] == "---"
        assert lines[3] in ("flowchart TB", "flowchart LR")
        opened = sum(1 for line in lines if line.strip().startswith("subgraph "))
        assert opened == sum(1 for line in lines if line.strip() == "end")
        links = [line for line in lines if re.match(r"\s+\w+ (-->|---|-\.->|-\.-)", line)]
        for line in links:
            assert re.fullmatch(r'\s+\w+ (-->|---|-\.->|-\.-)(\|"[^"]*"\|)? \w+', line), line
        styled = sorted(int(i) for line in lines if line.strip().startswith("linkStyle ")
                        for i in line.split()[1].split(","))
        assert styled == list(range(len(links))), name


def test_readme_mermaid_embed_is_the_rendered_life_cycle() -> None:
    readme = (CHECKED_IN.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", readme, re.M | re.S)
    if not blocks:
        pytest.skip("README.md embeds no Mermaid diagram yet")
    assert blocks[0] == (CHECKED_IN / "message-lifecycle.mmd").read_text(encoding="utf-8"), (
        "README.md's Mermaid block differs from diagrams/message-lifecycle.mmd: paste the "
        "rendered file again")


def test_a_variant_without_its_counterexample_fails_in_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    variant = diagrams.VARIANTS["location-only"]
    monkeypatch.setitem(diagrams.VARIANTS, "location-only",
                        dataclasses.replace(variant, breaks=("I-EXCL",)))
    result = _run("-o", str(tmp_path), "--format", "dot")
    assert result.exit_code == 1
    assert result.stderr == ("mapi-submission diagram: variant location-only: no counterexample "
                             "for I-EXCL\n")
    assert list(tmp_path.iterdir()) == []
