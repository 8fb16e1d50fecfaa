"""Coverage criteria computed on one breadth-first exploration of the model.

Each criterion names its targets, finds for each reachable target a *witness* (the first
one breadth-first order meets, so the path from an initial world through it is a shortest
one) and says which targets it cannot reach (infeasible, reported, never searched for
again). Targets are strings an implementer can read:

- states: a message life-cycle state (``locked``) or a transport state (``transport:critical``)
  some world reaches;
- transitions: a table row taken from one of its source states, ``row@state``; the row
  alone is too coarse (``abort`` from ``spooled`` and from ``deferred`` are different code
  paths in a store) and the concrete world too fine (thousands per row);
- interleavings: a decision a component takes on one message (model.table.SYSTEM_DECISIONS)
  while another message is in a given state, ``row@state|other``: a component's step on one
  message must leave the others alone (the spooler's pick-up scan, run as it finishes one
  message, must not re-pull another the tight pair is sending: R20), so each decision is
  tried beside each state of another message;
- pairs: two transitions one machine (a message, or a transport session) takes in a row,
  ``row@state>row@state``; the possible pairs are the edges of the line graph of the
  state/transition graph (networkx.line_graph), the feasible ones those a run shows;
- guards: each guard of each row seen true (the row fires) and false (the row does not fire
  in a world where its source state holds), ``row:guard=true|false``; for a false outcome a
  world where that guard is the only false one is preferred (it alone decides);
- rules: each encoded rule id (model.catalogue) exercised by a step: the rules of its row,
  of its guards and effect, of the state it enters, and of the observations it changes;
- negative: each (call, message state) the table does not allow and the documents answer
  (generators.negative), ``actor:Method[flags]@state``.

The lower bound of a criterion is a number of steps no suite reaching the same coverage can
go below (each step covers at most so many targets, and the deepest target needs its depth).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from mapi_submission.checker.explore import Exploration
from mapi_submission.model.catalogue import encoded_rules
from mapi_submission.model.config import Config
from mapi_submission.model.constants import FOLDERS
from mapi_submission.model.effects import EFFECT_RULES
from mapi_submission.model.engine import Model, Step
from mapi_submission.model.guards import GUARD_RULES, Guard
from mapi_submission.model.observe import OBSERVATION_RULES, submit_flags
from mapi_submission.model.states import (
    RECIPIENT_STATES,
    STATE_NAMES,
    STATES_BY_NAME,
    TRANSPORT_STATE_NAMES,
    TRANSPORT_STATES,
)
from mapi_submission.model.table import ROWS_BY_NAME, SYSTEM_DECISIONS, TABLE
from mapi_submission.model.world import World

from .negative import Refusal, negative_universe, refusals_at

CRITERIA = ("states", "transitions", "interleavings", "pairs", "guards", "rules", "tour", "random",
            "negative")
#: Criteria whose witnesses come from the explored edges, not from a streaming pass.
NEEDS_EDGES = frozenset({"pairs", "tour", "random"})

_TRANSPORT_STATE_RULES = {s.name: s.rules for s in TRANSPORT_STATES}
_RECIPIENT_STATE_RULES = {s.name: s.rules for s in RECIPIENT_STATES}


def rule_order(rule: str) -> int:
    return int(rule[1:])


def sorted_rules(rules: Iterable[str]) -> list[str]:
    return sorted(set(rules), key=rule_order)


@dataclass(frozen=True)
class Witness:
    """Where a target is met: the world `node` (reached by its shortest path), then `steps`
    taken from it, then `refusals` checked in the world they lead to."""

    node: int
    steps: tuple[Step, ...] = ()
    refusals: tuple[Refusal, ...] = ()


@dataclass
class Coverage:
    criterion: str
    universe: list[str]
    witnesses: dict[str, Witness]
    lower_bound: int = 0
    #: Negative cases: reachable (call, state) pairs the documents say nothing about.
    unspecified: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> list[str]:
        return sorted(self.witnesses)

    @property
    def infeasible(self) -> list[str]:
        silent = set(self.unspecified)
        return [t for t in self.universe if t not in self.witnesses and t not in silent]


def source_state(world: World, step: Step) -> str:
    """The state a step leaves: its message's state, or its transport's session state."""
    if ROWS_BY_NAME[step.row].machine == "transport":
        return world.transports[step.arg]
    return world.messages[step.message].phase


def transition_label(world: World, step: Step) -> str:
    return f"{step.row}@{source_state(world, step)}"


def step_labels(model: Model, world: World, step: Step) -> list[str]:
    """The transitions a step takes: its row from its source state, then the row taken
    inside the same call from the state the row left the message in."""
    labels = [transition_label(world, step)]
    inside = model.inside_row(world, step)
    if inside is not None:
        labels.append(f"{inside.name}@{ROWS_BY_NAME[step.row].dest}")
    return labels


def step_row_names(model: Model, world: World, step: Step) -> list[str]:
    """The rows a step takes from `world`: its own and the one inside its call, if any."""
    inside = model.inside_row(world, step)
    return [step.row] if inside is None else [step.row, inside.name]


def machine_of(step: Step) -> tuple[str, int]:
    """Which machine a step moves: a message, or a transport session."""
    if ROWS_BY_NAME[step.row].machine == "transport":
        return ("transport", step.arg)
    return ("message", step.message)


def row_rules(row_name: str) -> frozenset[str]:
    """Rules a step of this row exercises: the row's own, its guards' and its effect's, and
    those of the message, recipient or transport state it enters."""
    row = ROWS_BY_NAME[row_name]
    rules = set(row.rules)
    for guard in row.guards:
        rules.update(GUARD_RULES.get(guard, ()))
    rules.update(EFFECT_RULES.get(row.effect, ()))
    if row.dest is not None:
        states = _TRANSPORT_STATE_RULES if row.machine == "transport" else {
            name: state.rules for name, state in STATES_BY_NAME.items()}
        rules.update(states.get(row.dest, ()))
    if row.recipient_change is not None:
        rules.update(_RECIPIENT_STATE_RULES.get(row.recipient_change[1], ()))
    return frozenset(rules)


def observation_rules(config: Config, before: World, after: World) -> set[str]:
    """Rules of the observations (R2, R13, R42, R58, R61, ...) a step changes."""
    rules: set[str] = set()
    for old, new in zip(before.messages, after.messages, strict=True):
        if old.flags != new.flags:
            rules.update(OBSERVATION_RULES["message_flags"])
        if submit_flags(config, old) != submit_flags(config, new):
            rules.update(OBSERVATION_RULES["submit_flags"])
        if old.recipients != new.recipients:
            rules.update(OBSERVATION_RULES["recipients"])
    return rules


Run = tuple[World, Sequence[tuple[Step, World]], Sequence[Refusal]]


class Criterion:
    """Collects witnesses while the exploration runs (`visit`, `transition`) or from its
    edges afterwards (`finish`); `covered_by` says which targets a concrete run covers."""

    name = ""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.witnesses: dict[str, Witness] = {}

    def visit(self, node: int, world: World) -> None:
        """Called once per new world, in breadth-first order."""

    def transition(self, source: int, world: World, step: Step, after: World,
                   target: int) -> None:
        """Called once per transition, sources in breadth-first order."""

    def universe(self) -> list[str]:
        raise NotImplementedError

    def lower_bound(self, exploration: Exploration) -> int:
        raise NotImplementedError

    def covered_by(self, run: Run) -> set[str]:
        raise NotImplementedError

    def finish(self, exploration: Exploration) -> Coverage:
        return Coverage(self.name, self.universe(), dict(sorted(self.witnesses.items())),
                        self.lower_bound(exploration))

    def _note(self, target: str, witness: Witness) -> None:
        if target not in self.witnesses:
            self.witnesses[target] = witness

    def _deepest(self, exploration: Exploration) -> int:
        """Steps the deepest witness needs: a lower bound for every criterion."""
        return max((exploration.depth[w.node] + len(w.steps) for w in self.witnesses.values()),
                   default=0)


class StateCriterion(Criterion):
    """Every message state and transport state some reachable world shows."""

    name = "states"

    @staticmethod
    def targets(world: World) -> set[str]:
        found = {m.phase for m in world.messages}
        # Status and location are independent (R19, R27): each state in each folder it
        # can occupy is a target of its own.
        found.update(f"{m.phase}/{m.folder}" for m in world.messages)
        found.update(f"transport:{t}" for t in world.transports)
        return found

    def visit(self, node: int, world: World) -> None:
        for target in self.targets(world):
            self._note(target, Witness(node))

    def universe(self) -> list[str]:
        return sorted([*STATE_NAMES, *(f"{s}/{f}" for s in STATE_NAMES for f in FOLDERS),
                       *(f"transport:{t}" for t in TRANSPORT_STATE_NAMES)])

    def lower_bound(self, exploration: Exploration) -> int:
        # Each step enters one world: it moves one message, so it can show at most one new
        # state, one new state-in-folder and one new transport state.
        initial = {t for node in exploration.initial for t in
                   self.targets(exploration.states[node])}
        return max(self._deepest(exploration), -(-len(set(self.witnesses) - initial) // 3))

    def covered_by(self, run: Run) -> set[str]:
        start, steps, _ = run
        found = self.targets(start)
        for _, world in steps:
            found |= self.targets(world)
        return found


class TransitionCriterion(Criterion):
    """Every (row, source state) of the table some reachable world takes."""

    name = "transitions"

    def transition(self, source: int, world: World, step: Step, after: World,
                   target: int) -> None:
        for label in step_labels(self.model, world, step):
            if label not in self.witnesses:
                self.witnesses[label] = Witness(source, (step,))

    def universe(self) -> list[str]:
        return sorted(f"{row.name}@{state}" for row in TABLE for state in row.sources)

    def lower_bound(self, exploration: Exploration) -> int:
        return max(self._deepest(exploration), len(self.witnesses))

    def covered_by(self, run: Run) -> set[str]:
        start, steps, _ = run
        found: set[str] = set()
        world = start
        for step, after in steps:
            found.update(step_labels(self.model, world, step))
            world = after
        return found


class InterleavingCriterion(Criterion):
    """Every decision a component takes on one message (a row of SYSTEM_DECISIONS, from one
    of its source states) while another message is in each state (``row@state|other``)."""

    name = "interleavings"

    def labels(self, world: World, step: Step) -> set[str]:
        if step.row not in SYSTEM_DECISIONS:
            return set()
        others = {m.phase for index, m in enumerate(world.messages) if index != step.message}
        return {f"{transition_label(world, step)}|{other}" for other in others}

    def transition(self, source: int, world: World, step: Step, after: World,
                   target: int) -> None:
        for label in sorted(self.labels(world, step)):
            if label not in self.witnesses:
                self.witnesses[label] = Witness(source, (step,))

    def universe(self) -> list[str]:
        return sorted(f"{row.name}@{state}|{other}" for row in TABLE
                      if row.name in SYSTEM_DECISIONS for state in row.sources
                      for other in STATE_NAMES)

    def lower_bound(self, exploration: Exploration) -> int:
        # A step takes one decision, beside the states of the other messages.
        per_step = max(1, self.model.config.messages - 1)
        return max(self._deepest(exploration), -(-len(self.witnesses) // per_step))

    def covered_by(self, run: Run) -> set[str]:
        start, steps, _ = run
        found: set[str] = set()
        world = start
        for step, after in steps:
            found |= self.labels(world, step)
            world = after
        return found


def transition_graph() -> nx.MultiDiGraph[str]:
    """The table as a graph over states: one edge per (row, source state), keyed by its
    transition label; error rows are loops."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for row in TABLE:
        prefix = "transport:" if row.machine == "transport" else ""
        for state in row.sources:
            dest = row.dest or state
            graph.add_edge(prefix + state, prefix + dest, key=f"{row.name}@{state}")
    return graph


class PairCriterion(Criterion):
    """Every two transitions one machine takes in a row (line graph of the table's graph)."""

    name = "pairs"

    def universe(self) -> list[str]:
        lines = nx.line_graph(transition_graph())
        return sorted(f"{first[2]}>{second[2]}" for first, second in lines.edges())

    def finish(self, exploration: Exploration) -> Coverage:
        states = exploration.states
        depth = exploration.depth
        # For each world, the shallowest way in per (machine, label): (source depth, edge).
        entries: list[dict[tuple[tuple[str, int], str], tuple[int, int, Step]]] = [
            {} for _ in states]
        for source, step, target in exploration.edges:
            key = (machine_of(step), transition_label(states[source], step))
            known = entries[target].get(key)
            if known is None or depth[source] < known[0]:
                entries[target][key] = (depth[source], source, step)
        best: dict[str, tuple[int, int, tuple[Step, Step]]] = {}
        for source, step, _ in exploration.edges:
            second = transition_label(states[source], step)
            machine = machine_of(step)
            for (first_machine, first), (level, start, before) in entries[source].items():
                if first_machine != machine:
                    continue
                pair = f"{first}>{second}"
                known_pair = best.get(pair)
                if known_pair is None or level < known_pair[0]:
                    best[pair] = (level, start, (before, step))
        self.witnesses = {pair: Witness(start, steps)
                          for pair, (_, start, steps) in sorted(best.items())}
        return super().finish(exploration)

    def lower_bound(self, exploration: Exploration) -> int:
        # A step completes at most one pair, and the first step of a case completes none.
        return max(self._deepest(exploration), len(self.witnesses) + 1 if self.witnesses else 0)

    def covered_by(self, run: Run) -> set[str]:
        start, steps, _ = run
        last: dict[tuple[str, int], str] = {}
        found: set[str] = set()
        world = start
        for step, after in steps:
            label = transition_label(world, step)
            machine = machine_of(step)
            if machine in last:
                found.add(f"{last[machine]}>{label}")
            last[machine] = label
            world = after
        return found


def guard_target(row: str, guard: str, outcome: bool) -> str:
    return f"{row}:{guard}={'true' if outcome else 'false'}"


class GuardCriterion(Criterion):
    """Every guard of every row seen true (the row fires) and false (in a world where the
    row's source state holds); a false outcome that alone disables the row is preferred."""

    name = "guards"

    def __init__(self, model: Model) -> None:
        super().__init__(model)
        self.any_false: dict[str, Witness] = {}

    def visit(self, node: int, world: World) -> None:
        model = self.model
        config = model.config
        for message, state in enumerate(world.messages):
            for compiled in model.message_rows.get(state.phase, ()):
                self._evaluate(node, world, message, compiled.row.name, compiled.targets,
                               compiled.guards, config)
        for transport, session in enumerate(world.transports):
            for compiled in model.transport_rows.get(session, ()):
                if compiled.targets != (-1,) and transport not in compiled.targets:
                    continue
                self._evaluate(node, world, -1, compiled.row.name, (transport,),
                               compiled.guards, config)

    def _evaluate(self, node: int, world: World, message: int, row_name: str,
                  args: tuple[int, ...], guards: tuple[Guard, ...], config: Config) -> None:
        names = ROWS_BY_NAME[row_name].guards
        if not names:
            return
        for arg in args:
            outcomes = [check(config, world, message, arg) for check in guards]
            false = [name for name, ok in zip(names, outcomes, strict=True) if not ok]
            for name in false:
                target = guard_target(row_name, name, False)
                if target in self.witnesses:
                    continue
                step = Step(row_name, message, arg)
                rules = sorted_rules(GUARD_RULES.get(name, ()))
                refusal = Refusal(
                    "not_enabled", target, step, (), tuple(rules),
                    f"{row_name} must not fire: guard {name} is false"
                    + (f" (also false: {', '.join(g for g in false if g != name)})"
                       if len(false) > 1 else ""),
                    guard=name)
                witness = Witness(node, (), (refusal,))
                if len(false) == 1:
                    self.witnesses[target] = witness
                elif target not in self.any_false:
                    self.any_false[target] = witness

    def transition(self, source: int, world: World, step: Step, after: World,
                   target: int) -> None:
        for row in step_row_names(self.model, world, step):
            for name in ROWS_BY_NAME[row].guards:
                self._note(guard_target(row, name, True), Witness(source, (step,)))

    def finish(self, exploration: Exploration) -> Coverage:
        for target, witness in self.any_false.items():
            self._note(target, witness)
        return super().finish(exploration)

    def universe(self) -> list[str]:
        return sorted(guard_target(row.name, guard, outcome) for row in TABLE
                      for guard in row.guards for outcome in (True, False))

    def lower_bound(self, exploration: Exploration) -> int:
        # A taken step covers the true outcomes of one row; a refusal the false outcome of
        # one guard.
        true_rows = {t.split(":")[0] for t in self.witnesses if t.endswith("=true")}
        false_outcomes = [t for t in self.witnesses if t.endswith("=false")]
        return max(self._deepest(exploration), len(true_rows) + len(false_outcomes))

    def covered_by(self, run: Run) -> set[str]:
        start, steps, refusals = run
        befores = [start, *(after for _, after in steps)][:len(steps)]
        found = {guard_target(row, g, True) for before, (step, _) in zip(befores, steps,
                                                                          strict=True)
                 for row in step_row_names(self.model, before, step)
                 for g in ROWS_BY_NAME[row].guards}
        found.update(r.target for r in refusals if r.kind == "not_enabled")
        return found


class RuleCriterion(Criterion):
    """Every encoded rule exercised by some step."""

    name = "rules"

    def transition(self, source: int, world: World, step: Step, after: World,
                   target: int) -> None:
        for rule in self.step_rules(world, step, after):
            self._note(rule, Witness(source, (step,)))

    def step_rules(self, world: World, step: Step, after: World) -> set[str]:
        return {rule for row in step_row_names(self.model, world, step)
                for rule in row_rules(row)} | \
            observation_rules(self.model.config, world, after)

    def universe(self) -> list[str]:
        return sorted_rules(encoded_rules())

    def lower_bound(self, exploration: Exploration) -> int:
        observed = {r for rules in OBSERVATION_RULES.values() for r in rules}
        widest = max(len(row_rules(row.name) | observed) for row in TABLE)
        return max(self._deepest(exploration), -(-len(self.witnesses) // widest))

    def covered_by(self, run: Run) -> set[str]:
        start, steps, refusals = run
        found: set[str] = set()
        world = start
        for step, after in steps:
            found |= self.step_rules(world, step, after)
            world = after
        for refusal in refusals:
            found.update(refusal.rules)
        return found


class NegativeCriterion(Criterion):
    """Every (call, message state) the table does not allow, at the shallowest world that
    shows the state, with the answer the documents prescribe."""

    name = "negative"

    def __init__(self, model: Model) -> None:
        super().__init__(model)
        self.seen_states: set[str] = set()
        self.unspecified: set[str] = set()
        self.universe_targets = negative_universe()

    def visit(self, node: int, world: World) -> None:
        phases = {m.phase for m in world.messages}
        if phases <= self.seen_states:
            return  # every (call, state) here already has its shallowest witness
        new = phases - self.seen_states
        self.seen_states |= phases
        covered = set()
        for refusal in refusals_at(self.model, world):
            phase = world.messages[refusal.step.message].phase
            if phase in new:
                covered.add(refusal.target)
                self._note(refusal.target, Witness(node, (), (refusal,)))
        for target in self.universe_targets:
            if target.rsplit("@", 1)[1] in new and target not in covered:
                self.unspecified.add(target)

    def finish(self, exploration: Exploration) -> Coverage:
        coverage = super().finish(exploration)
        coverage.unspecified = sorted(self.unspecified - set(self.witnesses))
        return coverage

    def universe(self) -> list[str]:
        return list(self.universe_targets)

    def lower_bound(self, exploration: Exploration) -> int:
        return max(self._deepest(exploration), len(self.witnesses))

    def covered_by(self, run: Run) -> set[str]:
        return {r.target for r in run[2] if r.kind != "not_enabled"}


STREAMING: dict[str, type[Criterion]] = {
    c.name: c for c in (StateCriterion, TransitionCriterion, InterleavingCriterion,
                        PairCriterion, GuardCriterion, RuleCriterion, NegativeCriterion)
}


def criterion_for(name: str, model: Model) -> Criterion:
    """The collector of a named criterion ("tour" and "random" measure transitions)."""
    kind = STREAMING.get(name, TransitionCriterion)
    return kind(model)
