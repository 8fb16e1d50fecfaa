"""State diagrams rendered from the transition table and from explorations of the model.

Four figures, each built as a small figure description (clusters, nodes, edges) and written
out as Graphviz DOT and as Mermaid:

1. `message-lifecycle`: every message state grouped by phase, every state-changing row of
   `model.table.TABLE` as an edge labelled with its event and guard names (rule ids in the
   label's last line and in the SVG tooltips). Rows that refuse a call and change nothing
   (error result, no destination) are listed in the tooltip of each state they refuse from.
2. `recipient-lifecycle`: the recipient outcomes (reference 2.3). The table declares the
   changes rows make (`Row.recipient_change`); effects make others (resend skips, R75), so the
   edges are the changes observed over every transition of the one-message default
   configuration, each labelled with the rows that make it.
3. `world-graph`: every reachable world of a small one-message configuration
   (`WORLD_GRAPH_CONFIG`), one node per world.
4. `counterexample-location-only`: the shortest counterexample the checker finds for the
   `location-only` variant (R17, R19) drawn over the message life-cycle.

Mermaid output is a `flowchart` with one `subgraph` per phase rather than a
`stateDiagram-v2` (what the `transitions` Mermaid engine writes): state diagrams cannot draw
a transition between states inside two different composite states, and nearly every edge of
the life-cycle crosses phases.

Everything is deterministic: rows, states and explored worlds are visited in their fixed
order and nothing depends on time or hashing. SVG and PNG come from Graphviz `dot`; each DOT
text carries a digest of its own content as the graph comment, which `dot` copies into the
SVG, so a stale SVG is recognisable without re-rendering it.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mapi_submission.checker.cases import initial_from_json
from mapi_submission.checker.check import Counterexample, shortest_known_counterexample
from mapi_submission.checker.explore import explore
from mapi_submission.checker.files import write_atomic
from mapi_submission.model.actors import Actor
from mapi_submission.model.config import Config, Features
from mapi_submission.model.constants import OUTBOX
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.errors import MapiSubmissionError
from mapi_submission.model.states import (
    INITIAL_STATE,
    MESSAGE_STATES,
    RECIPIENT_STATES,
    STATES_BY_NAME,
    TERMINAL,
)
from mapi_submission.model.table import ROWS_BY_NAME, TABLE, Row
from mapi_submission.model.variants import VARIANTS
from mapi_submission.model.world import PENDING_RECIPIENT, World

#: Phase groups of states.py in the order of the life-cycle, with the cluster fill colour.
PHASES: tuple[tuple[str, str], ...] = (
    ("composition", "#e8f0fe"),
    ("submission", "#fef7e0"),
    ("spooler", "#e6f4ea"),
    ("transport", "#f3e8fd"),
    ("completion", "#f1f3f4"),
)
PHASE_FILL: dict[str, str] = dict(PHASES)

#: Edge colour per actor of the table (the legend repeats it).
ACTOR_COLOURS: dict[Actor, str] = {
    Actor.CLIENT: "#1a56c4",
    Actor.OTHER_CLIENT: "#5b8def",
    Actor.STORE: "#b35c00",
    Actor.TIGHT_PAIR: "#8430ce",
    Actor.SPOOLER: "#137333",
    Actor.PREPROCESSOR: "#007b83",
    Actor.TRANSPORT: "#a50e0e",
}
HIGHLIGHT = "#d93025"
MUTED = "#c4c7c5"

#: A row leaving more states than this is drawn once, from a box of its own, and its source
#: states carry a marker (AbortSubmit leaves nine states, a recursive lock four).
MARKED_FROM = 3

#: Formats written to disk; `dot` and `mmd` are text and compared by --check.
FORMATS: tuple[str, ...] = ("dot", "svg", "mmd", "png")
TEXT_FORMATS: tuple[str, ...] = ("dot", "mmd")

#: The explored world graph is drawn for one message with every optional feature but
#: AbortSubmit off, one recipient, one transport and no setbacks, submitted from the Outbox
#: to either coupling: 23 worlds. The default one-message configuration has 6,386 worlds,
#: far too many to read.
WORLD_GRAPH_CONFIG = Config(
    messages=1,
    recipients=1,
    transports=1,
    setbacks=0,
    features=Features(preprocessing=False, deferral=False, abort=True,
                      transport_failures=False, resend=False, save_conflicts=False),
    address_mixes=("servable",),
    folders=(OUTBOX,),
)
#: The recipient life-cycle is observed over the one-message default configuration.
RECIPIENT_CONFIG = Config(messages=1)
#: The counterexample is searched in the one-message default configuration.
COUNTEREXAMPLE_VARIANT = "location-only"
COUNTEREXAMPLE_CONFIG = Config(messages=1)

FONT = "Helvetica"
DIGEST_PREFIX = "source sha256 "


# ---- figure description ----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str
    label: str  # Graphviz HTML-like label body (already escaped)
    text: str  # plain label for Mermaid (lines joined with <br/>)
    cluster: str | None = None
    tooltip: str = ""
    shape: str = "box"  # box, point, label (a marked row), edge label, plain (legend), note
    fill: str = "#ffffff"
    colour: str = "#3c4043"
    width: float = 1.0
    terminal: bool = False
    mermaid_class: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""  # Graphviz HTML-like label body, "" for none
    text: str = ""  # Mermaid label
    tooltip: str = ""
    colour: str = "#3c4043"
    width: float = 1.2
    style: str = "solid"
    arrow: bool = True
    #: Laid out as if it pointed from target to source (a backward edge of the life-cycle),
    #: drawn with its arrow at the target all the same.
    reverse: bool = False


@dataclass
class Figure:
    name: str
    title: str
    rankdir: str = "LR"
    clusters: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, fill)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    graph_attributes: dict[str, str] = field(default_factory=dict)
    #: Draw each edge label as a node of its own on the edge (dot gives nodes room; edge
    #: labels of edges inside clusters can be laid over one another).
    label_nodes: bool = False


def _e(text: str) -> str:
    """Escaped for a Graphviz HTML-like label."""
    return html.escape(text, quote=True)


def _q(text: str) -> str:
    """A double-quoted DOT string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(words: list[str], width: int) -> list[str]:
    """Greedy line filling of comma-separated words (names keep their hyphens)."""
    return _wrap_text(", ".join(words), width)


# ---- the message life-cycle (TABLE) ----------------------------------------------------------


def event_text(row: Row) -> str:
    """The event with the call arguments that select the row and a non-S_OK result."""
    event = row.event
    if row.call_arguments:
        event += "(" + ", ".join(value for _, value in row.call_arguments) + ")"
    if row.is_error:
        event += f" \u2192 {row.result}"
    return event


def row_tooltip(row: Row) -> str:
    guards = " and ".join(row.guards) if row.guards else "no guard"
    return (f"{row.name}: {row.actor}: {event_text(row)}; when {guards}; effect {row.effect}; "
            f"rules {', '.join(row.rules)}")


def row_label(row: Row, *, number: str = "", colour: str = "") -> tuple[str, str]:
    """(Graphviz HTML label, Mermaid text) of an edge for `row`: the event, the guard names
    in brackets, then the row name and its rule ids."""
    head = f"{number}{event_text(row)}"
    guards = _wrap(list(row.guards), 34) if row.guards else []
    tail = f"{row.name} \u00b7 {' '.join(row.rules)}"
    font = f' COLOR="{colour}"' if colour else ""
    parts = [f"<FONT POINT-SIZE=\"10\"{font}><B>{_e(head)}</B></FONT>"]
    for i, line in enumerate(guards):
        text = ("[" if i == 0 else "\u2009") + line + ("]" if i == len(guards) - 1 else "")
        parts.append(f'<FONT POINT-SIZE="9" COLOR="#5f6368"><I>{_e(text)}</I></FONT>')
    parts.append(f'<FONT POINT-SIZE="8" COLOR="#80868b">{_e(tail)}</FONT>')
    mermaid_guards = f"<br/>[{', '.join(row.guards)}]" if row.guards else ""
    mermaid = f"{head}{mermaid_guards}<br/>{row.name} · {' '.join(row.rules)}"
    return "<BR/>".join(parts), mermaid


def message_rows() -> list[Row]:
    return [row for row in TABLE if row.machine == "message"]


def refusals(state: str) -> list[Row]:
    """Rows that refuse a call in `state` and change nothing."""
    return [row for row in message_rows()
            if row.dest is None and row.is_error and state in row.sources]


def _state_node(state: str, *, fill: str = "#ffffff", colour: str = "#3c4043",
                width: float = 1.0, marks: tuple[Row, ...] = ()) -> Node:
    info = STATES_BY_NAME[state]
    refused = refusals(state)
    tooltip = f"{state} ({info.phase_group}; rules {', '.join(info.rules)}): {info.description}"
    if refused:
        tooltip += " Refused here: " + "; ".join(
            f"{r.event} \u2192 {r.result} when {' and '.join(r.guards) or 'always'} "
            f"({' '.join(r.rules)})" for r in refused)
    label = (f'<FONT POINT-SIZE="13"><B>{_e(state)}</B></FONT><BR/>'
             f'<FONT POINT-SIZE="8" COLOR="#5f6368">{_e(" ".join(info.rules))}</FONT>')
    text = state
    if marks:
        label += "<BR/>" + " ".join(
            f'<FONT POINT-SIZE="9" COLOR="{ACTOR_COLOURS[r.actor]}"><B>\u25c6 {_e(r.name)}'
            "</B></FONT>" for r in marks)
        text += "<br/>" + " ".join(f"\u25c6 {r.name}" for r in marks)
    return Node(state, label, text, info.phase_group, tooltip, fill=fill, colour=colour,
                width=width, terminal=state in TERMINAL, mermaid_class=info.phase_group)


@dataclass(frozen=True)
class Transition:
    """One drawn edge of the life-cycle: a row taken from one source state."""

    row: Row
    source: str
    target: str


def lifecycle_transitions() -> list[Transition]:
    """Every state change the message rows allow; a row without a destination that succeeds
    (a recursive lock, R81) is a self-loop."""
    drawn: list[Transition] = []
    for row in message_rows():
        if row.dest is None and row.is_error:
            continue
        for source in row.sources:
            drawn.append(Transition(row, source, row.dest or source))
    return drawn


def marked_rows() -> list[Row]:
    """Rows leaving more than MARKED_FROM states (AbortSubmit, a recursive lock): each
    source state shows a marker with the row's name, and the row is drawn once, from a
    label node, instead of once per source."""
    return [row for row in message_rows()
            if len(row.sources) > MARKED_FROM and not (row.dest is None and row.is_error)]


def state_depths() -> dict[str, int]:
    """Fewest transitions from the initial state to each state: edges that do not lead deeper
    do not constrain the layout, so the life-cycle reads top to bottom."""
    depth = {INITIAL_STATE: 0}
    frontier = [INITIAL_STATE]
    transitions = lifecycle_transitions()
    while frontier:
        following: list[str] = []
        for state in frontier:
            for t in transitions:
                if t.source == state and t.target not in depth:
                    depth[t.target] = depth[state] + 1
                    following.append(t.target)
        frontier = following
    return depth


def _lifecycle_figure(name: str, title: str,
                      path: list[Transition] | None = None,
                      marked: str | None = None, note: str = "") -> Figure:
    """The message life-cycle; with `path`, that path is numbered and highlighted and every
    other edge is muted and unlabelled."""
    figure = Figure(name, title, rankdir="TB", label_nodes=True, graph_attributes={
        "nodesep": "0.25", "ranksep": "0.3", "newrank": "true"})
    figure.clusters = [(phase, phase, fill) for phase, fill in PHASES]
    badges = marked_rows() if path is None else []
    figure.nodes.append(Node("start", "", "start", None, "initial state", shape="point"))
    figure.nodes += _lifecycle_state_nodes(badges, path, marked)
    figure.edges.append(Edge("start", INITIAL_STATE, colour=HIGHLIGHT if path else "#3c4043",
                             width=2.0 if path else 1.2))
    for row in badges:
        node, edges = _badge(row)
        figure.nodes.append(node)
        figure.edges += edges
    depth = state_depths()
    drawn = [t for t in lifecycle_transitions() if t.row not in badges]
    figure.edges += (_actor_edges(drawn, depth) if path is None
                     else _path_edges(drawn, path, depth))
    if note:
        figure.nodes.append(Node("note", note, "", None, "", shape="note", fill="#fce8e6",
                                 colour=HIGHLIGHT))
        if marked is not None:
            figure.edges.append(Edge(marked, "note", colour=HIGHLIGHT, style="dotted",
                                     arrow=False))
    else:
        figure.nodes.append(_legend())
    return figure


def _lifecycle_state_nodes(badges: list[Row], path: list[Transition] | None,
                           marked: str | None) -> list[Node]:
    """One node per message state: with the badges of the marked rows leaving it, or, along
    a path, outlined where the path goes and filled where it ends (`marked`)."""
    if path is None:
        return [_state_node(info.name, marks=tuple(r for r in badges if info.name in r.sources))
                for info in MESSAGE_STATES]
    visited = {t.source for t in path} | {t.target for t in path}
    nodes = []
    for info in MESSAGE_STATES:
        if info.name == marked:
            nodes.append(_state_node(info.name, fill="#fce8e6", colour=HIGHLIGHT, width=3.0))
        elif info.name in visited:
            nodes.append(_state_node(info.name, colour=HIGHLIGHT, width=2.0))
        else:
            nodes.append(_state_node(info.name, colour="#9aa0a6"))
    return nodes


def _badge(row: Row) -> tuple[Node, list[Edge]]:
    """The box a marked row is drawn from once, and its dashed edge to its destination."""
    label, text = row_label(row)
    colour = ACTOR_COLOURS[row.actor]
    head = (f'<FONT POINT-SIZE="10" COLOR="{colour}"><B>\u25c6 {_e(row.name)}</B> from '
            f"every state marked so ({len(row.sources)})"
            + ("" if row.dest else ", state unchanged") + "</FONT><BR/>")
    node = Node(f"from_{row.name}", head + label,
                f"\u25c6 {row.name} from every state marked so<br/>{text}",
                None, row_tooltip(row), shape="label", colour=colour)
    if row.dest is None:
        return node, []
    return node, [Edge(node.id, row.dest, tooltip=row_tooltip(row), colour=colour,
                       style="dashed")]


def _backward(depth: dict[str, int], source: str, target: str) -> bool:
    """The edge leads back up the life-cycle, so it must not push its source down."""
    return depth.get(target, 0) < depth.get(source, 0)


def _actor_edges(transitions: list[Transition], depth: dict[str, int]) -> list[Edge]:
    """Every transition, labelled; parallel rows of one actor share an edge whose label
    stacks one block per row."""
    groups: dict[tuple[str, str, Actor], list[Row]] = {}
    for t in transitions:
        groups.setdefault((t.source, t.target, t.row.actor), []).append(t.row)
    edges = []
    for (source, target, actor), rows in groups.items():
        labels = [row_label(row) for row in rows]
        edges.append(Edge(
            source, target, '<BR/><FONT POINT-SIZE="4"> </FONT><BR/>'.join(g for g, _ in labels),
            "<br/>".join(t for _, t in labels), " | ".join(row_tooltip(r) for r in rows),
            ACTOR_COLOURS[actor], reverse=_backward(depth, source, target)))
    return edges


def _path_edges(transitions: list[Transition], path: list[Transition],
                depth: dict[str, int]) -> list[Edge]:
    """The path's transitions numbered and highlighted, then every other one muted and
    unlabelled (one edge per pair of states)."""
    on_path: dict[tuple[str, str, str], list[int]] = {}
    for number, step in enumerate(path, start=1):
        on_path.setdefault((step.row.name, step.source, step.target), []).append(number)
    highlighted: list[Edge] = []
    muted: dict[tuple[str, str], list[Row]] = {}
    for t in transitions:
        numbers = on_path.get((t.row.name, t.source, t.target))
        if numbers:
            prefix = ", ".join(str(n) for n in numbers) + ". "
            label, text = row_label(t.row, number=prefix, colour=HIGHLIGHT)
            highlighted.append(Edge(t.source, t.target, label, text, row_tooltip(t.row),
                                    HIGHLIGHT, width=3.0,
                                    reverse=_backward(depth, t.source, t.target)))
        else:
            muted.setdefault((t.source, t.target), []).append(t.row)
    return highlighted + [
        Edge(source, target, tooltip=" | ".join(row_tooltip(r) for r in rows), colour=MUTED,
             width=1.0, reverse=_backward(depth, source, target))
        for (source, target), rows in muted.items()]


def _legend() -> Node:
    rows = "".join(
        f'<TR><TD ALIGN="LEFT"><FONT COLOR="{colour}"><B>\u2014\u2014</B></FONT></TD>'
        f'<TD ALIGN="LEFT">{_e(actor)}</TD></TR>'
        for actor, colour in ACTOR_COLOURS.items() if any(r.actor == actor for r in TABLE))
    label = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">'
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>edge colour = actor</B></TD></TR>'
        f"{rows}"
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9">label: <B>event</B> '
        "(flags) \u2192 result<BR ALIGN=\"LEFT\"/><I>[guards, all must hold]</I>"
        "<BR ALIGN=\"LEFT\"/>row name \u00b7 rule ids<BR ALIGN=\"LEFT\"/>"
        "\u25c6 name: a row leaving many states<BR ALIGN=\"LEFT\"/>is drawn once (dashed)"
        "<BR ALIGN=\"LEFT\"/>double border: final state<BR ALIGN=\"LEFT\"/>refused calls: "
        "state tooltips (SVG)<BR ALIGN=\"LEFT\"/></FONT></TD></TR></TABLE>")
    return Node("legend", label, "", None, "legend", shape="plain")


def lifecycle_figure() -> Figure:
    return _lifecycle_figure(
        "message-lifecycle",
        "MAPI outgoing message life-cycle (every state-changing row of the transition table)")


# ---- the recipient life-cycle -----------------------------------------------------------------


@dataclass
class RecipientObservations:
    """What one exploration shows of the recipient life-cycle."""

    #: (from outcome, to outcome) -> rows making that change, in table order
    changes: dict[tuple[str, str], list[str]]
    #: outcome -> PR_RESPONSIBILITY values seen with it
    responsibility: dict[str, set[bool]]


def recipient_observations(config: Config = RECIPIENT_CONFIG) -> RecipientObservations:
    """The recipient changes the table declares plus every change seen over the transitions
    of `config`'s exploration, and the PR_RESPONSIBILITY values each outcome occurs with."""
    found: dict[tuple[str, str], set[str]] = {}
    for row in TABLE:
        if row.recipient_change is not None:
            found.setdefault(row.recipient_change, set()).add(row.name)
    exploration = explore(Model(config), symmetry=False)
    states = exploration.states
    responsibility: dict[str, set[bool]] = {}
    for world in states:
        for message in world.messages:
            for recipient in message.recipients:
                responsibility.setdefault(recipient.outcome, set()).add(recipient.resp)
    for source, step, target in exploration.edges:
        if source == target or step.message < 0:
            continue
        before = states[source].messages[step.message].recipients
        after = states[target].messages[step.message].recipients
        for old, new in zip(before, after, strict=True):
            if old.outcome != new.outcome:
                found.setdefault((old.outcome, new.outcome), set()).add(step.row)
    order = {row.name: i for i, row in enumerate(TABLE)}
    outcome_order = {s.name: i for i, s in enumerate(RECIPIENT_STATES)}
    changes = {key: sorted(rows, key=order.__getitem__)
               for key, rows in sorted(found.items(),
                                       key=lambda item: (outcome_order[item[0][0]],
                                                         outcome_order[item[0][1]]))}
    return RecipientObservations(changes, responsibility)


def recipient_figure() -> Figure:
    observed = recipient_observations()
    figure = Figure("recipient-lifecycle",
                    "Recipient responsibility life-cycle (reference 2.3): changes declared by "
                    "the table or seen over every transition of one message (default "
                    "configuration)",
                    label_nodes=True, graph_attributes={"nodesep": "0.3", "ranksep": "0.5"})
    figure.nodes.append(Node("start", "", "start", None, "recipient row added", shape="point"))
    leaving = {old for (old, new) in observed.changes if old != new}
    for info in RECIPIENT_STATES:
        values = sorted(observed.responsibility.get(info.name, set()), reverse=True)
        responsibility = " or ".join("TRUE" if v else "FALSE" for v in values) or "never seen"
        label = (f'<FONT POINT-SIZE="13"><B>{_e(info.name)}</B></FONT><BR/>'
                 f'<FONT POINT-SIZE="9">PR_RESPONSIBILITY {responsibility}</FONT><BR/>'
                 f'<FONT POINT-SIZE="8" COLOR="#5f6368">{_e(" ".join(info.rules))}</FONT>')
        figure.nodes.append(Node(info.name, label, f"{info.name}<br/>PR_RESPONSIBILITY "
                                 f"{responsibility}", None,
                                 f"{info.name} ({', '.join(info.rules)}): {info.description}",
                                 terminal=info.name not in leaving))
    added = PENDING_RECIPIENT.outcome  # the outcome of a newly added recipient row
    figure.edges.append(Edge("start", added))
    for (old, new), rows in observed.changes.items():
        for name in rows:
            row = ROWS_BY_NAME[name]
            label, text = row_label(row)
            # changes back to the first outcome are laid out backwards: it stays on top
            figure.edges.append(Edge(old, new, label, text, row_tooltip(row),
                                     ACTOR_COLOURS[row.actor],
                                     reverse=new == added and old != added))
    return figure


# ---- the explored world graph -----------------------------------------------------------------


def world_text(world: World) -> list[str]:
    """Short lines describing a one-message world."""
    message = world.messages[0]
    facts = [message.folder]
    if not message.addressed:
        facts.append("no recipient rows")
    if message.in_queue:
        facts.append("queued")
    if message.lock_holders:
        facts.append("locked" if message.lock_holders == 1 else f"locked x{message.lock_holders}")
    if message.inflight:
        facts.append("in flight")
    recipients = " ".join(r.outcome for r in message.recipients)
    return [message.phase, ", ".join(facts), f"recipients: {recipients}"]


def worlds_text(world: World) -> list[str]:
    """world_text of a one-message world; with more messages, each message's lines under
    its number."""
    if len(world.messages) == 1:
        return world_text(world)
    lines: list[str] = []
    for m in range(len(world.messages)):
        alone = world._replace(messages=(world.messages[m],))
        first, *rest = world_text(alone)
        lines += [f"m{m}: {first}", *rest]
    return lines


#: A drawn world graph larger than this is refused: a graph of thousands of worlds is not a
#: figure anyone can read.
WORLD_GRAPH_LIMIT = 400


class TooManyWorlds(MapiSubmissionError, ValueError):
    """The configuration reaches more worlds than a readable drawing holds."""


def world_graph_figure(config: Config = WORLD_GRAPH_CONFIG, name: str = "world-graph",
                       title: str | None = None) -> Figure:
    model = Model(config)
    exploration = explore(model, symmetry=False, max_states=WORLD_GRAPH_LIMIT)
    if exploration.stopped is not None:
        raise TooManyWorlds(
            f"the configuration reaches more than {WORLD_GRAPH_LIMIT} worlds, too many to "
            "read in one drawing; draw fewer messages, recipients, transports, setbacks or "
            "features")
    figure = Figure(
        name,
        title or (f"Every reachable world of one message ({len(exploration.states)} worlds): "
                  "1 recipient, 1 transport, no setbacks, Outbox, tight or loose coupling, "
                  "only AbortSubmit of the optional features"),
        rankdir="TB", graph_attributes={"nodesep": "0.3", "ranksep": "0.45"})
    figure.clusters = [("tight", "tightly coupled store + transport", "#f3e8fd"),
                       ("loose", "store without a transport (spooler)", "#e6f4ea")]
    initial = set(exploration.initial)
    for node, world in enumerate(exploration.states):
        lines = worlds_text(world)
        phase = STATES_BY_NAME[world.messages[0].phase].phase_group
        label = (f'<FONT POINT-SIZE="8" COLOR="#5f6368">w{node}</FONT> '
                 f'<B>{_e(lines[0])}</B><BR/>'
                 + "<BR/>".join(f'<FONT POINT-SIZE="9">{_e(line)}</FONT>' for line in lines[1:]))
        figure.nodes.append(Node(
            f"w{node}", label, f"w{node} " + "<br/>".join(lines),
            "tight" if world.tight else "loose", f"w{node}: " + "; ".join(lines),
            fill=PHASE_FILL[phase], width=2.0 if node in initial else 1.0,
            terminal=model.is_final(world), mermaid_class=phase))
    for source, step, target in exploration.edges:
        if source == target:
            continue  # refused calls change nothing
        row = model.rows[step.row]
        figure.edges.append(Edge(
            f"w{source}", f"w{target}", f'<FONT POINT-SIZE="9">{_e(row.name)}</FONT>',
            row.name, row_tooltip(row), ACTOR_COLOURS[row.actor]))
    return figure


# ---- the location-only counterexample ----------------------------------------------------------


class NoCounterexample(MapiSubmissionError, LookupError):
    """The variant no longer breaks the properties it is known to break."""


def lifecycle_counterexample(variant: str = COUNTEREXAMPLE_VARIANT,
                             config: Config = COUNTEREXAMPLE_CONFIG) -> Counterexample:
    """The shortest counterexample among the properties the variant is known to break."""
    example = shortest_known_counterexample(Model(config, variant))
    if example is None:
        raise NoCounterexample(
            f"variant {variant}: no counterexample for {', '.join(VARIANTS[variant].breaks)}")
    return example


def counterexample_figure() -> Figure:
    example = lifecycle_counterexample()
    model = Model(COUNTEREXAMPLE_CONFIG, COUNTEREXAMPLE_VARIANT)
    path: list[Transition] = []
    world = example.start
    for step, after in example.steps:
        source = world.messages[step.message].phase
        row = model.rows[step.row]
        reached = after.messages[step.message].phase
        inside = model.inside_row(world, step)
        if inside is not None and row.dest is not None:
            # the routing the store does inside the same call is its own edge (R26)
            path += [Transition(row, source, row.dest), Transition(inside, row.dest, reached)]
        else:
            path.append(Transition(row, source, reached))
        world = after
    final = example.steps[-1][1] if example.steps else example.start
    message = final.messages[example.steps[-1][0].message if example.steps else 0]
    variant = VARIANTS[COUNTEREXAMPLE_VARIANT]
    coupling = "tightly coupled store" if final.tight else "store without transport"
    note = (f'<B>{_e(example.property)} violated</B> '
            f'<FONT POINT-SIZE="9">({_e(", ".join(example.rules))})</FONT><BR ALIGN="LEFT"/>'
            + "".join(f"{_e(line)}<BR ALIGN=\"LEFT\"/>" for line in _wrap_text(
                f"{example.problem}. World: {coupling}, message in the {message.folder} folder,"
                f" phase {message.phase}. Variant {variant.name} ({', '.join(variant.rules)}): "
                f"{variant.description}", 58)))
    return _lifecycle_figure(
        f"counterexample-{COUNTEREXAMPLE_VARIANT}",
        f"Shortest counterexample of the {COUNTEREXAMPLE_VARIANT} variant: "
        f"{len(example.steps)} steps, one message (numbered red edges: the rows they take)",
        path=path, marked=path[-1].target if path else INITIAL_STATE, note=note)


class CaseNotDrawable(MapiSubmissionError, ValueError):
    """A case step the model (or the case's variant) does not take: replay shows why."""


def case_figures(case: dict[str, Any]) -> list[Figure]:
    """One life-cycle figure per message that a regression case moves, its path numbered in
    the order of the case's steps (refused calls change nothing and are not drawn); the
    case's own variant, if any, takes the steps."""
    model = Model(Config.from_dict(case["config"]), case.get("variant"))
    world = initial_from_json(case["initial"])
    paths: dict[int, list[Transition]] = {}
    for number, entry in enumerate(case["steps"]):
        if "refusal" in entry:
            continue
        step = Step(entry["row"], entry["message"], -1 if entry["arg"] is None else entry["arg"])
        after = dict(model.successors(world)).get(step)
        if after is None:
            raise CaseNotDrawable(f"step {number} ({entry['row']}) is not enabled there; "
                                  "`mapi-submission replay` shows why")
        if step.message >= 0:
            source = world.messages[step.message].phase
            row = model.rows[step.row]
            reached = after.messages[step.message].phase
            inside = model.inside_row(world, step)
            path = paths.setdefault(step.message, [])
            if inside is not None and row.dest is not None:
                path += [Transition(row, source, row.dest),
                         Transition(inside, row.dest, reached)]
            elif source != reached or row.dest is not None:
                path.append(Transition(row, source, reached))
        world = after
    figures: list[Figure] = []
    for m, path in sorted(paths.items()):
        figures.append(_lifecycle_figure(
            f"case-{case['id']}-m{m}",
            f"Case {case['id']}, message {m} ({len(path)} numbered transitions): "
            f"{case['title']}",
            path=path, marked=path[-1].target if path else INITIAL_STATE))
    return figures


def _wrap_text(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


# ---- output: DOT and Mermaid --------------------------------------------------------------------


def to_dot(figure: Figure) -> str:
    """Graphviz DOT text; the graph comment is a digest of the rest of the text."""
    body = _dot_body(figure)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return body.replace("@DIGEST@", f"{DIGEST_PREFIX}{digest}", 1)


def dot_digest(dot_text: str) -> str | None:
    """The digest a DOT text (or an SVG rendered from it) carries."""
    match = re.search(re.escape(DIGEST_PREFIX) + r"([0-9a-f]{64})", dot_text)
    return match.group(1) if match else None


def _dot_body(figure: Figure) -> str:
    """The DOT text with a placeholder for its digest."""
    nodes, edges = _with_label_nodes(figure)
    by_cluster: dict[str | None, list[Node]] = {}
    for node in nodes:
        by_cluster.setdefault(node.cluster, []).append(node)
    out = [f"digraph {_q(figure.name)} {{", *_dot_defaults(figure)]
    for cluster, label, fill in figure.clusters:
        out.append(f"  subgraph {_q('cluster_' + cluster)} {{")
        out.append(f'    label={_q(label)}; style="rounded,filled"; fillcolor={_q(fill)}; '
                   f'color="#dadce0"; fontsize="13"; labeljust="l";')
        out += ["    " + _dot_node(node) for node in by_cluster.get(cluster, [])]
        out.append("  }")
    out += ["  " + _dot_node(node) for node in by_cluster.get(None, [])]
    out += ["  " + _dot_edge(edge) for edge in edges]
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_defaults(figure: Figure) -> list[str]:
    """The graph's attributes and the node and edge defaults."""
    attributes = {
        "comment": "@DIGEST@",
        "rankdir": figure.rankdir,
        "fontname": FONT,
        "fontsize": "16",
        "labelloc": "t",
        "label": "\n".join(_wrap_text(figure.title, 100)),
        "bgcolor": "white",
        "pad": "0.3",
        "splines": "true",
        "outputorder": "edgesfirst",
        **figure.graph_attributes,
    }
    return [
        *(f"  {key}={_q(value)};" for key, value in attributes.items()),
        f'  node [fontname={_q(FONT)}, fontsize="11", shape="box", '
        f'style="rounded,filled", margin="0.12,0.06"];',
        f'  edge [fontname={_q(FONT)}, fontsize="9", arrowsize="0.7"];',
    ]


def _with_label_nodes(figure: Figure) -> tuple[list[Node], list[Edge]]:
    """The figure's nodes and edges; with `label_nodes`, each labelled edge becomes an edge
    into a node carrying the label and an edge out of it (inside the cluster when both ends
    are)."""
    cluster_of = {node.id: node.cluster for node in figure.nodes}
    fills = {cluster: fill for cluster, _, fill in figure.clusters}
    nodes = list(figure.nodes)
    edges: list[Edge] = []
    for index, edge in enumerate(figure.edges):
        if not (figure.label_nodes and edge.label):
            edges.append(edge)
            continue
        shared = cluster_of[edge.source]
        cluster = shared if shared == cluster_of[edge.target] else None
        label_id = f"label{index}"
        nodes.append(Node(label_id, edge.label, "", cluster, edge.tooltip, shape="edge label",
                          fill=fills.get(cluster, "#ffffff") if cluster else "#ffffff"))
        loop = edge.source == edge.target  # the label hangs below its state
        edges.append(replace(edge, target=label_id, label="", arrow=False,
                             reverse=edge.reverse and not loop))
        edges.append(replace(edge, source=label_id, label="", reverse=edge.reverse or loop))
    return nodes, edges


def _dot_edge(edge: Edge) -> str:
    attributes = {"color": edge.colour, "penwidth": f"{edge.width:g}"}
    if edge.label:
        attributes["label"] = f"<{edge.label}>"
    if edge.tooltip:
        attributes["tooltip"] = edge.tooltip
        if edge.label:
            attributes["labeltooltip"] = edge.tooltip
    if edge.style != "solid":
        attributes["style"] = edge.style
    source, target = edge.source, edge.target
    if not edge.arrow:
        attributes["dir"] = "none"
    if edge.reverse:
        source, target = target, source
        if edge.arrow:
            attributes["dir"] = "back"
    return f"{_q(source)} -> {_q(target)} [{_dot_attributes(attributes)}];"


def _dot_node(node: Node) -> str:
    attributes: dict[str, str] = {}
    if node.shape == "point":
        attributes = {"shape": "circle", "style": "filled", "fillcolor": "#202124",
                      "label": "", "width": "0.18", "fixedsize": "true"}
    elif node.shape == "edge label":
        attributes = {"shape": "box", "style": "filled", "fillcolor": node.fill,
                      "color": node.fill, "margin": "0.02,0.01", "label": f"<{node.label}>"}
    elif node.shape == "label":
        attributes = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff",
                      "color": node.colour, "label": f"<{node.label}>"}
    elif node.shape == "plain":
        attributes = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff",
                      "color": "#dadce0", "label": f"<{node.label}>"}
    elif node.shape == "note":
        attributes = {"shape": "note", "style": "filled", "fillcolor": node.fill,
                      "color": node.colour, "label": f"<{node.label}>", "fontsize": "10"}
    else:
        attributes = {"label": f"<{node.label}>", "fillcolor": node.fill, "color": node.colour,
                      "penwidth": f"{node.width:g}"}
        if node.terminal:
            attributes["peripheries"] = "2"
    if node.tooltip:
        attributes["tooltip"] = node.tooltip
    return f"{_q(node.id)} [{_dot_attributes(attributes)}];"


def _dot_attributes(attributes: dict[str, str]) -> str:
    parts = []
    for key, value in attributes.items():
        if value.startswith("<") and value.endswith(">") and key == "label":
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={_q(value)}")
    return ", ".join(parts)


def _mermaid_text(text: str) -> str:
    """A Mermaid label in double quotes; quotes become #quot; (Mermaid's entity syntax)."""
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(figure: Figure) -> str:
    """A Mermaid flowchart: one subgraph per cluster, edges coloured with linkStyle."""
    direction = "LR" if figure.rankdir == "LR" else "TB"
    title = figure.title.replace("\\", "\\\\").replace('"', '\\"')
    out = ["---", f'title: "{title}"', "---", f"flowchart {direction}"]
    classes = sorted({node.mermaid_class for node in figure.nodes if node.mermaid_class})
    for name in classes:
        fill = PHASE_FILL.get(name, "#ffffff")
        out.append(f"  classDef {name}_state fill:{fill},stroke:#5f6368,color:#202124")
    out.append(f"  classDef emphasis stroke:{HIGHLIGHT},stroke-width:3px")
    by_cluster: dict[str | None, list[Node]] = {}
    for node in figure.nodes:
        if node.shape in ("plain", "note"):
            continue  # the legend and notes exist in the DOT/SVG form only
        by_cluster.setdefault(node.cluster, []).append(node)
    for cluster, label, _ in figure.clusters:
        out.append(f"  subgraph group_{_mermaid_id(cluster)}[{_mermaid_text(label)}]")
        out.append(f"    direction {direction}")
        for node in by_cluster.get(cluster, []):
            out.append("    " + _mermaid_node(node))
        out.append("  end")
    for node in by_cluster.get(None, []):
        out.append("  " + _mermaid_node(node))
    drawn = [e for e in figure.edges
             if e.source not in ("legend", "note") and e.target not in ("legend", "note")]
    styles: dict[str, list[int]] = {}
    for index, edge in enumerate(drawn):
        arrow = "-->" if edge.arrow else "---"
        if edge.style == "dashed":
            arrow = "-.->" if edge.arrow else "-.-"
        label = f"|{_mermaid_text(edge.text)}|" if edge.text else ""
        out.append(f"  {_mermaid_id(edge.source)} {arrow}{label} {_mermaid_id(edge.target)}")
        width = "3px" if edge.width >= 3 else "1.5px"
        styles.setdefault(f"stroke:{edge.colour},stroke-width:{width}", []).append(index)
    for style, indexes in styles.items():
        out.append(f"  linkStyle {','.join(str(i) for i in indexes)} {style}")
    for node in figure.nodes:
        if node.width >= 2 and node.shape == "box":
            out.append(f"  class {_mermaid_id(node.id)} emphasis")
    return "\n".join(out) + "\n"


def _mermaid_id(name: str) -> str:
    """Mermaid node ids: letters, digits and underscores only (a hyphen reads as an arrow)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mermaid_node(node: Node) -> str:
    identifier = _mermaid_id(node.id)
    if node.shape == "point":
        return f"{identifier}(({_mermaid_text(' ')}))"
    class_suffix = f":::{node.mermaid_class}_state" if node.mermaid_class else ""
    if node.terminal:
        return f"{identifier}((({_mermaid_text(node.text)}))){class_suffix}"
    return f"{identifier}({_mermaid_text(node.text)}){class_suffix}"


# ---- rendering and files ------------------------------------------------------------------------

#: Figure builders in output order.
FIGURES: tuple[Callable[[], Figure], ...] = (
    lifecycle_figure,
    recipient_figure,
    world_graph_figure,
    counterexample_figure,
)


def figures() -> list[Figure]:
    return [build() for build in FIGURES]


def text_outputs(formats: Iterable[str] = TEXT_FORMATS,
                 built: list[Figure] | None = None) -> dict[str, str]:
    """File name -> content of the text formats (what --check compares)."""
    wanted = set(formats)
    outputs: dict[str, str] = {}
    for figure in built if built is not None else figures():
        if "dot" in wanted:
            outputs[f"{figure.name}.dot"] = to_dot(figure)
        if "mmd" in wanted:
            outputs[f"{figure.name}.mmd"] = to_mermaid(figure)
    return outputs


class GraphvizMissing(MapiSubmissionError, RuntimeError):
    """`dot` is not on PATH: SVG and PNG cannot be rendered."""


def graphviz() -> str | None:
    return shutil.which("dot")


def render(dot_text: str, output_format: str) -> bytes:
    """Run Graphviz `dot` on `dot_text` (svg or png)."""
    program = graphviz()
    if program is None:
        raise GraphvizMissing("Graphviz `dot` not found on PATH (scripts/install-system-deps.sh "
                              "installs it); SVG and PNG skipped")
    completed = subprocess.run([program, f"-T{output_format}"], input=dot_text.encode("utf-8"),
                               capture_output=True, check=False, timeout=120)
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"dot -T{output_format} failed: {message[-1] if message else '?'}")
    return completed.stdout


def all_outputs(formats: Iterable[str], built: list[Figure] | None = None
                ) -> tuple[dict[str, bytes], list[str]]:
    """Every requested file's bytes (of `built`, else the checked-in figures), and notes on
    what was skipped. Nothing is written."""
    wanted = [f for f in FORMATS if f in set(formats)]
    built = figures() if built is None else built
    texts = text_outputs(("dot", "mmd"), built)
    outputs: dict[str, bytes] = {}
    skipped: list[str] = []
    for figure in built:
        dot_text = texts[f"{figure.name}.dot"]
        for output_format in wanted:
            name = f"{figure.name}.{output_format}"
            if output_format in TEXT_FORMATS:
                outputs[name] = texts[name].encode("utf-8")
            elif graphviz() is None:
                if not skipped:
                    skipped.append("Graphviz `dot` not found on PATH (scripts/install-system-"
                                   "deps.sh installs it): SVG and PNG skipped")
            else:
                outputs[name] = render(dot_text, output_format)
    return outputs, skipped


def write_outputs(directory: Path, outputs: dict[str, bytes]) -> list[Path]:
    written = []
    for name, content in outputs.items():
        path = directory / name
        write_atomic(path, content)
        written.append(path)
    return written


def stale_files(directory: Path, formats: Iterable[str] = ("dot", "mmd", "svg")) -> list[str]:
    """Problems with the checked-in diagrams, one line per file: a text format that differs
    from what the model renders now, or an SVG that is missing, is not XML or was rendered
    from an older DOT text. PNG files are not checked (their bytes depend on the Graphviz
    build)."""
    wanted = set(formats)
    problems: list[str] = []
    texts = text_outputs(("dot", "mmd"))
    for name, content in texts.items():
        if name.rsplit(".", 1)[1] not in wanted:
            continue
        path = directory / name
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(f"{path}: missing")
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: unreadable ({error})")
            continue
        if current != content:
            problems.append(f"{path}: stale (differs from what the model renders now)")
    if "svg" in wanted:
        for name, content in texts.items():
            if not name.endswith(".dot"):
                continue
            svg = directory / (name[: -len(".dot")] + ".svg")
            try:
                data = svg.read_bytes()
            except FileNotFoundError:
                problems.append(f"{svg}: missing")
                continue
            except OSError as error:
                problems.append(f"{svg}: unreadable ({error})")
                continue
            problem = svg_problem(data, dot_digest(content))
            if problem:
                problems.append(f"{svg}: {problem}")
    return problems


def svg_problem(data: bytes, digest: str | None) -> str | None:
    """Why an SVG is not a good rendering of the DOT text with `digest`, or None."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        return f"not well-formed XML ({error})"
    if not root.tag.endswith("svg"):
        return f"root element is {root.tag}, not svg"
    found = dot_digest(data.decode("utf-8", "replace"))
    if found != digest:
        return "stale (rendered from an older DOT text)"
    return None
